"""Writes of quiz attempts: start (or resume), save an answer, submit, close overdue
attempts, regrade. Nothing else writes QuizAttempt, AttemptQuestion or AttemptRegrade.

Every write takes the learner's lock first (as lms.records.services does), runs in one
transaction and may be repeated: resuming returns the open attempt, saving the same answer
twice stores it once (the last write wins), submitting twice returns the first result.
Grading is courses.grading over the question as the attempt copied it; the quiz grade is
reported to the learning records by services.quiz_result_record in the same transaction.
"""

import datetime
import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courses import grading
from courses.quiz_models import Question, QuestionType, Quiz
from lms.people.models import LearnerProfile
from lms.records import quiz_selectors, services
from lms.records.models import (
    AttemptCloser,
    AttemptQuestion,
    AttemptRegrade,
    AttemptState,
    QuizAttempt,
)

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")


class QuizError(Exception):
    """A refused quiz request; ``message`` is for the learner, ``status`` the HTTP code."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AccessDenied(QuizError, services.AccessDenied):
    status = 403


class AttemptNotFound(QuizError):
    """No such attempt, or it is another learner's (the same answer: no hint it exists)."""

    status = 404


class QuizClosed(QuizError):
    status = 403


class NoAttemptsLeft(QuizError):
    status = 403


class AttemptSubmitted(QuizError):
    status = 409


class TimeUp(QuizError):
    status = 409


class BadResponse(QuizError):
    status = 400


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    saved_at: datetime.datetime
    seconds_left: int | None


def _grace() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "QUIZ_DEADLINE_GRACE_SECONDS", 5))


def _is_overdue(attempt: QuizAttempt, now: datetime.datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + _grace()


def _locked_learner(user) -> LearnerProfile:
    profile = services._learner(user=user, lock=True)
    if profile is None:
        raise AccessDenied(_("Only learners with a learner profile can take quizzes."))
    return profile


def _own_attempt(profile: LearnerProfile, attempt_id) -> QuizAttempt:
    attempt = QuizAttempt.objects.filter(pk=attempt_id, learner=profile).first()
    if attempt is None:
        raise AttemptNotFound(_("This quiz attempt does not exist or is not yours."))
    return attempt


def _when(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# --- start ----------------------------------------------------------------------------


def _check_lesson(*, profile: LearnerProfile, quiz: Quiz, lesson_key: uuid.UUID):
    found = quiz_selectors.quiz_lesson(learner=profile, quiz=quiz, lesson_key=lesson_key)
    if found is None:
        raise AccessDenied(
            _(
                "This quiz is not available to you: its lesson is not in your city's "
                "curriculum, no longer published, or does not contain this quiz."
            )
        )
    return found


def _check_open(quiz: Quiz, now: datetime.datetime) -> None:
    if quiz.opens_at is not None and now < quiz.opens_at:
        raise QuizClosed(
            _("This quiz opens on %(when)s. Come back then.") % {"when": _when(quiz.opens_at)}
        )
    if quiz.closes_at is not None and now >= quiz.closes_at:
        raise QuizClosed(
            _("This quiz closed on %(when)s; no new attempts can be started.")
            % {"when": _when(quiz.closes_at)}
        )


def draw_questions(quiz: Quiz, seed: int) -> list[Question]:
    """The questions of one attempt: the quiz's slots in order, a fixed question as it is,
    a category slot as N questions drawn at random (never one already in the attempt).
    Deterministic for a seed; questions shuffled when the quiz says so. Two queries."""
    rng = random.Random(seed)
    slots = list(quiz.slots.order_by("sort_order", "pk"))
    fixed_ids = {slot.question_id for slot in slots if slot.question_id}
    category_ids = {slot.category_id for slot in slots if slot.category_id}
    questions = {
        question.pk: question
        for question in Question.objects.filter(
            Q(pk__in=fixed_ids) | Q(category_id__in=category_ids)
        ).prefetch_related("answers")
    }
    taken: set[int] = set(fixed_ids)
    drawn: list[Question] = []
    for slot in slots:
        if slot.question_id:
            if slot.question_id in questions:
                drawn.append(questions[slot.question_id])
            continue
        candidates = sorted(
            pk
            for pk, question in questions.items()
            if question.category_id == slot.category_id and pk not in taken
        )
        picked = rng.sample(candidates, min(slot.draw_count, len(candidates)))
        taken.update(picked)
        drawn.extend(questions[pk] for pk in picked)
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    return drawn


def _answer_order(spec: dict, *, shuffle: bool, rng: random.Random) -> list[str]:
    ids = [answer["id"] for answer in spec["answers"]]
    kind = spec["kind"]
    if kind == QuestionType.ORDERING or (
        shuffle and kind in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.MATCHING)
    ):
        # Ordering questions are always shown out of order: that is the question.
        rng.shuffle(ids)
    return ids


def _new_attempt(
    *, profile: LearnerProfile, quiz: Quiz, lesson_key: uuid.UUID, course_key, now
) -> QuizAttempt:
    numbers = QuizAttempt.objects.filter(learner=profile, quiz_key=quiz.key).aggregate(
        count=Max("number")
    )
    done = numbers["count"] or 0
    if quiz.attempts_allowed and done >= quiz.attempts_allowed:
        raise NoAttemptsLeft(
            _("You have used all %(count)s attempts allowed for this quiz.")
            % {"count": quiz.attempts_allowed}
        )
    seed = secrets.randbits(62)
    questions = draw_questions(quiz, seed)
    if not questions:
        raise QuizClosed(_("This quiz has no questions yet. Ask the course's trainer."))
    rng = random.Random(seed + 1)
    specs = [question.spec() for question in questions]
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + datetime.timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at is not None:
        deadline = min(deadline, quiz.closes_at) if deadline else quiz.closes_at
    attempt = QuizAttempt.objects.create(
        learner=profile,
        quiz_key=quiz.key,
        lesson_key=lesson_key,
        course_key=course_key,
        number=done + 1,
        seed=seed,
        rules=quiz.rules(),
        pass_mark_percent=quiz.pass_mark_percent,
        started_at=now,
        deadline_at=deadline,
        max_points=sum((Decimal(spec["points"]) for spec in specs), Decimal(0)),
    )
    AttemptQuestion.objects.bulk_create(
        [
            AttemptQuestion(
                attempt=attempt,
                position=position,
                question_key=spec["key"],
                question_version=spec["version"],
                spec=spec,
                answer_order=_answer_order(spec, shuffle=quiz.shuffle_answers, rng=rng),
                max_points=Decimal(spec["points"]),
            )
            for position, spec in enumerate(specs, start=1)
        ]
    )
    return attempt


def attempt_start(*, user, quiz: Quiz, lesson_key: uuid.UUID, now=None) -> QuizAttempt:
    """Start an attempt, or resume the one in progress (on any device).

    Refused (AccessDenied) unless the lesson is live, in the learner's city curriculum and
    places this quiz; QuizClosed outside opens_at/closes_at; NoAttemptsLeft at the limit.
    An attempt found past its deadline is closed and graded first.
    """
    now = now or timezone.now()
    lesson_key = uuid.UUID(str(lesson_key))
    with transaction.atomic():
        profile = _locked_learner(user)
        course, _lesson = _check_lesson(profile=profile, quiz=quiz, lesson_key=lesson_key)
        open_attempt = QuizAttempt.objects.filter(
            learner=profile, quiz_key=quiz.key, state=AttemptState.IN_PROGRESS
        ).first()
        if open_attempt is not None:
            if not _is_overdue(open_attempt, now):
                return open_attempt
            _finish(open_attempt, closer=AttemptCloser.DEADLINE, now=now)
        _check_open(quiz, now)
        return _new_attempt(
            profile=profile,
            quiz=quiz,
            lesson_key=lesson_key,
            course_key=course.key,
            now=now,
        )


# --- answers --------------------------------------------------------------------------


def _seconds_left(attempt: QuizAttempt, now: datetime.datetime) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def answer_save(*, user, attempt_id, position, response, now=None) -> SavedAnswer:
    """Save the learner's answer to one question of their attempt (the last write wins).

    BadResponse for a position or response that does not fit (nothing saved);
    AttemptNotFound for another learner's attempt; AttemptSubmitted once submitted;
    TimeUp after the deadline (plus grace): the attempt is then closed and graded.
    """
    now = now or timezone.now()
    if isinstance(position, bool) or not isinstance(position, int):
        raise BadResponse(_("Say which question the answer is for (its number)."))
    time_up = False
    with transaction.atomic():
        profile = _locked_learner(user)
        row = (
            AttemptQuestion.objects.select_related("attempt")
            .filter(attempt_id=attempt_id, attempt__learner=profile, position=position)
            .first()
        )
        if row is None:
            attempt = _own_attempt(profile, attempt_id)
            raise BadResponse(
                _("This attempt has no question number %(number)s. Reload the page.")
                % {"number": position}
            )
        attempt = row.attempt
        if attempt.state != AttemptState.IN_PROGRESS:
            raise AttemptSubmitted(
                _("This attempt was already submitted; answers can no longer be changed.")
            )
        if _is_overdue(attempt, now):
            _finish(attempt, closer=AttemptCloser.DEADLINE, now=now)
            time_up = True
        else:
            try:
                cleaned = grading.clean_response(row.spec, response)
            except grading.ResponseError as exc:
                raise BadResponse(exc.message) from None
            AttemptQuestion.objects.filter(pk=row.pk).update(
                response=cleaned or None, answered_at=now if cleaned else None
            )
            QuizAttempt.objects.filter(pk=attempt.pk).update(last_saved_at=now)
    if time_up:
        # Raised after the commit: the attempt stays closed and graded.
        raise TimeUp(
            _("Time is up: this attempt was submitted with the answers saved before the deadline.")
        )
    return SavedAnswer(position=position, saved_at=now, seconds_left=_seconds_left(attempt, now))


def answers_save(*, user, attempt_id, responses: dict[int, object], now=None) -> int:
    """Save several answers at once (the page's form without JavaScript): each is
    checked first, and nothing is saved if one does not fit. Returns how many were saved."""
    now = now or timezone.now()
    time_up = False
    with transaction.atomic():
        profile = _locked_learner(user)
        attempt = _own_attempt(profile, attempt_id)
        if attempt.state != AttemptState.IN_PROGRESS:
            raise AttemptSubmitted(
                _("This attempt was already submitted; answers can no longer be changed.")
            )
        if _is_overdue(attempt, now):
            _finish(attempt, closer=AttemptCloser.DEADLINE, now=now)
            time_up = True
        else:
            rows = {row.position: row for row in attempt.questions.all()}
            changed = []
            for position, response in sorted(responses.items()):
                row = rows.get(position)
                if row is None:
                    raise BadResponse(
                        _("This attempt has no question number %(number)s. Reload the page.")
                        % {"number": position}
                    )
                try:
                    cleaned = grading.clean_response(row.spec, response)
                except grading.ResponseError as exc:
                    raise BadResponse(
                        _("Question %(number)s: %(problem)s")
                        % {"number": position, "problem": exc.message}
                    ) from None
                if (cleaned or None) != row.response:
                    row.response = cleaned or None
                    row.answered_at = now if cleaned else None
                    changed.append(row)
            AttemptQuestion.objects.bulk_update(changed, ["response", "answered_at"])
            QuizAttempt.objects.filter(pk=attempt.pk).update(last_saved_at=now)
    if time_up:
        raise TimeUp(
            _("Time is up: this attempt was submitted with the answers saved before the deadline.")
        )
    return len(changed)


# --- grading --------------------------------------------------------------------------


def _points(spec: dict, fraction: float) -> Decimal:
    return (Decimal(str(spec["points"])) * Decimal(str(fraction))).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )


def _grade_rows(attempt: QuizAttempt, rows: list[AttemptQuestion]) -> None:
    """Grade every question and the attempt (in memory)."""
    total = Decimal(0)
    for row in rows:
        result = grading.grade(row.spec, row.response)
        row.fraction = result.fraction
        row.points = _points(row.spec, result.fraction)
        total += row.points
    attempt.max_points = sum((row.max_points for row in rows), Decimal(0))
    attempt.points = total
    attempt.score_percent = (
        round(float(total / attempt.max_points * 100), 2) if attempt.max_points else 0.0
    )
    attempt.passed = Decimal(str(attempt.score_percent)) >= attempt.pass_mark_percent


def _report(attempt: QuizAttempt) -> None:
    """The learner's quiz grade over their submitted attempts, to the learning records."""
    attempts = list(
        QuizAttempt.objects.filter(
            learner_id=attempt.learner_id, quiz_key=attempt.quiz_key, state=AttemptState.SUBMITTED
        ).order_by("number")
    )
    grade = quiz_selectors.quiz_grade(attempts, method=attempt.rules.get("grading_method"))
    passed = grade is not None and Decimal(str(grade)) >= attempt.pass_mark_percent
    services.quiz_result_record(attempt=attempt, quiz_grade_percent=grade or 0.0, passed=passed)


def _finish(attempt: QuizAttempt, *, closer: str, now: datetime.datetime) -> None:
    """Close, grade and report an attempt in progress; the caller holds the learner's lock."""
    rows = list(attempt.questions.order_by("position"))
    _grade_rows(attempt, rows)
    AttemptQuestion.objects.bulk_update(rows, ["fraction", "points"])
    attempt.state = AttemptState.SUBMITTED
    attempt.closed_by = closer
    attempt.submitted_at = now
    attempt.save(
        update_fields=[
            "state",
            "closed_by",
            "submitted_at",
            "max_points",
            "points",
            "score_percent",
            "passed",
        ]
    )
    _report(attempt)


def attempt_submit(*, user, attempt_id, now=None) -> QuizAttempt:
    """Submit the learner's attempt: grade it and report the quiz grade. Submitting again
    returns the attempt as it was graded (nothing changes)."""
    now = now or timezone.now()
    with transaction.atomic():
        profile = _locked_learner(user)
        attempt = _own_attempt(profile, attempt_id)
        if attempt.state == AttemptState.IN_PROGRESS:
            closer = AttemptCloser.DEADLINE if _is_overdue(attempt, now) else AttemptCloser.LEARNER
            _finish(attempt, closer=closer, now=now)
        return attempt


def attempt_close_if_overdue(*, user, attempt_id, now=None) -> bool:
    """Close and grade the learner's attempt if its deadline has passed (a page load
    after the time ran out). True when the attempt is (now) submitted."""
    now = now or timezone.now()
    with transaction.atomic():
        profile = _locked_learner(user)
        attempt = _own_attempt(profile, attempt_id)
        if attempt.state == AttemptState.IN_PROGRESS:
            if attempt.deadline_at is None or now < attempt.deadline_at:
                return False
            _finish(attempt, closer=AttemptCloser.DEADLINE, now=now)
        return True


def attempts_close_overdue(now=None) -> int:
    """Close and grade every attempt past its deadline (plus grace): the periodic task.
    One transaction per attempt under its learner's lock, so running it twice at once,
    or while the learner submits, closes each attempt once. Returns how many it closed."""
    now = now or timezone.now()
    overdue = list(
        QuizAttempt.objects.filter(
            state=AttemptState.IN_PROGRESS, deadline_at__lt=now - _grace()
        ).values_list("pk", "learner_id")
    )
    closed = 0
    for attempt_id, learner_id in overdue:
        with transaction.atomic():
            if services._learner(learner_id=learner_id, lock=True) is None:
                # An inactive learner keeps the attempt open; nothing can be reported.
                continue
            attempt = QuizAttempt.objects.filter(
                pk=attempt_id, state=AttemptState.IN_PROGRESS
            ).first()
            if attempt is None or not _is_overdue(attempt, now):
                continue
            _finish(attempt, closer=AttemptCloser.DEADLINE, now=now)
            closed += 1
    return closed


# --- regrade --------------------------------------------------------------------------


def _kept_order(old_order: list[str], spec: dict) -> list[str]:
    """The learner's answer order where the answers still exist; new answers at the end."""
    ids = [answer["id"] for answer in spec["answers"]]
    kept = [answer_id for answer_id in old_order if answer_id in ids]
    return kept + [answer_id for answer_id in ids if answer_id not in kept]


def attempts_regrade(*, quiz: Quiz, by=None, reason: str = "") -> int:
    """After a question fix: give submitted attempts of this quiz the current version of
    every changed question, regrade them, keep the history (AttemptRegrade) and report
    the new quiz grade (grade version + 1). Progress never goes down. One transaction per
    attempt. Returns how many attempts changed."""
    keys = set(
        AttemptQuestion.objects.filter(
            attempt__quiz_key=quiz.key, attempt__state=AttemptState.SUBMITTED
        ).values_list("question_key", flat=True)
    )
    current = {
        question.key: question
        for question in Question.objects.filter(key__in=keys).prefetch_related("answers")
    }
    specs = {key: question.spec() for key, question in current.items()}
    versions = {key: question.version for key, question in current.items()}
    stale = Q()
    for key, version in versions.items():
        stale |= Q(question_key=key) & ~Q(question_version=version)
    if not versions:
        return 0
    targets = list(
        AttemptQuestion.objects.filter(
            stale, attempt__quiz_key=quiz.key, attempt__state=AttemptState.SUBMITTED
        )
        .values_list("attempt_id", "attempt__learner_id")
        .distinct()
        .order_by("attempt__learner_id", "attempt_id")
    )
    changed = 0
    for attempt_id, learner_id in targets:
        with transaction.atomic():
            if services._learner(learner_id=learner_id, lock=True) is None:
                continue
            attempt = QuizAttempt.objects.get(pk=attempt_id)
            if _regrade_attempt(attempt, specs=specs, by=by, reason=reason):
                changed += 1
    return changed


def _regrade_attempt(attempt: QuizAttempt, *, specs: dict, by, reason: str) -> bool:
    rows = list(attempt.questions.order_by("position"))
    before = (attempt.points, attempt.score_percent, attempt.passed)
    changes = []
    for row in rows:
        spec = specs.get(row.question_key)
        if spec is None or spec["version"] == row.question_version:
            continue
        old_points = row.points
        changes.append(
            {
                "position": row.position,
                "question_key": str(row.question_key),
                "old_version": row.question_version,
                "new_version": spec["version"],
                "old_points": str(old_points),
            }
        )
        row.spec = spec
        row.question_version = spec["version"]
        row.answer_order = _kept_order(row.answer_order, spec)
        row.max_points = Decimal(spec["points"])
    if not changes:
        return False
    _grade_rows(attempt, rows)
    by_position = {row.position: row for row in rows}
    for change in changes:
        change["new_points"] = str(by_position[change["position"]].points)
    AttemptQuestion.objects.bulk_update(
        rows, ["spec", "question_version", "answer_order", "max_points", "fraction", "points"]
    )
    attempt.grade_version += 1
    attempt.save(update_fields=["max_points", "points", "score_percent", "passed", "grade_version"])
    AttemptRegrade.objects.create(
        attempt=attempt,
        regraded_at=timezone.now(),
        regraded_by=by if getattr(by, "is_authenticated", False) else None,
        reason=reason[:255],
        grade_version=attempt.grade_version,
        old_points=before[0] or Decimal(0),
        new_points=attempt.points,
        old_score_percent=before[1] or 0.0,
        new_score_percent=attempt.score_percent,
        old_passed=bool(before[2]),
        new_passed=bool(attempt.passed),
        changes=changes,
    )
    _report(attempt)
    return True
