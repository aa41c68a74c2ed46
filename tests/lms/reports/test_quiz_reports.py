"""The trainer's view of quiz results: statistics, who sees which learners, the admin
screens (listing, results, regrade) and their query counts."""

import statistics

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.people import services as people_services
from lms.records import quiz_services
from lms.reports import quiz_selectors as selectors
from tests.courses.conftest import assert_refused
from tests.factories import (
    AgencyFactory,
    StaffUserFactory,
    city_admin,
    national_admin,
    trainer,
)

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


def results_url(quiz) -> str:
    return reverse("reports_quiz_result", args=[quiz.pk])


class QuestionStatsTests:
    def test_facility_and_discrimination_follow_moodle(self, world, national_quiz):
        quiz, questions = national_quiz
        admin = national_admin()
        grid = [
            [1, 1, 1],
            [1, 1, 0],
            [1, 0, 0],
            [0, 0.5, 0],
            [1, 1, 1],
        ]
        for fractions in grid:
            make_attempt(world.new_learner(), quiz, questions, fractions)
        stats = selectors.question_stats(viewer=admin, quiz=quiz)
        assert [s.question_key for s in stats] == [q.key for q in questions]
        for index, item in enumerate(stats):
            marks = [row[index] for row in grid]
            # Rest of the test: the other questions' points over their maximum (2 points).
            rest = [(sum(row) - row[index]) / 2 for row in grid]
            assert item.attempts == 5 and item.answered == 5
            assert item.facility_percent == pytest.approx(100 * statistics.mean(marks))
            assert item.sd_percent == pytest.approx(100 * statistics.pstdev(marks))
            assert item.discrimination_percent == pytest.approx(
                100 * statistics.correlation(marks, rest)
            )
        assert stats[0].name == "Soal 1" and stats[0].kind == "single"

    def test_no_variation_has_no_discrimination_and_drafts_do_not_count(self, world, national_quiz):
        quiz, questions = national_quiz
        for _ in range(3):
            make_attempt(world.new_learner(), quiz, questions, [1, None, 0])
        make_attempt(world.new_learner(), quiz, questions, [0, 0, 0], submitted=False)
        stats = selectors.question_stats(viewer=national_admin(), quiz=quiz)
        assert [s.attempts for s in stats] == [3, 3, 3]
        assert [s.answered for s in stats] == [3, 0, 3]
        assert stats[0].facility_percent == 100
        assert stats[0].discrimination_percent is None

    def test_constant_queries(self, world, national_quiz, django_assert_num_queries):
        quiz, questions = national_quiz
        admin = city_admin(world.jakarta)
        selectors.question_stats(viewer=admin, quiz=quiz)  # roles are looked up and cached
        for n in range(6):
            make_attempt(world.new_learner(), quiz, questions, [1, n % 2, 0])
        # One pass over the attempt questions, one for the questions' names.
        with django_assert_num_queries(2):
            stats = selectors.question_stats(viewer=admin, quiz=quiz)
        assert stats[0].attempts == 6


class SummaryTests:
    def test_mean_median_pass_rate(self, world, national_quiz):
        quiz, questions = national_quiz  # pass mark 60 %
        first = world.new_learner()
        make_attempt(first, quiz, questions, [1, 1, 1])
        make_attempt(first, quiz, questions, [0, 0, 0], number=2)
        make_attempt(world.new_learner(), quiz, questions, [1, 1, 0])
        make_attempt(world.new_learner(), quiz, questions, [1, 0, 0], submitted=False)
        result = selectors.summary(viewer=national_admin(), quiz=quiz)
        assert result.attempts == 3 and result.learners == 2 and result.in_progress == 1
        assert result.mean_percent == pytest.approx((100 + 0 + 200 / 3) / 3)
        assert result.median_percent == pytest.approx(200 / 3)
        assert result.pass_rate_percent == pytest.approx(200 / 3)

    def test_empty_quiz(self, world, national_quiz):
        result = selectors.summary(viewer=national_admin(), quiz=national_quiz[0])
        assert result.attempts == 0 and result.mean_percent is None


class VisibilityTests:
    """A Jakarta admin or trainer looking at a national quiz sees Jakarta only."""

    @pytest.fixture
    def both_cities(self, world, national_quiz):
        quiz, questions = national_quiz
        jakarta_learner = world.new_learner(full_name="Budi Jakarta")
        sorong_learner = world.new_learner(city=world.sorong, full_name="Yohanes Sorong")
        make_attempt(jakarta_learner, quiz, questions, [1, 1, 0])
        make_attempt(sorong_learner, quiz, questions, [0, 0, 0])
        return quiz

    def test_city_admin_rows_are_own_city_only(self, world, both_cities):
        rows = selectors.attempt_rows(viewer=city_admin(world.jakarta), quiz=both_cities)
        assert [row["learner__full_name"] for row in rows] == ["Budi Jakarta"]
        everyone = selectors.attempt_rows(viewer=national_admin(), quiz=both_cities)
        assert {row["learner__full_name"] for row in everyone} == {
            "Budi Jakarta",
            "Yohanes Sorong",
        }

    def test_aggregates_cover_own_city_only(self, world, both_cities):
        for viewer in (city_admin(world.jakarta), trainer(world.jakarta)):
            result = selectors.summary(viewer=viewer, quiz=both_cities)
            assert result.attempts == 1 and result.mean_percent == pytest.approx(200 / 3)
            stats = selectors.question_stats(viewer=viewer, quiz=both_cities)
            assert [s.attempts for s in stats] == [1, 1, 1]
        assert selectors.summary(viewer=national_admin(), quiz=both_cities).attempts == 2

    def test_trainer_sees_no_named_rows(self, world, both_cities):
        jakarta_trainer = trainer(world.jakarta)
        assert not selectors.may_see_learner_rows(jakarta_trainer)
        assert list(selectors.attempt_rows(viewer=jakarta_trainer, quiz=both_cities)) == []

    def test_jakarta_trainer_page_shows_jakarta_figures_without_names(
        self, client, world, both_cities
    ):
        client.force_login(trainer(world.jakarta))
        response = client.get(results_url(both_cities))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Budi Jakarta" not in page and "Yohanes Sorong" not in page
        assert response.context["summary"].attempts == 1
        assert "without learners" in page

    def test_jakarta_admin_page_lists_jakarta_learners_only(self, client, world, both_cities):
        client.force_login(city_admin(world.jakarta))
        response = client.get(results_url(both_cities))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Budi Jakarta" in page
        assert "Yohanes Sorong" not in page
        # The learner on the page can see that this admin looked at their results.
        from lms.privacy.models import AccessLog

        logged = AccessLog.objects.values_list("learner__full_name", "action")
        assert list(logged) == [("Budi Jakarta", "list")]

    def test_other_city_is_refused(self, client, world, jakarta_quiz, national_quiz):
        quiz = jakarta_quiz[0]
        for user in (city_admin(world.sorong), trainer(world.sorong)):
            client.force_login(user)
            assert client.get(results_url(quiz)).status_code == 404
            # Sorong did not adopt the national course either.
            assert client.get(results_url(national_quiz[0])).status_code == 404
            export = reverse("reports_quiz_export", args=[quiz.pk, "attempts", "csv"])
            assert client.get(export).status_code == 404
        assert quiz not in selectors.report_quizzes(trainer(world.sorong))

    def test_learners_and_strangers_are_refused(self, client, world, jakarta_quiz):
        client.force_login(world.learner.user)
        # Learners have no admin access at all: Wagtail sends them to its login page.
        for url in (reverse("reports_quiz_results"), results_url(jakarta_quiz[0])):
            response = client.get(url)
            assert response.status_code in (302, 403)
            assert "Kuis Jakarta" not in response.content.decode()
        # Staff without a role in any city (an editor of nothing) are refused too.
        editor = StaffUserFactory()
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(editor)
        assert_refused(client.get(reverse("reports_quiz_results")))
        client.logout()
        response = client.get(results_url(jakarta_quiz[0]))
        assert response.status_code == 302 and "login" in response.url


class ListingTests:
    def test_lists_managed_and_adopted_quizzes(self, client, world, jakarta_quiz, national_quiz):
        sorong_quiz = make_quiz_for(world.sorong_course.course)
        client.force_login(trainer(world.jakarta))
        response = client.get(reverse("reports_quiz_results"))
        assert response.status_code == 200
        listed = list(response.context["quizzes"])
        assert jakarta_quiz[0] in listed and national_quiz[0] in listed
        assert sorong_quiz not in listed

    def test_national_admin_sees_every_quiz(self, world, jakarta_quiz, national_quiz):
        sorong_quiz = make_quiz_for(world.sorong_course.course)
        listed = set(selectors.report_quizzes(national_admin()))
        assert {jakarta_quiz[0], national_quiz[0], sorong_quiz} <= listed


def make_quiz_for(course):
    from .conftest import make_quiz

    return make_quiz(course, title="Kuis lain", questions=1)[0]


class ResultsPageTests:
    def test_filters_and_sorting(self, client, world, national_quiz):
        quiz, questions = national_quiz
        office = AgencyFactory(city=world.jakarta, name="Diskominfo")
        unit = people_services.agency_create(
            city=world.jakarta, name="Bidang Persandian", code="SANDI", parent=office
        )
        ani = world.new_learner(full_name="Ani", agency=unit)
        make_attempt(ani, quiz, questions, [1, 1, 1])
        make_attempt(world.new_learner(full_name="Citra"), quiz, questions, [0, 0, 0])
        make_attempt(world.new_learner(full_name="Bayu"), quiz, questions, [1, 1, 0])
        client.force_login(city_admin(world.jakarta))

        def names(**params):
            response = client.get(results_url(quiz), params)
            assert response.status_code == 200
            return [row["learner__full_name"] for row in response.context["page_obj"]]

        assert names() == ["Ani", "Bayu", "Citra"]
        assert names(order="-score") == ["Ani", "Bayu", "Citra"]
        assert names(order="score") == ["Citra", "Bayu", "Ani"]
        assert names(passed="no") == ["Citra"]
        assert names(passed="yes", order="-name") == ["Bayu", "Ani"]
        # The office includes its units.
        assert names(agency=office.pk) == ["Ani"]
        assert names(city=world.jakarta.pk) == ["Ani", "Bayu", "Citra"]
        # Hand-edited values are ignored, never an error page; another city's id is not
        # a choice for a Jakarta admin.
        assert names(order="password", passed="maybe", city="x") == ["Ani", "Bayu", "Citra"]
        assert names(city=world.sorong.pk) == ["Ani", "Bayu", "Citra"]

    @pytest.mark.parametrize("viewer", ["admin", "trainer"])
    def test_query_count_does_not_grow_with_attempts(self, client, world, national_quiz, viewer):
        quiz, questions = national_quiz
        user = city_admin(world.jakarta) if viewer == "admin" else trainer(world.jakarta)
        client.force_login(user)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(results_url(quiz)).status_code == 200
            return len(queries)

        make_attempt(world.new_learner(), quiz, questions, [1, 0, 1])
        few = count()
        for n in range(12):
            make_attempt(world.new_learner(), quiz, questions, [1, n % 2, 0])
        assert count() == few


class RegradeTests:
    def test_confirm_then_regrade_with_count(self, client, world, jakarta_quiz, monkeypatch):
        quiz = jakarta_quiz[0]
        calls = []

        def fake_regrade(*, quiz, by=None, reason=""):
            calls.append((quiz.pk, by, reason))
            return 3

        monkeypatch.setattr(quiz_services, "attempts_regrade", fake_regrade)
        user = trainer(world.jakarta)
        client.force_login(user)
        url = reverse("reports_quiz_regrade", args=[quiz.pk])
        confirm = client.get(url)
        assert confirm.status_code == 200 and "Yes, regrade" in confirm.content.decode()
        assert calls == []  # a GET only asks
        response = client.post(url, {"reason": "Kunci jawaban soal 2 salah"}, follow=True)
        assert calls == [(quiz.pk, user, "Kunci jawaban soal 2 salah")]
        assert "Regraded: 3 attempts got a new grade." in response.content.decode()

    def test_real_service_with_nothing_to_change(self, client, world, jakarta_quiz):
        quiz, questions = jakarta_quiz
        make_attempt(world.learner, quiz, questions, [1, 0, 1])
        client.force_login(city_admin(world.jakarta))
        response = client.post(
            reverse("reports_quiz_regrade", args=[quiz.pk]), {"reason": ""}, follow=True
        )
        assert "Regraded: 0 attempts got a new grade." in response.content.decode()

    def test_too_long_reason_changes_nothing(self, client, world, jakarta_quiz, monkeypatch):
        called = []
        monkeypatch.setattr(quiz_services, "attempts_regrade", lambda **kw: called.append(kw))
        client.force_login(trainer(world.jakarta))
        response = client.post(
            reverse("reports_quiz_regrade", args=[jakarta_quiz[0].pk]), {"reason": "x" * 300}
        )
        assert response.status_code == 200 and called == []

    def test_who_may_not_regrade(self, client, world, jakarta_quiz, national_quiz, monkeypatch):
        called = []
        monkeypatch.setattr(quiz_services, "attempts_regrade", lambda **kw: called.append(kw))
        jakarta_trainer = trainer(world.jakarta)
        client.force_login(jakarta_trainer)
        # The national course is not theirs to edit: they may look, not regrade.
        assert client.get(results_url(national_quiz[0])).status_code == 200
        national_regrade = reverse("reports_quiz_regrade", args=[national_quiz[0].pk])
        assert_refused(client.post(national_regrade))
        client.force_login(trainer(world.sorong))
        assert (
            client.post(reverse("reports_quiz_regrade", args=[jakarta_quiz[0].pk])).status_code
            == 404
        )
        assert called == []
        assert selectors.can_regrade(national_admin(), national_quiz[0])
