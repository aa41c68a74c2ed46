"""Tim Saya: a supervisor sees exactly their staff (direct, or with the indirect toggle),
never a peer's staff or another city's people; per-person figures read straight from the
records; sorting and filtering; refusals; a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.learning import selectors
from lms.people.models import LearnerProfile
from lms.records import selectors as records
from lms.records import services as record_services
from lms.records.models import JpCredit
from tests.courses.conftest import make_course, make_lesson
from tests.factories import LearnerFactory, StaffUserFactory

from .conftest import enrol, login, progress, quiz_attempt

pytestmark = pytest.mark.django_db

TEAM = "/tim-saya/"


def names(response) -> list[str]:
    return [line.profile.full_name for line in response.context["team"].lines]


def member_url(profile) -> str:
    return reverse("learning:team-member", args=[profile.pk])


def jakarta_today():
    return records.local_date("Asia/Jakarta")


def credit(learner, jp: int, key: str = "acara", form: str = "seminar"):
    record_services.jp_credit_record(
        learner=learner,
        source=JpCredit.Source.EVENT_ATTENDANCE,
        source_key=key,
        title=key,
        jp=jp,
        learning_form=form,
        earned_on=jakarta_today(),
    )


class TeamAccessTests:
    def test_anonymous_visitors_are_sent_to_log_in(self, client, team):
        response = client.get(TEAM)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_learner_without_staff_is_refused_with_a_clear_message(self, client, team):
        for url in (TEAM, member_url(team.ani)):
            response = login(client, team.ani).get(url)
            assert response.status_code == 403
            assert "This page is for supervisors" in response.content.decode()

    def test_staff_accounts_without_a_profile_are_refused(self, client, team):
        client.force_login(StaffUserFactory())
        assert client.get(TEAM).status_code == 403
        assert client.get(member_url(team.ani)).status_code == 403


class TeamVisibilityTests:
    def test_direct_staff_by_default_and_indirect_with_the_toggle(self, client, team):
        login(client, team.budi)
        assert names(client.get(TEAM)) == ["Ani Staf", "Cici Staf"]
        response = client.get(TEAM, {"indirect": "1"})
        assert names(response) == ["Ani Staf", "Cici Staf", "Dedi Tidak Langsung"]
        dedi = response.context["team"].lines[-1]
        assert not dedi.is_direct
        assert "indirect" in response.content.decode()

    def test_a_peers_staff_and_superiors_never_appear(self, client, team):
        login(client, team.budi)
        shown = set(names(client.get(TEAM, {"indirect": "1"})))
        assert not shown & {"Fajar Staf Rekan", "Eko Rekan", "Kepala Dinas", "Budi Atasan"}
        login(client, team.eko)
        assert names(client.get(TEAM, {"indirect": "1"})) == ["Fajar Staf Rekan"]

    def test_a_head_sees_the_whole_tree_below_them(self, client, team):
        login(client, team.head)
        assert names(client.get(TEAM)) == ["Budi Atasan", "Eko Rekan"]
        assert set(names(client.get(TEAM, {"indirect": "1"}))) == {
            "Budi Atasan",
            "Eko Rekan",
            "Ani Staf",
            "Cici Staf",
            "Dedi Tidak Langsung",
            "Fajar Staf Rekan",
        }

    def test_another_citys_people_never_appear_even_if_wrongly_linked(self, client, team):
        # Bypass the services (which refuse a supervisor from another city) to be sure
        # that the page still never shows another city's people.
        LearnerProfile.objects.filter(pk=team.sorong_staff.pk).update(supervisor=team.budi)
        login(client, team.budi)
        assert "Staf Sorong" not in names(client.get(TEAM, {"indirect": "1"}))
        assert client.get(member_url(team.sorong_staff)).status_code == 403

    def test_person_page_for_own_staff_direct_and_indirect_only(self, client, team):
        login(client, team.budi)
        response = client.get(member_url(team.ani))
        assert response.status_code == 200
        assert response.context["line"].profile == team.ani
        assert client.get(member_url(team.dedi)).status_code == 200
        for other in (team.fajar, team.eko, team.head, team.budi, team.sorong_staff):
            response = client.get(member_url(other))
            assert response.status_code == 403, other.full_name
            assert "not on your team" in response.content.decode()
        assert client.get(reverse("learning:team-member", args=[999999])).status_code == 403

    def test_inactive_staff_are_not_listed(self, client, team):
        LearnerProfile.objects.filter(pk=team.cici.pk).update(is_active=False)
        login(client, team.budi)
        assert names(client.get(TEAM)) == ["Ani Staf"]


class TeamFiguresTests:
    def test_each_person_shows_progress_jp_overdue_quizzes_and_last_activity(
        self, client, world, team
    ):
        today = jakarta_today()
        overdue_key = world.national.course.translation_key
        done_key = world.course.course.translation_key
        enrol(team.ani, overdue_key, mandatory=True, due_date=today - datetime.timedelta(days=5))
        enrol(team.ani, done_key, mandatory=True, due_date=today - datetime.timedelta(days=5))
        progress(team.ani, overdue_key, percent=40)
        progress(team.ani, done_key, completed=True)
        credit(team.ani, 5)
        quiz_attempt(team.ani, score=55.0, passed=False)

        response = login(client, team.budi).get(TEAM)
        ani, cici = response.context["team"].lines
        assert (ani.mandatory_total, ani.mandatory_completed, ani.mandatory_percent) == (2, 1, 70)
        assert ani.overdue == 1  # the completed one is not overdue
        assert ani.jp_this_year == 5 and ani.behind_on_jp and ani.jp_missing == 15
        assert [(q.score_percent, q.passed) for q in ani.quizzes] == [(55.0, False)]
        assert ani.last_activity_at is not None
        assert (cici.mandatory_total, cici.overdue, cici.jp_this_year) == (0, 0, 0)
        assert cici.last_activity_at is None
        html = response.content.decode()
        assert "5 of 20 JP" in html
        assert "1 course overdue" in html
        assert "not passed" in html
        assert "Not started yet" in html

    def test_recent_quiz_results_are_the_latest_two(self, world, team):
        now = datetime.datetime.now(datetime.UTC)
        for n, score in enumerate([10.0, 20.0, 30.0]):
            quiz_attempt(team.ani, score=score, at=now + datetime.timedelta(minutes=n))
        [ani] = records.team_rows(
            viewer=team.budi.user,
            supervisor=team.budi,
            year=jakarta_today().year,
            today=jakarta_today(),
            only=team.ani,
        )
        assert [q.score_percent for q in ani.recent_quizzes] == [30.0, 20.0]

    def test_figures_follow_the_records_as_they_arrive(self, client, team):
        login(client, team.budi)
        assert client.get(TEAM).context["team"].lines[0].jp_this_year == 0
        credit(team.ani, 20)
        response = client.get(TEAM)
        ani = response.context["team"].lines[0]
        assert ani.jp_this_year == 20 and not ani.behind_on_jp


class TeamSortFilterTests:
    @pytest.fixture
    def figures(self, world, team):
        today = jakarta_today()
        key = world.national.course.translation_key
        credit(team.ani, 25)
        credit(team.cici, 3)
        enrol(team.cici, key, mandatory=True, due_date=today - datetime.timedelta(days=1))
        progress(team.ani, world.course.course.translation_key, percent=10)
        return team

    def test_sorting(self, client, figures):
        login(client, figures.budi)
        assert names(client.get(TEAM, {"sort": "jp"})) == ["Cici Staf", "Ani Staf"]
        assert names(client.get(TEAM, {"sort": "-jp"})) == ["Ani Staf", "Cici Staf"]
        assert names(client.get(TEAM, {"sort": "-overdue"})) == ["Cici Staf", "Ani Staf"]
        assert names(client.get(TEAM, {"sort": "-name"})) == ["Cici Staf", "Ani Staf"]
        # Never active first: the people to look after.
        assert names(client.get(TEAM, {"sort": "activity"})) == ["Cici Staf", "Ani Staf"]

    def test_filters(self, client, figures):
        login(client, figures.budi)
        assert names(client.get(TEAM, {"behind": "1"})) == ["Cici Staf"]
        assert names(client.get(TEAM, {"overdue": "1"})) == ["Cici Staf"]
        assert names(client.get(TEAM, {"behind": "1", "overdue": "1"})) == ["Cici Staf"]
        response = client.get(TEAM, {"behind": "1", "indirect": "1"})
        assert names(response) == ["Cici Staf", "Dedi Tidak Langsung"]
        page = response.context["team"]
        assert (page.total, page.behind, page.with_overdue) == (3, 2, 1)

    def test_bad_parameters_give_the_default_list_not_an_error(self, client, figures):
        login(client, figures.budi)
        response = client.get(TEAM, {"sort": "'; drop table", "indirect": "maybe"})
        assert response.status_code == 200
        assert names(response) == ["Ani Staf", "Cici Staf"]

    def test_sort_links_keep_the_filters_and_reverse_the_current_sort(self, client, figures):
        login(client, figures.budi)
        response = client.get(TEAM, {"sort": "jp", "behind": "1"})
        links = {link["name"]: link for link in response.context["sort_links"]}
        assert "sort=-jp" in links["jp"]["url"] and "behind=1" in links["jp"]["url"]
        assert "sort=name" in links["name"]["url"]


class TeamQueryCountTests:
    def test_same_number_of_queries_for_3_and_30_staff(
        self, client, world, django_assert_max_num_queries
    ):
        today = jakarta_today()
        key = world.national.course.translation_key

        def staff_with_records(boss, count):
            for n in range(count):
                person = LearnerFactory(city=world.jakarta, supervisor=boss)
                enrol(person, key, mandatory=True, due_date=today - datetime.timedelta(days=n))
                progress(person, key, percent=n % 100)
                quiz_attempt(person, score=float(n % 100), passed=n % 2 == 0)
                JpCredit.objects.create(
                    learner=person,
                    year=today.year,
                    credited_on=today,
                    earned_on=today,
                    jp=1 + n % 5,
                    learning_form="seminar",
                    source=JpCredit.Source.EVENT_ATTENDANCE,
                    source_key=f"acara-{n}",
                    title="Acara",
                )

        small_boss = LearnerFactory(city=world.jakarta)
        big_boss = LearnerFactory(city=world.jakarta)
        staff_with_records(small_boss, 3)
        staff_with_records(big_boss, 30)

        login(client, small_boss)
        client.get(TEAM)
        with CaptureQueriesContext(connection) as few:
            response = client.get(TEAM, {"indirect": "1"})
        few_count = len(few.captured_queries)  # now: the next request resets the log
        assert len(response.context["team"].lines) == 3

        login(client, big_boss)
        client.get(TEAM)
        with django_assert_max_num_queries(few_count):
            response = client.get(TEAM, {"indirect": "1"})
        assert len(response.context["team"].lines) == 30

    def test_person_page_queries_do_not_grow_with_their_courses(
        self, client, world, team, django_assert_max_num_queries
    ):
        def study(course_key, lesson_key):
            enrol(team.ani, course_key, mandatory=True, due_date=jakarta_today())
            progress(team.ani, course_key, percent=30, lesson_key=lesson_key)
            quiz_attempt(team.ani)

        study(world.course.course.translation_key, world.course.viewed.translation_key)
        login(client, team.budi)
        client.get(member_url(team.ani))
        with CaptureQueriesContext(connection) as few:
            assert client.get(member_url(team.ani)).status_code == 200
        few_count = len(few.captured_queries)  # now: the next request resets the log

        study(world.national.course.translation_key, world.national.viewed.translation_key)
        for n in range(4):
            course = make_course(world.jakarta_curriculum, title=f"Kursus Tambahan {n}")
            study(course.translation_key, make_lesson(course).translation_key)
        with django_assert_max_num_queries(few_count):
            response = client.get(member_url(team.ani))
        assert len(response.context["home"].mandatory) == 6
        assert len(response.context["member"].quizzes) == 6


class SupervisorFlagTests:
    def test_flag_is_set_at_login_and_refreshed_by_the_team_page(self, client, team):
        client.force_login(team.budi.user)
        assert client.session[selectors.SUPERVISOR_SESSION_KEY] is True
        client.force_login(team.ani.user)
        assert client.session[selectors.SUPERVISOR_SESSION_KEY] is False
        # Ani becomes a supervisor during her session: the team page finds out.
        LearnerFactory(city=team.ani.city, supervisor=team.ani)
        assert client.get(TEAM).status_code == 200
        assert client.session[selectors.SUPERVISOR_SESSION_KEY] is True
