"""Fixtures for the quiz reports: the records `world` (Jakarta, Sorong, a national course
adopted by Jakarta), quizzes on its courses, and attempts written straight into the
attempt tables (fractions and points chosen by the test), so these tests depend only on
the models, not on how attempts are taken."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.records.models import AttemptQuestion, AttemptState, QuizAttempt
from tests import quiz_factories as qf
from tests.lms.records import conftest as records_fixtures

# The records fixtures, shared rather than copied (the autouse one lets the world's
# lessons carry made-up activity keys).
world = records_fixtures.world
_made_up_activity_keys = records_fixtures._made_up_activity_keys

_seed = itertools.count(1)
START = timezone.make_aware(datetime.datetime(2026, 11, 2, 9, 0))


def make_quiz(course, *, title="Kuis Keamanan Digital", questions=3, pass_mark=60):
    category = qf.category(course, "Keamanan")
    made = [
        qf.single_choice(category, name=f"Soal {n + 1}", text=f"Pertanyaan {n + 1}?")
        for n in range(questions)
    ]
    return qf.quiz(course, title=title, questions=made, pass_mark_percent=Decimal(pass_mark)), made


def make_attempt(learner, quiz, questions, fractions, *, number=1, submitted=True, minutes=7):
    """An attempt with one row per question (1 point each) graded with ``fractions``;
    ``None`` in fractions leaves that question unanswered."""
    points = sum(Decimal(str(f or 0)) for f in fractions)
    max_points = Decimal(len(fractions))
    score = float(points / max_points * 100)
    attempt = QuizAttempt.objects.create(
        learner=learner,
        quiz_key=quiz.key,
        lesson_key=quiz.key,  # the reports never look at the lesson
        course_key=quiz.course.translation_key,
        number=number,
        state=AttemptState.SUBMITTED if submitted else AttemptState.IN_PROGRESS,
        closed_by="learner" if submitted else "",
        seed=next(_seed),
        rules=quiz.rules(),
        pass_mark_percent=quiz.pass_mark_percent,
        started_at=START,
        submitted_at=START + datetime.timedelta(minutes=minutes) if submitted else None,
        max_points=max_points,
        points=points if submitted else None,
        score_percent=score if submitted else None,
        passed=(score >= float(quiz.pass_mark_percent)) if submitted else None,
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=position,
            question_key=question.key,
            question_version=question.version,
            spec={"key": str(question.key), "name": question.name},
            max_points=Decimal("1"),
            response=None if fraction is None else {"choice": "a0"},
            answered_at=None if fraction is None else START,
            fraction=None if fraction is None else float(fraction),
            points=None if fraction is None else Decimal(str(fraction)),
        )
        for position, (question, fraction) in enumerate(zip(questions, fractions, strict=True))
    )
    return attempt


@pytest.fixture
def national_quiz(world):
    """A quiz of the national course (adopted by Jakarta, not by Sorong)."""
    return make_quiz(world.national.course, title="Kuis Nasional")


@pytest.fixture
def jakarta_quiz(world):
    return make_quiz(world.course.course, title="Kuis Jakarta")
