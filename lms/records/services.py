"""Writes of learning records: statements, progress, completions, the JP ledger, rollups
and enrolments. Nothing else in the project writes learner data.

Correctness under retries and concurrency rests on four rules:

1. Every writer of a learner's records first takes that learner's lock (SELECT ... FOR
   NO KEY UPDATE on the profile row; on SQLite the first write takes the database lock).
   So two requests of one learner never interleave, and values computed in Python from
   rows read under the lock (max(old, new), "first crossing", the 3-JP split) are exact.
   NO KEY UPDATE, not UPDATE, so rows that merely reference the profile are not blocked.
2. Statements are inserted with ON CONFLICT DO NOTHING in id order, then read back: rows
   carrying this request's batch token are new; any other row must hold the same
   content (acknowledged, nothing changes) or the whole request is refused (409).
3. Shared rows (the rollup counters: Rollup, RollupWeek, RollupDue, then RollupActive)
   are written last, one statement per table, in a fixed order, and only when a
   learner's state changed;
   learner rows (progress, completions, the ledger, LearnerYear, LearnerActivity) come
   before them. A fixed order of locks (learner, learner's rows, shared rows in table
   and key order) cannot deadlock.
4. Side effects (notifications) run after commit.
"""

import datetime
import json
import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CompletionRule, CoursePage, LearningForm
from lms.core import sql
from lms.people import permissions
from lms.people.models import Agency, City, LearnerProfile
from lms.records import selectors
from lms.records import sql as records_sql
from lms.records.models import (
    E_LEARNING_DAILY_CAP_JP,
    NO_COURSE,
    ROLLUP_SHARDS,
    YEARLY_MINIMUM_JP,
    ActivityKind,
    ActivityProgress,
    ActivityState,
    CourseCompletion,
    Enrolment,
    EnrolmentChange,
    EnrolmentRule,
    JpCredit,
    LearnerActivity,
    LearnerYear,
    Rollup,
    RollupActive,
    RollupDue,
    RollupWeek,
    Statement,
)
from lms.records.rollups import week_of
from lms.records.selectors import CourseInfo, LessonInfo, local_date
from lms.records.xapi import (
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_PASSED,
    ParsedStatement,
    StatementError,
)

logger = logging.getLogger(__name__)


class AccessDenied(Exception):
    """The user may not record this (403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StatementConflict(Exception):
    """A statement id already stored with different content (409)."""

    def __init__(self, statement_id: uuid.UUID):
        self.statement_id = statement_id
        self.message = _(
            "A different statement with the id %(id)s was already stored. Statement ids "
            "must be unique: generate a new UUID for a new statement."
        ) % {"id": statement_id}
        super().__init__(self.message)


@dataclass
class RecordResult:
    ids: list[uuid.UUID]
    stored: int = 0
    duplicates: int = 0
    completed_courses: list[uuid.UUID] = field(default_factory=list)


def _uses_row_locks() -> bool:
    return connection.features.has_select_for_update


def _learner(*, user=None, learner_id: int | None = None, lock: bool) -> LearnerProfile | None:
    # The learner's city and last active day come along (joins, no extra query), so that
    # most events need no LearnerActivity write at all. SQL built once (lms.records.sql):
    # compiling this three-table select was the largest cost of a statement request.
    return records_sql.learner_with_city_and_activity(
        user_id=user.pk if user is not None else None,
        learner_id=learner_id,
        lock=lock,
    )


# --- the engine: applies statements and criteria to a learner's rows in memory ------------


class _Deltas:
    """Counter changes of one learner's transaction, written last (rule 3).

    ``years`` feeds Rollup (course key x year), ``weeks`` feeds RollupWeek (the Monday of
    the city-local day). Each change is attributed to a day that the records themselves
    keep, so that rollups_rebuild can recompute every counter from the rows.
    """

    def __init__(self):
        self.years: dict[tuple[uuid.UUID, int], Counter] = defaultdict(Counter)
        self.weeks: dict[datetime.date, Counter] = defaultdict(Counter)
        # RollupDue: (city, agency, course key, due date, shard) -> change of "open".
        self.due: Counter = Counter()
        # RollupActive: (city, agency, day, shard) -> change of "learners".
        self.active: Counter = Counter()

    def add(self, name: str, course_key: uuid.UUID, day: datetime.date, amount=1, *, weekly=True):
        self.years[(course_key, day.year)][name] += amount
        if weekly:
            self.weeks[week_of(day)][name] += amount


# What a statement may change on an existing ActivityProgress row.
_PROGRESS_UPDATED = (
    "progress",
    "best_score",
    "last_score",
    "time_spent_seconds",
    "statement_count",
    "last_activity_at",
    "viewed_at",
    "passed_at",
    "completed_at",
    "criteria",
)


class _Recorder:
    """One learner's rows, changed in memory under the learner's lock, then written in a
    fixed number of queries (flush)."""

    def __init__(self, *, profile: LearnerProfile, courses: dict[uuid.UUID, CourseInfo]):
        self.profile = profile
        self.now = timezone.now()
        self.today = local_date(profile.city.timezone, self.now)
        self.courses = courses
        self.lessons: dict[uuid.UUID, LessonInfo] = {
            lesson.key: lesson for course in courses.values() for lesson in course.lessons
        }
        self.rows: dict[uuid.UUID, ActivityProgress] = {}
        self.dirty: set[uuid.UUID] = set()
        self.deltas = _Deltas()
        self.started_courses: list[uuid.UUID] = []
        self.completions: list[CourseCompletion] = []
        # Whether a statement or quiz result was applied (not merely criteria evaluated
        # again): only that makes the learner "active" today.
        self.active = False

    def load(self, extra_keys: set[uuid.UUID] = frozenset()) -> None:
        """The learner's rows of these courses (and shared activities): one query."""
        read = self.read(extra_keys)
        self.take(read.run() if read is not None else [])

    def read(self, extra_keys: set[uuid.UUID] = frozenset()):
        """The query ``load`` runs, to send it along with another (lms.core.sql)."""
        keys = set(extra_keys)
        for lesson in self.lessons.values():
            keys |= lesson.h5p_keys | lesson.quiz_keys
        return sql.rows_of_learner_read(
            ActivityProgress,
            learner_id=self.profile.pk,
            any_of={
                "course_key": sorted(self.courses, key=str),
                "activity_key": sorted(keys, key=str),
            },
        )

    def take(self, rows: list[ActivityProgress]) -> None:
        for row in rows:
            row.learner = self.profile  # the same object: no query when it is read
            self.rows[row.activity_key] = row

    def _row(self, *, kind: str, key: uuid.UUID, lesson_key, course_key) -> ActivityProgress:
        row = self.rows.get(key)
        if row is None:
            row = ActivityProgress(
                learner=self.profile,
                kind=kind,
                activity_key=key,
                lesson_key=lesson_key,
                course_key=course_key,
                started_at=self.now,
                last_activity_at=self.now,
            )
            self.rows[key] = row
            if kind == ActivityKind.COURSE:
                # started_at is now: the rebuild finds this day again from the row.
                self.deltas.add("started", course_key, self.today)
                self.started_courses.append(course_key)
        self.dirty.add(key)
        return row

    def apply(self, statement: ParsedStatement) -> None:
        if statement.is_child:
            # Parts of an H5P activity are kept as statements; the parent's own result
            # statement is the one that grades.
            return
        lesson = self.lessons[statement.lesson_key]
        course_key = lesson.course_key
        self.active = True
        course_row = self._row(
            kind=ActivityKind.COURSE, key=course_key, lesson_key=None, course_key=course_key
        )
        lesson_row = self._row(
            kind=ActivityKind.LESSON, key=lesson.key, lesson_key=lesson.key, course_key=course_key
        )
        course_row.last_activity_at = lesson_row.last_activity_at = self.now
        seconds = statement.duration_seconds or 0
        course_row.time_spent_seconds += seconds
        if statement.kind == ActivityKind.LESSON:
            row = lesson_row
            row.viewed_at = row.viewed_at or self.now
            if statement.progress is not None and row.completed_at is None:
                # 100 on a lesson row means "complete by its criteria", decided below.
                row.progress = max(row.progress, min(statement.progress, 99))
        else:
            row = self._row(
                kind=statement.kind,
                key=statement.activity_key,
                lesson_key=lesson.key,
                course_key=course_key,
            )
            row.last_activity_at = self.now
            lesson_row.time_spent_seconds += seconds
            if statement.progress is not None:
                row.progress = max(row.progress, statement.progress)
            if statement.score_percent is not None:
                self._score(row, statement.score_percent)
            passed = statement.verb == VERB_PASSED or statement.success is True
            if passed and row.passed_at is None:
                row.passed_at = self.now
                self.deltas.add("passed", *self._attribution(row), weekly=False)
            if passed or statement.verb == VERB_COMPLETED or statement.completion is True:
                row.progress = 100
            if row.progress == 100 and row.completed_at is None:
                row.completed_at = self.now
        row.time_spent_seconds += seconds
        row.statement_count += 1

    def _attribution(self, row: ActivityProgress) -> tuple[uuid.UUID, datetime.date]:
        """Where an activity row's scored/score_sum/passed counters go: the row's own
        course key and the city-local day it was started, not today's, because only
        what the row keeps lets a rebuild (lms.records.rollups) reproduce the counters
        exactly; a score improved in January still belongs to the year the learner
        started the activity, as "started" does."""
        return row.course_key or NO_COURSE, local_date(self.profile.city.timezone, row.started_at)

    def _score(self, row: ActivityProgress, score: float) -> None:
        row.last_score = score
        if row.best_score is None or score > row.best_score:
            course_key, day = self._attribution(row)
            if row.best_score is None:
                self.deltas.add("scored", course_key, day, weekly=False)
            self.deltas.add(
                "score_sum", course_key, day, score - (row.best_score or 0), weekly=False
            )
            row.best_score = score

    def evaluate(self, course_keys) -> None:
        for course_key in course_keys:
            course = self.courses.get(course_key)
            if course is None:
                continue
            for lesson in course.lessons:
                self._evaluate_lesson(lesson)
            self._evaluate_course(course)

    def _evaluate_lesson(self, lesson: LessonInfo) -> None:
        row = self.rows.get(lesson.key)
        keys = lesson.criteria_keys
        rule = lesson.criteria.rule
        if rule == CompletionRule.VIEWED:
            oks = [row is not None and row.viewed_at is not None]
        else:
            oks = []
            for key in keys:
                activity = self.rows.get(key)
                if activity is None:
                    oks.append(False)
                elif rule == CompletionRule.H5P_SCORE:
                    threshold = lesson.criteria.threshold or 100
                    oks.append(activity.best_score is not None and activity.best_score >= threshold)
                else:
                    oks.append(activity.passed_at is not None)
        satisfied = bool(oks) and all(oks)
        if row is None:
            if not any(self.rows.get(key) for key in keys):
                return
            row = self._row(
                kind=ActivityKind.LESSON,
                key=lesson.key,
                lesson_key=lesson.key,
                course_key=lesson.course_key,
            )
        before = (row.progress, row.best_score, row.completed_at)
        scores = [
            self.rows[key].best_score
            for key in keys
            if key in self.rows and self.rows[key].best_score is not None
        ]
        if scores:
            mean = round(sum(scores) / len(keys), 2)
            if row.best_score is None or mean > row.best_score:
                row.best_score = mean
        if row.completed_at is None:
            if satisfied:
                row.progress = 100
                row.completed_at = self.now
                row.criteria = lesson.criteria_snapshot()
            elif oks:
                row.progress = max(row.progress, 99 * sum(oks) // len(oks))
        if (row.progress, row.best_score, row.completed_at) != before:
            self.dirty.add(lesson.key)

    def _evaluate_course(self, course: CourseInfo) -> None:
        row = self.rows.get(course.key)
        required = course.required_lessons
        if row is None or row.completed_at is not None or not required:
            return
        done = sum(
            1
            for lesson in required
            if lesson.key in self.rows and self.rows[lesson.key].completed_at is not None
        )
        if done == len(required):
            row.progress = 100
            row.completed_at = self.now
            row.criteria = [lesson.criteria_snapshot() for lesson in course.lessons]
            self.dirty.add(course.key)
            self.deltas.add("completed", course.key, self.today)
            self.completions.append(
                CourseCompletion(
                    learner=self.profile,
                    city_id=self.profile.city_id,
                    course_key=course.key,
                    course_title=course.title[:255],
                    organiser=course.organiser[:255],
                    learning_form=course.learning_form,
                    jp=course.jp,
                    started_on=local_date(self.profile.city.timezone, row.started_at),
                    completed_on=self.today,
                    year=self.today.year,
                    completed_at=self.now,
                    criteria={"lessons": row.criteria},
                )
            )
        else:
            progress = 99 * done // len(required)
            if progress > row.progress:
                row.progress = progress
                self.dirty.add(course.key)

    def flush(self) -> None:
        """Write everything in a constant number of queries, learner rows first."""
        if self.dirty:
            rows = [self.rows[key] for key in sorted(self.dirty, key=str)]
            # One INSERT ... ON CONFLICT DO UPDATE for new and existing rows alike.
            sql.upsert(
                ActivityProgress,
                rows,
                unique=("learner", "activity_key"),
                update=_PROGRESS_UPDATED,
            )
        if self.active:
            _learner_activity_write(profile=self.profile, today=self.today, deltas=self.deltas)
        if self.started_courses:
            Enrolment.objects.bulk_create(
                [
                    Enrolment(
                        learner=self.profile,
                        course_key=key,
                        source=Enrolment.Source.ACTIVITY,
                        enrolled_at=self.now,
                    )
                    for key in sorted(self.started_courses, key=str)
                ],
                ignore_conflicts=True,
            )
        for completion in self.completions:
            completion.save(force_insert=True)
            _jp_credit_write(
                profile=self.profile,
                source=JpCredit.Source.COURSE_COMPLETION,
                source_key=str(completion.course_key),
                title=completion.course_title,
                jp=completion.jp,
                learning_form=completion.learning_form,
                earned_on=completion.completed_on,
                completion=completion,
                rollup_course_key=completion.course_key,
                deltas=self.deltas,
            )
            transaction.on_commit(partial(_notify_completion, completion.pk))
        if self.completions:
            # A completed mandatory course is no longer open (nor overdue).
            self.deltas.due.update(
                _due_uncount(
                    learner_id=self.profile.pk,
                    course_keys=[c.course_key for c in self.completions],
                )
            )
        _rollup_apply(profile=self.profile, deltas=self.deltas)


def _notify_completion(completion_id: int) -> None:
    from lms.records.tasks import course_completed_notify

    course_completed_notify.enqueue(completion_id=completion_id)


# --- statements ---------------------------------------------------------------------------


def _dedupe(statements: list[ParsedStatement], learner_id: int) -> dict[uuid.UUID, tuple]:
    unique: dict[uuid.UUID, tuple[ParsedStatement, str]] = {}
    for statement in statements:
        digest = statement.content_hash(learner_id=learner_id)
        seen = unique.get(statement.id)
        if seen is None:
            unique[statement.id] = (statement, digest)
        elif seen[1] != digest:
            raise StatementConflict(statement.id)
    return unique


def statements_record(
    *, user, statements: list[ParsedStatement], row_fields: dict | None = None
) -> RecordResult:
    """Store a batch of validated statements of the logged-in learner and apply them.

    One transaction: statements, progress, completion, JP credit and rollups. A statement
    id seen before with the same content is acknowledged without any change; with other
    content the whole batch is refused (StatementConflict). Content the learner may not
    study is refused (AccessDenied) and nothing is stored.

    ``row_fields`` (statement id -> column values) lets the LRS (lms.records.lrs_services),
    which records external clients' statements about platform learners through this same
    path, set its own columns on the inserted rows: the payload as the client sent it,
    the client, the actor hash, ...
    """
    result = RecordResult(ids=[s.id for s in statements])
    if not statements:
        return result
    if any(_grades_quiz(statement) for statement in statements):
        # A browser could claim any score; quiz results come from quiz_result_record.
        raise AccessDenied(
            _(
                "Quiz results are graded by the server: answer the quiz on its page and your "
                "result is recorded when you submit it."
            )
        )
    profile = None
    if not _uses_row_locks():
        # SQLite: read before the transaction, so that its first statement is the write
        # that takes the database lock (a read first could not be upgraded under load).
        profile = _learner(user=user, lock=False)
        if profile is None:
            raise AccessDenied(_("Only learners with a learner profile can record progress."))
    with transaction.atomic():
        if profile is None:
            profile = _learner(user=user, lock=True)
            if profile is None:
                raise AccessDenied(_("Only learners with a learner profile can record progress."))
        _record_locked(
            profile=profile,
            statements=statements,
            result=result,
            check_access=True,
            row_fields=row_fields,
        )
    return result


def _record_locked(
    *,
    profile: LearnerProfile,
    statements: list[ParsedStatement],
    result: RecordResult,
    check_access: bool,
    row_fields: dict | None = None,
) -> None:
    """Store and apply statements; the caller holds the learner's lock in a transaction."""
    unique = _dedupe(statements, profile.pk)
    # The content and the progress rows are known before the insert (from every
    # statement, new or not), so that on PostgreSQL the insert and the read of the rows
    # share one round trip; a retry reads rows it does not need, which costs nothing.
    courses = selectors.content_for_lessons_cached(
        lesson_keys={s.lesson_key for s, _digest in unique.values()}, city_id=profile.city_id
    )
    recorder = _Recorder(profile=profile, courses=courses)
    read = None
    if sql.can_chain():
        read = recorder.read(
            {s.activity_key for s, _digest in unique.values() if s.lesson_key in recorder.lessons}
        )
    new, rows = _statements_insert(profile=profile, unique=unique, row_fields=row_fields, then=read)
    result.stored = len(new)
    result.duplicates = len(statements) - len(new)
    if not new:
        return
    if check_access:
        _check_access(new, courses)
    # A server-made result for a lesson unpublished meanwhile is kept as a statement, but
    # there are no criteria left to apply it to.
    applicable = [s for s in new if s.lesson_key in recorder.lessons]
    if not applicable:
        return
    if rows is not None:
        recorder.take(rows)
    else:
        recorder.load({s.activity_key for s in applicable})
    for statement in applicable:
        recorder.apply(statement)
    recorder.evaluate({recorder.lessons[s.lesson_key].course_key for s in applicable})
    recorder.flush()
    result.completed_courses = [c.course_key for c in recorder.completions]


def _grades_quiz(statement: ParsedStatement) -> bool:
    """Whether a statement would set a quiz's score, pass or completion."""
    return statement.kind == ActivityKind.QUIZ and (
        statement.verb in (VERB_PASSED, VERB_FAILED, VERB_COMPLETED)
        or statement.score_percent is not None
        or statement.success is not None
        or statement.completion is not None
        or statement.progress is not None
    )


# Names the statements the server makes for quiz grades (uuid5 of attempt and version).
QUIZ_RESULT_NAMESPACE = uuid.UUID("6f0d7c52-5d3e-4a63-9d7b-1c2f3e4a5b6c")


def quiz_result_record(*, attempt, quiz_grade_percent: float, passed: bool) -> RecordResult:
    """Report a learner's quiz grade (after a submit or a regrade) to the learning
    records, through the same engine as the browser's statements: progress, the lesson's
    ``quiz_passed`` rule, course completion, JP and rollups, in one transaction (joins the
    caller's). The statement id comes from (attempt id, grade version), so a retry is
    acknowledged and changes nothing."""
    from lms.records.xapi import ADL, activity_iri

    score = round(min(100.0, max(0.0, float(quiz_grade_percent))), 2)
    verb = VERB_PASSED if passed else VERB_FAILED
    statement_id = uuid.uuid5(QUIZ_RESULT_NAMESPACE, f"{attempt.id}:{attempt.grade_version}")
    object_iri = activity_iri("quiz", attempt.quiz_key)
    result_part = {"score": {"scaled": round(score / 100, 4)}, "success": bool(passed)}
    if passed:
        result_part["completion"] = True
    content = {
        "id": str(statement_id),
        "verb": {"id": verb, "display": {"en-US": verb.removeprefix(ADL)}},
        "object": {"objectType": "Activity", "id": object_iri},
        "result": result_part,
        "context": {
            "registration": str(attempt.id),
            "contextActivities": {"parent": [{"id": activity_iri("lesson", attempt.lesson_key)}]},
        },
    }
    statement = ParsedStatement(
        id=statement_id,
        verb=verb,
        object_iri=object_iri,
        kind=ActivityKind.QUIZ,
        activity_key=attempt.quiz_key,
        lesson_key=attempt.lesson_key,
        is_child=False,
        score_percent=score,
        success=bool(passed),
        completion=True if passed else None,
        progress=None,
        duration_seconds=None,
        content=content,
    )
    result = RecordResult(ids=[statement_id])
    with transaction.atomic():
        profile = _learner(learner_id=attempt.learner_id, lock=True)
        if profile is None:
            raise AccessDenied(_("Only learners with a learner profile can record progress."))
        _record_locked(profile=profile, statements=[statement], result=result, check_access=False)
    return result


def _statements_insert(
    *, profile: LearnerProfile, unique: dict, row_fields: dict | None = None, then=None
) -> tuple[list[ParsedStatement], list | None]:
    """The statements that are new (inserted now), and the rows of ``then`` (a
    lms.core.sql.Read sent in the same round trip; None without it)."""
    from lms.records.xapi import stored_payload

    now = timezone.now()
    token = uuid.uuid4()
    actor = {
        "objectType": "Agent",
        "name": profile.full_name,
        "account": {"homePage": _home_page(), "name": profile.nip},
    }
    rows = [
        Statement(
            id=statement.id,
            learner=profile,
            verb=statement.verb,
            object_iri=statement.object_iri,
            kind=statement.kind,
            activity_key=statement.activity_key,
            lesson_key=statement.lesson_key,
            is_child=statement.is_child,
            score_percent=statement.score_percent,
            success=statement.success,
            duration_seconds=statement.duration_seconds,
            content_hash=digest,
            batch_token=token,
            timestamp=now,
            stored_at=now,
            payload=stored_payload(statement, actor=actor, now=now),
            city_id=profile.city_id,
        )
        # Inserting in id order means two batches sharing ids wait for each other in
        # the same order instead of deadlocking.
        for statement, digest in sorted(unique.values(), key=lambda item: item[0].id)
    ]
    if row_fields:
        for row in rows:
            for name, value in row_fields.get(row.id, {}).items():
                setattr(row, name, value)
    inserted, read_rows = _insert_ignoring_conflicts(rows, then=then)
    if inserted is not None and len(inserted) == len(rows):
        return [statement for statement, _digest in unique.values()], read_rows
    # Some ids were there already (a retry, or a concurrent copy of this batch): read
    # them back; this request's rows carry its token, the others must match exactly.
    stored = {
        pk: (digest, batch)
        for pk, digest, batch in Statement.objects.filter(pk__in=list(unique)).values_list(
            "pk", "content_hash", "batch_token"
        )
    }
    new = []
    for statement_id, (statement, digest) in unique.items():
        stored_digest, batch = stored[statement_id]
        if batch == token:
            new.append(statement)
        elif stored_digest != digest:
            raise StatementConflict(statement_id)
    return new, read_rows


def _insert_ignoring_conflicts(rows: list[Statement], *, then=None) -> tuple[set | None, list]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the ids actually inserted, in one
    query (bulk_create cannot return rows when it ignores conflicts), and the rows of
    ``then`` read in the same round trip. Ids None when the database cannot return rows;
    the caller then reads them back."""
    if not connection.features.can_return_rows_from_bulk_insert:
        Statement.objects.bulk_create(rows, ignore_conflicts=True)
        return None, (then.run() if then is not None else None)
    if then is not None:
        return sql.insert_ignoring_conflicts(Statement, rows, then=then)
    return sql.insert_ignoring_conflicts(Statement, rows), None


def _home_page() -> str:
    from django.conf import settings

    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def _check_access(statements: list[ParsedStatement], courses: dict[uuid.UUID, CourseInfo]):
    lessons = {
        lesson.key: (lesson, course) for course in courses.values() for lesson in course.lessons
    }
    for statement in statements:
        found = lessons.get(statement.lesson_key)
        if found is None or not found[1].accessible:
            raise AccessDenied(
                _(
                    "You cannot record progress for this lesson: it is not in your city's "
                    "curriculum or no longer published."
                )
            )
        lesson = found[0]
        allowed = {ActivityKind.H5P: lesson.h5p_keys, ActivityKind.QUIZ: lesson.quiz_keys}
        if statement.kind in allowed and statement.activity_key not in allowed[statement.kind]:
            raise StatementError(
                _("The activity %(key)s is not part of the lesson “%(lesson)s”.")
                % {"key": statement.activity_key, "lesson": lesson.title}
            )


# --- rollups ------------------------------------------------------------------------------

_ROLLUP_COUNTERS = ("started", "completed", "jp", "scored", "score_sum", "passed", "met_minimum")
_WEEK_COUNTERS = ("started", "completed", "jp")


def _rollup_apply(*, profile: LearnerProfile, deltas: _Deltas) -> None:
    """Add counter deltas to the learner's Rollup rows, then to their RollupWeek rows:
    one INSERT ... ON CONFLICT DO UPDATE per table for all of them, in key order (the
    fixed lock order for shared rows), and none for a table without a change."""
    group = (profile.city_id, profile.agency_id or 0)
    shard = profile.pk % ROLLUP_SHARDS
    key_field = Rollup._meta.get_field("course_key")
    _counters_add(
        Rollup,
        keys=("city_id", "agency_id", "course_key", "year", "shard"),
        counters=_ROLLUP_COUNTERS,
        rows=[
            ((*group, key_field.get_db_prep_value(course_key, connection), year, shard), counts)
            for (course_key, year), counts in sorted(
                deltas.years.items(), key=lambda item: (str(item[0][0]), item[0][1])
            )
        ],
    )
    _counters_add(
        RollupWeek,
        keys=("city_id", "agency_id", "week", "shard"),
        counters=_WEEK_COUNTERS,
        rows=[((*group, week, shard), counts) for week, counts in sorted(deltas.weeks.items())],
    )
    _due_counters_add(deltas.due)
    _active_counters_add(deltas.active)


def _due_counters_add(changes: Counter) -> None:
    """Add changes of RollupDue's ``open``, keyed (city, agency, course key, due date,
    shard): one upsert, in key order, none when nothing changed."""
    key_field = RollupDue._meta.get_field("course_key")
    _counters_add(
        RollupDue,
        keys=("city_id", "agency_id", "course_key", "due_date", "shard"),
        counters=("open",),
        rows=[
            (
                (city, agency, key_field.get_db_prep_value(course, connection), due, shard),
                {"open": change},
            )
            for (city, agency, course, due, shard), change in sorted(
                changes.items(), key=lambda item: (*item[0][:2], str(item[0][2]), *item[0][3:])
            )
            if change
        ],
    )


def _counters_add(model, *, keys: tuple, counters: tuple, rows: list) -> None:
    rows = [(key, counts) for key, counts in rows if any(counts.get(n) for n in counters)]
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = (*keys, *counters)
    values, params = [], []
    for key, counts in rows:
        values.append("(" + ", ".join(["%s"] * len(columns)) + ")")
        params += [*key, *(counts.get(name, 0) for name in counters)]
    updates = ", ".join(
        f"{qn(name)} = {table}.{qn(name)} + excluded.{qn(name)}" for name in counters
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES {', '.join(values)} "
        f"ON CONFLICT ({', '.join(qn(c) for c in keys)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


_UNKNOWN = object()


def _learner_activity_write(
    *, profile: LearnerProfile, today: datetime.date, deltas: _Deltas
) -> None:
    """Remember that the learner was active today (their city's day), and move them in
    RollupActive from their old day (where it was counted) to today (``deltas``).

    No query when the profile, read with its LearnerActivity (see _learner), says today
    already; otherwise one insert or one compare-and-set update, which changes the row
    only if it still holds what was read. Under the learner's lock (PostgreSQL) that
    always holds; on SQLite, where the profile is read before the transaction, a
    concurrent request of the same learner may have moved it: then it is read again,
    so the counters move exactly once and the day never moves back.
    """
    known = _UNKNOWN
    if LearnerProfile.last_activity.is_cached(profile):
        try:
            known = profile.last_activity
        except LearnerActivity.DoesNotExist:
            known = None
    where = (profile.city_id, profile.agency_id or 0)
    shard = profile.pk % ROLLUP_SHARDS
    for _attempt in range(3):
        if known is _UNKNOWN:
            known = LearnerActivity.objects.filter(learner_id=profile.pk).first()
        if known is not None and known.last_active_on >= today:
            return
        if known is None:
            qn = connection.ops.quote_name
            table = qn(LearnerActivity._meta.db_table)
            columns = ", ".join(
                qn(name)
                for name in ("learner_id", "last_active_on", "counted_city_id", "counted_agency_id")
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) "
                    f"ON CONFLICT ({qn('learner_id')}) DO NOTHING",
                    [profile.pk, today, *where],
                )
                won = cursor.rowcount == 1
        else:
            won = (
                LearnerActivity.objects.filter(
                    learner_id=profile.pk,
                    last_active_on=known.last_active_on,
                    counted_city_id=known.counted_city_id,
                    counted_agency_id=known.counted_agency_id,
                ).update(last_active_on=today, counted_city_id=where[0], counted_agency_id=where[1])
                == 1
            )
        if won:
            if known is not None and known.counted_city_id is not None:
                old = (known.counted_city_id, known.counted_agency_id, known.last_active_on)
                deltas.active[(*old, shard)] -= 1
            deltas.active[(*where, today, shard)] += 1
            return
        known = _UNKNOWN
    raise RuntimeError(f"learner {profile.pk}: last active day kept changing")  # pragma: no cover


def _recount(rows, *, key_rest) -> tuple[list, Counter]:
    """Rows that remember where they are counted (``counted_city_id``/``agency_id``, read
    with their learner, locked): move each to where its learner is now, or out while the
    learner is inactive. Returns the moved rows (saved) and the counter changes, keyed
    (city, agency, *key_rest(row))."""
    changes: Counter = Counter()
    changed = []
    for row in rows:
        learner = row.learner
        want = (learner.city_id, learner.agency_id or 0) if learner.is_active else None
        have = (
            (row.counted_city_id, row.counted_agency_id)
            if row.counted_city_id is not None
            else None
        )
        if want == have:
            continue
        rest = key_rest(row)
        if have is not None:
            changes[(*have, *rest)] -= 1
        if want is not None:
            changes[(*want, *rest)] += 1
        row.counted_city_id, row.counted_agency_id = want or (None, None)
        changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(
            changed, ["counted_city_id", "counted_agency_id"], batch_size=1000
        )
    return changed, changes


def _locked_with_learner(rows, order: str):
    if _uses_row_locks():
        rows = rows.select_for_update(of=("self",))
    return rows.select_related("learner").order_by(order)


def _active_sync(learner_ids: list[int]) -> int:
    """Count each of these learners' last active day (RollupActive) under their current
    city and agency, not at all while inactive; returns how many rows moved."""
    with transaction.atomic(savepoint=False):
        changed, changes = _recount(
            _locked_with_learner(
                LearnerActivity.objects.filter(learner_id__in=learner_ids), "learner_id"
            ),
            key_rest=lambda row: (row.last_active_on, row.learner_id % ROLLUP_SHARDS),
        )
        _active_counters_add(changes)
    return len(changed)


def _met_sync(learner_ids: list[int]) -> int:
    """Count each of these learners' years at or above 20 JP (Rollup.met_minimum) under
    their current city and agency, not at all while inactive; returns how many moved."""
    with transaction.atomic(savepoint=False):
        changed, changes = _recount(
            _locked_with_learner(
                LearnerYear.objects.filter(learner_id__in=learner_ids, jp__gte=YEARLY_MINIMUM_JP),
                "pk",
            ),
            key_rest=lambda row: (row.year, row.learner_id % ROLLUP_SHARDS),
        )
        key_field = Rollup._meta.get_field("course_key")
        no_course = key_field.get_db_prep_value(NO_COURSE, connection)
        _counters_add(
            Rollup,
            keys=("city_id", "agency_id", "course_key", "year", "shard"),
            counters=_ROLLUP_COUNTERS,
            rows=[
                ((city, agency, no_course, year, shard), {"met_minimum": change})
                for (city, agency, year, shard), change in sorted(changes.items())
                if change
            ],
        )
    return len(changed)


def _active_counters_add(changes: Counter) -> None:
    _counters_add(
        RollupActive,
        keys=("city_id", "agency_id", "day", "shard"),
        counters=("learners",),
        rows=[(key, {"learners": change}) for key, change in sorted(changes.items()) if change],
    )


# Learners per round of learners_counts_sync: at most eight queries each.
COUNTS_SYNC_CHUNK = 1000


def learners_counts_sync(learner_ids) -> None:
    """After learners were created, moved to another agency, deactivated or reactivated
    (lms.people calls this): count their years at 20 JP (Rollup.met_minimum), their last
    active day (RollupActive) and their open mandatory courses (RollupDue) where they
    are now, or not at all while inactive."""
    learner_ids = list(learner_ids)
    for start in range(0, len(learner_ids), COUNTS_SYNC_CHUNK):
        chunk = learner_ids[start : start + COUNTS_SYNC_CHUNK]
        # The order the write path takes shared rows in: Rollup, RollupDue, RollupActive.
        _met_sync(chunk)
        due_counts_sync(learner_ids=chunk)
        _active_sync(chunk)


# --- open mandatory courses (RollupDue) ---------------------------------------------------

_COUNTED = ("counted_city_id", "counted_agency_id", "counted_due")


def _due_uncount(*, learner_id: int, course_keys: list[uuid.UUID]) -> Counter:
    """Take the learner's enrolments in these (just completed) courses out of RollupDue;
    returns the counter changes for the caller to write with its other rollups. One
    query when none of them was counted (the usual case), two otherwise."""
    rows = Enrolment.objects.filter(
        learner_id=learner_id, course_key__in=course_keys, counted_due__isnull=False
    ).order_by("pk")
    if _uses_row_locks():
        # Against a concurrent due_counts_sync of the same enrolment (an admin's change).
        rows = rows.select_for_update()
    rows = list(rows.values_list("pk", "course_key", *_COUNTED))
    changes: Counter = Counter()
    if not rows:
        return changes
    for _pk, course_key, city_id, agency_id, due in rows:
        changes[(city_id, agency_id, course_key, due, learner_id % ROLLUP_SHARDS)] -= 1
    Enrolment.objects.filter(pk__in=[row[0] for row in rows]).update(
        **dict.fromkeys(_COUNTED, None)
    )
    return changes


def due_counts_sync(*, learner_ids=None, enrolment_ids=None, course_keys=None) -> int:
    """Bring RollupDue in line with these learners' (or these) enrolments after a change
    of enrolment, learner (agency, active) or completion outside the statement path.

    Each enrolment that should be counted (mandatory, active, with a due date, not
    completed, its learner active) is counted under its learner's current city and
    agency and its due date; one counted elsewhere or no longer open is taken out of
    where it was counted. Idempotent: a second call changes nothing. Runs in the
    caller's transaction (or its own); four queries, whatever the number of rows.
    Returns the number of enrolments whose counting changed.
    """
    if learner_ids is None and enrolment_ids is None:
        raise ValueError("due_counts_sync needs learner_ids or enrolment_ids")
    # No savepoint: nothing here needs rolling back on its own, and the importer calls
    # this once per 1,000 learners.
    with transaction.atomic(savepoint=False):
        rows = Enrolment.objects.all()
        if learner_ids is not None:
            rows = rows.filter(learner_id__in=list(learner_ids))
        if enrolment_ids is not None:
            rows = rows.filter(pk__in=list(enrolment_ids))
        if course_keys is not None:
            rows = rows.filter(course_key__in=list(course_keys))
        if _uses_row_locks():
            # Lock first, then read in a new statement: under READ COMMITTED the read
            # then sees a completion committed while this waited for the lock.
            ids = list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
            rows = Enrolment.objects.filter(pk__in=ids)
        completed = CourseCompletion.objects.filter(
            learner_id=OuterRef("learner_id"), course_key=OuterRef("course_key")
        )
        changes: Counter = Counter()
        changed = []
        for enrolment in (
            rows.annotate(is_completed=Exists(completed))
            .select_related("learner")
            .only(
                "pk",
                "learner_id",
                "course_key",
                "status",
                "is_mandatory",
                "due_date",
                *_COUNTED,
                "learner__city_id",
                "learner__agency_id",
                "learner__is_active",
            )
            .order_by("pk")
        ):
            learner = enrolment.learner
            want = None
            if (
                enrolment.is_mandatory
                and enrolment.status == Enrolment.Status.ACTIVE
                and enrolment.due_date is not None
                and not enrolment.is_completed
                and learner.is_active
            ):
                want = (learner.city_id, learner.agency_id or 0, enrolment.due_date)
            have = tuple(getattr(enrolment, name) for name in _COUNTED)
            if have[2] is None:
                have = None
            if want == have:
                continue
            shard = enrolment.learner_id % ROLLUP_SHARDS
            if have is not None:
                changes[(have[0], have[1], enrolment.course_key, have[2], shard)] -= 1
            if want is not None:
                changes[(want[0], want[1], enrolment.course_key, want[2], shard)] += 1
            for name, value in zip(_COUNTED, want or (None, None, None), strict=True):
                setattr(enrolment, name, value)
            changed.append(enrolment)
        if changed:
            Enrolment.objects.bulk_update(changed, list(_COUNTED), batch_size=1000)
        _due_counters_add(changes)
    return len(changed)


# --- the JP ledger ------------------------------------------------------------------------


def jp_split(
    *, jp: int, learning_form: str, earned_on: datetime.date, used_by_day: dict
) -> list[tuple[datetime.date, int]]:
    """Days and amounts of a credit: e-learning at most 3 JP per day, counting what the
    learner already has on those days; other forms on the day they were earned."""
    if learning_form != LearningForm.E_LEARNING:
        return [(earned_on, jp)]
    parts, day, remaining = [], earned_on, jp
    while remaining > 0:
        room = E_LEARNING_DAILY_CAP_JP - used_by_day.get(day, 0)
        if room > 0:
            take = min(room, remaining)
            parts.append((day, take))
            remaining -= take
        day += datetime.timedelta(days=1)
    return parts


def _jp_credit_write(
    *,
    profile: LearnerProfile,
    source: str,
    source_key: str,
    title: str,
    jp: int,
    learning_form: str,
    earned_on: datetime.date,
    completion: CourseCompletion | None,
    rollup_course_key: uuid.UUID,
    deltas: _Deltas,
) -> list[JpCredit]:
    """Ledger rows for one credit and the learner's yearly totals (LearnerYear); the
    caller holds the learner's lock. Three queries."""
    existing = JpCredit.objects.filter(
        learner=profile, credited_on__gte=datetime.date(earned_on.year, 1, 1)
    ).values_list("credited_on", "jp", "learning_form")
    used_by_day: dict[datetime.date, int] = defaultdict(int)
    year_totals: dict[int, int] = defaultdict(int)
    for credited_on, amount, form in existing:
        year_totals[credited_on.year] += amount
        if form == LearningForm.E_LEARNING:
            used_by_day[credited_on] += amount
    parts = jp_split(
        jp=jp, learning_form=learning_form, earned_on=earned_on, used_by_day=used_by_day
    )
    rows = [
        JpCredit(
            learner=profile,
            year=day.year,
            credited_on=day,
            earned_on=earned_on,
            jp=amount,
            learning_form=learning_form,
            source=source,
            source_key=source_key,
            title=title[:255],
            part=number,
            parts=len(parts),
            completion=completion,
        )
        for number, (day, amount) in enumerate(parts, start=1)
    ]
    JpCredit.objects.bulk_create(rows)
    added: dict[int, int] = defaultdict(int)
    for day, amount in parts:
        added[day.year] += amount
        deltas.add("jp", rollup_course_key, day, amount)
    for year, amount in added.items():
        before = year_totals[year]
        if before < YEARLY_MINIMUM_JP <= before + amount:
            deltas.add("met_minimum", NO_COURSE, datetime.date(year, 1, 1), weekly=False)
    # The yearly totals as absolute values: year_totals holds every credit of these
    # years (all parts land on or after earned_on), read under the learner's lock.
    # A year at or above 20 JP is counted (met_minimum) where the learner is now; the
    # learner is active (only active learners record) and never goes back below 20.
    where = (profile.city_id, profile.agency_id or 0)
    LearnerYear.objects.bulk_create(
        [
            LearnerYear(
                learner=profile,
                year=year,
                jp=year_totals[year] + amount,
                **dict(
                    zip(
                        ("counted_city_id", "counted_agency_id"),
                        where if year_totals[year] + amount >= YEARLY_MINIMUM_JP else (None, None),
                        strict=True,
                    )
                ),
            )
            for year, amount in sorted(added.items())
        ],
        update_conflicts=True,
        unique_fields=["learner", "year"],
        update_fields=["jp", "counted_city_id", "counted_agency_id"],
    )
    return rows


def jp_credit_record(
    *,
    learner: LearnerProfile,
    source: str,
    source_key: str,
    title: str,
    jp: int,
    learning_form: str,
    earned_on: datetime.date,
) -> list[JpCredit]:
    """Credit JP from outside a course (event attendance, from the events issue).

    Exactly once per (learner, source, source_key): a repeated call returns the rows
    already there. E-learning credits are split at 3 JP per day like course credits.
    """
    if jp < 1:
        raise ValidationError({"jp": _("A credit is worth at least 1 JP.")})
    if learning_form not in LearningForm.values:
        raise ValidationError({"learning_form": _("Choose a learning form from the list.")})
    with transaction.atomic():
        profile = _learner(learner_id=learner.pk, lock=True)
        if profile is None:
            raise ValidationError(_("This learner is not active."))
        existing = list(
            JpCredit.objects.filter(learner=profile, source=source, source_key=source_key)
        )
        if existing:
            return existing
        deltas = _Deltas()
        rows = _jp_credit_write(
            profile=profile,
            source=source,
            source_key=source_key,
            title=title,
            jp=jp,
            learning_form=learning_form,
            earned_on=earned_on,
            completion=None,
            rollup_course_key=NO_COURSE,
            deltas=deltas,
        )
        _rollup_apply(profile=profile, deltas=deltas)
        return rows


# --- recomputation after a criteria change ------------------------------------------------


def completions_recompute(*, course: CoursePage, on_learner=None) -> int:
    """Evaluate a course's current criteria again for every learner who started it.

    Lessons and courses that the new criteria complete are completed (and JP credited)
    now; completions already recorded stay as they are, with the criteria of their time.
    One short transaction per learner, under that learner's lock. Returns how many
    course completions this produced. ``on_learner`` is called after each learner.
    """
    courses = selectors.content_for_courses(course_keys=[course.translation_key])
    if not courses:
        return 0
    learner_ids = list(
        ActivityProgress.objects.filter(course_key=course.translation_key, kind=ActivityKind.COURSE)
        .order_by("learner_id")
        .values_list("learner_id", flat=True)
    )
    completed = 0
    for learner_id in learner_ids:
        completed += _recompute_learner(learner_id=learner_id, courses=courses)
        if on_learner is not None:
            on_learner()
    return completed


def _recompute_learner(*, learner_id: int, courses: dict[uuid.UUID, CourseInfo]) -> int:
    with transaction.atomic():
        profile = _learner(learner_id=learner_id, lock=True)
        if profile is None:
            return 0
        recorder = _Recorder(profile=profile, courses=courses)
        recorder.load()
        recorder.evaluate(list(courses))
        recorder.flush()
        return len(recorder.completions)


# --- enrolment ----------------------------------------------------------------------------


def _enrolment_locked(*, profile: LearnerProfile, course_key: uuid.UUID, defaults: dict):
    """The learner's enrolment row in a course, locked, created if missing."""
    enrolment = (
        Enrolment.objects.select_for_update().filter(learner=profile, course_key=course_key).first()
    )
    if enrolment is not None:
        return enrolment, False
    try:
        with transaction.atomic():
            enrolment = Enrolment(learner=profile, course_key=course_key, **defaults)
            enrolment.full_clean(exclude=["learner"])
            enrolment.save(force_insert=True)
            return enrolment, True
    except IntegrityError:
        # Created meanwhile by a concurrent request (a double click).
        return Enrolment.objects.select_for_update().get(
            learner=profile, course_key=course_key
        ), False


def _history(enrolment: Enrolment, action: str, source: str, by) -> None:
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        action=action,
        source=source,
        by=by if getattr(by, "is_authenticated", False) else None,
        at=timezone.now(),
    )


@transaction.atomic
def enrolment_self(*, user, course: CoursePage) -> Enrolment:
    """A learner enrols in a course of their city's curriculum (idempotent); a withdrawn
    enrolment becomes active again, keeping its history."""
    profile = selectors.learner_of(user)
    if profile is None:
        raise AccessDenied(_("Only learners with a learner profile can enrol in courses."))
    if not selectors.course_accessible_to(course=course, city_id=profile.city_id):
        raise AccessDenied(_("This course is not in your city's curriculum."))
    now = timezone.now()
    enrolment, created = _enrolment_locked(
        profile=profile,
        course_key=course.translation_key,
        defaults={"source": Enrolment.Source.SELF, "enrolled_at": now},
    )
    if created:
        _history(enrolment, EnrolmentChange.Action.ENROLLED, Enrolment.Source.SELF, user)
    elif enrolment.status == Enrolment.Status.WITHDRAWN:
        enrolment.status = Enrolment.Status.ACTIVE
        enrolment.withdrawn_at = None
        enrolment.save(update_fields=["status", "withdrawn_at"])
        _history(enrolment, EnrolmentChange.Action.ENROLLED, Enrolment.Source.SELF, user)
        if enrolment.is_mandatory:
            due_counts_sync(enrolment_ids=[enrolment.pk])
    return enrolment


@transaction.atomic
def enrolment_withdraw(*, by, enrolment: Enrolment) -> Enrolment:
    """Withdraw from a course; the row, its history and all progress are kept.

    Learners may withdraw from courses they chose; a mandatory course only the city's
    admins can withdraw someone from.
    """
    enrolment = Enrolment.objects.select_for_update().select_related("learner").get(pk=enrolment.pk)
    is_self = enrolment.learner.user_id == getattr(by, "pk", None)
    may_manage = permissions.can_manage_learner(by, enrolment.learner)
    if not may_manage:
        if not is_self:
            raise AccessDenied(_("You may not change this person's enrolments."))
        if enrolment.is_mandatory:
            raise ValidationError(
                _(
                    "This course is mandatory for you; ask your BKPSDM if you need to be "
                    "withdrawn from it."
                ),
                code="mandatory",
            )
    if enrolment.status == Enrolment.Status.WITHDRAWN:
        return enrolment
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.withdrawn_at = timezone.now()
    enrolment.save(update_fields=["status", "withdrawn_at"])
    _history(enrolment, EnrolmentChange.Action.WITHDRAWN, enrolment.source, by)
    if enrolment.is_mandatory:
        due_counts_sync(enrolment_ids=[enrolment.pk])
    return enrolment


def _check_course_for_city(*, course: CoursePage, city_id: int) -> None:
    if not selectors.course_accessible_to(course=course, city_id=city_id):
        raise ValidationError(
            {"course": _("Choose a course of this city's curriculum (its own or adopted).")}
        )


@transaction.atomic
def mandatory_assign(
    *,
    by,
    profiles: list[LearnerProfile],
    course: CoursePage,
    due_date: datetime.date | None = None,
) -> list[Enrolment]:
    """A city admin makes a course mandatory for some people, with a due date."""
    enrolments = []
    checked_cities = set()
    for profile in sorted(profiles, key=lambda p: p.pk):
        if not permissions.can_manage_learner(by, profile):
            raise AccessDenied(
                _("You may not assign courses to %(name)s.") % {"name": profile.full_name}
            )
        if profile.city_id not in checked_cities:
            _check_course_for_city(course=course, city_id=profile.city_id)
            checked_cities.add(profile.city_id)
        enrolment, created = _enrolment_locked(
            profile=profile,
            course_key=course.translation_key,
            defaults={
                "source": Enrolment.Source.ASSIGNMENT,
                "enrolled_at": timezone.now(),
                "is_mandatory": True,
                "due_date": due_date,
            },
        )
        if not created:
            enrolment.is_mandatory = True
            enrolment.due_date = due_date
            enrolment.status = Enrolment.Status.ACTIVE
            enrolment.withdrawn_at = None
            enrolment.save(update_fields=["is_mandatory", "due_date", "status", "withdrawn_at"])
        _history(enrolment, EnrolmentChange.Action.ASSIGNED, Enrolment.Source.ASSIGNMENT, by)
        enrolments.append(enrolment)
    due_counts_sync(enrolment_ids=[e.pk for e in enrolments])
    # In-app now, emails after commit; a rolled-back assignment tells nobody.
    from lms.notifications.services import notify_mandatory_assigned_many

    notify_mandatory_assigned_many(enrolments)
    return enrolments


@transaction.atomic
def enrolment_rule_create(
    *,
    by,
    city: City,
    course: CoursePage,
    agency=None,
    jabatan_type: str = "",
    is_mandatory: bool = False,
    due_date: datetime.date | None = None,
) -> EnrolmentRule:
    """Enrol every matching learner of a city now, and every one added later
    (apply_enrolment_rules_to)."""
    if not permissions.can_manage_city(by, city):
        raise AccessDenied(_("You may not set enrolment rules for this city."))
    if agency is not None:
        # Re-read: inserting a sibling in name order can move a node's path.
        agency = Agency.objects.get(pk=agency.pk)
        if agency.city_id != city.pk:
            raise ValidationError({"agency": _("The agency belongs to another city.")})
    _check_course_for_city(course=course, city_id=city.pk)
    rule = EnrolmentRule(
        city=city,
        agency=agency,
        jabatan_type=jabatan_type,
        course_key=course.translation_key,
        course_title=course.title[:255],
        is_mandatory=is_mandatory,
        due_date=due_date,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    rule.full_clean()
    rule.save()
    profiles = LearnerProfile.objects.filter(city=city, is_active=True)
    if agency is not None:
        profiles = profiles.filter(agency__path__startswith=agency.path)
    if jabatan_type:
        profiles = profiles.filter(jabatan_type=jabatan_type)
    apply_enrolment_rules_to(profiles, rules=[rule])
    return rule


@transaction.atomic
def enrolment_rule_deactivate(*, by, rule: EnrolmentRule) -> EnrolmentRule:
    """Stop applying a rule to new learners; enrolments it made stay (history)."""
    if not permissions.can_manage_city(by, rule.city_id):
        raise AccessDenied(_("You may not change enrolment rules of this city."))
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    return rule


def _rule_matches(rule: EnrolmentRule, profile: LearnerProfile) -> bool:
    if rule.city_id != profile.city_id:
        return False
    if rule.jabatan_type and rule.jabatan_type != profile.jabatan_type:
        return False
    if rule.agency_id is not None:
        return profile.agency is not None and profile.agency.path.startswith(rule.agency.path)
    return True


@transaction.atomic
def apply_enrolment_rules_to(profiles, *, rules: list[EnrolmentRule] | None = None) -> int:
    """Enrol these learners by every active rule of their cities that matches them.

    For the importer and lms.people services to call after creating learners or moving
    them to another agency. Existing enrolments are kept; a mandatory rule makes a
    matching enrolment mandatory (and active again). Returns how many enrolments were
    created or changed. A fixed number of queries per 1,000 learners.
    """
    if isinstance(profiles, LearnerProfile):
        profiles = [profiles]
    if hasattr(profiles, "select_related"):
        profiles = profiles.select_related("agency")
    profiles = list(profiles)
    if not profiles:
        return 0
    if rules is None:
        # Learners created, moved or reactivated: their open mandatory courses are
        # counted under their agency now, whatever the rules do.
        rules = list(
            EnrolmentRule.objects.filter(
                is_active=True, city_id__in={p.city_id for p in profiles}
            ).select_related("agency")
        )
        changed = _apply_rules(profiles, rules, count_due=False) if rules else 0
        learners_counts_sync(p.pk for p in profiles)
        return changed
    return _apply_rules(profiles, rules, count_due=True)


def _apply_rules(profiles: list[LearnerProfile], rules: list[EnrolmentRule], *, count_due) -> int:
    now = timezone.now()
    changed = 0
    for rule in rules:
        matching = [p for p in profiles if p.is_active and _rule_matches(rule, p)]
        for start in range(0, len(matching), 1000):
            chunk = matching[start : start + 1000]
            ids = [p.pk for p in chunk]
            existing = set(
                Enrolment.objects.filter(
                    learner_id__in=ids, course_key=rule.course_key
                ).values_list("learner_id", flat=True)
            )
            Enrolment.objects.bulk_create(
                [
                    Enrolment(
                        learner=p,
                        course_key=rule.course_key,
                        source=Enrolment.Source.RULE,
                        rule=rule,
                        is_mandatory=rule.is_mandatory,
                        due_date=rule.due_date,
                        enrolled_at=now,
                    )
                    for p in chunk
                    if p.pk not in existing
                ],
                ignore_conflicts=True,
            )
            changed += len(chunk) - len(existing)
            if rule.is_mandatory and existing:
                changed += (
                    Enrolment.objects.filter(learner_id__in=existing, course_key=rule.course_key)
                    .exclude(is_mandatory=True, status=Enrolment.Status.ACTIVE)
                    .update(
                        is_mandatory=True,
                        due_date=rule.due_date,
                        status=Enrolment.Status.ACTIVE,
                        withdrawn_at=None,
                    )
                )
            if count_due and rule.is_mandatory:
                due_counts_sync(learner_ids=ids, course_keys=[rule.course_key])
    return changed


# --- saved activity state (the xAPI State resource) ---------------------------------------


def _state_learner_or_refuse(*, user, address) -> LearnerProfile:
    profile = selectors.state_learner(user=user, address=address)
    if profile is None:
        raise AccessDenied(
            _("You cannot save or read the state of this activity: it is not available to you.")
        )
    return profile


def activity_state_save(
    *, user, address, document: str, content_type: str, merge: bool = False
) -> ActivityState:
    """Store the learner's state document for an activity (PUT: replace; the last write
    wins). With ``merge`` (POST), a JSON object is merged into a stored JSON object,
    property by property, as xAPI asks; otherwise it replaces it. One upsert, so a
    repeated request leaves one row with the same document."""
    profile = _state_learner_or_refuse(user=user, address=address)
    with transaction.atomic():
        if merge:
            stored = (
                ActivityState.objects.select_for_update()
                .filter(
                    learner=profile, activity_key=address.activity_key, state_id=address.state_id
                )
                .first()
            )
            if stored is not None and stored.content_type == "application/json":
                old, new = json.loads(stored.document), json.loads(document)
                if isinstance(old, dict) and isinstance(new, dict):
                    document = json.dumps({**old, **new}, ensure_ascii=False)
        row = ActivityState(
            learner=profile,
            kind=ActivityKind.H5P,
            activity_key=address.activity_key,
            state_id=address.state_id,
            content_type=content_type,
            document=document,
            updated_at=timezone.now(),
        )
        ActivityState.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["learner", "activity_key", "state_id"],
            update_fields=["content_type", "document", "updated_at"],
        )
    return row


def activity_state_delete(*, user, address) -> None:
    """Forget the learner's state document (nothing to forget is fine)."""
    profile = _state_learner_or_refuse(user=user, address=address)
    ActivityState.objects.filter(
        learner=profile, activity_key=address.activity_key, state_id=address.state_id
    ).delete()
