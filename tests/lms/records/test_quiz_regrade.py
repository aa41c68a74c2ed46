"""Regrading after a question fix: new spec in submitted attempts, history rows, the new
grade reported once per grade version, and progress that never goes down."""

import pytest

from courses.quiz_models import QuestionAnswer
from lms.records import quiz_services
from lms.records.models import ActivityProgress, AttemptRegrade, Statement

from .test_quiz_attempts import make_quiz, start

pytestmark = pytest.mark.django_db


def fix_question(question, *, right_text: str) -> None:
    """Make another answer the right one and bump the version (as the question editor)."""
    for answer in question.answers.all():
        answer.fraction = 100 if answer.text == right_text else 0
        answer.save()
    question.version += 1
    question.save()


class RegradeTests:
    def test_a_fixed_question_is_regraded_with_history(self, world, admin_user):
        quiz = make_quiz(world.course, questions=2, pass_mark_percent=100)
        attempt = start(world, quiz)
        user = world.learner.user
        rows = {row.position: row for row in attempt.questions.all()}
        # Question 1: the learner chose "Salah 1", which the fix makes right.
        salah = next(a["id"] for a in rows[1].spec["answers"] if a["text"] == "Salah 1")
        benar = next(a["id"] for a in rows[2].spec["answers"] if a["text"] == "Benar")
        quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=1, response={"choice": salah}
        )
        quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=2, response={"choice": benar}
        )
        attempt = quiz_services.attempt_submit(user=user, attempt_id=attempt.pk)
        assert (attempt.points, attempt.passed) == (1, False)
        order_before = rows[1].answer_order

        question = quiz.slots.order_by("sort_order").first().question
        fix_question(question, right_text="Salah 1")
        assert quiz_services.attempts_regrade(quiz=quiz, by=admin_user, reason="Kunci salah") == 1
        # Nothing changed since: a second run does nothing.
        assert quiz_services.attempts_regrade(quiz=quiz) == 0

        attempt.refresh_from_db()
        assert (attempt.points, attempt.passed, attempt.grade_version) == (2, True, 1)
        row = attempt.questions.get(position=1)
        assert row.question_version == question.version
        assert row.answer_order == order_before
        history = AttemptRegrade.objects.get()
        assert (history.old_points, history.new_points) == (1, 2)
        assert (history.old_passed, history.new_passed) == (False, True)
        assert history.regraded_by == admin_user
        assert history.reason == "Kunci salah"
        assert history.changes[0]["position"] == 1
        assert Statement.objects.filter(kind="quiz").count() == 2
        lesson = ActivityProgress.objects.get(
            learner=world.learner, activity_key=world.course.quiz_lesson.translation_key
        )
        assert lesson.completed_at is not None

    def test_a_regrade_down_never_takes_progress_away(self, world):
        quiz = make_quiz(world.course, questions=1, pass_mark_percent=100)
        attempt = start(world, quiz)
        user = world.learner.user
        row = attempt.questions.get()
        benar = next(a["id"] for a in row.spec["answers"] if a["text"] == "Benar")
        quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=1, response={"choice": benar}
        )
        quiz_services.attempt_submit(user=user, attempt_id=attempt.pk)
        lesson_key = world.course.quiz_lesson.translation_key
        completed_at = ActivityProgress.objects.get(activity_key=lesson_key).completed_at
        fix_question(quiz.slots.get().question, right_text="Salah 2")
        assert quiz_services.attempts_regrade(quiz=quiz) == 1
        attempt.refresh_from_db()
        assert (attempt.points, attempt.passed) == (0, False)
        assert ActivityProgress.objects.get(activity_key=lesson_key).completed_at == completed_at
        quiz_row = ActivityProgress.objects.get(activity_key=quiz.key)
        assert quiz_row.passed_at is not None and quiz_row.best_score == 100.0
        assert quiz_row.last_score == 0.0

    def test_a_removed_answer_counts_as_wrong_and_attempts_in_progress_are_left(self, world):
        quiz = make_quiz(world.course, questions=1)
        done = start(world, quiz)
        user = world.learner.user
        row = done.questions.get()
        salah2 = next(a["id"] for a in row.spec["answers"] if a["text"] == "Salah 2")
        quiz_services.answer_save(
            user=user, attempt_id=done.pk, position=1, response={"choice": salah2}
        )
        quiz_services.attempt_submit(user=user, attempt_id=done.pk)
        running = start(world, quiz, user=world.new_learner().user)
        question = quiz.slots.get().question
        QuestionAnswer.objects.filter(question=question, text="Salah 2").delete()
        question.version += 1
        question.save()
        assert quiz_services.attempts_regrade(quiz=quiz) == 1
        row = done.questions.get()
        assert len(row.spec["answers"]) == 2
        assert sorted(row.answer_order) == ["a0", "a1"]
        assert row.points == 0
        assert running.questions.get().question_version == 1
