"""The trainer's view of quiz results: attempts per learner, per-question statistics and a
summary. Reads only, in a constant number of queries whatever the number of attempts.

Who sees what comes from lms.people.permissions, never from rules made up here:

- the list of attempts names learners, so it is limited to ``visible_profiles(viewer)``
  (national admins: everyone; city admins: their city; supervisors: their staff). A
  trainer, who by that module sees no learner's personal data, gets no named rows;
- the summary and the per-question statistics are aggregates, so they cover the learners
  of the cities the viewer may see (``visible_cities``): a Jakarta trainer or city admin
  looking at a national quiz gets Jakarta's figures, never Sorong's.

Which quizzes a viewer may open: national admins every quiz; otherwise the quizzes they
may manage (``courses.quiz_permissions.quizzes_for``) and the quizzes of the courses in
the curricula of the cities they run or author for (their own courses and the national
ones they adopted).
"""

import math
import statistics
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from courses.models import CityCurriculumPage, CoursePage
from courses.quiz_models import Question, Quiz
from lms.people import permissions
from lms.people.models import Agency, City
from lms.records.models import AttemptQuestion, AttemptState, QuizAttempt

# --- which quizzes -------------------------------------------------------------------------


def _managed_quiz_ids(user) -> QuerySet | None:
    """Quizzes the user may manage, from the quiz admin's own rule when it exists."""
    try:
        from courses.quiz_permissions import quizzes_for
    except ImportError:  # the quiz admin arrives separately; fall back to page rights
        return None
    return quizzes_for(user).values("pk")


def _courses_of_cities(city_ids) -> QuerySet[CoursePage]:
    """Courses below these cities' curricula, and the national courses they adopted."""
    city_ids = list(city_ids)
    condition = Q(curriculum_entries__page__city_id__in=city_ids)
    paths = list(
        CityCurriculumPage.objects.filter(city_id__in=city_ids).values_list("path", flat=True)
    )
    if paths:
        condition |= reduce(or_, (Q(path__startswith=path) for path in paths))
    return CoursePage.objects.filter(condition)


def report_quizzes(user) -> QuerySet[Quiz]:
    """Quizzes whose results the user may open (see the module docstring)."""
    roles = permissions.roles_of(user)
    if roles.national:
        return Quiz.objects.all()
    staff_cities = roles.admin_city_ids | roles.trainer_city_ids
    condition = Q(pk__in=[])
    if staff_cities:
        condition |= Q(course__in=_courses_of_cities(staff_cities).values("pk"))
    managed = _managed_quiz_ids(user)
    if managed is not None:
        condition |= Q(pk__in=managed)
    return Quiz.objects.filter(condition)


def report_quiz_list(user) -> QuerySet[Quiz]:
    return report_quizzes(user).select_related("course").order_by("course__title", "title")


def report_quiz(user, pk: int) -> Quiz | None:
    return report_quizzes(user).select_related("course").filter(pk=pk).first()


def can_regrade(user, quiz: Quiz) -> bool:
    """Regrading changes learners' grades: only for those who may manage the quiz."""
    if permissions.roles_of(user).national:
        return True
    managed = _managed_quiz_ids(user)
    if managed is not None:
        return Quiz.objects.filter(pk=quiz.pk, pk__in=managed).exists()
    return quiz.course.permissions_for_user(user).can_edit()


# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilter:
    """What the trainer narrowed the results to; ``None`` means "any"."""

    city_id: int | None = None
    agency_id: int | None = None
    passed: bool | None = None
    order: str = "name"


NO_FILTER = ResultFilter()

# Sort keys the screen offers -> database fields (one-way: the URL never names a field).
ORDERINGS = {
    "name": ("learner__full_name", "number"),
    "nip": ("learner__nip", "number"),
    "city": ("learner__city__name", "learner__full_name", "number"),
    "agency": ("learner__agency__name", "learner__full_name", "number"),
    "number": ("number", "learner__full_name"),
    "started": ("started_at",),
    "submitted": ("submitted_at",),
    "duration": ("duration",),
    "score": ("score_percent",),
    "passed": ("passed", "learner__full_name"),
}


def order_fields(order: str) -> tuple[str, ...]:
    descending = order.startswith("-")
    fields = ORDERINGS.get(order.lstrip("-"), ORDERINGS["name"])
    if not descending:
        return fields
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in fields)


def filter_choices(user) -> tuple[QuerySet[City], QuerySet[Agency]]:
    """The cities and agencies the filter may offer this viewer."""
    return (
        permissions.visible_cities(user).order_by("name"),
        permissions.visible_agencies(user).select_related("city").order_by("city__name", "path"),
    )


def _attempts(quiz: Quiz, filters: ResultFilter) -> QuerySet[QuizAttempt]:
    attempts = QuizAttempt.objects.filter(quiz_key=quiz.key)
    if filters.city_id is not None:
        attempts = attempts.filter(learner__city_id=filters.city_id)
    if filters.agency_id is not None:
        path = Agency.objects.filter(pk=filters.agency_id).values_list("path", flat=True).first()
        if path is None:
            return attempts.none()
        # The agency and the units below it, as the enrolment rules count them.
        attempts = attempts.filter(learner__agency__path__startswith=path)
    return attempts


def _aggregate_scope(user, attempts: QuerySet[QuizAttempt]) -> QuerySet[QuizAttempt]:
    if permissions.roles_of(user).national:
        return attempts
    return attempts.filter(learner__city__in=permissions.visible_cities(user).values("pk"))


# --- attempts per learner -----------------------------------------------------------------

ATTEMPT_FIELDS = (
    "id",
    "learner_id",
    "learner__full_name",
    "learner__nip",
    "learner__city__name",
    "learner__agency__name",
    "number",
    "state",
    "started_at",
    "submitted_at",
    "duration",
    "points",
    "max_points",
    "score_percent",
    "passed",
    "closed_by",
)


def attempt_rows(*, viewer, quiz: Quiz, filters: ResultFilter = NO_FILTER) -> QuerySet:
    """One dict per attempt of a learner the viewer may see (``ATTEMPT_FIELDS``; duration
    is a timedelta, None while in progress). One query; iterate with ``.iterator()`` for
    exports."""
    attempts = _attempts(quiz, filters).filter(
        learner__in=permissions.visible_profiles(viewer).values("pk")
    )
    if filters.passed is not None:
        attempts = attempts.filter(passed=filters.passed)
    return (
        attempts.annotate(duration=F("submitted_at") - F("started_at"))
        .values(*ATTEMPT_FIELDS)
        .order_by(*order_fields(filters.order), "id")
    )


def may_see_learner_rows(viewer) -> bool:
    """Whether the viewer may see any learner by name at all (trainers may not)."""
    roles = permissions.roles_of(viewer)
    return roles.national or bool(roles.admin_city_ids) or permissions.is_supervisor(viewer)


# --- summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    attempts: int  # submitted
    in_progress: int
    learners: int  # with at least one submitted attempt
    mean_percent: float | None
    median_percent: float | None
    pass_rate_percent: float | None  # share of submitted attempts that passed


def summary(*, viewer, quiz: Quiz, filters: ResultFilter = NO_FILTER) -> Summary:
    """Figures over the attempts of the cities the viewer may see. One query."""
    rows = _aggregate_scope(viewer, _attempts(quiz, filters)).values_list(
        "learner_id", "state", "score_percent", "passed"
    )
    scores, learners, passed, in_progress = [], set(), 0, 0
    for learner_id, state, score, did_pass in rows.iterator():
        if state != AttemptState.SUBMITTED:
            in_progress += 1
            continue
        learners.add(learner_id)
        scores.append(score or 0.0)
        passed += bool(did_pass)
    if not scores:
        return Summary(0, in_progress, 0, None, None, None)
    return Summary(
        attempts=len(scores),
        in_progress=in_progress,
        learners=len(learners),
        mean_percent=sum(scores) / len(scores),
        median_percent=statistics.median(scores),
        pass_rate_percent=100 * passed / len(scores),
    )


# --- per-question statistics --------------------------------------------------------------


@dataclass
class _Sums:
    """Running sums for one question, enough for means, deviations and the correlation."""

    first_position: int
    n: int = 0
    answered: int = 0
    x: float = 0.0
    xx: float = 0.0
    y: float = 0.0
    yy: float = 0.0
    xy: float = 0.0
    versions: set = field(default_factory=set)

    def add(self, fraction: float, rest: float | None) -> None:
        self.n += 1
        self.x += fraction
        self.xx += fraction * fraction
        if rest is not None:
            self.y += rest
            self.yy += rest * rest
            self.xy += fraction * rest


@dataclass(frozen=True)
class QuestionStats:
    question_key: uuid.UUID
    name: str
    kind: str
    attempts: int  # submitted attempts that had this question
    answered: int
    facility_percent: float | None  # mean fraction x 100: how easy the question was
    sd_percent: float | None  # standard deviation of the fraction x 100
    discrimination_percent: float | None  # correlation with the rest of the test x 100
    versions: tuple[int, ...]


def _correlation(s: _Sums) -> float | None:
    """Pearson's r between the question's fraction and the rest-of-test score (Moodle's
    discrimination index); None when either never varies (r is undefined there)."""
    if s.n < 2:
        return None
    cov = s.xy - s.x * s.y / s.n
    var_x = s.xx - s.x * s.x / s.n
    var_y = s.yy - s.y * s.y / s.n
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(var_x * var_y)))


def question_stats(*, viewer, quiz: Quiz, filters: ResultFilter = NO_FILTER) -> list[QuestionStats]:
    """Per question (by its stable key) over the submitted attempts of the cities the
    viewer may see. Two queries: one pass over the attempt questions, then their names."""
    attempts = _aggregate_scope(viewer, _attempts(quiz, filters)).filter(
        state=AttemptState.SUBMITTED
    )
    rows = (
        AttemptQuestion.objects.filter(attempt__in=attempts.values("pk"))
        .annotate(
            attempt_points=Coalesce("attempt__points", Decimal("0")),
            attempt_max=F("attempt__max_points"),
        )
        .values_list(
            "question_key",
            "question_version",
            "position",
            "fraction",
            "points",
            "max_points",
            "attempt_points",
            "attempt_max",
            "answered_at",
        )
    )
    sums: dict[uuid.UUID, _Sums] = {}
    for (
        key,
        version,
        position,
        fraction,
        points,
        max_points,
        total,
        total_max,
        answered,
    ) in rows.iterator(chunk_size=2000):
        entry = sums.get(key)
        if entry is None:
            entry = sums[key] = _Sums(first_position=position)
        entry.first_position = min(entry.first_position, position)
        entry.versions.add(version)
        fraction = fraction or 0.0
        rest_max = float(total_max - max_points)
        # The rest of the test: this attempt's score without this question, as a share.
        rest = float(total - (points or 0)) / rest_max if rest_max > 0 else None
        entry.add(fraction, rest)
        entry.answered += answered is not None
    names = {
        key: (name, kind)
        for key, name, kind in Question.objects.filter(key__in=list(sums)).values_list(
            "key", "name", "kind"
        )
    }
    result = []
    for key, s in sorted(sums.items(), key=lambda item: (item[1].first_position, str(item[0]))):
        mean = s.x / s.n
        variance = max(0.0, s.xx / s.n - mean * mean)
        discrimination = _correlation(s)
        name, kind = names.get(key, ("", ""))
        result.append(
            QuestionStats(
                question_key=key,
                name=name,
                kind=kind,
                attempts=s.n,
                answered=s.answered,
                facility_percent=100 * mean,
                sd_percent=100 * math.sqrt(variance),
                discrimination_percent=None if discrimination is None else 100 * discrimination,
                versions=tuple(sorted(s.versions)),
            )
        )
    return result


def attempt_rows_iter(*, viewer, quiz: Quiz, filters: ResultFilter = NO_FILTER) -> Iterator:
    """The attempt rows, fetched in chunks (server-side cursor on PostgreSQL)."""
    return attempt_rows(viewer=viewer, quiz=quiz, filters=filters).iterator(chunk_size=2000)
