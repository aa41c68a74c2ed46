"""Page view-models of the learner home (Beranda) and the supervisor's team (Tim Saya).

They compose reads of other apps: the records (lms.records.selectors), the course tree
(titles, lesson order, URLs), people (who supervises whom, through
lms.people.permissions), feedback threads (lms.feedback) and certificates. Each
page is a fixed number of queries whatever the number of courses, credits or staff.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models.functions import Length, Substr
from django.urls import reverse
from django.utils.formats import date_format

from courses.models import CoursePage, LearningForm, LessonPage
from lms.feedback import selectors as feedback_selectors
from lms.people.models import LearnerProfile
from lms.records import selectors as records
from lms.records.models import YEARLY_MINIMUM_JP, CourseCompletion

SUPERVISOR_SESSION_KEY = "learning_is_supervisor"
DUE_SOON_DAYS = 7


# --- the "Tim Saya" menu link -------------------------------------------------------------


def supervises_anyone(user) -> bool:
    """Whether any active person names this user's profile as supervisor; one query."""
    if not getattr(user, "is_authenticated", False):
        return False
    return LearnerProfile.objects.filter(
        supervisor__user_id=user.pk, supervisor__is_active=True, is_active=True
    ).exists()


def remember_supervisor_flag(sender=None, request=None, user=None, **kwargs) -> None:
    """On log-in, keep in the session whether the user supervises anyone (menu link)."""
    session = getattr(request, "session", None)
    if session is not None and user is not None:
        session[SUPERVISOR_SESSION_KEY] = supervises_anyone(user)


def show_team_link(request) -> bool:
    """The menu's "Tim Saya" link: from the session flag, no query. Sessions older than
    the flag show no link; the team page itself always checks for real."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SUPERVISOR_SESSION_KEY))


def refresh_supervisor_flag(request, value: bool) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.get(SUPERVISOR_SESSION_KEY) != value:
        session[SUPERVISOR_SESSION_KEY] = value


# --- links into the feedback and certificates apps ----------------------------------------


def _certificate_url(certificate) -> str:
    return reverse("certificates:download", args=[certificate.pk])


def certificates_zip_url(year: int) -> str:
    return reverse("certificates:zip", args=[year])


def feedback_urls(profile_id: int) -> tuple[str, str]:
    """Where a supervisor posts feedback to a person, and the "remind" button."""
    return (
        reverse("feedback:write", args=[profile_id]),
        reverse("feedback:nudge", args=[profile_id]),
    )


@dataclass(frozen=True)
class FeedbackItem:
    title: str
    last_body: str
    last_author: str
    last_at: datetime.datetime | None
    url: str
    unread: bool = False


def feedback_for(learner: LearnerProfile, limit: int = 10) -> list[FeedbackItem]:
    """The learner's feedback threads, latest first, with their last message; one query."""
    return [
        FeedbackItem(
            title=thread.topic_title or str(thread.get_topic_kind_display()),
            last_body=thread.last_body or "",
            last_author=thread.last_author_name or "",
            last_at=thread.last_message_at,
            url=reverse("feedback:thread", args=[thread.pk]),
            unread=bool(getattr(thread, "unread", False)),
        )
        for thread in feedback_selectors.threads_for_learner(learner, limit=limit)
    ]


# --- the learner home ---------------------------------------------------------------------


@dataclass
class CourseCard:
    key: uuid.UUID
    title: str
    url: str | None
    is_mandatory: bool
    due_date: datetime.date | None
    days_left: int | None
    percent: int
    started: bool
    completed: bool
    last_activity_at: datetime.datetime | None = None
    next_lesson_title: str = ""
    next_lesson_url: str | None = None

    @property
    def overdue(self) -> bool:
        return not self.completed and self.days_left is not None and self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.overdue else 0

    @property
    def due_soon(self) -> bool:
        return (
            not self.completed
            and self.days_left is not None
            and 0 <= self.days_left <= DUE_SOON_DAYS
        )


@dataclass
class CompletedCard:
    completion: CourseCompletion
    url: str | None
    certificate_number: str
    certificate_url: str | None
    revoked: bool


@dataclass(frozen=True)
class Bar:
    label: str
    jp: int
    percent: int  # of the tallest bar (months) or of the year's total (learning forms)
    x: int = 0
    height: int = 0
    y: int = 0


@dataclass
class JpChart:
    year: int
    total: int
    minimum: int
    months: list[Bar]
    forms: list[Bar]
    chart_height: int
    chart_width: int

    @property
    def met(self) -> bool:
        return self.total >= self.minimum

    @property
    def missing(self) -> int:
        return max(0, self.minimum - self.total)

    @property
    def percent(self) -> int:
        return min(100, round(self.total * 100 / self.minimum)) if self.minimum else 100


@dataclass
class Home:
    learner: LearnerProfile
    today: datetime.date
    mandatory: list[CourseCard]
    in_progress: list[CourseCard]
    completed: list[CompletedCard]
    jp: JpChart
    certificates_zip_url: str
    feedback: list[FeedbackItem] | None
    overdue_count: int = 0

    @property
    def certificates(self) -> list[CompletedCard]:
        return [done for done in self.completed if done.certificate_number]

    @property
    def certificates_pending(self) -> int:
        """Completions whose certificate is still being issued (in the background)."""
        return sum(1 for done in self.completed if not done.certificate_number)

    @property
    def has_certificates_this_year(self) -> bool:
        return any(
            done.completion.year == self.today.year and done.certificate_url
            for done in self.completed
        )


BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 18, 6, 80


def jp_chart(*, credits, year: int) -> JpChart:
    by_month = [0] * 12
    by_form: dict[str, int] = {}
    for credit in credits:
        by_month[credit.credited_on.month - 1] += credit.jp
        by_form[credit.learning_form] = by_form.get(credit.learning_form, 0) + credit.jp
    total = sum(by_month)
    tallest = max(max(by_month), 1)
    months = []
    for index, jp in enumerate(by_month):
        height = round(jp * CHART_HEIGHT / tallest)
        months.append(
            Bar(
                label=date_format(datetime.date(year, index + 1, 1), "M"),
                jp=jp,
                percent=round(jp * 100 / tallest),
                x=index * (BAR_WIDTH + BAR_GAP),
                height=height,
                y=CHART_HEIGHT - height,
            )
        )
    labels = dict(LearningForm.choices)
    forms = [
        Bar(label=str(labels.get(form, form)), jp=jp, percent=round(jp * 100 / total))
        for form, jp in sorted(by_form.items(), key=lambda item: (-item[1], item[0]))
    ]
    return JpChart(
        year=year,
        total=total,
        minimum=YEARLY_MINIMUM_JP,
        months=months,
        forms=forms,
        chart_height=CHART_HEIGHT,
        chart_width=12 * (BAR_WIDTH + BAR_GAP) - BAR_GAP,
    )


def _page_url(page, request) -> str | None:
    return page.get_url(request) if page is not None else None


def _next_lesson(lessons: list[LessonPage], lesson_rows: dict) -> LessonPage | None:
    """Where "Lanjutkan" goes: the lesson touched last if it is not complete yet,
    otherwise the first incomplete lesson after it (then before it), otherwise the first
    lesson of the course."""
    if not lessons:
        return None
    touched = [
        (lesson_rows[lesson.translation_key].last_activity_at, index)
        for index, lesson in enumerate(lessons)
        if lesson.translation_key in lesson_rows
    ]

    def incomplete(lesson) -> bool:
        row = lesson_rows.get(lesson.translation_key)
        return row is None or row.completed_at is None

    if touched:
        _, last = max(touched)
        if incomplete(lessons[last]):
            return lessons[last]
        for lesson in lessons[last + 1 :] + lessons[:last]:
            if incomplete(lesson):
                return lesson
    return next((lesson for lesson in lessons if incomplete(lesson)), lessons[0])


def _course_pages(keys) -> dict[uuid.UUID, CoursePage]:
    if not keys:
        return {}
    return {
        page.translation_key: page
        for page in CoursePage.objects.live()
        .filter(translation_key__in=list(keys))
        .only("title", "url_path", "path", "depth", "translation_key", "locale_id")
    }


def _lessons_by_course(courses: list[CoursePage]) -> dict[uuid.UUID, list[LessonPage]]:
    """The live lessons of several courses, in tree order; one query."""
    if not courses:
        return {}
    by_path = {course.path: course.translation_key for course in courses}
    lessons = (
        LessonPage.objects.live()
        .annotate(parent_path=Substr("path", 1, Length("path") - LessonPage.steplen))
        .filter(parent_path__in=list(by_path))
        .only("title", "url_path", "path", "depth", "translation_key", "locale_id")
        .order_by("path")
    )
    result: dict[uuid.UUID, list[LessonPage]] = {key: [] for key in by_path.values()}
    for lesson in lessons:
        result[by_path[lesson.parent_path]].append(lesson)
    return result


def home_for(
    *,
    learner: LearnerProfile,
    request=None,
    today: datetime.date | None = None,
    include_feedback: bool = True,
) -> Home:
    """Everything the learner home shows; a fixed number of queries."""
    today = today or records.local_date(learner.city.timezone)
    data = records.learner_records(
        learner=learner, year=today.year, completion_related=["certificate"]
    )
    completed_keys = {c.course_key for c in data.completions} | {
        key for key, row in data.course_rows.items() if row.completed_at is not None
    }
    withdrawn = {e.course_key for e in data.enrolments if e.status != e.Status.ACTIVE}
    active = [e for e in data.enrolments if e.status == e.Status.ACTIVE]
    pages = _course_pages({e.course_key for e in active} | set(data.course_rows) | completed_keys)
    open_keys = [
        key
        for key in ({e.course_key for e in active} | set(data.course_rows))
        if key not in completed_keys and key not in withdrawn and key in pages
    ]
    lessons = _lessons_by_course([pages[key] for key in open_keys])

    def card(key, enrolment=None) -> CourseCard:
        page = pages.get(key)
        row = data.course_rows.get(key)
        due = enrolment.due_date if enrolment is not None else None
        completed = key in completed_keys
        result = CourseCard(
            key=key,
            title=page.title if page else "",
            url=_page_url(page, request),
            is_mandatory=bool(enrolment and enrolment.is_mandatory),
            due_date=due,
            days_left=(due - today).days if due is not None else None,
            percent=100 if completed else (row.progress if row else 0),
            started=row is not None,
            completed=completed,
            last_activity_at=row.last_activity_at if row else None,
        )
        if not completed and key in lessons:
            lesson = _next_lesson(lessons[key], data.lesson_rows)
            if lesson is not None:
                result.next_lesson_title = lesson.title
                result.next_lesson_url = _page_url(lesson, request)
        return result

    mandatory = [
        card(e.course_key, e)
        for e in active
        if e.is_mandatory and e.course_key not in completed_keys and e.course_key in pages
    ]
    mandatory.sort(key=lambda c: (c.due_date is None, c.due_date or today, c.title))
    mandatory_keys = {c.key for c in mandatory}
    enrolment_by_key = {e.course_key: e for e in active}
    in_progress = [
        card(key, enrolment_by_key.get(key)) for key in open_keys if key not in mandatory_keys
    ]
    # Started courses, latest first; then the ones enrolled in but not started yet.
    in_progress.sort(
        key=lambda c: (
            not c.started,
            -(c.last_activity_at.timestamp() if c.last_activity_at else 0),
            c.title,
        )
    )

    completed = []
    for completion in data.completions:
        certificate = getattr(completion, "certificate", None)  # issued in the background
        revoked = certificate is not None and certificate.is_revoked
        completed.append(
            CompletedCard(
                completion=completion,
                url=_page_url(pages.get(completion.course_key), request),
                certificate_number=(getattr(certificate, "number", "") if certificate else ""),
                certificate_url=(
                    _certificate_url(certificate) if certificate and not revoked else None
                ),
                revoked=revoked,
            )
        )
    return Home(
        learner=learner,
        today=today,
        mandatory=mandatory,
        in_progress=in_progress,
        completed=completed,
        jp=jp_chart(credits=data.credits, year=today.year),
        certificates_zip_url=certificates_zip_url(today.year),
        feedback=feedback_for(learner) if include_feedback else None,
        overdue_count=sum(1 for c in mandatory if c.overdue),
    )


# --- the supervisor's team ----------------------------------------------------------------

SORTS = {
    "name": lambda row: (row.profile.full_name.casefold(), row.profile.pk),
    "jp": lambda row: (row.jp_this_year, row.profile.full_name.casefold()),
    "overdue": lambda row: (row.overdue, row.profile.full_name.casefold()),
    "activity": lambda row: (
        row.last_activity_at is not None,
        row.last_activity_at.timestamp() if row.last_activity_at else 0,
        row.profile.full_name.casefold(),
    ),
}
DEFAULT_SORT = "name"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """("jp", descending?) from "jp" or "-jp"; anything unknown sorts by name."""
    value = (value or "").strip()
    descending = value.startswith("-")
    name = value.lstrip("-")
    if name not in SORTS:
        return DEFAULT_SORT, False
    return name, descending


@dataclass(frozen=True)
class QuizLine:
    attempt_id: uuid.UUID
    title: str
    score_percent: float | None
    passed: bool | None
    submitted_at: datetime.datetime


@dataclass
class TeamLine:
    row: records.TeamRow
    quizzes: list[QuizLine]
    write_url: str | None
    nudge_url: str | None

    def __getattr__(self, name):
        # The template reads the row's fields straight from the line.
        row = self.__dict__.get("row")
        if row is None:
            raise AttributeError(name)
        return getattr(row, name)


@dataclass
class TeamPage:
    supervisor: LearnerProfile
    indirect: bool
    sort: str
    descending: bool
    behind_only: bool
    overdue_only: bool
    lines: list[TeamLine]
    total: int
    behind: int
    with_overdue: int
    year: int
    minimum: int = YEARLY_MINIMUM_JP


def _quiz_titles(results) -> dict[uuid.UUID, str]:
    keys = {result.quiz_key for result in results}
    if not keys:
        return {}
    from courses.quiz_models import Quiz

    return dict(Quiz.objects.filter(key__in=keys).values_list("key", "title"))


def _quiz_lines(results, titles) -> list[QuizLine]:
    return [
        QuizLine(
            attempt_id=r.attempt_id,
            title=titles.get(r.quiz_key, ""),
            score_percent=r.score_percent,
            passed=r.passed,
            submitted_at=r.submitted_at,
        )
        for r in results
    ]


def _lines(rows: list[records.TeamRow]) -> list[TeamLine]:
    titles = _quiz_titles([q for row in rows for q in row.recent_quizzes])
    lines = []
    for row in rows:
        write, nudge = feedback_urls(row.profile.pk)
        lines.append(TeamLine(row, _quiz_lines(row.recent_quizzes, titles), write, nudge))
    return lines


def team_page(
    *,
    viewer,
    supervisor: LearnerProfile,
    indirect: bool = False,
    sort: str | None = None,
    behind_only: bool = False,
    overdue_only: bool = False,
    today: datetime.date | None = None,
) -> TeamPage:
    """The team list: who, how far, sorted and filtered; a fixed number of queries."""
    today = today or records.local_date(supervisor.city.timezone)
    rows = records.team_rows(
        viewer=viewer, supervisor=supervisor, year=today.year, today=today, indirect=indirect
    )
    sort_name, descending = parse_sort(sort)
    shown = [
        row
        for row in rows
        if (not behind_only or row.behind_on_jp) and (not overdue_only or row.overdue)
    ]
    shown.sort(key=SORTS[sort_name], reverse=descending)
    return TeamPage(
        supervisor=supervisor,
        indirect=indirect,
        sort=sort_name,
        descending=descending,
        behind_only=behind_only,
        overdue_only=overdue_only,
        lines=_lines(shown),
        total=len(rows),
        behind=sum(1 for row in rows if row.behind_on_jp),
        with_overdue=sum(1 for row in rows if row.overdue),
        year=today.year,
    )


@dataclass
class MemberPage:
    line: TeamLine
    home: Home
    quizzes: list[QuizLine]


def member_page(
    *,
    viewer,
    supervisor: LearnerProfile,
    profile_id: int,
    request=None,
    today: datetime.date | None = None,
) -> MemberPage | None:
    """One person of the supervisor's team (direct or indirect) with their courses and
    results; None when the person is not in the viewer's team."""
    today = today or records.local_date(supervisor.city.timezone)
    profile = LearnerProfile.objects.filter(pk=profile_id).only("pk").first()
    if profile is None:
        return None
    rows = records.team_rows(
        viewer=viewer,
        supervisor=supervisor,
        year=today.year,
        today=today,
        indirect=True,
        only=profile,
    )
    if not rows:
        return None
    row = rows[0]
    results = records.learner_quiz_results(learner=row.profile, limit=10)
    titles = _quiz_titles(results)
    write, nudge = feedback_urls(row.profile.pk)
    line = TeamLine(row, _quiz_lines(row.recent_quizzes, titles), write, nudge)
    home = home_for(learner=row.profile, request=request, today=today, include_feedback=False)
    return MemberPage(line=line, home=home, quizzes=_quiz_lines(results, titles))
