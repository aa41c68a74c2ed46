"""Reads of quiz attempts: a learner's attempts and quiz grade, and what a learner may
see of one attempt.

The answer key lives in each AttemptQuestion's ``spec``; it leaves the server only through
``attempt_for_learner``, which gives, while answering, only courses.grading's
``public_question`` and, after submitting, each part of the review (own answers, right or
wrong, correct answers, feedback) only when the review option copied into the attempt
allows it.
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courses import grading
from courses.quiz_models import GradingMethod, Quiz, ReviewWhen
from lms.people.models import LearnerProfile
from lms.records import selectors
from lms.records.models import AttemptState, QuizAttempt
from lms.records.selectors import CourseInfo, LessonInfo


def quiz_grade(attempts, *, method: str | None) -> float | None:
    """The quiz grade (%) over submitted attempts (ordered by number) by a grading method."""
    scores = [
        attempt.score_percent
        for attempt in sorted(attempts, key=lambda attempt: attempt.number)
        if attempt.state == AttemptState.SUBMITTED and attempt.score_percent is not None
    ]
    if not scores:
        return None
    if method == GradingMethod.AVERAGE:
        return round(sum(scores) / len(scores), 2)
    if method == GradingMethod.FIRST:
        return scores[0]
    if method == GradingMethod.LAST:
        return scores[-1]
    return max(scores)


def quiz_lesson(
    *, learner: LearnerProfile, quiz: Quiz, lesson_key: uuid.UUID
) -> tuple[CourseInfo, LessonInfo] | None:
    """The live lesson that places this quiz, if the learner's city may study it (its
    course is the city's own or adopted); None otherwise. Two queries (cached briefly)."""
    courses = selectors.content_for_lessons_cached(
        lesson_keys={lesson_key}, city_id=learner.city_id
    )
    for course in courses.values():
        for lesson in course.lessons:
            if lesson.key == lesson_key and course.accessible and quiz.key in lesson.quiz_keys:
                return course, lesson
    return None


def quiz_lesson_key(*, learner: LearnerProfile, quiz: Quiz) -> uuid.UUID | None:
    """A lesson of the quiz's course that places the quiz and that the learner may study
    (the lesson page's quiz button links to the quiz alone)."""
    courses = selectors.content_for_courses(
        course_keys=[quiz.course.translation_key], city_id=learner.city_id
    )
    for course in courses.values():
        if not course.accessible:
            continue
        for lesson in course.lessons:
            if quiz.key in lesson.quiz_keys:
                return lesson.key
    return None


def attempts_of(learner: LearnerProfile, quiz_key: uuid.UUID) -> list[QuizAttempt]:
    """A learner's attempts at a quiz, first first; one query."""
    return list(
        QuizAttempt.objects.filter(learner=learner, quiz_key=quiz_key)
        .defer("rules")
        .order_by("number")
    )


@dataclass(frozen=True)
class QuizStatus:
    """What the quiz's start page shows a learner."""

    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    grade_percent: float | None
    passed: bool
    attempts_left: int | None  # None: unlimited


def quiz_status(*, learner: LearnerProfile, quiz: Quiz) -> QuizStatus:
    attempts = attempts_of(learner, quiz.key)
    open_attempt = next((a for a in attempts if a.state == AttemptState.IN_PROGRESS), None)
    grade = quiz_grade(attempts, method=quiz.grading_method)
    left = None
    if quiz.attempts_allowed:
        left = max(0, quiz.attempts_allowed - len(attempts))
    return QuizStatus(
        attempts=attempts,
        open_attempt=open_attempt,
        grade_percent=grade,
        passed=grade is not None and grade >= float(quiz.pass_mark_percent),
        attempts_left=left,
    )


def attempt_of_user(*, user, attempt_id) -> QuizAttempt | None:
    """The attempt if it is this user's own; None otherwise (another learner's: 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        QuizAttempt.objects.filter(pk=attempt_id, learner__user_id=user.pk, learner__is_active=True)
        # The city gives the time zone the deadline is shown in.
        .select_related("learner__city")
        .first()
    )


# --- the learner's view of one attempt ------------------------------------------------


def review_allows(when: str, *, attempt: QuizAttempt, now: datetime.datetime) -> bool:
    """Whether a review option lets the learner see its part now. "After the quiz closes"
    uses the closing time copied into the attempt; without one the quiz never closes, so
    that part stays hidden (as in Moodle)."""
    if attempt.state != AttemptState.SUBMITTED:
        return False
    if when == ReviewWhen.AFTER_SUBMIT:
        return True
    if when == ReviewWhen.AFTER_CLOSE:
        closes_at = (attempt.rules or {}).get("closes_at")
        moment = parse_datetime(closes_at) if closes_at else None
        return moment is not None and now >= moment
    return False


@dataclass(frozen=True)
class ReviewParts:
    answers: bool = False
    correctness: bool = False
    correct_answers: bool = False
    feedback: bool = False


@dataclass
class QuestionView:
    position: int
    question: dict  # grading.public_question: no key
    response: dict | None  # the learner's own answer
    state: str | None = None  # correct/partial/wrong/unanswered, when allowed
    points: str | None = None
    max_points: str | None = None
    correct: dict | None = None  # the answer key in the public ids, when allowed
    feedback: list[str] = field(default_factory=list)
    # For the templates, built from the fields above by _display (nothing more secret).
    options: list[dict] = field(default_factory=list)
    value: str = ""
    correct_value: str = ""
    prompts: list[dict] = field(default_factory=list)
    choices: list[dict] = field(default_factory=list)
    correct_items: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.question.get("kind", "")

    def as_json(self) -> dict:
        data = {"position": self.position, "question": self.question, "response": self.response}
        for name in ("state", "points", "max_points", "correct"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.feedback:
            data["feedback"] = self.feedback
        return data


@dataclass
class AttemptView:
    attempt: QuizAttempt
    in_progress: bool
    seconds_left: int | None
    review: ReviewParts
    questions: list[QuestionView]
    # Shown once submitted: the learner's own result is never a secret.
    score_percent: float | None = None
    points: str | None = None
    max_points: str | None = None
    passed: bool | None = None

    def as_json(self) -> dict:
        data = {
            "id": str(self.attempt.pk),
            "number": self.attempt.number,
            "in_progress": self.in_progress,
            "seconds_left": self.seconds_left,
            "questions": [question.as_json() for question in self.questions],
        }
        if not self.in_progress:
            data.update(
                score_percent=self.score_percent,
                points=self.points,
                max_points=self.max_points,
                passed=self.passed,
            )
        return data


def _display(view: QuestionView) -> None:
    """Flatten the public question, the learner's response and (when allowed) the answer
    key into what the templates loop over."""
    question, response = view.question, view.response or {}
    correct = view.correct or {}
    kind = question.get("kind")
    if kind in ("single", "multiple"):
        chosen = {response.get("choice")} if kind == "single" else set(response.get("choices", []))
        right = {correct.get("choice")} if kind == "single" else set(correct.get("choices", []))
        view.options = [
            {
                "id": answer["id"],
                "text": answer["text"],
                "chosen": answer["id"] in chosen,
                "correct": (answer["id"] in right) if view.correct is not None else None,
            }
            for answer in question.get("answers", [])
        ]
    elif kind == "truefalse":
        view.options = [
            {
                "id": name,
                "text": label,
                "chosen": response.get("value") is value,
                "correct": (correct.get("value") is value) if view.correct is not None else None,
            }
            for name, label, value in (("true", _("True"), True), ("false", _("False"), False))
        ]
    elif kind in ("short", "numeric"):
        name = "text" if kind == "short" else "value"
        view.value = str(response.get(name, ""))
        view.correct_value = str(correct.get(name, ""))
    elif kind == "matching":
        texts = {choice["id"]: choice["text"] for choice in question.get("choices", [])}
        pairs, right = response.get("pairs", {}), correct.get("pairs", {})
        view.choices = question.get("choices", [])
        view.prompts = [
            {
                "id": prompt["id"],
                "text": prompt["text"],
                "chosen": pairs.get(prompt["id"], ""),
                "chosen_text": texts.get(pairs.get(prompt["id"]), ""),
                "correct_text": texts.get(right.get(prompt["id"]), ""),
            }
            for prompt in question.get("prompts", [])
        ]
    elif kind == "ordering":
        order = response.get("order", [])
        items = question.get("answers", [])
        texts = {item["id"]: item["text"] for item in items}
        view.options = [
            {
                "id": item["id"],
                "text": item["text"],
                "position": order.index(item["id"]) + 1 if item["id"] in order else None,
            }
            for item in items
        ]
        view.choices = [{"id": str(n), "text": str(n)} for n in range(1, len(items) + 1)]
        if order:
            view.value = " → ".join(texts.get(item, "") for item in order)
        view.correct_items = [texts.get(item, "") for item in correct.get("order", [])]


def attempt_for_learner(attempt: QuizAttempt, now: datetime.datetime | None = None) -> AttemptView:
    """What the learner may see of their attempt now; one query for its questions."""
    now = now or timezone.now()
    in_progress = attempt.state == AttemptState.IN_PROGRESS
    review_rules = (attempt.rules or {}).get("review", {})
    if in_progress:
        review = ReviewParts()
    else:
        review = ReviewParts(
            **{
                part: review_allows(
                    review_rules.get(part, ReviewWhen.NEVER), attempt=attempt, now=now
                )
                for part in ("answers", "correctness", "correct_answers", "feedback")
            }
        )
    questions = []
    for row in attempt.questions.order_by("position"):
        view = QuestionView(
            position=row.position,
            question=grading.public_question(row.spec, row.answer_order),
            # While answering the learner needs their saved answers (resume); afterwards
            # only if the review shows own answers.
            response=row.response if in_progress or review.answers else None,
        )
        if review.correctness:
            view.state = grading.grade(row.spec, row.response).state
            view.points = str(row.points) if row.points is not None else None
            view.max_points = str(row.max_points)
        if review.correct_answers:
            view.correct = grading.correct_response(row.spec)
        if review.feedback:
            view.feedback = grading.grade(row.spec, row.response).feedback
            general = row.spec.get("general_feedback")
            if general:
                view.feedback = [*view.feedback, general]
        _display(view)
        questions.append(view)
    seconds_left = None
    if in_progress and attempt.deadline_at is not None:
        seconds_left = max(0, int((attempt.deadline_at - now).total_seconds()))
    result = AttemptView(
        attempt=attempt,
        in_progress=in_progress,
        seconds_left=seconds_left,
        review=review,
        questions=questions,
    )
    if not in_progress:
        result.score_percent = attempt.score_percent
        result.points = str(attempt.points) if attempt.points is not None else None
        result.max_points = str(attempt.max_points)
        result.passed = attempt.passed
    return result
