"""The JP ledger: e-learning at most 3 JP per learner per day, split over the following
days (visibly), yearly totals against 20 JP, each credit exactly once."""

import datetime

import pytest
from django.utils import timezone

from lms.records import selectors, services
from lms.records.models import NO_COURSE, CourseCompletion, JpCredit, Rollup

from .conftest import build_course, complete_all, post

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


class JpSplitTests:
    def test_e_learning_is_split_at_three_per_day(self):
        parts = services.jp_split(jp=8, learning_form="e_learning", earned_on=DAY, used_by_day={})
        assert parts == [
            (DAY, 3),
            (DAY + datetime.timedelta(days=1), 3),
            (DAY + datetime.timedelta(days=2), 2),
        ]

    def test_what_is_already_on_a_day_counts(self):
        used = {DAY: 2, DAY + datetime.timedelta(days=1): 3}
        parts = services.jp_split(jp=3, learning_form="e_learning", earned_on=DAY, used_by_day=used)
        assert parts == [(DAY, 1), (DAY + datetime.timedelta(days=2), 2)]

    def test_other_forms_are_not_capped(self):
        parts = services.jp_split(
            jp=8, learning_form="workshop", earned_on=DAY, used_by_day={DAY: 3}
        )
        assert parts == [(DAY, 8)]


class LedgerTests:
    def test_two_courses_on_one_day_spread_over_the_following_days(self, learner_client, world):
        first = build_course(world.jakarta_curriculum, jp=5)
        second = build_course(world.jakarta_curriculum, jp=2)
        assert post(learner_client, complete_all(first)).status_code == 200
        assert post(learner_client, complete_all(second)).status_code == 200
        today = CourseCompletion.objects.first().completed_on
        rows = list(JpCredit.objects.order_by("credited_on", "pk"))
        by_day = {}
        for row in rows:
            by_day[row.credited_on] = by_day.get(row.credited_on, 0) + row.jp
            assert row.earned_on == today
        assert by_day == {
            today: 3,
            today + datetime.timedelta(days=1): 3,
            today + datetime.timedelta(days=2): 1,
        }
        # The split is visible: parts of each credit.
        first_rows = [r for r in rows if r.source_key == str(first.course.translation_key)]
        assert [(r.part, r.parts, r.jp) for r in first_rows] == [(1, 2, 3), (2, 2, 2)]

    def test_yearly_total_and_the_20_jp_minimum(self, world):
        learner = world.learner
        for n in range(4):
            services.jp_credit_record(
                learner=learner,
                source="event",
                source_key=f"event-{n}",
                title=f"Bimtek {n}",
                jp=5,
                learning_form="bimbingan_teknis",
                earned_on=DAY,
            )
        summary = selectors.yearly_jp(learner=learner, year=DAY.year)
        assert summary.total == 20 and summary.met and summary.missing == 0
        met = sum(r.met_minimum for r in Rollup.objects.filter(course_key=NO_COURSE, year=DAY.year))
        assert met == 1
        assert sum(r.jp for r in Rollup.objects.filter(year=DAY.year)) == 20

    def test_an_event_credit_is_recorded_once(self, world):
        kwargs = {
            "learner": world.learner,
            "source": "event",
            "source_key": "seminar-1",
            "title": "Seminar",
            "jp": 4,
            "learning_form": "e_learning",
            "earned_on": DAY,
        }
        services.jp_credit_record(**kwargs)
        services.jp_credit_record(**kwargs)
        assert [(r.credited_on, r.jp) for r in JpCredit.objects.all()] == [
            (DAY, 3),
            (DAY + datetime.timedelta(days=1), 1),
        ]

    def test_a_split_across_new_year_counts_in_each_year(self, world):
        eve = datetime.date(2026, 12, 31)
        services.jp_credit_record(
            learner=world.learner,
            source="event",
            source_key="webinar",
            title="Webinar",
            jp=5,
            learning_form="e_learning",
            earned_on=eve,
        )
        assert selectors.yearly_jp(learner=world.learner, year=2026).total == 3
        assert selectors.yearly_jp(learner=world.learner, year=2027).total == 2

    def test_the_learners_day_is_their_citys_local_date(self, client, world, monkeypatch):
        # 16:30 UTC is already the next day in Sorong (WIT, UTC+9), not yet in Jakarta... it
        # is 23:30 in Jakarta, so both learners see different days.
        moment = datetime.datetime(2026, 5, 1, 16, 30, tzinfo=datetime.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        sorong_learner = world.new_learner(city=world.sorong)
        client.force_login(sorong_learner.user)
        assert post(client, complete_all(world.sorong_course)).status_code == 200
        completion = CourseCompletion.objects.get()
        assert completion.completed_on == datetime.date(2026, 5, 2)
        assert JpCredit.objects.first().credited_on == datetime.date(2026, 5, 2)
