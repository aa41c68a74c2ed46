"""Reads over learning records, and the course lookups the recording path needs.

Who may see whose records is decided by lms.people.permissions; the selectors that take
a ``viewer`` apply it, the ones that take a ``learner`` assume the caller already did.

Course lookups live here (not in courses.selectors) because the write path needs the
course, its lessons' criteria and the learner's right of access in exactly two queries:
``content_for_lessons`` reads courses models directly, with the access rule ("the
learner's own city's courses, or national courses the city adopted") inside the query.
"""

import datetime
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Length, Substr
from django.utils import timezone

from courses.activities import ActivityKind as ContentKind
from courses.models import (
    CityCurriculumPage,
    CompletionCriteria,
    CoursePage,
    CurriculumEntry,
    LessonPage,
)
from courses.selectors import LessonProgress
from lms.people import permissions
from lms.people.models import City, LearnerProfile
from lms.records.models import (
    YEARLY_MINIMUM_JP,
    ActivityKind,
    ActivityProgress,
    ActivityState,
    CourseCompletion,
    Enrolment,
    JpCredit,
    Rollup,
)

# --- course structure for the write path --------------------------------------------------


@dataclass(frozen=True)
class LessonInfo:
    key: uuid.UUID
    course_key: uuid.UUID
    title: str
    criteria: CompletionCriteria
    h5p_keys: frozenset[uuid.UUID]
    quiz_keys: frozenset[uuid.UUID]

    @property
    def criteria_keys(self) -> tuple[uuid.UUID, ...]:
        return tuple(uuid.UUID(key) for key in self.criteria.activity_keys)

    def criteria_snapshot(self) -> dict:
        return {
            "lesson_key": str(self.key),
            "title": self.title,
            "rule": self.criteria.rule,
            "threshold": self.criteria.threshold,
            "is_required": self.criteria.is_required,
            "activity_keys": list(self.criteria.activity_keys),
        }


@dataclass
class CourseInfo:
    key: uuid.UUID
    pk: int
    title: str
    jp: int
    learning_form: str
    organiser: str
    accessible: bool
    lessons: list[LessonInfo] = field(default_factory=list)

    @property
    def required_lessons(self) -> list[LessonInfo]:
        return [lesson for lesson in self.lessons if lesson.criteria.is_required]


def _activity_uuids(lesson: LessonPage, kind: str) -> frozenset[uuid.UUID]:
    keys = set()
    for key in lesson.activity_keys(kind):
        try:
            keys.add(uuid.UUID(str(key)))
        except ValueError:
            continue
    return frozenset(keys)


def _courses_query(city_id: int | None):
    steplen = CoursePage.steplen
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - steplen)
    owner = CityCurriculumPage.objects.filter(path=parent_path)
    qs = CoursePage.objects.live().select_related("provider")
    qs = qs.annotate(owner_bkpsdm=Subquery(owner.values("city__bkpsdm_name")[:1]))
    if city_id is None:
        return qs.annotate(is_own=Value(False), is_adopted=Value(False))
    return qs.annotate(
        is_own=Exists(owner.filter(city_id=city_id, live=True)),
        is_adopted=Exists(
            CurriculumEntry.objects.filter(
                page__city_id=city_id, page__live=True, course_id=OuterRef("pk")
            )
        ),
    )


def _course_infos(courses: Iterable[CoursePage]) -> dict[uuid.UUID, CourseInfo]:
    courses = list(courses)
    infos = {}
    if not courses:
        return infos
    for course in courses:
        organiser = (
            course.provider.name
            if course.provider
            else (course.owner_bkpsdm or str(settings.WAGTAIL_SITE_NAME))
        )
        infos[course.translation_key] = CourseInfo(
            key=course.translation_key,
            pk=course.pk,
            title=course.title,
            jp=course.jp_value,
            learning_form=course.learning_form,
            organiser=organiser,
            accessible=bool(course.is_own or course.is_adopted),
        )
    by_path = {course.path: infos[course.translation_key] for course in courses}
    condition = reduce(or_, (Q(path__startswith=c.path, depth=c.depth + 1) for c in courses))
    lessons = (
        LessonPage.objects.live()
        .filter(condition)
        .only(
            "path",
            "translation_key",
            "title",
            "completion_rule",
            "completion_threshold",
            "is_required",
            "body",
        )
        .order_by("path")
    )
    for lesson in lessons:
        course = by_path.get(lesson.path[: -LessonPage.steplen])
        if course is None:
            continue
        course.lessons.append(
            LessonInfo(
                key=lesson.translation_key,
                course_key=course.key,
                title=lesson.title,
                criteria=lesson.completion_criteria(course_key=course.key),
                h5p_keys=_activity_uuids(lesson, ContentKind.H5P),
                quiz_keys=_activity_uuids(lesson, ContentKind.QUIZ),
            )
        )
    return infos


def content_for_lessons(
    *, lesson_keys: Iterable[uuid.UUID], city_id: int | None
) -> dict[uuid.UUID, CourseInfo]:
    """The live courses containing these live lessons, with every live lesson's criteria
    and whether a learner of ``city_id`` may record in them. Two queries."""
    lesson_keys = list(set(lesson_keys))
    if not lesson_keys:
        return {}
    parent_paths = (
        LessonPage.objects.live()
        .filter(translation_key__in=lesson_keys)
        .annotate(parent_path=Substr("path", 1, Length("path") - LessonPage.steplen))
        .values("parent_path")
    )
    return _course_infos(_courses_query(city_id).filter(path__in=parent_paths))


# The write path asks for the same few lessons thousands of times a minute; each process
# keeps the answer. Publishing, unpublishing or deleting any page clears this process's
# copy at once and, once committed, bumps a generation number in the shared cache: every
# process reads that number at most once a second and drops its copy when it changed. So a
# publish reaches every process within about a second, and a process recomputes an answer
# only then or after CONTENT_CACHE_SECONDS (for what no page signal announces: a
# provider or a BKPSDM renamed). With a cache that is not shared between processes
# (local memory: no REDIS_URL) the generation cannot travel, and answers live only
# CONTENT_CACHE_LOCAL_SECONDS. A criteria change is applied to earlier results by
# recompute_completions anyway.
CONTENT_CACHE_SECONDS = 60.0
CONTENT_CACHE_LOCAL_SECONDS = 5.0
CONTENT_CHECK_SECONDS = 1.0
CONTENT_GENERATION_KEY = "records:content-generation"
_CONTENT_CACHE_MAX = 2048
_content_cache: dict[tuple, tuple[float, dict]] = {}
_content_generation = {"value": None, "checked_until": 0.0}
_clock = time.monotonic


def _shared_cache() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith((".LocMemCache", ".DummyCache"))


def content_cache_clear(**_kwargs) -> None:
    """Forget course structure here now, and everywhere once the change is committed."""
    from django.core.cache import cache
    from django.db import transaction

    _content_cache.clear()

    def announce():
        _content_cache.clear()  # a read between the change and its commit saw the old rows
        cache.set(CONTENT_GENERATION_KEY, uuid.uuid4().hex, None)

    # robust: a cache that fails here must not turn a committed publish into an error
    # page; the other processes then follow within CONTENT_CACHE_SECONDS.
    transaction.on_commit(announce, robust=True)


def _content_cache_check(now: float) -> None:
    if now < _content_generation["checked_until"]:
        return
    from django.core.cache import cache

    _content_generation["checked_until"] = now + CONTENT_CHECK_SECONDS
    generation = cache.get(CONTENT_GENERATION_KEY)
    if generation != _content_generation["value"]:
        _content_cache.clear()
        _content_generation["value"] = generation


def content_for_lessons_cached(
    *, lesson_keys: Iterable[uuid.UUID], city_id: int | None
) -> dict[uuid.UUID, CourseInfo]:
    """content_for_lessons, remembered in this process (see above for how long)."""
    key = (city_id, tuple(sorted(set(lesson_keys), key=str)))
    now = _clock()
    shared = _shared_cache()
    if shared:
        _content_cache_check(now)
    hit = _content_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = content_for_lessons(lesson_keys=key[1], city_id=city_id)
    if len(_content_cache) >= _CONTENT_CACHE_MAX:
        _content_cache.clear()
    ttl = CONTENT_CACHE_SECONDS if shared else CONTENT_CACHE_LOCAL_SECONDS
    _content_cache[key] = (now + ttl, value)
    return value


def content_for_courses(
    *, course_keys: Iterable[uuid.UUID], city_id: int | None = None
) -> dict[uuid.UUID, CourseInfo]:
    """Like content_for_lessons, for whole courses (recomputation, enrolment)."""
    course_keys = list(set(course_keys))
    if not course_keys:
        return {}
    return _course_infos(_courses_query(city_id).filter(translation_key__in=course_keys))


def course_accessible_to(*, course: CoursePage, city_id: int) -> bool:
    """Whether learners of a city may study this course (own course or adopted)."""
    return (
        _courses_query(city_id)
        .filter(pk=course.pk)
        .filter(Q(is_own=True) | Q(is_adopted=True))
        .exists()
    )


# --- learner-facing reads -----------------------------------------------------------------


def learner_of(user) -> LearnerProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        LearnerProfile.objects.select_related("city")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )


def local_date(city_timezone: str, moment: datetime.datetime | None = None) -> datetime.date:
    """The learner's day: the date in their city's time zone."""
    return timezone.localtime(moment or timezone.now(), ZoneInfo(city_timezone)).date()


def _lesson_state(row: ActivityProgress) -> LessonProgress:
    return LessonProgress(
        started=True,
        completed=row.completed_at is not None,
        score_percent=round(row.best_score) if row.best_score is not None else None,
    )


def lesson_progress(user, lesson_keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, LessonProgress]:
    """A learner's state in the given lessons, keyed by translation_key; one query.

    Only lessons the learner started appear. This is what
    courses.selectors.lesson_progress_for_user delegates to.
    """
    if not getattr(user, "is_authenticated", False) or not lesson_keys:
        return {}
    rows = ActivityProgress.objects.filter(
        learner__user_id=user.pk,
        kind=ActivityKind.LESSON,
        activity_key__in=list(lesson_keys),
    ).only("activity_key", "completed_at", "best_score")
    return {row.activity_key: _lesson_state(row) for row in rows}


@dataclass(frozen=True)
class CourseProgress:
    course_key: uuid.UUID
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    percent: int
    lessons: dict[uuid.UUID, LessonProgress]
    completion: CourseCompletion | None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


def course_progress(*, learner: LearnerProfile, course_key: uuid.UUID) -> CourseProgress:
    """A learner's progress in a course: the course row, its lesson rows, the completion."""
    rows = list(
        ActivityProgress.objects.filter(
            learner=learner,
            course_key=course_key,
            kind__in=[ActivityKind.COURSE, ActivityKind.LESSON],
        )
    )
    course_row = next((r for r in rows if r.kind == ActivityKind.COURSE), None)
    completion = CourseCompletion.objects.filter(learner=learner, course_key=course_key).first()
    return CourseProgress(
        course_key=course_key,
        started_at=course_row.started_at if course_row else None,
        completed_at=course_row.completed_at if course_row else None,
        percent=course_row.progress if course_row else 0,
        lessons={r.activity_key: _lesson_state(r) for r in rows if r.kind == ActivityKind.LESSON},
        completion=completion,
    )


@dataclass(frozen=True)
class ContinueItem:
    course_key: uuid.UUID
    lesson_key: uuid.UUID
    lesson: LessonPage | None
    last_activity_at: datetime.datetime


def continue_where_left_off(*, learner: LearnerProfile, limit: int = 3) -> list[ContinueItem]:
    """The lessons a learner touched last, in courses they have not completed (two queries)."""
    completed_courses = ActivityProgress.objects.filter(
        learner=learner, kind=ActivityKind.COURSE, completed_at__isnull=False
    ).values("activity_key")
    rows = list(
        ActivityProgress.objects.filter(learner=learner, kind=ActivityKind.LESSON)
        .exclude(course_key__in=completed_courses)
        .order_by("-last_activity_at")
        .values("course_key", "activity_key", "last_activity_at")[: limit * 4]
    )
    seen, picked = set(), []
    for row in rows:
        if row["course_key"] in seen:
            continue
        seen.add(row["course_key"])
        picked.append(row)
        if len(picked) == limit:
            break
    pages = {
        page.translation_key: page
        for page in LessonPage.objects.live()
        .filter(translation_key__in=[r["activity_key"] for r in picked])
        .defer("body")
    }
    return [
        ContinueItem(
            course_key=r["course_key"],
            lesson_key=r["activity_key"],
            lesson=pages.get(r["activity_key"]),
            last_activity_at=r["last_activity_at"],
        )
        for r in picked
    ]


@dataclass(frozen=True)
class YearlyJp:
    year: int
    total: int
    minimum: int
    credits: list[JpCredit]

    @property
    def met(self) -> bool:
        return self.total >= self.minimum

    @property
    def missing(self) -> int:
        return max(0, self.minimum - self.total)


def yearly_jp(*, learner: LearnerProfile, year: int) -> YearlyJp:
    """A learner's JP ledger for a year (split parts shown as they are), against 20 JP."""
    credits = list(
        JpCredit.objects.filter(learner=learner, year=year).order_by("credited_on", "pk")
    )
    return YearlyJp(
        year=year,
        total=sum(c.jp for c in credits),
        minimum=YEARLY_MINIMUM_JP,
        credits=credits,
    )


def e_learning_jp_by_day(
    *, learner: LearnerProfile, since: datetime.date
) -> dict[datetime.date, int]:
    rows = (
        JpCredit.objects.filter(learner=learner, credited_on__gte=since, learning_form="e_learning")
        .values("credited_on")
        .annotate(total=Sum("jp"))
    )
    return {row["credited_on"]: row["total"] for row in rows}


# --- supervisors' and admins' reads -------------------------------------------------------


@dataclass(frozen=True)
class TeamMember:
    profile: LearnerProfile
    courses_started: int
    courses_completed: int
    jp_this_year: int

    @property
    def met_minimum(self) -> bool:
        return self.jp_this_year >= YEARLY_MINIMUM_JP


def team_progress(*, viewer, supervisor: LearnerProfile, year: int) -> list[TeamMember]:
    """A supervisor's staff (direct and indirect) with their course counts and JP; three
    queries. Only people the viewer may see (lms.people.permissions) appear."""
    from lms.people.selectors import staff_of

    staff = list(
        staff_of(supervisor=supervisor).filter(
            pk__in=permissions.visible_profiles(viewer).values("pk")
        )
    )
    ids = [p.pk for p in staff]
    started, completed = defaultdict(int), defaultdict(int)
    for row in ActivityProgress.objects.filter(learner_id__in=ids, kind=ActivityKind.COURSE).values(
        "learner_id", "completed_at"
    ):
        started[row["learner_id"]] += 1
        if row["completed_at"] is not None:
            completed[row["learner_id"]] += 1
    jp = dict(
        JpCredit.objects.filter(learner_id__in=ids, year=year)
        .values("learner_id")
        .annotate(total=Sum("jp"))
        .values_list("learner_id", "total")
    )
    return [
        TeamMember(
            profile=p,
            courses_started=started[p.pk],
            courses_completed=completed[p.pk],
            jp_this_year=jp.get(p.pk, 0),
        )
        for p in staff
    ]


@dataclass(frozen=True)
class Counts:
    started: int = 0
    completed: int = 0
    jp: int = 0
    scored: int = 0
    score_sum: float = 0.0
    met_minimum: int = 0

    @property
    def average_best_score(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None


_COUNTERS = ("started", "completed", "jp", "scored", "score_sum", "met_minimum")


def may_see_city_counts(viewer, city: City | int) -> bool:
    """National admins, and the city's own admins and trainers (aggregates only)."""
    roles = permissions.roles_of(viewer)
    city_id = city if isinstance(city, int) else city.pk
    return roles.national or city_id in roles.admin_city_ids | roles.trainer_city_ids


def city_counts(
    *,
    viewer,
    city: City,
    year: int | None = None,
    course_key: uuid.UUID | None = None,
    agency=None,
) -> Counts | None:
    """A city's counters from the rollup rows (never from raw records); one query.

    ``None`` when the viewer may not see the city. Without a course key, "started" and
    "completed" count learner x course pairs; JP and the 20-JP minimum are per year.
    """
    if not may_see_city_counts(viewer, city):
        return None
    rows = Rollup.objects.filter(city_id=city.pk)
    if year is not None:
        rows = rows.filter(year=year)
    if course_key is not None:
        rows = rows.filter(course_key=course_key)
    if agency is not None:
        from lms.people.selectors import agency_subtree

        rows = rows.filter(agency_id__in=agency_subtree(agency=agency).values("pk"))
    totals = rows.aggregate(**{name: Sum(name) for name in _COUNTERS})
    return Counts(**{name: totals[name] or 0 for name in _COUNTERS})


def course_counts_by_city(*, course_key: uuid.UUID, year: int | None = None) -> dict[int, Counts]:
    """Per-city counters of one course (for national comparisons); one query."""
    rows = Rollup.objects.filter(course_key=course_key)
    if year is not None:
        rows = rows.filter(year=year)
    result = {}
    for row in rows.values("city_id").annotate(**{f"t_{n}": Sum(n) for n in _COUNTERS}):
        result[row["city_id"]] = Counts(**{n: row[f"t_{n}"] or 0 for n in _COUNTERS})
    return result


def enrolments_of(*, learner: LearnerProfile, active_only: bool = True):
    qs = Enrolment.objects.filter(learner=learner)
    if active_only:
        qs = qs.filter(status=Enrolment.Status.ACTIVE)
    return qs.order_by(F("due_date").asc(nulls_last=True), "enrolled_at")


def enrolment_for(*, user, course_key: uuid.UUID) -> Enrolment | None:
    """The learner's enrolment in one course (active or withdrawn), for the course page."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Enrolment.objects.filter(learner__user_id=user.pk, course_key=course_key).first()


# --- saved activity state (the xAPI State resource) ---------------------------------------


def state_learner(*, user, address) -> LearnerProfile | None:
    """The learner whose state a request may read or write, or None when refused: the
    session's active learner, for an H5P package they may play. An ``agent`` sent along
    must name that same learner (their NIP account); the session decides, never the
    parameter."""
    from content.selectors import playable_package
    from content.xapi import content_id_from_iri

    profile = learner_of(user)
    if profile is None:
        return None
    agent = address.agent
    if agent is not None:
        account = agent.get("account")
        home = str(settings.WAGTAILADMIN_BASE_URL).rstrip("/")
        if (
            not isinstance(account, dict)
            or account.get("name") != profile.nip
            or str(account.get("homePage", "")).rstrip("/") != home
        ):
            return None
    content_id = content_id_from_iri(address.activity_iri)
    if content_id is None or playable_package(user=user, content_id=content_id) is None:
        return None
    return profile


def activity_state(*, learner: LearnerProfile, address) -> ActivityState | None:
    """A learner's saved document for an activity and state id; one query."""
    return ActivityState.objects.filter(
        learner=learner, activity_key=address.activity_key, state_id=address.state_id
    ).first()


# --- learner home and supervisors' team pages (lms.learning) ------------------------------
# Batched reads: each function is a fixed number of queries however many courses, credits
# or staff there are. The pages compose them in lms.learning.selectors.


@dataclass(frozen=True)
class LearnerRecords:
    """Everything recorded about one learner that their home page shows."""

    enrolments: list[Enrolment]
    course_rows: dict[uuid.UUID, ActivityProgress]
    lesson_rows: dict[uuid.UUID, ActivityProgress]
    completions: list[CourseCompletion]
    credits: list[JpCredit]


def learner_records(
    *, learner: LearnerProfile, year: int, completion_related: Sequence[str] = ()
) -> LearnerRecords:
    """A learner's enrolments (active and withdrawn), course and lesson progress rows,
    completions and the year's JP credits; four queries. ``completion_related`` names
    one-to-one relations of CourseCompletion to fetch in the same query (the certificate)."""
    enrolments = list(enrolments_of(learner=learner, active_only=False))
    course_rows, lesson_rows = {}, {}
    for row in ActivityProgress.objects.filter(
        learner=learner, kind__in=[ActivityKind.COURSE, ActivityKind.LESSON]
    ).only(
        "kind",
        "activity_key",
        "course_key",
        "progress",
        "started_at",
        "last_activity_at",
        "completed_at",
        "best_score",
    ):
        (course_rows if row.kind == ActivityKind.COURSE else lesson_rows)[row.activity_key] = row
    completions = list(
        CourseCompletion.objects.filter(learner=learner)
        .select_related(*completion_related)
        .order_by("-completed_at")
    )
    credits = list(
        JpCredit.objects.filter(learner=learner, year=year).order_by("credited_on", "pk")
    )
    return LearnerRecords(enrolments, course_rows, lesson_rows, completions, credits)


@dataclass(frozen=True)
class QuizResult:
    attempt_id: uuid.UUID
    learner_id: int
    quiz_key: uuid.UUID
    course_key: uuid.UUID
    number: int
    score_percent: float | None
    passed: bool | None
    submitted_at: datetime.datetime


def recent_quiz_results(*, learners, per_learner: int = 2) -> dict[int, list[QuizResult]]:
    """The latest submitted quiz attempts of each learner (newest first); one query.

    ``learners`` is a queryset of profiles (or of their pks), so a large team is one
    subquery rather than thousands of parameters.
    """
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    from lms.records.models import AttemptState, QuizAttempt

    if isinstance(learners, (list, tuple, set)):
        learner_filter = Q(learner_id__in=list(learners))
    else:
        learner_filter = Q(learner_id__in=learners.values("pk"))
    rows = (
        QuizAttempt.objects.filter(learner_filter, state=AttemptState.SUBMITTED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("learner_id")],
                order_by=[F("submitted_at").desc(), F("number").desc()],
            )
        )
        .filter(rank__lte=per_learner)
        .values(
            "learner_id",
            "quiz_key",
            "course_key",
            "number",
            "score_percent",
            "passed",
            "submitted_at",
            attempt_id=F("id"),
        )
    )
    results = defaultdict(list)
    for row in rows:
        results[row["learner_id"]].append(QuizResult(**row))
    for items in results.values():
        items.sort(key=lambda r: r.submitted_at, reverse=True)
    return dict(results)


@dataclass(frozen=True)
class TeamRow:
    """One person on a supervisor's team page, read straight from the records."""

    profile: LearnerProfile
    is_direct: bool
    mandatory_total: int
    mandatory_completed: int
    mandatory_percent: int
    overdue: int
    jp_this_year: int
    last_activity_at: datetime.datetime | None
    recent_quizzes: list[QuizResult]

    @property
    def jp_missing(self) -> int:
        return max(0, YEARLY_MINIMUM_JP - self.jp_this_year)

    @property
    def behind_on_jp(self) -> bool:
        return self.jp_this_year < YEARLY_MINIMUM_JP


def team_rows(
    *,
    viewer,
    supervisor: LearnerProfile,
    year: int,
    today: datetime.date,
    indirect: bool = False,
    only: LearnerProfile | None = None,
) -> list[TeamRow]:
    """A supervisor's staff (direct, or everyone below them) with mandatory-course
    progress, overdue count, JP of the year, latest quiz results and last activity.

    Five queries (after the viewer's roles), whatever the size of the team. Only people
    the viewer may see (lms.people.permissions) and of the supervisor's own city appear.
    ``only`` narrows it to one person (the person page), with the same rules.
    """
    from lms.people.selectors import staff_of

    staff_qs = staff_of(supervisor=supervisor, indirect=indirect).filter(
        pk__in=permissions.visible_profiles(viewer).values("pk"),
        city_id=supervisor.city_id,
        is_active=True,
    )
    if only is not None:
        staff_qs = staff_qs.filter(pk=only.pk)
    staff = list(staff_qs.order_by("full_name", "pk"))
    if not staff:
        return []
    ids = [p.pk for p in staff]
    # Filter by subquery, not by a list of ids: a city head's whole tree can be thousands.
    learner_ids = staff_qs.values("pk") if len(ids) > 500 else ids

    mandatory = defaultdict(dict)
    for row in Enrolment.objects.filter(
        learner_id__in=learner_ids, status=Enrolment.Status.ACTIVE, is_mandatory=True
    ).values("learner_id", "course_key", "due_date"):
        mandatory[row["learner_id"]][row["course_key"]] = row["due_date"]

    progress = defaultdict(dict)
    last_activity = {}
    for row in ActivityProgress.objects.filter(
        learner_id__in=learner_ids, kind=ActivityKind.COURSE
    ).values("learner_id", "course_key", "progress", "completed_at", "last_activity_at"):
        progress[row["learner_id"]][row["course_key"]] = row
        previous = last_activity.get(row["learner_id"])
        if previous is None or row["last_activity_at"] > previous:
            last_activity[row["learner_id"]] = row["last_activity_at"]

    jp = dict(
        JpCredit.objects.filter(learner_id__in=learner_ids, year=year)
        .values("learner_id")
        .annotate(total=Sum("jp"))
        .values_list("learner_id", "total")
    )
    quizzes = recent_quiz_results(learners=learner_ids)

    rows = []
    for profile in staff:
        courses = mandatory.get(profile.pk, {})
        done = overdue = percent_sum = 0
        for course_key, due_date in courses.items():
            course = progress[profile.pk].get(course_key)
            complete = course is not None and course["completed_at"] is not None
            percent_sum += 100 if complete else (course["progress"] if course else 0)
            if complete:
                done += 1
            elif due_date is not None and due_date < today:
                overdue += 1
        rows.append(
            TeamRow(
                profile=profile,
                is_direct=profile.supervisor_id == supervisor.pk,
                mandatory_total=len(courses),
                mandatory_completed=done,
                mandatory_percent=round(percent_sum / len(courses)) if courses else 100,
                overdue=overdue,
                jp_this_year=jp.get(profile.pk, 0),
                last_activity_at=last_activity.get(profile.pk),
                recent_quizzes=quizzes.get(profile.pk, []),
            )
        )
    return rows


def learner_quiz_results(*, learner: LearnerProfile, limit: int = 10) -> list[QuizResult]:
    """A learner's latest submitted quiz attempts, newest first; one query."""
    return recent_quiz_results(learners=[learner.pk], per_learner=limit).get(learner.pk, [])
