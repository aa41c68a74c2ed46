"""A criteria change followed by recomputation; history is not rewritten."""

import io

import pytest
from django.core.management import CommandError, call_command

from lms.records.models import ActivityProgress, CourseCompletion, JpCredit

from .conftest import h5p, post, quiz_passed, view

pytestmark = pytest.mark.django_db


def change_threshold(lesson, threshold):
    lesson.completion_threshold = threshold
    lesson.save_revision().publish()


class RecomputeTests:
    def test_lowering_a_threshold_then_recomputing_completes_the_course(
        self, learner_client, world
    ):
        setup = world.course
        post(learner_client, [view(setup.viewed), h5p(setup, 0.6), quiz_passed(setup)])
        assert not CourseCompletion.objects.exists()

        change_threshold(setup.h5p_lesson, 50)
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "recompute_completions",
            course=str(setup.course.translation_key),
            stdout=out,
            stderr=err,
        )
        assert "1 newly completed" in out.getvalue()
        assert "100%" in err.getvalue()  # the progress bar
        completion = CourseCompletion.objects.get()
        h5p_rule = completion.criteria["lessons"][1]
        assert h5p_rule["threshold"] == 50
        assert JpCredit.objects.count() == 1

        # Running it again changes nothing.
        call_command(
            "recompute_completions", course=str(setup.course.pk), stdout=out, no_progress=True
        )
        assert CourseCompletion.objects.count() == 1
        assert JpCredit.objects.count() == 1

    def test_raising_a_threshold_does_not_rewrite_history(self, learner_client, world):
        setup = world.course
        post(learner_client, [view(setup.viewed), h5p(setup, 0.85), quiz_passed(setup)])
        before = CourseCompletion.objects.get()
        change_threshold(setup.h5p_lesson, 95)
        call_command("recompute_completions", all=True, stdout=io.StringIO(), no_progress=True)
        after = CourseCompletion.objects.get()
        assert after.completed_at == before.completed_at
        assert after.criteria["lessons"][1]["threshold"] == 80
        lesson = ActivityProgress.objects.get(activity_key=setup.h5p_lesson.translation_key)
        assert lesson.completed_at is not None and lesson.criteria["threshold"] == 80

    def test_an_unknown_course_is_a_clear_error(self, world):
        with pytest.raises(CommandError, match="No published course"):
            call_command("recompute_completions", course="12345678")
