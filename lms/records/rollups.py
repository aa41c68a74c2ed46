"""The dashboards' read models rebuilt from the learning records.

lms.records.services keeps Rollup, RollupWeek, LearnerYear and LearnerActivity up to date
with every statement, quiz result and JP credit. ``rollups_rebuild`` recomputes all four
from the rows those services write (ActivityProgress, CourseCompletion, JpCredit), which
is how they are filled after a bulk import of records (the scale-data generator) and how
they are repaired should they ever drift. Every counter is attributed to a day the rows
keep, so that a rebuild gives exactly what the services wrote:

- started: a course row's ``started_at`` (city-local day), year and week;
- scored, score_sum, passed: an H5P or quiz row's ``started_at`` year, on its course key;
- completed: a completion's ``completed_on`` (``year``), year and week;
- jp: each ledger row's ``credited_on``, year and week, on the completed course's key
  (NO_COURSE for credits from outside a course);
- met_minimum: learner-years whose JP total reached YEARLY_MINIMUM_JP, of learners
  active now (NO_COURSE rows; LearnerYear.counted_* say where each is counted);
- LearnerYear: the sum of the ledger per learner and year;
- LearnerActivity: the city-local day of the learner's latest course-row activity (only
  applied statements and quiz results touch it, as only they mark a learner active).
- RollupActive: active learners by that day, under their current city and agency;
- RollupDue: open mandatory enrolments (active, with a due date, not completed, learner
  active) by due date, each counted where ``Enrolment.counted_*`` now say.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear, Mod, TruncDate, TruncWeek

from lms.people.models import City, LearnerProfile
from lms.records.models import (
    NO_COURSE,
    ROLLUP_SHARDS,
    YEARLY_MINIMUM_JP,
    ActivityKind,
    ActivityProgress,
    CourseCompletion,
    Enrolment,
    JpCredit,
    LearnerActivity,
    LearnerYear,
    Rollup,
    RollupActive,
    RollupDue,
    RollupWeek,
)

BATCH_SIZE = 5000
_ROLLUP_COUNTERS = ("started", "completed", "jp", "scored", "score_sum", "passed", "met_minimum")
_WEEK_COUNTERS = ("started", "completed", "jp")
# Queries that do not depend on a time zone (completions and the ledger keep dates) plus
# the two bulk inserts of the counters; each time zone adds _STEPS_PER_ZONE.
_FIXED_STEPS = 5 + 3 + 1
_STEPS_PER_ZONE = 4


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of a day's week: RollupWeek's key (ISO weeks, as the databases'
    week truncation)."""
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class RebuildReport:
    rollup_rows: int
    week_rows: int
    learner_years: int
    learner_activity: int
    due_rows: int = 0
    active_rows: int = 0


class _Progress:
    def __init__(self, callback, total: int):
        self.callback, self.total, self.done = callback, total, 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total)


def rollups_rebuild(*, progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Recompute Rollup, RollupWeek, LearnerYear, LearnerActivity, RollupActive and
    RollupDue from the records.

    One transaction. The counters go to each learner's *current* city and agency (and
    days are read in the current city's time zone): a rebuild re-attributes learners who
    moved since to where they are now, which the incremental counters did not do. On
    PostgreSQL the read-model tables and Enrolment are locked against writers first
    (SHARE ROW EXCLUSIVE: dashboards keep reading the old rows until commit; recording
    requests wait at their counter writes, and add their changes to the rebuilt rows
    afterwards), so the result
    is exact under load. Aggregation happens in the database with a fixed number of
    queries per time zone (three at most in Indonesia), whatever the numbers of
    learners and records; the rows are inserted in batches of BATCH_SIZE.

    ``progress(done, total)`` is called after each step.
    """
    zones: dict[str, list[int]] = {}
    with transaction.atomic():
        _lock_and_clear()
        for city_id, name in City.objects.order_by("pk").values_list("pk", "timezone"):
            zones.setdefault(name, []).append(city_id)
        steps = _Progress(progress, _FIXED_STEPS + _STEPS_PER_ZONE * len(zones))
        years: dict[tuple, list] = {}
        weeks: dict[tuple, list] = {}
        active: dict[tuple, int] = {}
        learner_activity = 0
        for name, city_ids in sorted(zones.items()):
            learner_activity += _zone(ZoneInfo(name), city_ids, years, weeks, active, steps)
        learner_years = _completions_and_ledger(years, weeks, steps)
        Rollup.objects.bulk_create(
            (
                Rollup(
                    city_id=city_id,
                    agency_id=agency_id,
                    course_key=course_key,
                    year=year,
                    shard=shard,
                    **dict(zip(_ROLLUP_COUNTERS, counts, strict=True)),
                )
                for (city_id, agency_id, shard, course_key, year), counts in years.items()
            ),
            batch_size=BATCH_SIZE,
        )
        steps.step()
        RollupWeek.objects.bulk_create(
            (
                RollupWeek(
                    city_id=city_id,
                    agency_id=agency_id,
                    week=week,
                    shard=shard,
                    **dict(zip(_WEEK_COUNTERS, counts, strict=True)),
                )
                for (city_id, agency_id, shard, week), counts in weeks.items()
            ),
            batch_size=BATCH_SIZE,
        )
        steps.step()
        RollupActive.objects.bulk_create(
            (
                RollupActive(city_id=city_id, agency_id=agency_id, day=day, shard=shard, learners=n)
                for (city_id, agency_id, day, shard), n in active.items()
            ),
            batch_size=BATCH_SIZE,
        )
        steps.step()
        due_rows = _due()
        steps.step()
    return RebuildReport(
        rollup_rows=len(years),
        week_rows=len(weeks),
        learner_years=learner_years,
        learner_activity=learner_activity,
        due_rows=due_rows,
        active_rows=len(active),
    )


def _lock_and_clear() -> None:
    # Enrolment too: its counted_* columns are rewritten with RollupDue.
    models = (LearnerActivity, Enrolment, LearnerYear, Rollup, RollupWeek, RollupDue, RollupActive)
    tables = [m._meta.db_table for m in models]
    if connection.vendor == "postgresql":
        # The order the services write them in (learner rows, then shared rows), so a
        # request that already holds one of them finishes instead of deadlocking.
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {', '.join(qn(t) for t in tables)} IN SHARE ROW EXCLUSIVE MODE"
            )
    # On SQLite the first delete takes the database's write lock for the transaction.
    for model in (LearnerActivity, LearnerYear, Rollup, RollupWeek, RollupDue, RollupActive):
        model.objects.all().delete()


def _group(row: dict) -> tuple[int, int, int]:
    return row["group_city"], row["group_agency"] or 0, row["group_shard"]


def _add(table: dict, key: tuple, size: int, index: int, amount) -> None:
    counts = table.get(key)
    if counts is None:
        counts = table[key] = [0] * size
    counts[index] += amount


# The learner's current city, agency and shard (names that no model's field has).
_LEARNER = {
    "group_city": F("learner__city_id"),
    "group_agency": F("learner__agency_id"),
    "group_shard": Mod("learner_id", ROLLUP_SHARDS),
}


def _zone(
    zone: ZoneInfo, city_ids: list[int], years: dict, weeks: dict, active: dict, steps
) -> int:
    """What depends on the local day of a moment: starts, scores, last activity."""
    size, week_size = len(_ROLLUP_COUNTERS), len(_WEEK_COUNTERS)
    rows = ActivityProgress.objects.filter(learner__city_id__in=city_ids).order_by()
    courses = rows.filter(kind=ActivityKind.COURSE)
    started = _ROLLUP_COUNTERS.index("started")
    for row in courses.values(
        **_LEARNER, course=F("course_key"), year=ExtractYear("started_at", tzinfo=zone)
    ).annotate(n=Count("pk")):
        key = (*_group(row), row["course"] or NO_COURSE, row["year"])
        _add(years, key, size, started, row["n"])
    steps.step()
    local_day = TruncDate("started_at", tzinfo=zone)
    for row in courses.values(**_LEARNER, week=TruncWeek(local_day)).annotate(n=Count("pk")):
        _add(weeks, (*_group(row), _as_date(row["week"])), week_size, 0, row["n"])
    steps.step()
    activities = rows.filter(kind__in=[ActivityKind.H5P, ActivityKind.QUIZ]).filter(
        Q(best_score__isnull=False) | Q(passed_at__isnull=False)
    )
    scored = _ROLLUP_COUNTERS.index("scored")
    for row in activities.values(
        **_LEARNER, course=F("course_key"), year=ExtractYear("started_at", tzinfo=zone)
    ).annotate(scored=Count("best_score"), score_sum=Sum("best_score"), passed=Count("passed_at")):
        key = (*_group(row), row["course"] or NO_COURSE, row["year"])
        _add(years, key, size, scored, row["scored"])
        _add(years, key, size, scored + 1, row["score_sum"] or 0)
        _add(years, key, size, scored + 2, row["passed"])
    steps.step()
    count = 0
    batch = []
    # One row per learner, fetched whole rather than through .iterator(): on PostgreSQL
    # that opens a server-side cursor, planned for a fast first row, and at 3,000,000
    # progress rows such a plan ran for over 12 minutes in the scale benchmark.
    for learner_id, day, city_id, agency_id, is_active in (
        courses.values("learner_id", "learner__city_id", "learner__agency_id", "learner__is_active")
        .annotate(day=Max(TruncDate("last_activity_at", tzinfo=zone)))
        .values_list(
            "learner_id", "day", "learner__city_id", "learner__agency_id", "learner__is_active"
        )
    ):
        day = _as_date(day)
        where = (city_id, agency_id or 0) if is_active else (None, None)
        if is_active:
            key = (*where, day, learner_id % ROLLUP_SHARDS)
            active[key] = active.get(key, 0) + 1
        batch.append(
            LearnerActivity(
                learner_id=learner_id,
                last_active_on=day,
                counted_city_id=where[0],
                counted_agency_id=where[1],
            )
        )
        if len(batch) == BATCH_SIZE:
            LearnerActivity.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    LearnerActivity.objects.bulk_create(batch)
    steps.step()
    return count + len(batch)


def _completions_and_ledger(years: dict, weeks: dict, steps) -> int:
    """What the records keep as dates: completions, the ledger and the yearly totals.
    Returns the number of LearnerYear rows written."""
    size, week_size = len(_ROLLUP_COUNTERS), len(_WEEK_COUNTERS)
    # An attended event is kept as a completion (SIASN, its certificate) but counts as JP
    # only, as lms.records.event_services writes it: no course's "completed" counter.
    completions = CourseCompletion.objects.order_by().exclude(criteria__has_key="event")
    completed = _ROLLUP_COUNTERS.index("completed")
    for row in completions.values(**_LEARNER, course=F("course_key"), yr=F("year")).annotate(
        n=Count("pk")
    ):
        _add(years, (*_group(row), row["course"], row["yr"]), size, completed, row["n"])
    steps.step()
    for row in completions.values(**_LEARNER, week=TruncWeek("completed_on")).annotate(
        n=Count("pk")
    ):
        _add(weeks, (*_group(row), _as_date(row["week"])), week_size, 1, row["n"])
    steps.step()
    ledger = JpCredit.objects.order_by()
    jp = _ROLLUP_COUNTERS.index("jp")
    for row in ledger.values(**_LEARNER, course=F("completion__course_key"), yr=F("year")).annotate(
        total=Sum("jp")
    ):
        _add(years, (*_group(row), row["course"] or NO_COURSE, row["yr"]), size, jp, row["total"])
    steps.step()
    for row in ledger.values(**_LEARNER, week=TruncWeek("credited_on")).annotate(total=Sum("jp")):
        _add(weeks, (*_group(row), _as_date(row["week"])), week_size, 2, row["total"])
    steps.step()
    met = _ROLLUP_COUNTERS.index("met_minimum")
    count = 0
    batch = []
    for row in ledger.values("learner_id", "year", "learner__is_active", **_LEARNER).annotate(
        total=Sum("jp")
    ):
        # Years at 20 JP count where the learner is now, and only while they are active.
        counted = row["total"] >= YEARLY_MINIMUM_JP and row["learner__is_active"]
        where = _group(row)[:2] if counted else (None, None)
        batch.append(
            LearnerYear(
                learner_id=row["learner_id"],
                year=row["year"],
                jp=row["total"],
                counted_city_id=where[0],
                counted_agency_id=where[1],
            )
        )
        if counted:
            _add(years, (*_group(row), NO_COURSE, row["year"]), size, met, 1)
        if len(batch) == BATCH_SIZE:
            LearnerYear.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    LearnerYear.objects.bulk_create(batch)
    steps.step()
    return count + len(batch)


def _as_date(value) -> datetime.date:
    # Truncating a date gives a datetime on some backends.
    return value.date() if isinstance(value, datetime.datetime) else value


def _due() -> int:
    """Count every open mandatory enrolment under its learner's current city and agency
    (Enrolment.counted_*) and write RollupDue from them. Returns the number of rows."""
    Enrolment.objects.filter(counted_due__isnull=False).update(
        counted_city_id=None, counted_agency_id=None, counted_due=None
    )
    learner = LearnerProfile.objects.filter(pk=OuterRef("learner_id"))
    Enrolment.objects.filter(
        is_mandatory=True,
        status=Enrolment.Status.ACTIVE,
        due_date__isnull=False,
        learner__is_active=True,
    ).exclude(
        Exists(
            CourseCompletion.objects.filter(
                learner_id=OuterRef("learner_id"), course_key=OuterRef("course_key")
            )
        )
    ).update(
        counted_city_id=Subquery(learner.values("city_id")[:1]),
        counted_agency_id=Coalesce(Subquery(learner.values("agency_id")[:1]), 0),
        counted_due=F("due_date"),
    )
    rows = (
        Enrolment.objects.filter(counted_due__isnull=False)
        .values("counted_city_id", "counted_agency_id", "course_key", "counted_due")
        .annotate(shard=Mod("learner_id", ROLLUP_SHARDS))
        .values("counted_city_id", "counted_agency_id", "course_key", "counted_due", "shard")
        .annotate(n=Count("pk"))
        .order_by()
    )
    written = RollupDue.objects.bulk_create(
        (
            RollupDue(
                city_id=row["counted_city_id"],
                agency_id=row["counted_agency_id"],
                course_key=row["course_key"],
                due_date=row["counted_due"],
                shard=row["shard"],
                open=row["n"],
            )
            for row in rows
        ),
        batch_size=BATCH_SIZE,
    )
    return len(written)
