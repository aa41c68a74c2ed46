"""Statements from external clients about platform learners and platform activities go
through the same write path as the browser's: progress, completion, idempotency."""

import json

import pytest

from lms.records.models import ActivityProgress, Statement
from tests.lms.lrs.conftest import Lrs, make_client
from tests.lms.records import conftest as records
from tests.lms.records.conftest import view

# The learning-records world (cities, curricula, courses, a Jakarta learner) as fixtures.
world = records.world
_made_up_activity_keys = records._made_up_activity_keys


def external(world, lesson, settings, **kwargs) -> dict:
    data = view(lesson, **kwargs)
    data["actor"] = {
        "objectType": "Agent",
        "account": {"homePage": settings.WAGTAILADMIN_BASE_URL, "name": world.learner.nip},
    }
    data["timestamp"] = "2026-12-07T08:00:00+07:00"
    return data


@pytest.fixture
def jakarta_lrs(world):
    return Lrs(make_client(city=world.jakarta))


class LearnerPathTests:
    def test_a_mapped_statement_updates_progress_once(self, world, jakarta_lrs, settings):
        lesson = world.course.viewed
        data = external(world, lesson, settings)
        assert jakarta_lrs.post(data).status_code == 200
        assert jakarta_lrs.post(data).status_code == 200
        row = Statement.objects.get(pk=data["id"])
        assert row.learner_id == world.learner.pk
        assert row.client_id == jakarta_lrs.credentials.client.pk
        assert row.payload["actor"] == data["actor"]
        assert row.payload["timestamp"] == data["timestamp"]
        progress = ActivityProgress.objects.get(
            learner=world.learner, activity_key=lesson.translation_key
        )
        assert progress.completed_at is not None
        assert Statement.objects.count() == 1

    def test_a_mapped_statement_with_other_content_is_409(self, world, jakarta_lrs, settings):
        data = external(world, world.course.viewed, settings)
        jakarta_lrs.post(data)
        changed = {**data, "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
        assert jakarta_lrs.post(changed).status_code == 409

    def test_a_lesson_the_learner_cannot_study_is_stored_only(self, world, jakarta_lrs, settings):
        data = external(world, world.sorong_course.viewed, settings)
        assert jakarta_lrs.post(data).status_code == 200
        assert Statement.objects.get(pk=data["id"]).learner_id == world.learner.pk
        assert not ActivityProgress.objects.filter(learner=world.learner).exists()

    def test_the_learner_reads_it_back_with_their_session(self, world, jakarta_lrs, settings):
        from django.test import Client

        data = external(world, world.course.viewed, settings)
        jakarta_lrs.post(data)
        http = Client()
        http.force_login(world.learner.user)
        response = http.get(
            "/xapi/statements",
            {"agent": json.dumps(data["actor"])},
            HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
        )
        assert [s["id"] for s in response.json()["statements"]] == [data["id"]]
