"""The learner home (Beranda): mandatory courses with due dates, "continue" to the exact
next lesson, completed courses, the JP chart, refusals, and a constant query count."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.learning import selectors
from lms.records import selectors as records
from lms.records import services as record_services
from lms.records.models import CourseCompletion, JpCredit
from tests.courses.conftest import make_course, make_lesson
from tests.factories import PASSWORD, LearnerFactory, StaffUserFactory
from tests.lms.records.conftest import post, view

from .conftest import complete_course, enrol, login, progress

pytestmark = pytest.mark.django_db

HOME = "/beranda/"


def jakarta_today():
    return records.local_date("Asia/Jakarta")


class HomeAccessTests:
    def test_anonymous_visitors_are_sent_to_log_in(self, client, world):
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_staff_without_a_profile_get_a_pointer_to_the_admin(self, client, world):
        user = StaffUserFactory()
        user.is_staff = True
        user.save()
        from django.contrib.auth.models import Permission

        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(user)
        response = client.get(HOME)
        assert response.status_code == 200
        assert "No learner profile" in response.content.decode()
        assert reverse("wagtailadmin_home") in response.content.decode()

    def test_logging_in_lands_on_the_home_page(self, client, world):
        response = client.post(
            reverse("login"), {"username": world.learner.nip, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == HOME

    def test_menu_and_brand_lead_home_and_team_link_only_for_supervisors(self, client, world):
        staff = LearnerFactory(city=world.jakarta, supervisor=world.learner)
        client.post(reverse("login"), {"username": world.learner.nip, "password": PASSWORD})
        html = client.get(HOME).content.decode()
        assert f'class="brand" href="{HOME}"' in html
        assert 'href="/tim-saya/"' in html

        client.logout()
        client.post(reverse("login"), {"username": staff.nip, "password": PASSWORD})
        html = client.get(HOME).content.decode()
        assert 'href="/tim-saya/"' not in html


class MandatoryCourseTests:
    def test_overdue_mandatory_course_is_highlighted(self, client, world, jakarta_admin):
        due = jakarta_today() - datetime.timedelta(days=3)
        record_services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.national.course, due_date=due
        )
        response = login(client, world.learner).get(HOME)
        assert response.status_code == 200
        home = response.context["home"]
        [card] = home.mandatory
        assert card.title == world.national.course.title
        assert card.overdue and card.days_overdue == 3
        assert home.overdue_count == 1
        html = response.content.decode()
        assert "is-overdue" in html
        assert "3 days overdue" in html
        assert "1 mandatory course is past its due date" in html

    def test_due_soon_is_shown_and_not_overdue(self, client, world, jakarta_admin):
        due = jakarta_today() + datetime.timedelta(days=2)
        record_services.mandatory_assign(
            by=jakarta_admin, profiles=[world.learner], course=world.national.course, due_date=due
        )
        response = login(client, world.learner).get(HOME)
        [card] = response.context["home"].mandatory
        assert card.due_soon and not card.overdue
        assert "2 days left" in response.content.decode()

    def test_completed_mandatory_course_moves_to_completed(self, client, world, jakarta_admin):
        record_services.mandatory_assign(
            by=jakarta_admin,
            profiles=[world.learner],
            course=world.national.course,
            due_date=jakarta_today() - datetime.timedelta(days=1),
        )
        complete_course(client, world.national, world.learner)
        home = client.get(HOME).context["home"]
        assert home.mandatory == []
        assert home.overdue_count == 0
        assert [c.completion.course_key for c in home.completed] == [
            world.national.course.translation_key
        ]


class ContinueTests:
    def test_continue_goes_to_the_next_incomplete_lesson(self, client, world):
        login(client, world.learner)
        assert post(client, view(world.course.viewed)).status_code == 200
        home = client.get(HOME).context["home"]
        [card] = home.in_progress
        assert card.key == world.course.course.translation_key
        assert card.started and not card.completed
        # The lesson read is complete (viewing completes it): continue with the next one.
        assert card.next_lesson_url == world.course.h5p_lesson.url
        assert card.next_lesson_title == world.course.h5p_lesson.title

    def test_continue_returns_to_a_lesson_left_unfinished(self, client, world):
        login(client, world.learner)
        post(client, view(world.course.viewed))
        # Opened the quiz lesson but did not pass the quiz: that is where to go back to.
        post(client, view(world.course.quiz_lesson))
        response = client.get(HOME)
        [card] = response.context["home"].in_progress
        assert card.next_lesson_url == world.course.quiz_lesson.url
        html = response.content.decode()
        assert f'href="{world.course.quiz_lesson.url}"' in html
        assert "Continue" in html

    def test_enrolled_but_not_started_offers_the_first_lesson(self, client, world):
        record_services.enrolment_self(user=world.learner.user, course=world.course.course)
        [card] = login(client, world.learner).get(HOME).context["home"].in_progress
        assert not card.started and card.percent == 0
        assert card.next_lesson_url == world.course.viewed.url

    def test_withdrawn_courses_are_not_in_progress(self, client, world):
        login(client, world.learner)
        post(client, view(world.course.viewed))
        enrolment = records.enrolment_for(
            user=world.learner.user, course_key=world.course.course.translation_key
        )
        record_services.enrolment_withdraw(by=world.learner.user, enrolment=enrolment)
        assert client.get(HOME).context["home"].in_progress == []


class CompletedAndJpTests:
    def test_completed_course_and_its_jp_appear(self, client, world):
        complete_course(client, world.course, world.learner)
        response = client.get(HOME)
        home = response.context["home"]
        assert home.in_progress == []
        [done] = home.completed
        assert done.completion.course_title == world.course.course.title
        assert home.jp.total == 2
        credited = JpCredit.objects.get(learner=world.learner)
        assert home.jp.months[credited.credited_on.month - 1].jp == 2
        assert [(bar.jp, bar.percent) for bar in home.jp.forms] == [(2, 100)]
        html = response.content.decode()
        assert "2 of 20 JP" in html
        assert "18 JP to go" in html

    def test_jp_chart_by_month_and_learning_form(self, world):
        today = jakarta_today()
        year = today.year
        learner = world.learner
        for key, jp, form, day in [
            ("seminar-1", 4, "seminar", datetime.date(year, 1, 10)),
            ("coaching-1", 2, "coaching", datetime.date(year, 1, 20)),
            ("seminar-2", 6, "seminar", datetime.date(year, 3, 5)),
            ("last-year", 10, "seminar", datetime.date(year - 1, 12, 1)),
        ]:
            record_services.jp_credit_record(
                learner=learner,
                source=JpCredit.Source.EVENT_ATTENDANCE,
                source_key=key,
                title=key,
                jp=jp,
                learning_form=form,
                earned_on=day,
            )
        chart = selectors.home_for(learner=learner, today=today).jp
        assert chart.total == 12
        assert [bar.jp for bar in chart.months] == [6, 0, 6] + [0] * 9
        assert chart.months[0].height == chart.months[2].height == selectors.CHART_HEIGHT
        assert chart.months[1].height == 0
        assert [(bar.label, bar.jp, bar.percent) for bar in chart.forms] == [
            ("Seminar", 10, 83),
            ("Coaching", 2, 17),
        ]
        assert chart.missing == 8 and not chart.met and chart.percent == 60

    def test_another_learners_records_never_show(self, client, world):
        other = world.new_learner()
        complete_course(client, world.course, other)
        client.logout()
        home = login(client, world.learner).get(HOME).context["home"]
        assert home.completed == [] and home.in_progress == [] and home.jp.total == 0


def _courses_with_records(world, learner, count: int):
    """`count` courses of Jakarta with one lesson each: half mandatory (some overdue),
    a third completed with JP, the rest in progress."""
    today = jakarta_today()
    for n in range(count):
        course = make_course(world.jakarta_curriculum, title=f"Kursus Banyak {n}", jp_value=1)
        lesson = make_lesson(course, title=f"Pelajaran {n}")
        make_lesson(course, title=f"Pelajaran lanjut {n}")
        key = course.translation_key
        enrol(
            learner,
            key,
            mandatory=n % 2 == 0,
            due_date=today + datetime.timedelta(days=n - count // 2),
        )
        completed = n % 3 == 0
        progress(learner, key, percent=50, completed=completed, lesson_key=lesson.translation_key)
        if completed:
            completion = CourseCompletion.objects.create(
                learner=learner,
                city=learner.city,
                course_key=key,
                course_title=course.title,
                organiser="BKPSDM Jakarta",
                learning_form="e_learning",
                jp=1,
                started_on=today,
                completed_on=today,
                year=today.year,
                completed_at=timezone.now(),
                criteria={},
            )
            JpCredit.objects.create(
                learner=learner,
                year=today.year,
                credited_on=today,
                earned_on=today,
                jp=1,
                learning_form="e_learning",
                source=JpCredit.Source.COURSE_COMPLETION,
                source_key=str(key),
                title=course.title,
                completion=completion,
            )


class HomeQueryCountTests:
    def test_same_number_of_queries_for_2_and_20_courses(
        self, client, world, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        few_learner = world.new_learner()
        many_learner = world.new_learner()
        _courses_with_records(world, few_learner, 2)
        _courses_with_records(world, many_learner, 20)

        login(client, few_learner)
        client.get(HOME)  # warm the site-root cache, as a running site has it
        with CaptureQueriesContext(connection) as few:
            response = client.get(HOME)
        few_count = len(few.captured_queries)  # now: the next request resets the log
        assert response.status_code == 200
        assert (
            len(response.context["home"].in_progress)
            + len(response.context["home"].mandatory)
            + len(response.context["home"].completed)
            == 2
        )

        login(client, many_learner)
        client.get(HOME)
        with django_assert_max_num_queries(few_count):
            response = client.get(HOME)
        home = response.context["home"]
        assert len(home.in_progress) + len(home.mandatory) + len(home.completed) == 20
        assert any(card.overdue for card in home.mandatory)
        assert all(card.next_lesson_url for card in home.in_progress + home.mandatory)
