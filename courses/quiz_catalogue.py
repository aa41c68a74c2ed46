"""The quiz engine's side of courses.activities: what a quiz key in a lesson stands for.

Registered in CoursesConfig.ready() for ActivityKind.QUIZ, so a lesson's QuizBlock
resolves its key to the quiz's title and summary in the lesson page's one batch query.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Sum, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from courses.activities import ActivityInfo
from courses.quiz_models import Quiz

START_URL_NAME = "quiz:start"
LAUNCH_URL_NAME = "quiz:launch"


def _reverse_or_empty(name: str, **kwargs) -> str:
    # The learner's quiz pages are another part of the engine; until they are installed
    # a lesson shows the quiz without a start button rather than failing.
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def quiz_start_url(*, quiz_key, lesson_key) -> str:
    """Where a learner starts (or resumes) the quiz placed in a lesson; empty while the
    learner's quiz pages are not installed, so a lesson never breaks because of them."""
    if not quiz_key or not lesson_key:
        return ""
    return _reverse_or_empty(START_URL_NAME, quiz_key=str(quiz_key), lesson_key=str(lesson_key))


@dataclass(frozen=True)
class QuizInfo(ActivityInfo):
    """ActivityInfo plus the summary a lesson shows before the learner starts."""

    course_id: int | None = None
    question_count: int = 0
    time_limit_minutes: int | None = None
    attempts_allowed: int = 0
    pass_mark_percent: Decimal | None = None

    def start_url(self, lesson_key) -> str:
        return quiz_start_url(quiz_key=self.key, lesson_key=lesson_key)


def _uuids(keys: Iterable[str]) -> list[uuid.UUID]:
    result = []
    for key in keys:
        try:
            result.append(uuid.UUID(str(key).strip()))
        except (ValueError, AttributeError, TypeError):
            continue
    return result


def quizzes_by_key(keys: Iterable[str]):
    """Quizzes with their number of questions (fixed slots + random draws), one query."""
    question_count = Coalesce(
        Sum(
            Case(
                When(slots__question__isnull=False, then=1),
                default="slots__draw_count",
                output_field=IntegerField(),
            )
        ),
        0,
    )
    return (
        Quiz.objects.filter(key__in=_uuids(keys))
        .annotate(question_count=question_count)
        .only(
            "key",
            "title",
            "course_id",
            "time_limit_minutes",
            "attempts_allowed",
            "pass_mark_percent",
        )
    )


class QuizCatalogue:
    """Resolves quiz keys to quizzes, in one query.

    ``launch_url`` finds the quiz's lesson in the learner's curriculum; a lesson page
    links straight to ``QuizInfo.start_url(lesson_key)`` (the QuizBlock does). Who may
    start it is checked by the learner's quiz pages.
    """

    def resolve(self, keys: Iterable[str]) -> dict[str, ActivityInfo]:
        return {
            str(quiz.key): QuizInfo(
                key=str(quiz.key),
                title=quiz.title,
                launch_url=_reverse_or_empty(LAUNCH_URL_NAME, quiz_key=str(quiz.key)),
                course_id=quiz.course_id,
                question_count=quiz.question_count,
                time_limit_minutes=quiz.time_limit_minutes,
                attempts_allowed=quiz.attempts_allowed,
                pass_mark_percent=quiz.pass_mark_percent,
            )
            for quiz in quizzes_by_key(keys)
        }
