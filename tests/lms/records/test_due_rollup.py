"""RollupDue: open mandatory courses counted by due date, kept by every service that
changes an enrolment, a completion or a learner, so that the dashboards' "overdue"
figures never scan enrolments."""

import datetime

import pytest
from django.db.models import Sum

from lms.people import services as people_services
from lms.records import services, xapi
from lms.records.models import ROLLUP_SHARDS, Enrolment, RollupDue
from lms.records.rollups import rollups_rebuild
from tests.factories import AgencyFactory, LearnerFactory

from .conftest import complete_all, quiz_result

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 3, 1)
LATER = datetime.date(2026, 9, 1)


def counters() -> dict:
    """Open counts summed over shards, zeros left out: (city, agency, course, due) -> n."""
    rows = (
        RollupDue.objects.values("city_id", "agency_id", "course_key", "due_date")
        .annotate(n=Sum("open"))
        .order_by()
    )
    return {
        (r["city_id"], r["agency_id"], r["course_key"], r["due_date"]): r["n"]
        for r in rows
        if r["n"]
    }


def key(learner, course, due=DUE, agency=None):
    agency_id = agency.pk if agency is not None else (learner.agency_id or 0)
    return (learner.city_id, agency_id, course.translation_key, due)


def rebuilt() -> dict:
    """What a rebuild from the enrolments gives (it rewrites the counters)."""
    rollups_rebuild()
    return counters()


def record_all(learner, setup):
    payloads = complete_all(setup)
    browser = [p for p in payloads if "/quiz/" not in p["object"]["id"]]
    services.statements_record(user=learner.user, statements=xapi.parse_statements(browser))
    quiz_result(learner, payloads[-1])


class CountingTests:
    def test_an_assignment_with_a_due_date_is_counted_where_the_learner_works(
        self, world, jakarta_admin
    ):
        agency = AgencyFactory(city=world.jakarta)
        learner = LearnerFactory(city=world.jakarta, agency=agency)
        course = world.course.course
        [enrolment] = services.mandatory_assign(
            by=jakarta_admin, profiles=[learner], course=course, due_date=DUE
        )
        assert counters() == {key(learner, course): 1}
        row = RollupDue.objects.get(open=1)
        assert row.shard == learner.pk % ROLLUP_SHARDS
        enrolment.refresh_from_db()
        assert (enrolment.counted_city_id, enrolment.counted_agency_id, enrolment.counted_due) == (
            world.jakarta.pk,
            agency.pk,
            DUE,
        )
        assert rebuilt() == {key(learner, course): 1}

    def test_without_a_due_date_nothing_is_counted(self, world, jakarta_admin):
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.course.course
        )
        assert counters() == {}
        assert rebuilt() == {}

    def test_assigning_again_is_idempotent_and_a_new_due_date_moves_the_count(
        self, world, jakarta_admin
    ):
        course = world.course.course
        for _ in range(2):
            services.mandatory_assign(
                by=jakarta_admin, profiles=[world.learner], course=course, due_date=DUE
            )
        assert counters() == {key(world.learner, course): 1}
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=course, due_date=LATER
        )
        assert counters() == {key(world.learner, course, LATER): 1}
        assert rebuilt() == {key(world.learner, course, LATER): 1}

    def test_completing_the_course_closes_it(self, world, jakarta_admin):
        course = world.course.course
        other = LearnerFactory(city=world.jakarta)
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner, other], course=course, due_date=DUE
        )
        assert counters() == {key(world.learner, course): 2}
        record_all(world.learner, world.course)
        assert counters() == {key(world.learner, course): 1}
        assert Enrolment.objects.get(learner=world.learner).counted_due is None
        # A repeated completion path changes nothing.
        record_all(world.learner, world.course)
        assert counters() == {key(world.learner, course): 1}
        assert rebuilt() == {key(world.learner, course): 1}

    def test_a_course_completed_before_the_assignment_is_never_counted(self, world, jakarta_admin):
        record_all(world.learner, world.course)
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.course.course, due_date=DUE
        )
        assert counters() == {}
        assert rebuilt() == {}

    def test_withdrawing_and_enrolling_again(self, world, jakarta_admin):
        course = world.course.course
        [enrolment] = services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=course, due_date=DUE
        )
        services.enrolment_withdraw(by=jakarta_admin, enrolment=enrolment)
        assert counters() == {}
        services.enrolment_withdraw(by=jakarta_admin, enrolment=enrolment)  # again: no change
        assert counters() == {}
        services.enrolment_self(user=world.learner.user, course=course)
        assert counters() == {key(world.learner, course): 1}
        assert rebuilt() == {key(world.learner, course): 1}

    def test_a_learner_who_moves_agency_takes_the_count_along(self, world, jakarta_admin):
        first = AgencyFactory(city=world.jakarta, name="Dinas Satu", code="SATU")
        second = AgencyFactory(city=world.jakarta, name="Dinas Dua", code="DUA")
        learner = LearnerFactory(city=world.jakarta, agency=first)
        course = world.course.course
        services.mandatory_assign(by=jakarta_admin, profiles=[learner], course=course, due_date=DUE)
        people_services.learner_update(profile=learner, agency=second)
        assert counters() == {key(learner, course, agency=second): 1}
        assert rebuilt() == {key(learner, course, agency=second): 1}

    def test_a_deactivated_learner_is_not_counted_until_reactivated(self, world, jakarta_admin):
        course = world.course.course
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=course, due_date=DUE
        )
        people_services.learner_deactivate(profile=world.learner)
        assert counters() == {}
        assert rebuilt() == {}
        people_services.learner_activate(profile=world.learner)
        assert counters() == {key(world.learner, course): 1}
        assert rebuilt() == {key(world.learner, course): 1}

    def test_a_mandatory_rule_counts_present_and_later_learners(self, world, jakarta_admin):
        course = world.course.course
        services.enrolment_rule_create(
            by=jakarta_admin, city=world.jakarta, course=course, is_mandatory=True, due_date=DUE
        )
        assert counters() == {key(world.learner, course): 1}
        newcomer = people_services.learner_create(
            city=world.jakarta,
            nip="198001012005011002",
            full_name="Pegawai Baru",
            email="baru@example.go.id",
        )
        assert counters() == {key(world.learner, course): 2}
        assert Enrolment.objects.get(learner=newcomer).counted_due == DUE
        assert rebuilt() == {key(world.learner, course): 2}

    def test_other_cities_are_counted_apart(self, world, jakarta_admin, sorong_admin):
        sorong_learner = LearnerFactory(city=world.sorong)
        services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.course.course, due_date=DUE
        )
        services.mandatory_assign(
            by=sorong_admin,
            profiles=[sorong_learner],
            course=world.sorong_course.course,
            due_date=DUE,
        )
        expected = {
            key(world.learner, world.course.course): 1,
            key(sorong_learner, world.sorong_course.course): 1,
        }
        assert counters() == expected
        assert rebuilt() == expected


class SyncTests:
    def test_sync_is_idempotent_and_repairs_a_drifted_enrolment(self, world, jakarta_admin):
        course = world.course.course
        [enrolment] = services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=course, due_date=DUE
        )
        assert services.due_counts_sync(learner_ids=[world.learner.pk]) == 0
        # A due date changed behind the services' back is moved on the next sync.
        Enrolment.objects.filter(pk=enrolment.pk).update(due_date=LATER)
        assert services.due_counts_sync(enrolment_ids=[enrolment.pk]) == 1
        assert counters() == {key(world.learner, course, LATER): 1}

    def test_sync_needs_learners_or_enrolments(self, db):
        with pytest.raises(ValueError):
            services.due_counts_sync()

    def test_sync_queries_do_not_grow_with_the_rows(
        self, world, jakarta_admin, django_assert_max_num_queries
    ):
        learners = [LearnerFactory(city=world.jakarta) for _ in range(12)]
        services.mandatory_assign(
            by=jakarta_admin, profiles=learners, course=world.course.course, due_date=DUE
        )
        Enrolment.objects.update(due_date=LATER)
        # Lock, read, bulk update, one counter upsert (+ savepoint and release).
        with django_assert_max_num_queries(6):
            assert services.due_counts_sync(learner_ids=[p.pk for p in learners]) == 12
