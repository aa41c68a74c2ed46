"""Publishing: trainers draft and submit, the city admin of that city approves; scheduled
publishing; edits never move the stable keys that learning records point at."""

import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, TaskState, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses import selectors
from courses.models import LessonPage
from tests.courses.conftest import assert_refused, make_course, make_lesson


def lesson_form(title: str, slug: str, **extra) -> dict:
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "body": streamfield([("paragraph", rich_text("<p>Isi pelajaran baru.</p>"))]),
            "completion_rule": "viewed",
            "completion_threshold": "",
            "is_required": "on",
            "comments": {
                "TOTAL_FORMS": "0",
                "INITIAL_FORMS": "0",
                "MIN_NUM_FORMS": "0",
                "MAX_NUM_FORMS": "1000",
            },
        }
    )
    data.update(extra)
    return data


def add_lesson_url(course) -> str:
    return reverse("wagtailadmin_pages:add", args=("courses", "lessonpage", course.pk))


def approve_url(page, task_state) -> str:
    return reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))


@pytest.fixture
def jakarta_course(jakarta):
    return make_course(jakarta.curriculum, title="Layanan JAKI")


def submit_lesson(client, course, *, title="Pelajaran Baru", slug="pelajaran-baru", **extra):
    response = client.post(
        add_lesson_url(course), lesson_form(title, slug, **{"action-submit": "1", **extra})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return LessonPage.objects.get(slug=slug)


@pytest.mark.django_db
class CityWorkflowSetupTests:
    def test_each_city_gets_its_own_approval_by_its_city_admins(self, jakarta, sorong):
        workflow = jakarta.curriculum.get_workflow()
        assert workflow is not None
        task = workflow.tasks.get().specific
        groups = set(task.groups.all())
        assert groups == set(jakarta.admin.groups.all())
        assert sorong.curriculum.get_workflow() != workflow

    def test_courses_below_the_curriculum_follow_the_city_workflow(self, jakarta_course, jakarta):
        lesson = make_lesson(jakarta_course)
        assert lesson.get_workflow() == jakarta.curriculum.get_workflow()

    def test_installing_rights_twice_changes_nothing(self, jakarta):
        from courses.services import city_curriculum_rights_install

        first = jakarta.curriculum.get_workflow()
        assert city_curriculum_rights_install(page=jakarta.curriculum) == first
        assert jakarta.curriculum.group_permissions.count() == 6


@pytest.mark.django_db
class TrainerSubmitsTests:
    def test_trainer_cannot_publish(self, client, jakarta, jakarta_course):
        client.force_login(jakarta.trainer)
        response = client.post(
            add_lesson_url(jakarta_course),
            lesson_form("Pelajaran", "pelajaran", **{"action-publish": "1"}),
        )
        assert response.status_code == 302
        lesson = LessonPage.objects.get(slug="pelajaran")
        assert not lesson.live
        assert not lesson.permissions_for_user(jakarta.trainer).can_publish()

    def test_trainer_submission_waits_for_the_city_admin(self, client, jakarta, jakarta_course):
        client.force_login(jakarta.trainer)
        lesson = submit_lesson(client, jakarta_course)
        assert not lesson.live
        state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(lesson.pk))
        assert state.status == WorkflowState.STATUS_IN_PROGRESS
        assert state.workflow == jakarta.curriculum.get_workflow()

    def test_trainer_cannot_approve_their_own_submission(self, client, jakarta, jakarta_course):
        client.force_login(jakarta.trainer)
        lesson = submit_lesson(client, jakarta_course)
        task_state = TaskState.objects.get(status=TaskState.STATUS_IN_PROGRESS)
        response = client.post(approve_url(lesson, task_state))
        assert_refused(response)
        lesson.refresh_from_db()
        assert not lesson.live


@pytest.mark.django_db
class CityAdminApprovesTests:
    def test_city_admin_of_the_city_approves_and_publishes(self, client, jakarta, jakarta_course):
        client.force_login(jakarta.trainer)
        lesson = submit_lesson(client, jakarta_course)
        task_state = TaskState.objects.get(status=TaskState.STATUS_IN_PROGRESS)

        client.force_login(jakarta.admin)
        response = client.post(approve_url(lesson, task_state))

        assert response.status_code == 302
        lesson.refresh_from_db()
        assert lesson.live
        task_state.refresh_from_db()
        assert task_state.status == TaskState.STATUS_APPROVED

    def test_city_admin_of_another_city_cannot_approve(
        self, client, jakarta, sorong, jakarta_course
    ):
        client.force_login(jakarta.trainer)
        lesson = submit_lesson(client, jakarta_course)
        task_state = TaskState.objects.get(status=TaskState.STATUS_IN_PROGRESS)

        client.force_login(sorong.admin)
        response = client.post(approve_url(lesson, task_state))

        assert_refused(response)
        lesson.refresh_from_db()
        assert not lesson.live
        task_state.refresh_from_db()
        assert task_state.status == TaskState.STATUS_IN_PROGRESS
        task = task_state.task.specific
        assert task.get_actions(lesson, sorong.admin) == []

    def test_city_admin_of_another_city_cannot_edit_or_publish(
        self, client, jakarta, sorong, jakarta_course
    ):
        lesson = make_lesson(jakarta_course, publish=False)
        perms = lesson.permissions_for_user(sorong.admin)
        assert not perms.can_edit()
        assert not perms.can_publish()
        client.force_login(sorong.admin)
        response = client.get(reverse("wagtailadmin_pages:edit", args=(lesson.pk,)))
        assert_refused(response)


@pytest.mark.django_db
class ScheduledPublishingTests:
    def test_approved_lesson_goes_live_at_its_scheduled_time(self, client, jakarta, jakarta_course):
        go_live_at = timezone.now() + datetime.timedelta(days=2)
        client.force_login(jakarta.trainer)
        lesson = submit_lesson(
            client,
            jakarta_course,
            go_live_at=timezone.localtime(go_live_at).strftime("%Y-%m-%d %H:%M"),
        )
        task_state = TaskState.objects.get(status=TaskState.STATUS_IN_PROGRESS)
        client.force_login(jakarta.admin)
        client.post(approve_url(lesson, task_state))

        lesson.refresh_from_db()
        assert not lesson.live
        assert Revision.page_revisions.filter(
            object_id=str(lesson.pk), approved_go_live_at__isnull=False
        ).exists()

        call_command("publish_scheduled")
        lesson.refresh_from_db()
        assert not lesson.live

        # Two days pass.
        later = go_live_at + datetime.timedelta(minutes=5)
        with mock.patch("django.utils.timezone.now", return_value=later):
            call_command("publish_scheduled")
        lesson.refresh_from_db()
        assert lesson.live


@pytest.mark.django_db
class StableKeyTests:
    def test_editing_a_published_lesson_keeps_its_record_key(self, client, jakarta, jakarta_course):
        lesson = make_lesson(jakarta_course, title="Versi Pertama")
        key = lesson.record_key
        client.force_login(jakarta.trainer)
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=(lesson.pk,)),
            lesson_form("Versi Kedua", lesson.slug, **{"action-submit": "1"}),
        )
        assert response.status_code == 302

        # Learners keep seeing the live version until the city admin approves the edit.
        live = selectors.lesson_by_key(key)
        assert live.pk == lesson.pk
        assert live.title == "Versi Pertama"

        task_state = TaskState.objects.get(status=TaskState.STATUS_IN_PROGRESS)
        client.force_login(jakarta.admin)
        client.post(approve_url(lesson, task_state))

        live = selectors.lesson_by_key(key)
        assert live.title == "Versi Kedua"
        assert live.record_key == key
        assert live.completion_criteria().lesson_key == key
