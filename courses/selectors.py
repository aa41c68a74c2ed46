"""Reads over the course tree. Learner pages get all their data from here, each read a
fixed number of queries however many courses or lessons there are."""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from courses.activities import ActivityKind, resolve_activities
from courses.models import (
    CityCurriculumPage,
    CompletionCriteria,
    CoursePage,
    CoursePrerequisite,
    CurriculumEntry,
    LessonPage,
    NationalCataloguePage,
)


def city_curricula() -> QuerySet[CityCurriculumPage]:
    return CityCurriculumPage.objects.live().select_related("city").order_by("title")


def user_city_id(user) -> int | None:
    """The city a user learns in (None for visitors and for staff without a profile)."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    return profile.city_id if profile is not None else None


def city_curricula_for_user(user) -> QuerySet[CityCurriculumPage]:
    """Curricula to list for this user: a learner sees only their own city's."""
    city_id = user_city_id(user)
    curricula = city_curricula()
    if city_id is not None:
        return curricula.filter(city_id=city_id)
    return curricula


def curriculum_page_for_user(user) -> CityCurriculumPage | None:
    """The live curriculum page of the city the user learns in, if any."""
    city_id = user_city_id(user)
    if city_id is None:
        return None
    return CityCurriculumPage.objects.live().filter(city_id=city_id).first()


def national_catalogue() -> NationalCataloguePage | None:
    return NationalCataloguePage.objects.first()


def catalogue_courses(catalogue: NationalCataloguePage) -> QuerySet[CoursePage]:
    return (
        CoursePage.objects.live()
        .child_of(catalogue)
        .select_related("provider", "cover_image")
        .order_by("path")
    )


@dataclass(frozen=True)
class CurriculumItem:
    course: CoursePage
    is_mandatory: bool
    due_date: datetime.date | None
    is_own: bool


def curriculum_courses(curriculum: CityCurriculumPage) -> list[CurriculumItem]:
    """The live courses of a curriculum, in the city's order: listed entries first, then
    the city's own live courses it has not listed (as optional)."""
    entries = (
        CurriculumEntry.objects.filter(page=curriculum, course__live=True)
        .select_related("course", "course__provider")
        .order_by("sort_order", "pk")
    )
    items = []
    listed = set()
    for entry in entries:
        listed.add(entry.course_id)
        items.append(
            CurriculumItem(
                course=entry.course,
                is_mandatory=entry.is_mandatory,
                due_date=entry.due_date,
                is_own=entry.course.path.startswith(curriculum.path),
            )
        )
    own = (
        CoursePage.objects.live()
        .child_of(curriculum)
        .exclude(pk__in=listed)
        .select_related("provider")
        .order_by("path")
    )
    items.extend(
        CurriculumItem(course=course, is_mandatory=False, due_date=None, is_own=True)
        for course in own
    )
    return items


def courses_visible_to(user) -> QuerySet[CoursePage]:
    """Live courses a user may find: national ones, plus their own city's."""
    q = Q(pk__in=[])
    catalogue = national_catalogue()
    if catalogue is not None:
        q |= Q(path__startswith=catalogue.path)
    city_id = user_city_id(user)
    if city_id is not None:
        curriculum = CityCurriculumPage.objects.filter(city_id=city_id).only("path").first()
        if curriculum is not None:
            q |= Q(path__startswith=curriculum.path)
    return CoursePage.objects.live().filter(q)


def course_search(*, user, query: str) -> list[CoursePage]:
    """Wagtail search over the courses this user may see (at most 50 results)."""
    query = (query or "").strip()
    if not query:
        return []
    visible_ids = list(courses_visible_to(user).values_list("pk", flat=True))
    if not visible_ids:
        return []
    results = CoursePage.objects.live().filter(id__in=visible_ids).search(query)[:50]
    # One query for the providers of the whole page of results.
    ids = [course.pk for course in results]
    by_id = CoursePage.objects.select_related("provider").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def course_lessons(course: CoursePage) -> QuerySet[LessonPage]:
    """The live lessons of a course, in tree order, without their (large) bodies."""
    return LessonPage.objects.live().child_of(course).defer("body").order_by("path")


def course_prerequisites(course: CoursePage) -> list[CoursePage]:
    return [
        row.prerequisite
        for row in CoursePrerequisite.objects.filter(course=course, prerequisite__live=True)
        .select_related("prerequisite")
        .order_by("sort_order", "pk")
    ]


@dataclass(frozen=True)
class LessonProgress:
    """A learner's state in one lesson, as lms.records reports it."""

    started: bool
    completed: bool
    score_percent: int | None = None


def lesson_progress_for_user(
    *, user, lesson_keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LessonProgress]:
    """Progress of one learner in the given lessons, keyed by the lessons' translation_key.

    lms.records owns the rows and answers in one query, with an entry only for lessons the
    learner started (never a guess); no rows means no progress shown.
    """
    if not getattr(user, "is_authenticated", False) or not lesson_keys:
        return {}
    # Imported here: lms.records imports courses models and selectors at module level.
    from lms.records.selectors import lesson_progress

    return lesson_progress(user, lesson_keys)


@dataclass
class LessonRow:
    lesson: LessonPage
    progress: LessonProgress | None
    is_current: bool = False


@dataclass
class CourseOutline:
    rows: list[LessonRow] = field(default_factory=list)
    # The lesson the "continue" button opens: the first required lesson not completed.
    next_lesson: LessonPage | None = None
    has_progress: bool = False
    completed_count: int = 0
    required_count: int = 0

    @property
    def is_complete(self) -> bool:
        return self.required_count > 0 and self.completed_count == self.required_count


def _outline(lessons: Iterable[LessonPage], user) -> CourseOutline:
    lessons = list(lessons)
    progress = lesson_progress_for_user(
        user=user, lesson_keys=[lesson.translation_key for lesson in lessons]
    )
    outline = CourseOutline(has_progress=bool(progress))
    for lesson in lessons:
        state = progress.get(lesson.translation_key)
        outline.rows.append(LessonRow(lesson=lesson, progress=state))
        if lesson.is_required:
            outline.required_count += 1
            if state is not None and state.completed:
                outline.completed_count += 1
    for row in outline.rows:
        if row.progress is None or not row.progress.completed:
            outline.next_lesson = row.lesson
            break
    return outline


def course_enrolment_for_user(*, course: CoursePage, user):
    """The learner's enrolment in the course (lms.records owns enrolments), or None."""
    from lms.records.selectors import enrolment_for

    return enrolment_for(user=user, course_key=course.translation_key)


def course_outline_for_user(*, course: CoursePage, user) -> CourseOutline:
    return _outline(course_lessons(course), user)


def lesson_context_for_user(*, lesson: LessonPage, user) -> dict:
    """Everything a lesson page shows around its body, in a fixed number of queries."""
    parent_path = lesson.path[: -LessonPage.steplen]
    course = CoursePage.objects.select_related("provider").get(path=parent_path)
    outline = course_outline_for_user(course=course, user=user)
    for row in outline.rows:
        row.is_current = row.lesson.pk == lesson.pk
    position = next((i for i, row in enumerate(outline.rows) if row.is_current), None)
    previous_lesson = next_lesson = None
    if position is not None:
        if position > 0:
            previous_lesson = outline.rows[position - 1].lesson
        if position + 1 < len(outline.rows):
            next_lesson = outline.rows[position + 1].lesson
    activities = {}
    for kind in (ActivityKind.H5P, ActivityKind.QUIZ):
        keys = lesson.activity_keys(kind)
        resolved = resolve_activities(kind, keys)
        # Unresolved keys are kept (as None) so their blocks do not ask again one by one.
        for key in keys:
            activities[(kind, key)] = resolved.get(key)
    return {
        "course": course,
        "outline": outline,
        # The content app's player script is only sent to lessons that can use it.
        "has_h5p_player": any(
            info is not None
            for (kind, _key), info in activities.items()
            if kind == ActivityKind.H5P
        ),
        "previous_lesson": previous_lesson,
        "next_lesson": next_lesson,
        "activities": activities,
        "criteria": lesson.completion_criteria(course_key=course.translation_key),
    }


def course_completion_criteria(course: CoursePage) -> list[CompletionCriteria]:
    """Criteria of every live lesson of a course, for lms.records to evaluate."""
    lessons = LessonPage.objects.live().child_of(course).order_by("path")
    return [lesson.completion_criteria(course_key=course.translation_key) for lesson in lessons]


def lesson_by_key(key: uuid.UUID) -> LessonPage | None:
    """The live lesson a record points at, whatever revisions it went through since."""
    return LessonPage.objects.live().filter(translation_key=key).first()
