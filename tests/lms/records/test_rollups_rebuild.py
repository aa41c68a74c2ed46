"""The dashboards' read models (Rollup incl. ``passed``, RollupWeek, LearnerYear,
LearnerActivity, RollupActive, RollupDue): each counter checked against hand-computed
values, and the rebuild from the records gives exactly what the services wrote, statement
by statement."""

import datetime
import io
import uuid
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from lms.people.models import LearnerProfile
from lms.records import event_services, quiz_services, services, xapi
from lms.records.models import (
    NO_COURSE,
    Enrolment,
    LearnerActivity,
    LearnerYear,
    Rollup,
    RollupActive,
    RollupDue,
    RollupWeek,
)
from lms.records.rollups import RebuildReport, rollups_rebuild, week_of
from lms.records.selectors import local_date
from tests import quiz_factories as qf
from tests.factories import AgencyFactory, LearnerFactory, city_admin

from .conftest import complete_all, h5p, quiz_passed, quiz_result, submitted_attempt, view

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Jakarta is UTC+7 (WIB), Sorong UTC+9 (WIT).
DEC31_DAY = datetime.datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # 17:00 WIB, 19:00 WIT
# 23:30 on 31 December in Jakarta, already 01:30 on 1 January 2027 in Sorong.
NEW_YEAR_EVE = datetime.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
JAN4 = datetime.datetime(2027, 1, 4, 3, 0, tzinfo=UTC)  # a Monday, 10:00 WIB
MON_2026_12_28 = datetime.date(2026, 12, 28)
MON_2027_01_04 = datetime.date(2027, 1, 4)


@pytest.fixture
def clock(monkeypatch):
    def set_to(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def record(learner, *payloads) -> services.RecordResult:
    return services.statements_record(
        user=learner.user, statements=xapi.parse_statements(list(payloads))
    )


def one_question_quiz(setup):
    category = qf.category(setup.course, "Dasar")
    question = qf.single_choice(category, name="Soal", text="Soal satu?")
    return qf.quiz(setup.course, questions=[question], key=setup.quiz_key)


def take_quiz(learner, setup, quiz, *, right: bool):
    """The real quiz path: start, answer, submit (grading reports to the records)."""
    attempt = quiz_services.attempt_start(
        user=learner.user, quiz=quiz, lesson_key=setup.quiz_lesson.translation_key
    )
    row = attempt.questions.get(position=1)
    wanted = "100.00" if right else "0.00"
    choice = next(a["id"] for a in row.spec["answers"] if a["fraction"] == wanted)
    quiz_services.answer_save(
        user=learner.user, attempt_id=attempt.pk, position=1, response={"choice": choice}
    )
    return quiz_services.attempt_submit(user=learner.user, attempt_id=attempt.pk)


def event_credit(learner, *, key: str, jp: int, form: str, day: datetime.date):
    return services.jp_credit_record(
        learner=learner,
        source="event",
        source_key=key,
        title=f"Acara {key}",
        jp=jp,
        learning_form=form,
        earned_on=day,
    )


# --- snapshots ------------------------------------------------------------------------------


def rollup_rows() -> list[tuple]:
    return sorted(
        (
            r.city_id,
            r.agency_id,
            str(r.course_key),
            r.year,
            r.shard,
            r.started,
            r.completed,
            r.jp,
            r.scored,
            # Float: the services add deltas, the rebuild sums best scores.
            round(r.score_sum, 6),
            r.passed,
            r.met_minimum,
        )
        for r in Rollup.objects.all()
    )


def week_rows() -> list[tuple]:
    return sorted(
        (r.city_id, r.agency_id, r.week, r.shard, r.started, r.completed, r.jp)
        for r in RollupWeek.objects.all()
    )


def snapshot() -> dict:
    return {
        "rollup": rollup_rows(),
        "weeks": week_rows(),
        "years": sorted(
            LearnerYear.objects.values_list(
                "learner_id", "year", "jp", "counted_city_id", "counted_agency_id"
            )
        ),
        "activity": sorted(
            LearnerActivity.objects.values_list(
                "learner_id", "last_active_on", "counted_city_id", "counted_agency_id"
            )
        ),
        "active": sorted(
            (r.city_id, r.agency_id, r.day, r.shard, r.learners)
            for r in RollupActive.objects.exclude(learners=0)
        ),
        "due": sorted(
            (r.city_id, r.agency_id, str(r.course_key), r.due_date, r.shard, r.open)
            for r in RollupDue.objects.exclude(open=0)
        ),
        "counted": sorted(
            Enrolment.objects.filter(counted_due__isnull=False).values_list(
                "pk", "counted_city_id", "counted_agency_id", "counted_due"
            )
        ),
    }


def summed(rows: list[tuple], key_size: int, names: tuple) -> dict:
    """Counters summed over shards (the shard is the last key field), zeros left out."""
    totals = defaultdict(lambda: defaultdict(float))
    for row in rows:
        key = row[: key_size - 1]
        for name, value in zip(names, row[key_size:], strict=True):
            totals[key][name] += value
    return {key: {n: v for n, v in values.items() if v} for key, values in totals.items()}


ROLLUP_NAMES = ("started", "completed", "jp", "scored", "score_sum", "passed", "met_minimum")


def active_days() -> dict:
    """RollupActive summed over shards, zeros left out: (city, agency, day) -> learners."""
    totals = defaultdict(int)
    for r in RollupActive.objects.all():
        totals[(r.city_id, r.agency_id, r.day)] += r.learners
    return {key: n for key, n in totals.items() if n}


# --- the scenario ---------------------------------------------------------------------------


@pytest.fixture
def scenario(world, clock):
    """Four learners, two cities, three agencies, across a year end:

    - ani (Jakarta, agency A): starts the Jakarta course and scores 50 on 31 Dec 2026,
      improves to 90 and passes its quiz (real quiz path) on 4 Jan 2027: completes then;
    - budi (Jakarta, agency B): completes the national course (4 JP e-learning) at 23:30
      on 31 Dec (3 JP that day, 1 JP on 1 Jan), then an event of 19 JP on 4 Jan 2027;
    - citra (Sorong, agency S): starts at 01:30 on 1 Jan 2027 her time, fails and then
      passes the quiz (real path) on 4 Jan and completes;
    - dedi (Jakarta, no agency): views a lesson and gets a 20 JP event on 4 Jan 2027.

    Jakarta's admin made the Jakarta course mandatory for ani (who completes it), budi
    and dedi (who do not) before any of it, due 1 December 2026.
    """
    agency_a = AgencyFactory(city=world.jakarta, name="Dinas A", code="A")
    agency_b = AgencyFactory(city=world.jakarta, name="Dinas B", code="B")
    agency_s = AgencyFactory(city=world.sorong, name="Dinas S", code="S")
    ani = LearnerFactory(city=world.jakarta, agency=agency_a)
    budi = LearnerFactory(city=world.jakarta, agency=agency_b)
    citra = LearnerFactory(city=world.sorong, agency=agency_s)
    dedi = LearnerFactory(city=world.jakarta)
    jakarta_quiz = one_question_quiz(world.course)
    sorong_quiz = one_question_quiz(world.sorong_course)
    services.mandatory_assign(
        by=city_admin(world.jakarta),
        profiles=[ani, budi, dedi],
        course=world.course.course,
        due_date=datetime.date(2026, 12, 1),
    )

    clock(DEC31_DAY)
    record(ani, view(world.course.viewed), h5p(world.course, 0.5))
    national = world.national
    record(budi, *[view(lesson) for lesson in national.lessons], h5p(national, 0.9))

    clock(NEW_YEAR_EVE)
    quiz_result(budi, quiz_passed(national))
    record(citra, *[view(lesson) for lesson in world.sorong_course.lessons])
    record(citra, h5p(world.sorong_course, 0.85))

    clock(JAN4)
    record(ani, h5p(world.course, 0.9), view(world.course.h5p_lesson))
    record(ani, view(world.course.quiz_lesson))
    take_quiz(ani, world.course, jakarta_quiz, right=True)
    take_quiz(citra, world.sorong_course, sorong_quiz, right=False)
    take_quiz(citra, world.sorong_course, sorong_quiz, right=True)
    record(dedi, view(world.course.viewed))
    event_credit(budi, key="bimtek-1", jp=19, form="bimbingan_teknis", day=JAN4.date())
    event_credit(dedi, key="workshop-1", jp=20, form="workshop", day=JAN4.date())
    return {
        "world": world,
        "ani": ani,
        "budi": budi,
        "citra": citra,
        "dedi": dedi,
        "agencies": (agency_a, agency_b, agency_s),
    }


class CounterTests:
    def test_rollup_counters_by_hand(self, scenario):
        world = scenario["world"]
        agency_a, agency_b, agency_s = scenario["agencies"]
        jkt, sor = world.jakarta.pk, world.sorong.pk
        course = str(world.course.course.translation_key)
        national = str(world.national.course.translation_key)
        sorong_course = str(world.sorong_course.course.translation_key)
        none = str(NO_COURSE)
        got = summed(rollup_rows(), 5, ROLLUP_NAMES)
        assert got == {
            # ani: the H5P row was started in 2026, so its better score of 2027 stays there.
            (jkt, agency_a.pk, course, 2026): {"started": 1, "scored": 1, "score_sum": 90},
            (jkt, agency_a.pk, course, 2027): {
                "completed": 1,
                "jp": 2,
                "scored": 1,
                "score_sum": 100,
                "passed": 1,
            },
            # budi: completed at 23:30 on 31 Dec (Jakarta): 3 JP in 2026, 1 JP in 2027.
            (jkt, agency_b.pk, national, 2026): {
                "started": 1,
                "completed": 1,
                "jp": 3,
                "scored": 2,
                "score_sum": 190,
                "passed": 1,
            },
            (jkt, agency_b.pk, national, 2027): {"jp": 1},
            # 1 + 19 JP in 2027: the split part counts toward the year's 20 JP.
            (jkt, agency_b.pk, none, 2027): {"jp": 19, "met_minimum": 1},
            # citra: the same moment is 1 Jan 2027 in Sorong; a failed quiz scores 0.
            (sor, agency_s.pk, sorong_course, 2027): {
                "started": 1,
                "completed": 1,
                "jp": 2,
                "scored": 2,
                "score_sum": 185,
                "passed": 1,
            },
            (jkt, 0, course, 2027): {"started": 1},
            (jkt, 0, none, 2027): {"jp": 20, "met_minimum": 1},
        }

    def test_each_learner_lands_in_their_shard(self, scenario):
        for name in ("ani", "budi", "citra", "dedi"):
            learner = scenario[name]
            shards = set(
                Rollup.objects.filter(city_id=learner.city_id, agency_id=learner.agency_id or 0)
                .exclude(started=0, completed=0, jp=0, scored=0, passed=0, met_minimum=0)
                .values_list("shard", flat=True)
            )
            assert shards == {learner.pk % 8}

    def test_weekly_counters_by_hand(self, scenario):
        world = scenario["world"]
        agency_a, agency_b, agency_s = scenario["agencies"]
        jkt, sor = world.jakarta.pk, world.sorong.pk
        got = summed(week_rows(), 4, ("started", "completed", "jp"))
        assert got == {
            (jkt, agency_a.pk, MON_2026_12_28): {"started": 1},
            (jkt, agency_a.pk, MON_2027_01_04): {"completed": 1, "jp": 2},
            # 31 Dec and 1 Jan are in the week of Monday 28 Dec.
            (jkt, agency_b.pk, MON_2026_12_28): {"started": 1, "completed": 1, "jp": 4},
            (jkt, agency_b.pk, MON_2027_01_04): {"jp": 19},
            (sor, agency_s.pk, MON_2026_12_28): {"started": 1},
            (sor, agency_s.pk, MON_2027_01_04): {"completed": 1, "jp": 2},
            (jkt, 0, MON_2027_01_04): {"started": 1, "jp": 20},
        }

    def test_week_of_is_the_monday(self):
        assert week_of(datetime.date(2027, 1, 1)) == MON_2026_12_28  # a Friday
        assert week_of(MON_2027_01_04) == MON_2027_01_04
        assert week_of(datetime.date(2027, 1, 10)) == MON_2027_01_04  # a Sunday

    def test_learner_years_by_hand(self, scenario):
        s = scenario
        assert sorted(LearnerYear.objects.values_list("learner_id", "year", "jp")) == sorted(
            [
                (s["ani"].pk, 2027, 2),
                (s["budi"].pk, 2026, 3),
                (s["budi"].pk, 2027, 20),
                (s["citra"].pk, 2027, 2),
                (s["dedi"].pk, 2027, 20),
            ]
        )

    def test_last_active_day_by_hand(self, scenario):
        s = scenario
        # budi's event credit on 4 Jan is not learning activity of his own.
        assert dict(LearnerActivity.objects.values_list("learner_id", "last_active_on")) == {
            s["ani"].pk: datetime.date(2027, 1, 4),
            s["budi"].pk: datetime.date(2026, 12, 31),
            s["citra"].pk: datetime.date(2027, 1, 4),
            s["dedi"].pk: datetime.date(2027, 1, 4),
        }


class ActiveDayTests:
    def test_each_learner_is_counted_once_on_their_last_day(self, scenario):
        s = scenario
        agency_a, agency_b, agency_s = s["agencies"]
        world = s["world"]
        jan4, dec31 = datetime.date(2027, 1, 4), datetime.date(2026, 12, 31)
        assert active_days() == {
            (world.jakarta.pk, agency_a.pk, jan4): 1,  # ani, counted on 31 Dec first
            (world.jakarta.pk, agency_b.pk, dec31): 1,  # budi
            (world.sorong.pk, agency_s.pk, jan4): 1,  # citra
            (world.jakarta.pk, 0, jan4): 1,  # dedi, no agency
        }

    def test_a_moved_learner_takes_their_day_along(self, scenario):
        from lms.people import services as people_services

        agency_a, agency_b, _agency_s = scenario["agencies"]
        jakarta = scenario["world"].jakarta
        people_services.learner_update(profile=scenario["ani"], agency=agency_b)
        jan4 = datetime.date(2027, 1, 4)
        counted = active_days()
        assert (jakarta.pk, agency_a.pk, jan4) not in counted
        assert counted[(jakarta.pk, agency_b.pk, jan4)] == 1
        # (Rollup and RollupWeek keep the agency of the moment of each event; a rebuild
        # re-attributes those, so only the per-learner read models are compared here.)
        before = snapshot()
        rollups_rebuild()
        after = snapshot()
        for name in ("activity", "active", "due", "counted", "years"):
            assert after[name] == before[name], name

    def test_an_inactive_learner_is_not_counted_until_reactivated(self, scenario):
        from lms.people import services as people_services

        budi = scenario["budi"]
        _a, agency_b, _s = scenario["agencies"]
        key = (scenario["world"].jakarta.pk, agency_b.pk, datetime.date(2026, 12, 31))
        people_services.learner_deactivate(profile=budi)
        assert key not in active_days()
        before = snapshot()
        rollups_rebuild()
        assert snapshot() == before
        people_services.learner_activate(profile=LearnerProfile.objects.get(pk=budi.pk))
        assert active_days()[key] == 1


class MetMinimumTests:
    """Rollup.met_minimum counts active learners' years at 20 JP where they are now."""

    @staticmethod
    def met(city, agency_id: int, year: int = 2027) -> int:
        rows = Rollup.objects.filter(
            city_id=city.pk, agency_id=agency_id, course_key=NO_COURSE, year=year
        )
        return sum(rows.values_list("met_minimum", flat=True))

    def test_an_inactive_learner_no_longer_counts_until_reactivated(self, scenario):
        from lms.people import services as people_services

        jakarta, dedi = scenario["world"].jakarta, scenario["dedi"]
        assert self.met(jakarta, 0) == 1  # dedi's 20 JP event
        people_services.learner_deactivate(profile=dedi)
        assert self.met(jakarta, 0) == 0
        before = snapshot()
        rollups_rebuild()
        assert snapshot() == before
        people_services.learner_activate(profile=LearnerProfile.objects.get(pk=dedi.pk))
        assert self.met(jakarta, 0) == 1

    def test_a_moved_learner_takes_their_year_along(self, scenario):
        from lms.people import services as people_services

        agency_a, agency_b, _s = scenario["agencies"]
        jakarta = scenario["world"].jakarta
        # budi: 1 JP on 1 January (the rest of the split credit) and the 19 JP event.
        assert (self.met(jakarta, agency_b.pk), self.met(jakarta, agency_a.pk)) == (1, 0)
        people_services.learner_update(profile=scenario["budi"], agency=agency_a)
        assert (self.met(jakarta, agency_b.pk), self.met(jakarta, agency_a.pk)) == (0, 1)
        year = LearnerYear.objects.get(learner=scenario["budi"], year=2027)
        assert (year.counted_city_id, year.counted_agency_id) == (jakarta.pk, agency_a.pk)


class IdempotencyTests:
    def test_a_repeated_statement_changes_no_counter(self, world, clock):
        clock(DEC31_DAY)
        learner = world.learner
        first = complete_all(world.course)
        record(learner, *[item for item in first if "/quiz/" not in item["object"]["id"]])
        quiz_result(learner, quiz_passed(world.course))
        before = snapshot()
        assert before["rollup"] and before["weeks"] and before["years"] and before["activity"]
        clock(JAN4)
        again = [item for item in first if "/quiz/" not in item["object"]["id"]]
        result = record(learner, *again)
        assert result.stored == 0 and result.duplicates == len(again)
        assert snapshot() == before

    def test_a_repeated_quiz_result_changes_no_counter(self, world, clock):
        clock(DEC31_DAY)
        learner = world.learner
        record(learner, view(world.course.viewed))
        quiz = one_question_quiz(world.course)
        submitted = take_quiz(learner, world.course, quiz, right=True)
        before = snapshot()
        assert summed(before["rollup"], 5, ROLLUP_NAMES)  # something was counted
        # A retried report of the same grade version is acknowledged, nothing changes.
        clock(JAN4)
        result = services.quiz_result_record(
            attempt=submitted, quiz_grade_percent=100.0, passed=True
        )
        assert result.duplicates == 1
        assert snapshot() == before

    def test_a_repeated_event_credit_changes_no_counter(self, world):
        event_credit(world.learner, key="seminar", jp=5, form="seminar", day=JAN4.date())
        before = snapshot()
        event_credit(world.learner, key="seminar", jp=5, form="seminar", day=JAN4.date())
        assert snapshot() == before


class LearnerActivityWriteTests:
    def test_written_once_a_day(self, world, clock):
        clock(DEC31_DAY)
        record(world.learner, view(world.course.viewed))
        with CaptureQueriesContext(connection) as captured:
            record(world.learner, view(world.course.h5p_lesson))
        table = LearnerActivity._meta.db_table
        writes = [q["sql"] for q in captured if table in q["sql"] and "INSERT" in q["sql"]]
        assert writes == []
        clock(JAN4)
        with CaptureQueriesContext(connection) as captured:
            record(world.learner, view(world.course.quiz_lesson))
        writes = [
            q["sql"]
            for q in captured
            if table in q["sql"] and q["sql"].startswith(("INSERT", "UPDATE"))
        ]
        assert len(writes) == 1
        assert LearnerActivity.objects.get(learner=world.learner).last_active_on == JAN4.date()
        # The learner moved from the old day's counter to the new one.
        assert active_days() == {(world.jakarta.pk, 0, JAN4.date()): 1}

    def test_never_moves_back(self, world):
        def write(profile, day):
            deltas = services._Deltas()
            services._learner_activity_write(profile=profile, today=day, deltas=deltas)
            services._active_counters_add(deltas.active)

        write(world.learner, JAN4.date())
        # A profile read without its activity row (no cache): the row is read, and an
        # earlier day changes nothing, counters included.
        write(LearnerProfile.objects.get(pk=world.learner.pk), DEC31_DAY.date())
        assert LearnerActivity.objects.get(learner=world.learner).last_active_on == JAN4.date()
        assert active_days() == {(world.jakarta.pk, 0, JAN4.date()): 1}
        write(LearnerProfile.objects.get(pk=world.learner.pk), datetime.date(2027, 2, 1))
        last = LearnerActivity.objects.get(learner=world.learner).last_active_on
        assert last == datetime.date(2027, 2, 1)
        assert active_days() == {(world.jakarta.pk, 0, datetime.date(2027, 2, 1)): 1}

    def test_a_stale_read_is_read_again_and_counted_once(self, world):
        """SQLite reads the profile before the transaction: another request of the same
        learner may have moved the day meanwhile. The compare-and-set sees it."""
        stale = LearnerProfile.objects.select_related("last_activity").get(pk=world.learner.pk)
        deltas = services._Deltas()
        services._learner_activity_write(
            profile=world.learner, today=DEC31_DAY.date(), deltas=deltas
        )
        services._active_counters_add(deltas.active)
        deltas = services._Deltas()
        # ``stale`` still believes there is no row: its insert loses, it reads again and
        # moves the learner from 31 December to 4 January.
        services._learner_activity_write(profile=stale, today=JAN4.date(), deltas=deltas)
        services._active_counters_add(deltas.active)
        assert active_days() == {(world.jakarta.pk, 0, JAN4.date()): 1}

    def test_a_child_statement_alone_is_not_activity(self, world):
        child = h5p(world.course, 0.5, sub_content=str(uuid.uuid4()))
        record(world.learner, child)
        assert not LearnerActivity.objects.exists()


class RebuildTests:
    def test_rebuild_gives_exactly_what_the_services_wrote(self, scenario):
        incremental = snapshot()
        assert all(incremental.values())
        # Spoil every table, so that equality proves the rows were recomputed.
        Rollup.objects.update(started=F("started") + 5, passed=F("passed") + 1)
        RollupWeek.objects.filter(pk=RollupWeek.objects.first().pk).delete()
        LearnerYear.objects.update(jp=0)
        LearnerActivity.objects.update(last_active_on=datetime.date(2020, 1, 1))
        Rollup.objects.create(city_id=999, course_key=uuid.uuid4(), year=2020, started=3)
        RollupDue.objects.update(open=F("open") + 2)
        RollupActive.objects.update(learners=F("learners") + 1)
        Enrolment.objects.update(counted_city_id=None, counted_agency_id=None, counted_due=None)
        steps = []
        report = rollups_rebuild(progress=lambda done, total: steps.append((done, total)))
        assert snapshot() == incremental
        assert report == RebuildReport(
            rollup_rows=len(incremental["rollup"]),
            week_rows=len(incremental["weeks"]),
            learner_years=len(incremental["years"]),
            learner_activity=len(incremental["activity"]),
            due_rows=len(incremental["due"]),
            active_rows=len(incremental["active"]),
        )
        # Two time zones (WIB, WIT): 4 steps each plus 9 others, reported in order.
        total = 9 + 4 * 2
        assert steps == [(n, total) for n in range(1, total + 1)]

    def test_an_event_completion_rebuilds_as_the_services_wrote_it(self, scenario):
        # An attended event is a completion row (for SIASN and the certificate) keyed by
        # the event, but it credits JP only: no course's "completed" counter moves.
        event_services.event_completion_record(
            learner=scenario["ani"],
            event_key=uuid.uuid4(),
            title="Lokakarya Keamanan Siber",
            organiser="BKPSDM",
            learning_form="workshop",
            jp=4,
            started_on=datetime.date(2027, 1, 4),
            completed_on=datetime.date(2027, 1, 5),
            criteria={"event": "x", "sessions": 1, "attended": 1},
        )
        incremental = snapshot()
        rollups_rebuild()
        assert snapshot() == incremental

    def test_rebuild_twice_changes_nothing(self, scenario):
        rollups_rebuild()
        once = snapshot()
        rollups_rebuild()
        assert snapshot() == once

    def test_a_moved_learner_is_rebuilt_under_the_current_agency(self, scenario):
        agency_a, agency_b, _agency_s = scenario["agencies"]
        ani = scenario["ani"]
        LearnerProfile.objects.filter(pk=ani.pk).update(agency=agency_b)
        rollups_rebuild()
        assert not Rollup.objects.filter(agency_id=agency_a.pk).exists()
        assert not RollupWeek.objects.filter(agency_id=agency_a.pk).exists()
        course = scenario["world"].course.course.translation_key
        moved = Rollup.objects.filter(agency_id=agency_b.pk, course_key=course, shard=ani.pk % 8)
        assert sum(r.completed for r in moved) == 1

    def test_an_empty_database_rebuilds_to_nothing(self, db):
        assert rollups_rebuild() == RebuildReport(0, 0, 0, 0)

    def test_the_number_of_queries_does_not_grow_with_the_learners(self, scenario, clock):
        world = scenario["world"]
        with CaptureQueriesContext(connection) as few:
            rollups_rebuild()
        clock(JAN4)
        for _n in range(6):
            learner = LearnerFactory(city=world.jakarta)
            record(learner, *complete_all(world.course)[:2], h5p(world.course, 0.7))
            event_credit(learner, key="rapat", jp=2, form="seminar", day=JAN4.date())
        incremental = snapshot()
        with CaptureQueriesContext(connection) as more:
            rollups_rebuild()
        assert snapshot() == incremental
        assert len(more.captured_queries) == len(few.captured_queries)
        if connection.vendor == "postgresql":
            assert "LOCK TABLE" in few.captured_queries[0]["sql"] or any(
                "LOCK TABLE" in q["sql"] for q in few.captured_queries[:3]
            )


class CommandTests:
    def test_the_command_rebuilds_and_says_how_many_rows(self, scenario):
        incremental = snapshot()
        Rollup.objects.all().delete()
        LearnerActivity.objects.all().delete()
        out, err = io.StringIO(), io.StringIO()
        with translation.override("en"):
            call_command("rebuild_rollups", stdout=out, stderr=err)
        assert snapshot() == incremental
        text = out.getvalue()
        assert f"{len(incremental['rollup'])} rollup rows" in text
        assert f"{len(incremental['weeks'])} weekly rows" in text
        assert f"{len(incremental['years'])} learner-years" in text
        assert f"{len(incremental['activity'])} learners with activity" in text
        # The progress bar goes to stderr.
        assert "100%" in err.getvalue()

    def test_without_a_progress_bar(self, db):
        out, err = io.StringIO(), io.StringIO()
        with translation.override("en"):
            call_command("rebuild_rollups", "--no-progress", stdout=out, stderr=err)
        assert "0 rollup rows" in out.getvalue()
        assert err.getvalue() == ""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class ConcurrentRebuildTests:
    def test_a_rebuild_while_learners_record_loses_and_doubles_nothing(self, world):
        """Learners record (statements, quiz results, event credits) while rebuilds run:
        the tables afterwards are exactly what a rebuild of the final records gives."""
        import threading

        from django.db import connections

        from .test_concurrency import statements_for

        if connection.vendor != "postgresql":
            pytest.skip("Table locks and real concurrency need PostgreSQL.")
        setup = world.course
        agency = AgencyFactory(city=world.jakarta, name="Dinas C", code="C")
        learners = [LearnerFactory(city=world.jakarta, agency=agency) for _ in range(3)]
        learners.append(world.learner)
        attempts = {
            learner.pk: submitted_attempt(learner, quiz_passed(setup)) for learner in learners
        }
        errors: list[str] = []
        barrier = threading.Barrier(len(learners) + 1)

        def learner_thread(learner):
            try:
                items = statements_for(setup, seed=learner.pk)
                barrier.wait(timeout=60)
                for start in range(0, len(items), 4):
                    record(learner, *items[start : start + 4])
                services.quiz_result_record(
                    attempt=attempts[learner.pk], quiz_grade_percent=100.0, passed=True
                )
                for n in range(3):
                    event_credit(learner, key=f"e{n}", jp=7, form="seminar", day=JAN4.date())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"{learner.pk}: {type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        def rebuild_thread():
            try:
                barrier.wait(timeout=60)
                for _n in range(3):
                    rollups_rebuild()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"rebuild: {type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=learner_thread, args=(x,)) for x in learners]
        threads.append(threading.Thread(target=rebuild_thread))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        after = snapshot()
        totals = summed(after["rollup"], 5, ROLLUP_NAMES)
        course = str(setup.course.translation_key)
        this_year = local_date(world.jakarta.timezone).year
        # Each learner started and completed the course once, and met 20 JP once.
        counted = totals[(world.jakarta.pk, agency.pk, course, this_year)]
        assert counted["started"] == counted["completed"] == 3
        assert totals[(world.jakarta.pk, agency.pk, str(NO_COURSE), 2027)]["met_minimum"] == 3
        rollups_rebuild()
        assert snapshot() == after
