"""Reports: read models (rollups, dashboards, exports). This app only reads learner data;
its rollup tables arrive with the Monitoring and evaluation issue."""
