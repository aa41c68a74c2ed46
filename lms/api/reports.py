"""The API's view of lms.reports: the city dashboard's figures and the SIASN completions,
serialised as plain data. lms.reports computes; this module only arranges."""

import datetime

from lms.people.models import City
from lms.reports.selectors import (  # noqa: F401  (may_see_city_dashboard is re-exported)
    city_dashboard,
    city_today,
    filters_from_query,
    may_see_city_dashboard,
)

# API parameter -> the dashboard's GET parameter (filters_from_query reads those names).
REPORT_PARAMS = {"year": "year", "agency": "agency", "course": "course", "learning_form": "form"}


def city_report(
    *, city: City, params: dict, today: datetime.date | None = None
) -> tuple[dict | None, dict[str, str]]:
    """(report, errors): the report, or None and the messages for each bad parameter."""
    today = today or city_today(city)
    query = {REPORT_PARAMS[name]: value for name, value in params.items() if value is not None}
    filters, errors = filters_from_query(query, city=city, today=today)
    if errors:
        inverse = {value: key for key, value in REPORT_PARAMS.items()}
        return None, {inverse.get(key, key): str(message) for key, message in errors.items()}
    dashboard = city_dashboard(city=city, filters=filters, today=today)
    tables = []
    for table in dashboard.tables().values():
        tables.append(
            {
                "key": table.key,
                "title": str(table.title),
                "columns": [{"key": key, "label": str(label)} for key, label in table.columns],
                "rows": table.rows,
            }
        )
    report = {
        "city": city.slug,
        "filters": {
            "year": filters.year,
            "agency": filters.agency_id,
            "course": filters.course_key,
            "learning_form": filters.learning_form,
        },
        "learners": dashboard.learners,
        "active_7": dashboard.active_7,
        "active_30": dashboard.active_30,
        "started": dashboard.started,
        "completed": dashboard.completed,
        "completion_rate": dashboard.completion_rate,
        "met_minimum": dashboard.met_minimum,
        "met_minimum_share": dashboard.met_minimum_share,
        "below_minimum": dashboard.below_minimum,
        "average_score": dashboard.average_score,
        "pass_rate": dashboard.pass_rate,
        "overdue": dashboard.overdue,
        "weeks": [
            {"week": p.week, "started": p.started, "completed": p.completed, "jp": p.jp}
            for p in dashboard.weeks
        ],
        "tables": tables,
    }
    return report, {}
