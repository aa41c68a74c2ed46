"""The quiz grade over a learner's attempts, by each grading method the quiz copies."""

import pytest

from lms.records import quiz_selectors, quiz_services
from lms.records.models import ActivityProgress, QuizAttempt

from .test_quiz_attempts import answer_all, make_quiz, start

pytestmark = pytest.mark.django_db


def attempts(*scores):
    return [
        QuizAttempt(number=number, state="submitted", score_percent=score)
        for number, score in enumerate(scores, start=1)
    ]


class QuizGradeTests:
    @pytest.mark.parametrize(
        ("method", "expected"),
        [("highest", 90.0), ("average", 60.0), ("first", 40.0), ("last", 50.0)],
    )
    def test_each_method(self, method, expected):
        assert quiz_selectors.quiz_grade(attempts(40.0, 90.0, 50.0), method=method) == expected

    def test_attempts_in_progress_do_not_count(self):
        rows = [*attempts(40.0), QuizAttempt(number=2, state="in_progress", score_percent=None)]
        assert quiz_selectors.quiz_grade(rows, method="last") == 40.0
        assert quiz_selectors.quiz_grade([], method="highest") is None


class ReportedGradeTests:
    @pytest.mark.parametrize(
        ("method", "last_score"), [("highest", 100.0), ("average", 50.0), ("last", 0.0)]
    )
    def test_the_reported_score_follows_the_copied_method(self, world, method, last_score):
        quiz = make_quiz(world.course, questions=2, grading_method=method, pass_mark_percent=50)
        for right in (2, 0):
            attempt = start(world, quiz)
            answer_all(attempt, right=right)
            quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        row = ActivityProgress.objects.get(learner=world.learner, activity_key=quiz.key)
        assert row.last_score == last_score
        # The best score and the pass never go down, whatever the method says later.
        assert row.best_score == 100.0
        assert row.passed_at is not None

    def test_first_attempt_method_keeps_the_first_grade(self, world):
        quiz = make_quiz(world.course, questions=2, grading_method="first")
        for right in (0, 2):
            attempt = start(world, quiz)
            answer_all(attempt, right=right)
            quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        row = ActivityProgress.objects.get(learner=world.learner, activity_key=quiz.key)
        assert row.last_score == 0.0
        assert row.passed_at is None
        lesson = ActivityProgress.objects.get(
            learner=world.learner, activity_key=world.course.quiz_lesson.translation_key
        )
        assert lesson.completed_at is None
