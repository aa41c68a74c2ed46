"""Background work of the reports: exports (django-tasks; inline by default, a worker at
scale). The work itself is lms.reports.exports.export_job_run; the task only carries the
job's id, so a retried or duplicated task finds the job already taken and does nothing."""

from django_tasks import task


@task()
def export_run(job_id: str) -> None:
    """Build the file of a queued ExportJob, with progress, and mark it done or failed."""
    from lms.reports.exports import export_job_run

    export_job_run(job_id=job_id)
