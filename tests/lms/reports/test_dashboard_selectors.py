"""The dashboards' figures, each checked against a small data set computed by hand.

The read-model rows (Rollup, RollupWeek, LearnerYear, LearnerActivity) are written here
directly with chosen numbers, so these tests check the reading, not the recording.

Jakarta (today 2026-06-10), agencies: Dinas A, its unit Bidang A1, Dinas B.

    learner  agency  active  JP 2026  last active   counts
    l0       -       yes     (none)   (none)        world.learner
    l1       A       yes     25       06-08         active 7 and 30, >= 20 JP
    l2       A1      yes     10       05-31         active 30
    l3       B       yes     (none)   05-01         -
    l4       -       yes     20       (none)        >= 20 JP
    l5       B       NO      30       06-10         never counted

Rollup 2026 course rows (started/completed/scored/score_sum/passed):
    C1 A shard 0: 3/2/4/300/3     C1 A shard 1: 1/0/1/50/0     C1 B: 2/1/0/0/0
    C2 A1: 4/1/2/170/2            C2 no agency: 1/1/0/0/0
plus rows that must be ignored: NO_COURSE (JP, met_minimum), 2025, and Sorong's.
"""

import datetime
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import CoursePage
from lms.people.models import LearnerProfile
from lms.records import services
from lms.records.models import (
    NO_COURSE,
    CourseCompletion,
    Enrolment,
    LearnerActivity,
    LearnerYear,
    Rollup,
    RollupWeek,
)
from lms.reports import selectors
from lms.reports.selectors import DashboardFilters
from tests.factories import AgencyFactory, LearnerFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 10)
D = datetime.date


@dataclass
class Data:
    world: object
    city: object
    sorong: object
    a: object
    a1: object
    b: object
    learners: dict
    c1: uuid.UUID
    c2: uuid.UUID
    c3: uuid.UUID


def rollup(city, agency, course_key, *, year=2026, shard=0, **counters):
    return Rollup.objects.create(
        city_id=city.pk,
        agency_id=agency.pk if agency else 0,
        course_key=course_key,
        year=year,
        shard=shard,
        **counters,
    )


def enrol(learner, course_key, *, due, mandatory=True, status="active"):
    return Enrolment.objects.create(
        learner=learner,
        course_key=course_key,
        source="assignment",
        status=status,
        is_mandatory=mandatory,
        due_date=due,
        enrolled_at=timezone.now(),
        withdrawn_at=timezone.now() if status == "withdrawn" else None,
    )


def completion(learner, course_key, *, title="Kursus", year=2026):
    return CourseCompletion.objects.create(
        learner=learner,
        city=learner.city,
        course_key=course_key,
        course_title=title,
        organiser="BKPSDM",
        learning_form="e_learning",
        jp=2,
        started_on=D(year, 1, 5),
        completed_on=D(year, 1, 6),
        year=year,
        completed_at=timezone.now(),
        criteria=[],
    )


@pytest.fixture
def data(world) -> Data:
    return build_data(world)


def build_data(world) -> Data:
    city, sorong = world.jakarta, world.sorong
    a = AgencyFactory(city=city, name="Dinas A", code="A")
    a1 = AgencyFactory(city=city, name="Bidang A1", code="A1", parent=a)
    b = AgencyFactory(city=city, name="Dinas B", code="B")
    l1 = LearnerFactory(city=city, agency=a, full_name="Budi")
    l2 = LearnerFactory(city=city, agency=a1, full_name="Citra")
    l3 = LearnerFactory(city=city, agency=b, full_name="Dewi")
    l4 = LearnerFactory(city=city, full_name="Eko")
    l5 = LearnerFactory(city=city, agency=b, full_name="Fajar")
    LearnerProfile.objects.filter(pk=l5.pk).update(is_active=False)
    s1 = LearnerFactory(city=sorong, full_name="Sorong Satu")
    for learner, jp in ((l1, 25), (l2, 10), (l4, 20), (l5, 30), (s1, 40)):
        LearnerYear.objects.create(learner=learner, year=2026, jp=jp)
    # A previous year's total never counts for 2026.
    LearnerYear.objects.create(learner=l3, year=2025, jp=50)
    for learner, day in ((l1, D(2026, 6, 8)), (l2, D(2026, 5, 31)), (l3, D(2026, 5, 1))):
        LearnerActivity.objects.create(learner=learner, last_active_on=day)
    LearnerActivity.objects.create(learner=l5, last_active_on=TODAY)
    LearnerActivity.objects.create(learner=s1, last_active_on=TODAY)

    c1 = world.course.course.translation_key
    c2 = world.national.course.translation_key
    c3 = world.sorong_course.course.translation_key
    CoursePage.objects.filter(pk=world.national.course.pk).update(learning_form="workshop")

    rollup(city, a, c1, started=3, completed=2, scored=4, score_sum=300, passed=3)
    rollup(city, a, c1, shard=1, started=1, completed=0, scored=1, score_sum=50, passed=0)
    rollup(city, b, c1, started=2, completed=1)
    rollup(city, a1, c2, started=4, completed=1, scored=2, score_sum=170, passed=2)
    rollup(city, None, c2, started=1, completed=1)
    # (met_minimum comes from the learner-years below, counted by the sync at the end.)
    rollup(city, a, NO_COURSE, jp=30, started=99)
    rollup(city, a, c1, year=2025, started=10, completed=10, scored=10, score_sum=1000)
    rollup(sorong, None, c3, started=7, completed=3, scored=1, score_sum=40, passed=0)

    def week(c, agency, monday, shard=0, **counters):
        RollupWeek.objects.create(
            city_id=c.pk, agency_id=agency.pk if agency else 0, week=monday, shard=shard, **counters
        )

    week(city, a, D(2026, 6, 1), started=2, completed=1, jp=4)
    week(city, a, D(2026, 6, 1), shard=3, started=1)
    week(city, b, D(2026, 6, 8), started=1, completed=1, jp=2)
    week(city, None, D(2026, 5, 25), jp=3)
    week(city, a, D(2025, 12, 29), started=5)
    week(sorong, None, D(2026, 6, 1), started=9)

    enrol(l1, c1, due=D(2026, 6, 1))  # overdue (A)
    enrol(l2, c2, due=D(2026, 5, 1))  # completed: not overdue
    completion(l2, c2)
    enrol(l3, c2, due=D(2026, 6, 9))  # overdue (B)
    enrol(l3, c1, due=TODAY)  # due today: not yet overdue
    enrol(l4, c1, due=D(2026, 1, 1), mandatory=False)
    enrol(world.learner, c2, due=D(2026, 1, 1), status="withdrawn")
    enrol(l5, c1, due=D(2026, 1, 1))  # inactive learner
    enrol(l2, c1, due=D(2026, 6, 2))  # overdue (A1)
    enrol(s1, c3, due=D(2026, 1, 1))  # Sorong's
    learners = {"l0": world.learner, "l1": l1, "l2": l2, "l3": l3, "l4": l4, "l5": l5, "s1": s1}
    # The rows above were made by hand; count the open mandatory courses (RollupDue) and
    # the last active days (RollupActive) as the records services do after each change.
    services.learners_counts_sync(p.pk for p in learners.values())
    return Data(world, city, sorong, a, a1, b, learners, c1, c2, c3)


def by(table, column, value):
    rows = [row for row in table.rows if row[column] == value]
    assert len(rows) == 1, (column, value, table.rows)
    return rows[0]


class CityDashboardTests:
    def test_headline_figures(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        assert d.learners == 5
        assert (d.active_7, d.active_30) == (1, 2)
        assert (d.started, d.completed) == (11, 5)
        assert d.completion_rate == 45.5  # 5 / 11
        assert d.average_score == 74.3  # 520 / 7
        assert d.pass_rate == 71.4  # 5 / 7
        assert (d.met_minimum, d.met_minimum_share, d.below_minimum) == (2, 40.0, 3)
        assert d.overdue == 3

    def test_course_table(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        assert [row["title"] for row in d.courses.rows] == [
            "Kursus Jakarta",
            "Literasi Digital Nasional",
        ]
        c1 = by(d.courses, "title", "Kursus Jakarta")
        assert (c1["jp"], c1["learning_form"]) == (2, "E-learning")
        assert (c1["started"], c1["completed"], c1["completion_rate"]) == (6, 3, 50.0)
        assert (c1["average_score"], c1["pass_rate"]) == (70.0, 60.0)
        c2 = by(d.courses, "title", "Literasi Digital Nasional")
        assert (c2["jp"], c2["learning_form"]) == (4, "Workshop")
        assert (c2["started"], c2["completed"], c2["completion_rate"]) == (5, 2, 40.0)
        assert (c2["average_score"], c2["pass_rate"]) == (85.0, 100.0)

    def test_agency_table(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        names = [row["agency"] for row in d.agencies.rows]
        assert names == ["Dinas A", "Dinas A › Bidang A1", "Dinas B", "No agency"]
        expected = {
            # learners, started, completed, rate, >= 20 JP, share, below, overdue
            "Dinas A": (1, 4, 2, 50.0, 1, 100.0, 0, 1),
            "Dinas A › Bidang A1": (1, 4, 1, 25.0, 0, 0.0, 1, 1),
            "Dinas B": (1, 2, 1, 50.0, 0, 0.0, 1, 1),
            "No agency": (2, 1, 1, 100.0, 1, 50.0, 1, 0),
        }
        columns = (
            "learners",
            "started",
            "completed",
            "completion_rate",
            "met_minimum",
            "met_minimum_share",
            "below_minimum",
            "overdue",
        )
        for row in d.agencies.rows:
            assert tuple(row[c] for c in columns) == expected[row["agency"]], row["agency"]

    def test_weekly_trend_defaults_to_the_years_weeks_so_far(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        assert (d.week_from, d.week_to) == (D(2025, 12, 29), D(2026, 6, 8))
        assert len(d.weeks) == 24
        points = {p.week: (p.started, p.completed, p.jp) for p in d.weeks}
        assert points[D(2025, 12, 29)] == (5, 0, 0)
        assert points[D(2026, 5, 25)] == (0, 0, 3)
        assert points[D(2026, 6, 1)] == (3, 1, 4)
        assert points[D(2026, 6, 8)] == (1, 1, 2)
        assert sum(p.started for p in d.weeks) == 9
        assert d.weeks_table.rows[-1] == {
            "week": D(2026, 6, 8),
            "started": 1,
            "completed": 1,
            "jp": 2,
        }

    def test_week_range_filter(self, data):
        filters = DashboardFilters(year=2026, week_from=D(2026, 6, 1), week_to=D(2026, 6, 8))
        d = selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)
        assert [(p.week, p.started) for p in d.weeks] == [(D(2026, 6, 1), 3), (D(2026, 6, 8), 1)]

    def test_agency_subtree_filter(self, data):
        filters = DashboardFilters(year=2026, agency_id=data.a.pk)
        d = selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)
        assert d.learners == 2  # l1 (A), l2 (A1)
        assert (d.active_7, d.active_30) == (1, 2)
        assert (d.started, d.completed, d.completion_rate) == (8, 3, 37.5)
        assert (d.average_score, d.pass_rate) == (74.3, 71.4)
        assert (d.met_minimum, d.met_minimum_share) == (1, 50.0)
        assert d.overdue == 2
        assert [row["agency"] for row in d.agencies.rows] == ["Dinas A", "Dinas A › Bidang A1"]
        assert [(p.week, p.started) for p in d.weeks if p.started] == [
            (D(2025, 12, 29), 5),
            (D(2026, 6, 1), 3),
        ]

    def test_leaf_agency_filter(self, data):
        filters = DashboardFilters(year=2026, agency_id=data.a1.pk)
        d = selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)
        assert (d.learners, d.started, d.completed, d.overdue) == (1, 4, 1, 1)

    def test_course_filter(self, data):
        filters = DashboardFilters(year=2026, course_key=data.c2)
        d = selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)
        assert (d.started, d.completed, d.completion_rate) == (5, 2, 40.0)
        assert (d.average_score, d.pass_rate) == (85.0, 100.0)
        assert d.learners == 5  # people figures do not depend on a course
        assert d.overdue == 1  # l3's
        assert [row["title"] for row in d.courses.rows] == ["Literasi Digital Nasional"]

    def test_learning_form_filter(self, data):
        filters = DashboardFilters(year=2026, learning_form="e_learning")
        d = selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)
        assert (d.started, d.completed) == (6, 3)
        assert [row["title"] for row in d.courses.rows] == ["Kursus Jakarta"]
        assert d.overdue == 2  # l1 and l2 on C1
        workshop = selectors.city_dashboard(
            city=data.city,
            filters=DashboardFilters(year=2026, learning_form="workshop"),
            today=TODAY,
        )
        assert (workshop.started, workshop.completed) == (5, 2)

    def test_other_year(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2025), today=TODAY
        )
        assert (d.started, d.completed, d.average_score) == (10, 10, 100.0)
        # Nobody has 20 JP of 2025 except l3, whose 2025 total is 50.
        assert d.met_minimum == 1
        assert (d.week_from, d.week_to) == (D(2024, 12, 30), D(2025, 12, 29))

    def test_empty_city(self, data):
        from tests.factories import CityFactory

        empty = CityFactory(name="Palu", slug="palu")
        d = selectors.city_dashboard(city=empty, filters=DashboardFilters(year=2026), today=TODAY)
        assert (d.learners, d.started, d.completed, d.overdue) == (0, 0, 0, 0)
        assert d.completion_rate is d.average_score is d.pass_rate is d.met_minimum_share is None
        assert d.agencies.rows == [] and d.courses.rows == []

    def test_unpublished_courses_keep_their_title(self, data):
        gone, unknown = uuid.uuid4(), uuid.uuid4()
        completion(data.learners["l4"], gone, title="Kursus Lama")
        rollup(data.city, None, gone, started=1, completed=1)
        rollup(data.city, None, unknown, started=2)
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        titles = {row["key"]: row["title"] for row in d.courses.rows}
        assert titles[str(gone)] == "Kursus Lama"
        assert titles[str(unknown)] == str(unknown)
        assert d.started == 14

    def test_tables_by_key(self, data):
        d = selectors.city_dashboard(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        tables = d.tables()
        assert set(tables) == {"summary", "courses", "agencies", "weeks"}
        for key, table in tables.items():
            assert table.key == key
            assert all(set(row) >= {c for c, _label in table.columns} for row in table.rows)
        summary = {row["figure"]: row["value"] for row in tables["summary"].rows}
        assert summary["Learners"] == 5
        assert summary["Completion rate (%)"] == 45.5


class ListTests:
    def test_below_minimum(self, data):
        rows = list(selectors.learners_below_minimum(city=data.city, year=2026))
        # By agency name (Bidang A1, Dinas B, then no agency), then name; l5 is inactive.
        assert [(p.full_name, p.jp, p.jp_missing) for p in rows] == [
            ("Citra", 10, 10),
            ("Dewi", 0, 20),
            (data.learners["l0"].full_name, 0, 20),
        ]

    def test_below_minimum_of_agency_subtree(self, data):
        rows = selectors.learners_below_minimum(city=data.city, year=2026, agency_id=data.a.pk)
        assert [(p.full_name, p.jp) for p in rows] == [("Citra", 10)]
        rows = selectors.learners_below_minimum(city=data.city, year=2025)
        assert "Dewi" not in {p.full_name for p in rows}  # 50 JP in 2025

    def test_below_minimum_never_lists_another_city(self, data):
        sorong = {p.pk for p in selectors.learners_below_minimum(city=data.sorong, year=2025)}
        assert sorong == {data.learners["s1"].pk}

    def test_overdue(self, data):
        rows = list(selectors.overdue_mandatory(city=data.city, today=TODAY))
        assert [(e.learner.full_name, e.due_date) for e in rows] == [
            ("Budi", D(2026, 6, 1)),
            ("Citra", D(2026, 6, 2)),
            ("Dewi", D(2026, 6, 9)),
        ]
        rows = selectors.overdue_mandatory(city=data.city, agency_id=data.b.pk, today=TODAY)
        assert [e.learner.full_name for e in rows] == ["Dewi"]
        table = selectors.overdue_table(
            city=data.city, filters=DashboardFilters(year=2026), today=TODAY
        )
        assert table.rows[0]["course"] == "Kursus Jakarta"
        assert table.rows[0]["days_overdue"] == 9
        assert table.rows[2]["course"] == "Literasi Digital Nasional"


class NationalDashboardTests:
    def test_cities_side_by_side(self, data):
        d = selectors.national_dashboard(filters=DashboardFilters(year=2026), today=TODAY)
        assert set(d.tables()) == {"cities"}
        jakarta = by(d.cities, "city", "Jakarta")
        assert (jakarta["learners"], jakarta["active_7"], jakarta["active_30"]) == (5, 1, 2)
        assert (jakarta["started"], jakarta["completed"], jakarta["completion_rate"]) == (
            11,
            5,
            45.5,
        )
        assert (jakarta["met_minimum"], jakarta["met_minimum_share"]) == (2, 40.0)
        assert (jakarta["average_score"], jakarta["pass_rate"]) == (74.3, 71.4)
        assert jakarta["overdue"] == 3
        sorong = by(d.cities, "city", "Sorong")
        assert (sorong["learners"], sorong["active_7"], sorong["met_minimum"]) == (1, 1, 1)
        assert (sorong["started"], sorong["completed"], sorong["completion_rate"]) == (
            7,
            3,
            42.9,
        )
        assert (sorong["average_score"], sorong["pass_rate"], sorong["overdue"]) == (40.0, 0.0, 1)

    def test_course_filter(self, data):
        filters = DashboardFilters(year=2026, course_key=data.c2)
        d = selectors.national_dashboard(filters=filters, today=TODAY)
        assert by(d.cities, "city", "Jakarta")["started"] == 5
        assert by(d.cities, "city", "Sorong")["started"] == 0
        assert by(d.cities, "city", "Jakarta")["overdue"] == 1

    def test_each_city_by_its_own_calendar(self, data):
        d = selectors.national_dashboard(filters=DashboardFilters(year=2026))
        # Every due date in the data set is long past by the real clock.
        assert by(d.cities, "city", "Jakarta")["overdue"] == 4  # l3's "due today" too
        assert by(d.cities, "city", "Sorong")["overdue"] == 1


class FilterTests:
    def test_defaults(self, data):
        filters, errors = selectors.filters_from_query({}, city=data.city, today=TODAY)
        assert filters == DashboardFilters(year=2026)
        assert errors == {}

    def test_good_values(self, data):
        params = {
            "year": "2025",
            "agency": str(data.a.pk),
            "course": str(data.c1),
            "form": "e_learning",
            "week_from": "2026-06-03",
            "week_to": "2026-W24",
        }
        filters, errors = selectors.filters_from_query(params, city=data.city, today=TODAY)
        assert errors == {}
        assert filters == DashboardFilters(
            year=2025,
            agency_id=data.a.pk,
            course_key=data.c1,
            learning_form="e_learning",
            week_from=D(2026, 6, 1),
            week_to=D(2026, 6, 8),
        )
        assert selectors.filters_from_query(filters.as_query(), city=data.city, today=TODAY) == (
            filters,
            {},
        )

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"year": "dua ribu"}, "year"),
            ({"year": "1999"}, "year"),
            ({"year": "2028"}, "year"),
            ({"agency": "x"}, "agency"),
            ({"agency": "999999"}, "agency"),
            ({"course": "not-a-uuid"}, "course"),
            ({"course": str(uuid.uuid4())}, "course"),
            ({"course": str(NO_COURSE)}, "course"),
            ({"form": "ceramah"}, "form"),
            ({"week_from": "10/06/2026"}, "week_from"),
            ({"week_to": "2026-W99"}, "week_to"),
            ({"week_from": "2026-06-08", "week_to": "2026-06-01"}, "week_to"),
        ],
    )
    def test_bad_values_fall_back_with_a_message(self, data, params, field):
        filters, errors = selectors.filters_from_query(params, city=data.city, today=TODAY)
        assert list(errors) == [field]
        assert errors[field]
        assert filters == DashboardFilters(year=2026)

    def test_agency_of_another_city_is_refused(self, data):
        other = AgencyFactory(city=data.sorong, name="Dinas Sorong")
        filters, errors = selectors.filters_from_query(
            {"agency": str(other.pk)}, city=data.city, today=TODAY
        )
        assert filters.agency_id is None
        assert "agency" in errors

    def test_no_agency_on_the_national_page(self, data):
        filters, errors = selectors.filters_from_query(
            {"agency": str(data.a.pk)}, city=None, today=TODAY
        )
        assert filters.agency_id is None and "agency" in errors

    def test_course_known_only_from_a_completion(self, data):
        gone = uuid.uuid4()
        completion(data.learners["l4"], gone, title="Kursus Lama")
        filters, errors = selectors.filters_from_query(
            {"course": str(gone)}, city=data.city, today=TODAY
        )
        assert (filters.course_key, errors) == (gone, {})


def _grow(data, n: int) -> None:
    city = data.city
    for i in range(n):
        agency = AgencyFactory(
            city=city, name=f"Dinas Tambahan {i}", parent=data.a if i % 2 else None
        )
        learner = LearnerFactory(city=city, agency=agency)
        LearnerYear.objects.create(learner=learner, year=2026, jp=i * 3)
        LearnerActivity.objects.create(learner=learner, last_active_on=TODAY)
        key = uuid.uuid4()
        completion(learner, key, title=f"Kursus Arsip {i}")
        rollup(city, agency, key, started=i + 1, completed=i, scored=1, score_sum=50, passed=1)
        rollup(city, agency, data.c1, started=1)
        enrol(learner, key, due=D(2026, 2, 1))
        RollupWeek.objects.create(
            city_id=city.pk, agency_id=agency.pk, week=D(2026, 3, 2), shard=i % 8, started=1
        )
        from tests.factories import CityFactory

        other = CityFactory()
        rollup(other, None, key, started=1)


class QueryCountTests:
    def _count(self, fn) -> int:
        with CaptureQueriesContext(connection) as queries:
            fn()
        return len(queries)

    def test_city_dashboard_queries_do_not_grow(self, data, django_assert_max_num_queries):
        filters = DashboardFilters(year=2026, agency_id=data.a.pk, learning_form="e_learning")
        # The small data set too has a course known only from a completion (the title
        # look-up's second query), so both sizes take the same path.
        gone = uuid.uuid4()
        completion(data.learners["l4"], gone, title="Kursus Lama")
        rollup(data.city, data.a, gone, started=1)

        def run_all():
            selectors.city_dashboard(
                city=data.city, filters=DashboardFilters(year=2026), today=TODAY
            )
            selectors.city_dashboard(city=data.city, filters=filters, today=TODAY)

        small = self._count(run_all)
        _grow(data, 12)
        with django_assert_max_num_queries(small):
            run_all()
        # Agencies, learners, active days, 20 JP, two rollup sums, overdue, weeks, titles
        # (and a second title query for a course known only from a completion).
        with django_assert_max_num_queries(11):
            selectors.city_dashboard(
                city=data.city, filters=DashboardFilters(year=2026), today=TODAY
            )

    def test_national_dashboard_queries_do_not_grow(self, data, django_assert_max_num_queries):
        def run():
            return selectors.national_dashboard(filters=DashboardFilters(year=2026), today=TODAY)

        small = self._count(run)
        _grow(data, 12)
        with django_assert_max_num_queries(small):
            grown = run()
        assert len(grown.cities.rows) == 2 + 12
        # Cities, learners, active days, 20 JP, rollup sums, overdue.
        assert small <= 6
