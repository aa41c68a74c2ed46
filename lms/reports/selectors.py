"""Reads behind the city and national dashboards.

Everything here reads the read models that lms.records keeps up to date (``Rollup``,
``RollupWeek``, ``LearnerYear``, ``LearnerActivity``) plus people and enrolments, never the
raw statements or progress rows. Each dashboard is a fixed number of grouped queries, so
its cost does not grow with the number of courses, agencies or cities shown; the rows
come back already summed and are only arranged in Python.

Counting rules:

- learners: active profiles of the city (or of the agency subtree);
- active in the last N days: ``LearnerActivity.last_active_on > today - N days``;
- started / completed / scores / passes: ``Rollup`` rows of one course (not NO_COURSE) of
  the year; completion rate = completed / started, average score = score_sum / scored,
  pass rate = passed / scored;
- reached 20 JP: active learners whose ``LearnerYear`` total of the year is >= 20, so that
  "reached" plus the "below 20 JP" list always add up to the learners shown (the rollup's
  ``met_minimum`` counts by the agency a learner had back then, which a transfer changes);
- overdue: mandatory, active enrolments of active learners due before today (the city's
  own date) with no completion of that course.
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage, LearningForm
from lms.people import permissions
from lms.people.models import Agency, City, LearnerProfile
from lms.records.models import (
    NO_COURSE,
    YEARLY_MINIMUM_JP,
    CourseCompletion,
    Enrolment,
    Rollup,
    RollupActive,
    RollupDue,
    RollupWeek,
)
from lms.records.rollups import week_of
from lms.records.selectors import local_date

# Years a dashboard may be asked about; anything else is a typo in a hand-edited URL.
FIRST_YEAR = 2000
# A trend longer than this many weeks is cut to its last weeks (a chart of years of
# weeks is unreadable and the query stays small).
MAX_WEEKS = 106

# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    year: int
    agency_id: int | None = None  # the agency and every unit below it
    course_key: uuid.UUID | None = None
    learning_form: str | None = None  # a LearningForm value
    week_from: datetime.date | None = None  # trend period; default: the year's weeks so far
    week_to: datetime.date | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters (for links that keep them)."""
        values = {
            "year": str(self.year),
            "agency": str(self.agency_id or ""),
            "course": str(self.course_key or ""),
            "form": self.learning_form or "",
            "week_from": self.week_from.isoformat() if self.week_from else "",
            "week_to": self.week_to.isoformat() if self.week_to else "",
        }
        return {key: value for key, value in values.items() if value}


def _parse_week(value: str) -> datetime.date | None:
    """A date (2026-03-04) or an ISO week (2026-W10) as the Monday of its week."""
    value = value.strip()
    try:
        if "W" in value.upper():
            year, week = value.upper().split("-W")
            return datetime.date.fromisocalendar(int(year), int(week), 1)
        return week_of(datetime.date.fromisoformat(value))
    except ValueError:
        return None


def _value(params, name: str) -> str:
    value = params.get(name, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return str(value or "").strip()


def filters_from_query(
    params, *, city: City | None, today: datetime.date
) -> tuple[DashboardFilters, dict[str, str]]:
    """Dashboard filters from GET parameters ``year``, ``agency``, ``course``, ``form``,
    ``week_from``, ``week_to``. A bad value is dropped (the default applies) and explained
    in the returned errors (field name -> message); nothing here raises."""
    errors: dict[str, str] = {}

    year = today.year
    raw = _value(params, "year")
    if raw:
        try:
            year = int(raw)
            if not FIRST_YEAR <= year <= today.year + 1:
                raise ValueError
        except ValueError:
            year = today.year
            errors["year"] = _(
                "The year %(value)s cannot be shown; choose a year from %(first)s to %(last)s."
            ) % {"value": raw, "first": FIRST_YEAR, "last": today.year + 1}

    agency_id = None
    raw = _value(params, "agency")
    if raw:
        if city is None:
            errors["agency"] = _("Agencies can be chosen on a city's dashboard only.")
        else:
            try:
                candidate = int(raw)
            except ValueError:
                candidate = None
            if candidate and Agency.objects.filter(pk=candidate, city=city).exists():
                agency_id = candidate
            else:
                errors["agency"] = _(
                    "This agency is not one of %(city)s's agencies; all agencies are shown."
                ) % {"city": city.name}

    course_key = None
    raw = _value(params, "course")
    if raw:
        try:
            candidate = uuid.UUID(raw)
        except ValueError:
            candidate = None
        if candidate is not None and candidate != NO_COURSE and _course_known(candidate):
            course_key = candidate
        else:
            errors["course"] = _("This course is not known; all courses are shown.")

    learning_form = None
    raw = _value(params, "form")
    if raw:
        if raw in LearningForm.values:
            learning_form = raw
        else:
            errors["form"] = _("This learning form is not on the list; all forms are shown.")

    week_from = week_to = None
    for name in ("week_from", "week_to"):
        raw = _value(params, name)
        if not raw:
            continue
        parsed = _parse_week(raw)
        if parsed is None:
            errors[name] = _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": raw}
        elif name == "week_from":
            week_from = parsed
        else:
            week_to = parsed
    if week_from and week_to and week_from > week_to:
        errors["week_to"] = _(
            "The period ends before it starts; the year's weeks so far are shown instead."
        )
        week_from = week_to = None

    filters = DashboardFilters(
        year=year,
        agency_id=agency_id,
        course_key=course_key,
        learning_form=learning_form,
        week_from=week_from,
        week_to=week_to,
    )
    return filters, errors


def _course_known(key: uuid.UUID) -> bool:
    return (
        CoursePage.objects.filter(translation_key=key).exists()
        or CourseCompletion.objects.filter(course_key=key).exists()
    )


# --- who may look -------------------------------------------------------------------------


def may_see_city_dashboard(user, city: City) -> bool:
    """National admins (every city) and the city's own admins; trainers and learners see
    no city dashboard."""
    roles = permissions.roles_of(user)
    return roles.national or city.pk in roles.admin_city_ids


def may_see_national_dashboard(user) -> bool:
    return permissions.roles_of(user).national


def dashboard_cities(user) -> QuerySet[City]:
    """The cities whose dashboard the user may open, by name."""
    roles = permissions.roles_of(user)
    if roles.national:
        return City.objects.order_by("name")
    return City.objects.filter(pk__in=roles.admin_city_ids).order_by("name")


# --- results ------------------------------------------------------------------------------


@dataclass
class Table:
    """A table as shown and as exported: ``columns`` are (key, label) pairs, ``rows`` dicts
    by column key with str/int/float/date/None values. Rates are percentages."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict]

    def cells(self) -> list[list]:
        """Rows as lists in column order (for templates)."""
        return [[row.get(key) for key, _label in self.columns] for row in self.rows]


@dataclass(frozen=True)
class WeekPoint:
    week: datetime.date  # Monday
    started: int
    completed: int
    jp: int


@dataclass(frozen=True)
class CourseRow:
    key: uuid.UUID
    title: str
    learning_form: str
    jp: int | None


@dataclass
class CityDashboard:
    city: City
    filters: DashboardFilters
    today: datetime.date
    learners: int
    active_7: int
    active_30: int
    started: int
    completed: int
    completion_rate: float | None
    met_minimum: int
    met_minimum_share: float | None
    average_score: float | None
    pass_rate: float | None
    overdue: int
    courses: Table
    agencies: Table
    weeks: list[WeekPoint] = field(default_factory=list)
    week_from: datetime.date | None = None
    week_to: datetime.date | None = None

    @property
    def below_minimum(self) -> int:
        return self.learners - self.met_minimum

    @property
    def summary(self) -> Table:
        return Table(
            key="summary",
            title=_("Summary"),
            columns=[("figure", _("Figure")), ("value", _("Value"))],
            rows=[{"figure": label, "value": value} for label, value in headline_figures(self)],
        )

    @property
    def weeks_table(self) -> Table:
        return Table(
            key="weeks",
            title=_("Weekly trend"),
            columns=[
                ("week", _("Week (Monday)")),
                ("started", _("Courses started")),
                ("completed", _("Courses completed")),
                ("jp", _("JP credited")),
            ],
            rows=[
                {"week": p.week, "started": p.started, "completed": p.completed, "jp": p.jp}
                for p in self.weeks
            ],
        )

    def tables(self) -> dict[str, Table]:
        """Every table shown, by key (the keys the ``export`` parameter accepts)."""
        return {
            "summary": self.summary,
            "courses": self.courses,
            "agencies": self.agencies,
            "weeks": self.weeks_table,
        }


def headline_figures(dashboard) -> list[tuple[str, object]]:
    """The KPI cards, as (label, value)."""
    return [
        (_("Learners"), dashboard.learners),
        (_("Active in the last 7 days"), dashboard.active_7),
        (_("Active in the last 30 days"), dashboard.active_30),
        (_("Courses started"), dashboard.started),
        (_("Courses completed"), dashboard.completed),
        (_("Completion rate (%)"), dashboard.completion_rate),
        (_("Learners with at least 20 JP"), dashboard.met_minimum),
        (_("Share with at least 20 JP (%)"), dashboard.met_minimum_share),
        (_("Average score (%)"), dashboard.average_score),
        (_("Pass rate (%)"), dashboard.pass_rate),
        (_("Overdue mandatory courses"), dashboard.overdue),
    ]


def _percent(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _average(total, count) -> float | None:
    return round(total / count, 1) if count else None


# --- building blocks (each one query) -------------------------------------------------------


def _subtree_ids(agency_id: int):
    """Ids of an agency and every unit below it, as a subquery: the materialised-path
    prefix test runs inside the outer query, so a subtree filter costs no query."""
    root = Agency.objects.filter(pk=agency_id)
    return Agency.objects.filter(
        city_id=Subquery(root.values("city_id")[:1]),
        path__startswith=Subquery(root.values("path")[:1]),
    ).values("pk")


def _course_keys_of_form(learning_form: str):
    return CoursePage.objects.filter(learning_form=learning_form).values("translation_key")


def _in_place(rows, *, city_ids, filters: DashboardFilters, prefix: str = ""):
    """Counter rows (or counted rows, ``prefix`` "counted_") of these cities (None: all)
    and of the filters' agency subtree."""
    if city_ids is not None:
        rows = rows.filter(**{f"{prefix}city_id__in": city_ids})
    if filters.agency_id is not None:
        rows = rows.filter(**{f"{prefix}agency_id__in": _subtree_ids(filters.agency_id)})
    return rows


def _group_key(value, group: str):
    # The counters keep "no agency" as 0, the profiles as NULL.
    return (value or None) if group == "agency_id" else value


def _rollup_rows(*, city_ids, filters: DashboardFilters) -> QuerySet[Rollup]:
    rows = _in_place(
        Rollup.objects.filter(year=filters.year).exclude(course_key=NO_COURSE),
        city_ids=city_ids,
        filters=filters,
    )
    if filters.course_key is not None:
        rows = rows.filter(course_key=filters.course_key)
    if filters.learning_form:
        rows = rows.filter(course_key__in=_course_keys_of_form(filters.learning_form))
    return rows


_SUMS = {
    f"s_{name}": Sum(name) for name in ("started", "completed", "scored", "score_sum", "passed")
}


def _sums(row: dict) -> dict:
    return {name[2:]: row.get(name) or 0 for name in _SUMS}


def _profiles(city_ids, filters: DashboardFilters) -> QuerySet[LearnerProfile]:
    profiles = LearnerProfile.objects.filter(is_active=True)
    if city_ids is not None:
        profiles = profiles.filter(city_id__in=city_ids)
    if filters.agency_id is not None:
        profiles = profiles.filter(agency_id__in=_subtree_ids(filters.agency_id))
    return profiles


def _learner_counts(*, city_ids, filters: DashboardFilters, today, group: str) -> dict:
    """Learners, active 7/30 days and learners at/above 20 JP, grouped by ``group``
    (``agency_id`` or ``city_id``). Three queries: active learners from an index of
    active profiles, then counters only: RollupActive (learners by last active day) and
    Rollup's met_minimum (active learners' years at 20 JP), never a row per learner."""
    profiles = _profiles(city_ids, filters)
    counts: dict = defaultdict(lambda: {"learners": 0, "active_7": 0, "active_30": 0, "met": 0})
    for row in profiles.values(group).annotate(n=Count("pk")).order_by():
        counts[row[group]]["learners"] = row["n"]
    days = _in_place(
        RollupActive.objects.filter(day__gt=today - datetime.timedelta(days=30)),
        city_ids=city_ids,
        filters=filters,
    )
    for row in (
        days.values(group)
        .annotate(
            n_7=Sum("learners", filter=Q(day__gt=today - datetime.timedelta(days=7))),
            n_30=Sum("learners"),
        )
        .order_by()
    ):
        each = counts[_group_key(row[group], group)]
        each["active_7"], each["active_30"] = row["n_7"] or 0, row["n_30"] or 0
    met = _in_place(
        Rollup.objects.filter(year=filters.year, course_key=NO_COURSE),
        city_ids=city_ids,
        filters=filters,
    )
    for row in met.values(group).annotate(n=Sum("met_minimum")).order_by():
        if row["n"]:
            counts[_group_key(row[group], group)]["met"] = row["n"]
    return {key: value for key, value in counts.items() if any(value.values())}


def _due_filters(rows, *, city_ids, filters: DashboardFilters, today, cities=(), prefix=""):
    """Rows of RollupDue (``prefix`` "") or counted Enrolments (``prefix`` "counted_")
    whose due date is before ``today``: one date, or a dict time zone -> date (each
    city's own day, ``cities`` giving their time zones)."""
    city = f"{prefix}city_id"
    due = "counted_due" if prefix else "due_date"
    if isinstance(today, dict):
        zones = defaultdict(list)
        for each in cities:
            zones[each.timezone].append(each.pk)
        before = Q(pk__in=[])
        for tz, ids in zones.items():
            if tz in today:
                before |= Q(**{f"{city}__in": ids, f"{due}__lt": today[tz]})
        rows = rows.filter(before)
    else:
        rows = rows.filter(**{f"{due}__lt": today})
    rows = _in_place(rows, city_ids=city_ids, filters=filters, prefix=prefix)
    if filters.course_key is not None:
        rows = rows.filter(course_key=filters.course_key)
    if filters.learning_form:
        rows = rows.filter(course_key__in=_course_keys_of_form(filters.learning_form))
    return rows


def _overdue_counts(*, city_ids, filters: DashboardFilters, today, group: str, cities=()):
    """Overdue mandatory enrolments per ``group`` ("agency_id" or "city_id"), summed from
    RollupDue (never the enrolments themselves). One query."""
    rows = _due_filters(
        RollupDue.objects.all(), city_ids=city_ids, filters=filters, today=today, cities=cities
    )
    return {
        row[group]: row["n"]
        for row in rows.values(group).annotate(n=Sum("open")).order_by()
        if row["n"]
    }


def _overdue_enrolments(*, city_ids, filters: DashboardFilters, today) -> QuerySet[Enrolment]:
    """The enrolments behind those counts: counted (open) and due before ``today``."""
    return _due_filters(
        Enrolment.objects.filter(counted_due__isnull=False),
        city_ids=city_ids,
        filters=filters,
        today=today,
        prefix="counted_",
    )


def course_rows(*, keys, city: City | None = None) -> dict[uuid.UUID, CourseRow]:
    """Title, learning form and JP of courses by key, plus (for a city) the city's own and
    adopted live courses. A course no longer published keeps the title its completions
    recorded; one without either shows its key. At most two queries."""
    from lms.records.selectors import _courses_query

    keys = set(keys)
    pages = CoursePage.objects.live()
    if city is not None:
        accessible = _courses_query(city.pk).filter(Q(is_own=True) | Q(is_adopted=True))
        pages = pages.filter(Q(translation_key__in=keys) | Q(pk__in=accessible.values("pk")))
    else:
        pages = pages.filter(translation_key__in=keys)
    found = {
        key: CourseRow(key=key, title=title, learning_form=form, jp=jp)
        for key, title, form, jp in pages.values_list(
            "translation_key", "title", "learning_form", "jp_value"
        )
    }
    missing = keys - found.keys()
    if missing:
        for key, title, form, jp in (
            CourseCompletion.objects.filter(course_key__in=missing)
            .order_by("course_key", "-completed_at")
            .values_list("course_key", "course_title", "learning_form", "jp")
        ):
            found.setdefault(key, CourseRow(key=key, title=title, learning_form=form, jp=jp))
    for key in missing - found.keys():
        found[key] = CourseRow(key=key, title=str(key), learning_form="", jp=None)
    return found


def _form_label(value: str) -> str:
    return str(LearningForm(value).label) if value in LearningForm.values else value


def _week_range(
    filters: DashboardFilters, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    start = filters.week_from or week_of(datetime.date(filters.year, 1, 1))
    if filters.week_to:
        end = filters.week_to
    elif filters.year >= today.year:
        end = week_of(min(today, datetime.date(filters.year, 12, 31)))
    else:
        end = week_of(datetime.date(filters.year, 12, 31))
    if end < start:
        end = start
    if (end - start).days // 7 >= MAX_WEEKS:
        start = end - datetime.timedelta(weeks=MAX_WEEKS - 1)
    return start, end


def _weeks(*, city_ids, filters, start, end) -> list[WeekPoint]:
    rows = _in_place(
        RollupWeek.objects.filter(week__gte=start, week__lte=end),
        city_ids=city_ids,
        filters=filters,
    )
    by_week = {
        row["week"]: row
        for row in rows.values("week")
        .annotate(s=Sum("started"), c=Sum("completed"), j=Sum("jp"))
        .order_by()
    }
    points = []
    week = start
    while week <= end:
        row = by_week.get(week, {})
        points.append(
            WeekPoint(
                week=week,
                started=row.get("s") or 0,
                completed=row.get("c") or 0,
                jp=row.get("j") or 0,
            )
        )
        week += datetime.timedelta(weeks=1)
    return points


def city_today(city: City) -> datetime.date:
    return local_date(city.timezone)


def national_today() -> datetime.date:
    """The national page's default year follows Jakarta's calendar."""
    return local_date(City.TimeZone.WIB)


@dataclass(frozen=True)
class FilterChoices:
    agencies: list[tuple[int, str]]  # (pk, "Parent › Child")
    courses: list[tuple[uuid.UUID, str]]  # (key, title)


def filter_choices(*, city: City | None) -> FilterChoices:
    """What the filter form offers: the city's agencies in tree order, and the courses its
    learners may take (every live course on the national page). Two queries."""
    from lms.records.selectors import _courses_query

    agencies = []
    if city is not None:
        found = list(Agency.objects.filter(city=city).order_by("path").only("path", "name"))
        labels = _agency_labels(found)
        agencies = [(agency.pk, labels[agency.pk]) for agency in found]
        pages = _courses_query(city.pk).filter(Q(is_own=True) | Q(is_adopted=True))
    else:
        pages = CoursePage.objects.live()
    courses = sorted(
        pages.values_list("translation_key", "title"), key=lambda c: (c[1].lower(), str(c[0]))
    )
    return FilterChoices(agencies=agencies, courses=courses)


# --- the city dashboard -------------------------------------------------------------------


def city_dashboard(
    *, city: City, filters: DashboardFilters, today: datetime.date | None = None
) -> CityDashboard:
    """Every figure of one city's dashboard; seven or eight queries whatever the numbers of
    courses, agencies and learners."""
    today = today or city_today(city)
    city_ids = [city.pk]

    agencies = Agency.objects.filter(city=city).order_by("path")
    if filters.agency_id is not None:
        agencies = agencies.filter(pk__in=_subtree_ids(filters.agency_id))
    agencies = list(agencies.only("pk", "path", "depth", "name", "code"))
    people = _learner_counts(city_ids=city_ids, filters=filters, today=today, group="agency_id")

    rollups = _rollup_rows(city_ids=city_ids, filters=filters)
    by_course = {
        row["course_key"]: _sums(row)
        for row in rollups.values("course_key").annotate(**_SUMS).order_by()
    }
    by_agency = {
        row["agency_id"]: _sums(row)
        for row in rollups.values("agency_id").annotate(**_SUMS).order_by()
    }
    overdue_by_agency = _overdue_counts(
        city_ids=city_ids, filters=filters, today=today, group="agency_id"
    )

    totals = defaultdict(int)
    for sums in by_course.values():
        for name, value in sums.items():
            totals[name] += value
    learners = sum(p["learners"] for p in people.values())
    met = sum(p["met"] for p in people.values())

    course_table = _courses_table(city=city, filters=filters, by_course=by_course)
    agency_table = _agencies_table(
        agencies=agencies,
        people=people,
        by_agency=by_agency,
        overdue=overdue_by_agency,
        show_unassigned=filters.agency_id is None,
    )
    start, end = _week_range(filters, today)
    return CityDashboard(
        city=city,
        filters=filters,
        today=today,
        learners=learners,
        active_7=sum(p["active_7"] for p in people.values()),
        active_30=sum(p["active_30"] for p in people.values()),
        started=totals["started"],
        completed=totals["completed"],
        completion_rate=_percent(totals["completed"], totals["started"]),
        met_minimum=met,
        met_minimum_share=_percent(met, learners),
        average_score=_average(totals["score_sum"], totals["scored"]),
        pass_rate=_percent(totals["passed"], totals["scored"]),
        overdue=sum(overdue_by_agency.values()),
        courses=course_table,
        agencies=agency_table,
        weeks=_weeks(city_ids=city_ids, filters=filters, start=start, end=end),
        week_from=start,
        week_to=end,
    )


def _courses_table(*, city, filters, by_course) -> Table:
    infos = course_rows(keys=by_course, city=city)
    shown = []
    for key, info in infos.items():
        # The city's own courses are listed even before anyone starts them, unless the
        # filters leave them out.
        if key not in by_course:
            if filters.course_key and key != filters.course_key:
                continue
            if filters.learning_form and info.learning_form != filters.learning_form:
                continue
        shown.append(info)
    shown.sort(key=lambda info: (info.title.lower(), str(info.key)))
    rows = []
    for info in shown:
        sums = by_course.get(info.key) or dict.fromkeys(
            ("started", "completed", "scored", "score_sum", "passed"), 0
        )
        rows.append(
            {
                "key": str(info.key),
                "title": info.title,
                "learning_form": _form_label(info.learning_form),
                "jp": info.jp,
                "started": sums["started"],
                "completed": sums["completed"],
                "completion_rate": _percent(sums["completed"], sums["started"]),
                "average_score": _average(sums["score_sum"], sums["scored"]),
                "pass_rate": _percent(sums["passed"], sums["scored"]),
            }
        )
    return Table(
        key="courses",
        title=_("Courses"),
        columns=[
            ("title", _("Course")),
            ("learning_form", _("Learning form")),
            ("jp", _("JP")),
            ("started", _("Started")),
            ("completed", _("Completed")),
            ("completion_rate", _("Completion rate (%)")),
            ("average_score", _("Average score (%)")),
            ("pass_rate", _("Pass rate (%)")),
        ],
        rows=rows,
    )


def _agency_labels(agencies: list[Agency]) -> dict[int, str]:
    """Each agency's name with its parents' names ("Setda › Bagian Umum"); the agencies
    come in path order, so a parent is always labelled before its children."""
    by_path, labels = {}, {}
    for agency in agencies:
        parent = by_path.get(agency.path[: -Agency.steplen])
        label = f"{parent} › {agency.name}" if parent else agency.name
        by_path[agency.path] = label
        labels[agency.pk] = label
    return labels


def _agencies_table(*, agencies, people, by_agency, overdue, show_unassigned) -> Table:
    labels = _agency_labels(agencies)
    entries = [(agency.pk, labels[agency.pk], agency.code) for agency in agencies]
    if show_unassigned and (people.get(None) or by_agency.get(0) or overdue.get(None)):
        entries.append((None, _("No agency"), ""))
    rows = []
    for pk, label, code in entries:
        counts = people.get(pk, {})
        sums = by_agency.get(pk or 0, {})
        learners = counts.get("learners", 0)
        started, completed = sums.get("started", 0), sums.get("completed", 0)
        met = counts.get("met", 0)
        rows.append(
            {
                "agency_id": pk,
                "agency": label,
                "code": code,
                "learners": learners,
                "started": started,
                "completed": completed,
                "completion_rate": _percent(completed, started),
                "met_minimum": met,
                "met_minimum_share": _percent(met, learners),
                "below_minimum": learners - met,
                "overdue": overdue.get(pk, 0),
            }
        )
    return Table(
        key="agencies",
        title=_("Agencies"),
        columns=[
            ("agency", _("Agency")),
            ("code", _("Code")),
            ("learners", _("Learners")),
            ("started", _("Started")),
            ("completed", _("Completed")),
            ("completion_rate", _("Completion rate (%)")),
            ("met_minimum", _("Learners with at least 20 JP")),
            ("met_minimum_share", _("Share with at least 20 JP (%)")),
            ("below_minimum", _("Below 20 JP")),
            ("overdue", _("Overdue mandatory courses")),
        ],
        rows=rows,
    )


# --- lists of people ------------------------------------------------------------------------


def learners_below_minimum(
    *, city: City, year: int, agency_id: int | None = None
) -> QuerySet[LearnerProfile]:
    """Active learners of the city (or agency subtree) with fewer than 20 JP in ``year``
    (no LearnerYear row counts as 0), annotated with ``jp`` and ``jp_missing``; ordered by
    agency name (learners without one last), full name."""
    profiles = LearnerProfile.objects.filter(city=city, is_active=True)
    if agency_id is not None:
        profiles = profiles.filter(agency_id__in=_subtree_ids(agency_id))
    return (
        profiles.annotate(this_year=FilteredRelation("jp_years", condition=Q(jp_years__year=year)))
        .annotate(jp=Coalesce("this_year__jp", Value(0)))
        .filter(jp__lt=YEARLY_MINIMUM_JP)
        .annotate(jp_missing=YEARLY_MINIMUM_JP - F("jp"))
        .select_related("agency")
        .order_by(F("agency__name").asc(nulls_last=True), "full_name", "pk")
    )


def overdue_mandatory(
    *,
    city: City,
    agency_id: int | None = None,
    today: datetime.date,
    filters: DashboardFilters | None = None,
) -> QuerySet[Enrolment]:
    """Overdue mandatory enrolments of the city's active learners, oldest due date first."""
    if filters is None:
        filters = DashboardFilters(year=today.year, agency_id=agency_id)
    elif agency_id is not None:
        filters = DashboardFilters(**{**filters.__dict__, "agency_id": agency_id})
    return (
        _overdue_enrolments(city_ids=[city.pk], filters=filters, today=today)
        .select_related("learner", "learner__agency")
        # Oldest due date first, then in the order they were assigned: the order of the
        # partial index, so a page of 50 reads 50 rows however many are overdue.
        .order_by("counted_due", "pk")
    )


def overdue_mandatory_page_rows(
    *, city: City, today: datetime.date, filters: DashboardFilters
) -> QuerySet[Enrolment]:
    """overdue_mandatory for one page of 50: the learners and agencies come in their own
    queries for the page's rows only, so the page is read from the index alone (a join
    first would join every overdue row of an agency subtree before the limit)."""
    return (
        overdue_mandatory(city=city, today=today, filters=filters)
        .select_related(None)
        .prefetch_related("learner__agency")
    )


def overdue_table(*, city: City, filters: DashboardFilters, today: datetime.date) -> Table:
    """The overdue list as an exportable table; three queries."""
    enrolments = list(overdue_mandatory(city=city, today=today, filters=filters))
    titles = course_rows(keys={e.course_key for e in enrolments})
    return Table(
        key="overdue",
        title=_("Overdue mandatory courses"),
        columns=[
            ("nip", _("NIP")),
            ("full_name", _("Name")),
            ("agency", _("Agency")),
            ("course", _("Course")),
            ("due_date", _("Due date")),
            ("days_overdue", _("Days overdue")),
        ],
        rows=[
            {
                "nip": e.learner.nip,
                "full_name": e.learner.full_name,
                "agency": e.learner.agency.name if e.learner.agency else "",
                "course": titles[e.course_key].title,
                "due_date": e.due_date,
                "days_overdue": (today - e.due_date).days,
            }
            for e in enrolments
        ],
    )


# --- the national dashboard ---------------------------------------------------------------


@dataclass
class NationalDashboard:
    filters: DashboardFilters
    cities: Table

    def tables(self) -> dict[str, Table]:
        return {"cities": self.cities}


def _local_todays() -> dict[str, datetime.date]:
    now = timezone.now()
    return {tz: local_date(tz, now) for tz in City.TimeZone.values}


def national_dashboard(
    *, filters: DashboardFilters, today: datetime.date | None = None
) -> NationalDashboard:
    """The headline figures of every city side by side; four queries whatever the number
    of cities. Without ``today`` each city is judged by its own calendar date."""
    national = DashboardFilters(
        year=filters.year, course_key=filters.course_key, learning_form=filters.learning_form
    )
    cities = list(City.objects.order_by("name"))
    reference = today or _local_todays()[City.TimeZone.WIB]
    people = _learner_counts(city_ids=None, filters=national, today=reference, group="city_id")
    # Without a given day, overdue dates follow each city's own calendar.
    todays = _local_todays() if today is None else None
    sums = {
        row["city_id"]: _sums(row)
        for row in _rollup_rows(city_ids=None, filters=national)
        .values("city_id")
        .annotate(**_SUMS)
        .order_by()
    }
    overdue = _overdue_counts(
        city_ids=None,
        filters=national,
        today=today if today is not None else todays,
        group="city_id",
        cities=cities,
    )
    rows = []
    for city in cities:
        counts = people.get(city.pk, {})
        city_sums = sums.get(city.pk, {})
        learners, met = counts.get("learners", 0), counts.get("met", 0)
        started, completed = city_sums.get("started", 0), city_sums.get("completed", 0)
        rows.append(
            {
                "city_id": city.pk,
                "slug": city.slug,
                "city": city.name,
                "learners": learners,
                "active_7": counts.get("active_7", 0),
                "active_30": counts.get("active_30", 0),
                "started": started,
                "completed": completed,
                "completion_rate": _percent(completed, started),
                "met_minimum": met,
                "met_minimum_share": _percent(met, learners),
                "average_score": _average(
                    city_sums.get("score_sum", 0), city_sums.get("scored", 0)
                ),
                "pass_rate": _percent(city_sums.get("passed", 0), city_sums.get("scored", 0)),
                "overdue": overdue.get(city.pk, 0),
            }
        )
    table = Table(
        key="cities",
        title=_("Cities"),
        columns=[
            ("city", _("City")),
            ("learners", _("Learners")),
            ("active_7", _("Active in the last 7 days")),
            ("active_30", _("Active in the last 30 days")),
            ("started", _("Started")),
            ("completed", _("Completed")),
            ("completion_rate", _("Completion rate (%)")),
            ("met_minimum", _("Learners with at least 20 JP")),
            ("met_minimum_share", _("Share with at least 20 JP (%)")),
            ("average_score", _("Average score (%)")),
            ("pass_rate", _("Pass rate (%)")),
            ("overdue", _("Overdue mandatory courses")),
        ],
        rows=rows,
    )
    return NationalDashboard(filters=national, cities=table)
