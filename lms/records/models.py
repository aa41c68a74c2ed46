"""Learning records: what each learner started, completed, scored and was credited.

This app is the only writer of learner data. It stores:

- ``Statement``: every xAPI statement a browser sent, once (the statement id is the key);
- ``ActivityProgress``: one summary row per learner x activity (a lesson, an H5P package,
  a quiz, and the course itself), updated monotonically;
- ``CourseCompletion``: one row per learner x course, with the criteria in force and the
  fields the national civil-service system (SIASN "riwayat kursus") asks for;
- ``JpCredit``: the yearly JP ledger, one row per credit (or per part of a split credit);
- ``Enrolment`` (+ ``EnrolmentChange`` history) and ``EnrolmentRule``;
- ``Certificate`` (+ ``CertificateCounter``, the per-city, per-year sequence): the
  verifiable certificate of a completion;
- ``Rollup``: exact, pre-aggregated counters per city x agency x course x year, sharded
  by learner so that a busy city's counters are not one hot row.

Content is referred to by stable keys only (a page's ``translation_key``, an activity's
key), never by a revision, so edits to courses never rewrite a learner's history.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import LearningForm
from lms.people.models import LearnerProfile

# Rollup rows that are not about one course (e.g. "learners who reached 20 JP") use this key.
NO_COURSE = uuid.UUID(int=0)
# Every learner's counters land in one of this many rows per city x agency x course x year.
ROLLUP_SHARDS = 8
# Perlan 10/2018: the yearly minimum of competency development, and the e-learning cap.
YEARLY_MINIMUM_JP = 20
E_LEARNING_DAILY_CAP_JP = 3


class ActivityKind(models.TextChoices):
    COURSE = "course", _("Course")
    LESSON = "lesson", _("Lesson")
    H5P = "h5p", _("H5P activity")
    QUIZ = "quiz", _("Quiz")


class Statement(models.Model):
    """One xAPI statement: from a learner's browser, or from an external LRS client
    (lms.lrs). The platform changes it only for privacy (lms.privacy: the retention
    policy strips or deletes old payloads, anonymisation strips a departed learner's);
    voiding only marks it. The id is the client's UUID, so a retry is stored once.

    ``learner`` is set when the actor is a platform learner; statements about other
    agents (external clients) keep it empty and are found by ``actor_hash``. ``city`` is
    whose records the statement is (the learner's city, else the writing client's city;
    empty for a national client's statement about a non-learner): LRS clients of a city
    read only their city's statements.
    """

    id = models.UUIDField(_("statement id"), primary_key=True)
    # No index of its own on learner and city: the (learner, stored_at) and (city,
    # stored_at, id) indexes below lead with them, and every index is one more write for
    # each statement stored.
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("learner"),
        db_index=False,
    )
    verb = models.CharField(_("verb"), max_length=255)
    object_iri = models.CharField(_("activity IRI"), max_length=512)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices, blank=True)
    activity_key = models.UUIDField(_("activity key"), null=True, blank=True)
    lesson_key = models.UUIDField(_("lesson key"), null=True, blank=True)
    is_child = models.BooleanField(
        _("sub-content"),
        default=False,
        help_text=_("A statement about a part of an H5P activity; kept, but it does not grade."),
    )
    score_percent = models.FloatField(_("score (%)"), null=True, blank=True)
    success = models.BooleanField(_("success"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(
        _("duration (seconds)"), null=True, blank=True, help_text=_("Time the statement reports.")
    )
    # SHA-256 of the statement as the client sent it (minus what the server sets) and the
    # learner: a retry with the same id must carry exactly this content.
    content_hash = models.CharField(_("content hash"), max_length=64)
    # Which request inserted the row; lets one INSERT ... ON CONFLICT DO NOTHING plus one
    # SELECT tell new statements from retries without RETURNING.
    batch_token = models.UUIDField(_("batch"), editable=False)
    timestamp = models.DateTimeField(_("timestamp"))
    stored_at = models.DateTimeField(_("stored at"))
    payload = models.JSONField(_("statement"))
    city = models.ForeignKey(
        "people.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city"),
        db_index=False,
    )
    client = models.ForeignKey(
        "lrs.XapiClient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("LRS client"),
        help_text=_("The external client that sent the statement (empty: the platform)."),
    )
    # SHA-256 of the actor's objectType and identifier (lms.lrs.identity.agent_hash), and
    # of the object's when the object is an agent or group: the agent filter's keys.
    actor_hash = models.CharField(_("actor hash"), max_length=64, blank=True, default="")
    object_agent_hash = models.CharField(
        _("object agent hash"), max_length=64, blank=True, default=""
    )
    registration = models.UUIDField(_("registration"), null=True, blank=True)
    voided = models.BooleanField(_("voided"), default=False)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [
            models.Index(fields=["learner", "stored_at"]),
            models.Index(fields=["activity_key"]),
            # The LRS's GET filters; every page is ordered by (stored_at, id).
            models.Index(fields=["city", "stored_at", "id"], name="records_stmt_city_stored"),
            models.Index(fields=["stored_at", "id"], name="records_stmt_stored"),
            models.Index(fields=["verb", "stored_at"], name="records_stmt_verb"),
            models.Index(fields=["object_iri", "stored_at"], name="records_stmt_object"),
            models.Index(
                fields=["actor_hash", "stored_at"],
                name="records_stmt_actor",
                condition=~models.Q(actor_hash=""),
            ),
            models.Index(
                fields=["object_agent_hash"],
                name="records_stmt_object_agent",
                condition=~models.Q(object_agent_hash=""),
            ),
            models.Index(
                fields=["registration", "stored_at"],
                name="records_stmt_registration",
                condition=models.Q(registration__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.id} {self.verb} {self.object_iri}"


class ActivityProgress(models.Model):
    """A learner's state in one activity: the course, a lesson, an H5P package or a quiz.

    Only ever moves forward: progress is max(old, new), completed_at and passed_at are set
    on the first crossing, the best score never drops (the last score is kept beside it).
    On lesson and course rows, ``completed_at`` means "complete by the criteria", and
    ``criteria`` is the copy of the criteria that were in force at that moment.
    """

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="activity_progress",
        verbose_name=_("learner"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    activity_key = models.UUIDField(_("activity key"))
    lesson_key = models.UUIDField(_("lesson key"), null=True, blank=True)
    course_key = models.UUIDField(_("course key"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    best_score = models.FloatField(_("best score (%)"), null=True, blank=True)
    last_score = models.FloatField(_("last score (%)"), null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(
        _("time spent (seconds)"), default=0, help_text=_("Sum of the durations reported.")
    )
    statement_count = models.PositiveIntegerField(_("statements"), default=0)
    started_at = models.DateTimeField(_("started at"))
    last_activity_at = models.DateTimeField(_("last activity at"))
    viewed_at = models.DateTimeField(_("viewed at"), null=True, blank=True)
    passed_at = models.DateTimeField(_("passed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    criteria = models.JSONField(_("criteria at completion"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity progress")
        verbose_name_plural = _("activity progress")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "activity_key"], name="records_progress_one_per_activity"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="records_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(progress=100),
                name="records_progress_complete_is_100",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(best_score__isnull=True) | Q(best_score__gte=0, best_score__lte=100))
                    & (Q(last_score__isnull=True) | Q(last_score__gte=0, last_score__lte=100))
                ),
                name="records_progress_scores_are_percent",
            ),
        ]
        # No index on last_activity_at (or any other column a statement updates): every
        # statement updates these rows, and PostgreSQL can update a row in place (HOT, no
        # new index entries, no bloat for vacuum) only when no indexed column changes. A
        # learner has at most a few hundred rows; "latest first" sorts them in memory.
        indexes = [
            models.Index(fields=["learner", "course_key"]),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.kind} {self.activity_key} {self.progress}%"


def certificate_number_new() -> str:
    return f"ASN-{uuid.uuid4().hex[:12].upper()}"


class CourseCompletion(models.Model):
    """A completed course, frozen at the moment of completion.

    Carries what SIASN "riwayat kursus" needs (course name, organiser, learning form, JP,
    start and end date, year, certificate number) and the lesson criteria then in force,
    so later edits to the course do not rewrite it.
    """

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="course_completions",
        verbose_name=_("learner"),
    )
    city = models.ForeignKey(
        "people.City",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("city"),
        help_text=_("The learner's city when the course was completed."),
    )
    course_key = models.UUIDField(_("course key"))
    course_title = models.CharField(_("course name"), max_length=255)
    organiser = models.CharField(_("organiser institution"), max_length=255)
    learning_form = models.CharField(
        _("learning form"), max_length=30, choices=LearningForm.choices
    )
    jp = models.PositiveSmallIntegerField(_("JP"))
    started_on = models.DateField(_("start date"))
    completed_on = models.DateField(_("end date"))
    year = models.PositiveSmallIntegerField(_("year"))
    completed_at = models.DateTimeField(_("completed at"))
    certificate_number = models.CharField(
        _("certificate number"), max_length=40, unique=True, default=certificate_number_new
    )
    criteria = models.JSONField(_("criteria in force"))

    class Meta:
        ordering = ["-completed_at"]
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course_key"], name="records_completion_once_per_course"
            ),
            models.CheckConstraint(condition=Q(jp__gte=1), name="records_completion_jp_positive"),
        ]
        # The SIASN export reads a city-year in id order.
        indexes = [models.Index(fields=["city", "year", "id"], name="records_completion_city_year")]

    def __str__(self):
        return f"{self.course_title} — {self.learner_id} ({self.completed_on})"


class JpCredit(models.Model):
    """One row of a learner's JP ledger.

    E-learning counts at most 3 JP per learner per day (Perlan 10/2018): a larger credit
    is split into parts on consecutive days (``part`` of ``parts``), dated
    ``credited_on``, while ``earned_on`` keeps the day it was earned; so the split is
    visible and the yearly totals count each part in the year it lands in.
    """

    class Source(models.TextChoices):
        COURSE_COMPLETION = "course", _("Course completion")
        EVENT_ATTENDANCE = "event", _("Event attendance")

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="jp_credits",
        verbose_name=_("learner"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    credited_on = models.DateField(_("credited on"))
    earned_on = models.DateField(_("earned on"))
    jp = models.PositiveSmallIntegerField(_("JP"))
    learning_form = models.CharField(
        _("learning form"), max_length=30, choices=LearningForm.choices
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_key = models.CharField(
        _("source key"), max_length=64, help_text=_("The course key or the event's key.")
    )
    title = models.CharField(_("title"), max_length=255)
    part = models.PositiveSmallIntegerField(_("part"), default=1)
    parts = models.PositiveSmallIntegerField(_("parts"), default=1)
    completion = models.ForeignKey(
        CourseCompletion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jp_credits",
        verbose_name=_("course completion"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["credited_on", "pk"]
        verbose_name = _("JP credit")
        verbose_name_plural = _("JP credits")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "source", "source_key", "part"],
                name="records_jp_credit_once",
            ),
            models.CheckConstraint(condition=Q(jp__gte=1), name="records_jp_positive"),
            models.CheckConstraint(
                condition=Q(part__gte=1, part__lte=models.F("parts")),
                name="records_jp_part_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "year"]),
            models.Index(fields=["learner", "credited_on"]),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.credited_on} {self.jp} JP ({self.part}/{self.parts})"


class EnrolmentRule(models.Model):
    """Enrols every learner of a city (optionally only an agency subtree and/or a position
    type) in a course, now and whenever such a learner is added later."""

    city = models.ForeignKey(
        "people.City",
        on_delete=models.CASCADE,
        related_name="enrolment_rules",
        verbose_name=_("city"),
    )
    agency = models.ForeignKey(
        "people.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolment_rules",
        verbose_name=_("agency"),
        help_text=_("Only people of this agency and the units below it; empty for everyone."),
    )
    jabatan_type = models.CharField(
        _("position type"),
        max_length=20,
        blank=True,
        choices=LearnerProfile.JabatanType.choices,
        help_text=_("Only people with this position type; empty for every position."),
    )
    course_key = models.UUIDField(_("course key"))
    course_title = models.CharField(_("course"), max_length=255)
    is_mandatory = models.BooleanField(_("mandatory"), default=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment rule")
        verbose_name_plural = _("enrolment rules")

    def __str__(self):
        return self.course_title


class Enrolment(models.Model):
    """A learner's place in a course. Withdrawing keeps the row (and the progress); the
    history of changes is kept in EnrolmentChange."""

    class Source(models.TextChoices):
        SELF = "self", _("Self-enrolled")
        RULE = "rule", _("Enrolment rule")
        ASSIGNMENT = "assignment", _("Assigned by the city admin")
        ACTIVITY = "activity", _("Started the course")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("learner"),
    )
    course_key = models.UUIDField(_("course key"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    rule = models.ForeignKey(
        EnrolmentRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("rule"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    is_mandatory = models.BooleanField(_("mandatory"), default=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Where this enrolment is counted in RollupDue while it is an open mandatory course
    # (active, with a due date, not completed, learner active): the city, agency and due
    # date it was added under, so that the services take it out of exactly that counter
    # when it stops being open or moves. All three are null while it is not counted.
    # Written only by lms.records.services (due_counts_sync and the completion path).
    counted_city_id = models.BigIntegerField(null=True, blank=True, editable=False)
    counted_agency_id = models.BigIntegerField(null=True, blank=True, editable=False)
    counted_due = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course_key"], name="records_enrolment_once_per_course"
            ),
            models.CheckConstraint(
                condition=Q(status="withdrawn") | Q(withdrawn_at__isnull=True),
                name="records_enrolment_withdrawn_at_only_when_withdrawn",
            ),
        ]
        # The dashboards' list of overdue mandatory courses reads only counted rows, a
        # city's oldest due dates first.
        indexes = [
            models.Index(
                fields=["counted_city_id", "counted_due", "id"],
                condition=Q(counted_due__isnull=False),
                name="records_enrolment_open_due",
            ),
            # The same list filtered to an agency subtree: a range per agency.
            models.Index(
                fields=["counted_agency_id", "counted_due", "id"],
                condition=Q(counted_due__isnull=False),
                name="records_enrolment_agency_due",
            ),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.course_key} ({self.status})"


class EnrolmentChange(models.Model):
    """History of an enrolment: every enrol, withdraw and re-enrol, with who did it."""

    class Action(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ASSIGNED = "assigned", _("Made mandatory")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("enrolment")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    source = models.CharField(_("source"), max_length=12, choices=Enrolment.Source.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("enrolment change")
        verbose_name_plural = _("enrolment changes")

    def __str__(self):
        return f"{self.enrolment_id} {self.action} {self.at:%Y-%m-%d}"


class Rollup(models.Model):
    """Exact counters the reports read instead of scanning records.

    Keyed by city x agency x course x year x shard; ``agency_id`` 0 means "no agency" and
    ``course_key`` NO_COURSE means "not about one course" (JP totals, the 20-JP minimum).
    City and agency are plain integers, not foreign keys, so that incrementing a counter
    never takes a lock on a city or agency row. A learner's changes always go to shard
    ``learner_id % ROLLUP_SHARDS``; readers sum the shards. Rows change only when a
    learner's state changes (first start, completion, JP credit, a better score).
    """

    city_id = models.BigIntegerField(_("city"))
    agency_id = models.BigIntegerField(_("agency"), default=0)
    course_key = models.UUIDField(_("course key"), default=NO_COURSE)
    year = models.PositiveSmallIntegerField(_("year"))
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    started = models.IntegerField(_("learners started"), default=0)
    completed = models.IntegerField(_("learners completed"), default=0)
    jp = models.IntegerField(_("JP credited"), default=0)
    scored = models.IntegerField(_("scored activities"), default=0)
    score_sum = models.FloatField(_("sum of best scores (%)"), default=0)
    passed = models.IntegerField(_("passed activities"), default=0)
    met_minimum = models.IntegerField(_("learners with 20 JP"), default=0)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "agency_id", "course_key", "year", "shard"],
                name="records_rollup_key",
            ),
        ]
        indexes = [models.Index(fields=["course_key", "year"])]

    def __str__(self):
        return f"{self.city_id}/{self.agency_id}/{self.course_key}/{self.year}#{self.shard}"


class RollupWeek(models.Model):
    """Weekly counters for the dashboards' trend charts, kept like ``Rollup``.

    Keyed by city x agency x week (the Monday, in the city's own calendar) x shard; no
    course dimension, so that a city-year stays a few thousand rows. ``started`` counts
    learners' first starts of a course, ``completed`` course completions and ``jp`` the
    JP credited on that week's days (a split credit lands in the weeks of its parts).
    """

    city_id = models.BigIntegerField(_("city"))
    agency_id = models.BigIntegerField(_("agency"), default=0)
    week = models.DateField(_("week (Monday)"))
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    started = models.IntegerField(_("courses started"), default=0)
    completed = models.IntegerField(_("courses completed"), default=0)
    jp = models.IntegerField(_("JP credited"), default=0)

    class Meta:
        verbose_name = _("weekly rollup")
        verbose_name_plural = _("weekly rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "agency_id", "week", "shard"], name="records_rollupweek_key"
            ),
        ]

    def __str__(self):
        return f"{self.city_id}/{self.agency_id}/{self.week}#{self.shard}"


class RollupDue(models.Model):
    """Open mandatory courses by due date, for the dashboards' "overdue" figures.

    Keyed by city x agency x course x due date x shard, like ``Rollup``; ``open`` counts
    the enrolments that are mandatory, active, have this due date, are not completed and
    belong to an active learner. A course is overdue in a city on a day when its due date
    is before that day: the dashboards sum ``open`` over due dates before today, so the
    figure moves with the calendar without any write. Each counted enrolment remembers
    where it was counted (``Enrolment.counted_*``).
    """

    city_id = models.BigIntegerField(_("city"))
    agency_id = models.BigIntegerField(_("agency"), default=0)
    course_key = models.UUIDField(_("course key"))
    due_date = models.DateField(_("due date"))
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    open = models.IntegerField(_("open mandatory enrolments"), default=0)

    class Meta:
        verbose_name = _("due-date rollup")
        verbose_name_plural = _("due-date rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "agency_id", "course_key", "due_date", "shard"],
                name="records_rollupdue_key",
            ),
        ]

    def __str__(self):
        return f"{self.city_id}/{self.agency_id}/{self.course_key}/{self.due_date}#{self.shard}"


class LearnerYear(models.Model):
    """A learner's JP total of one year, kept with every credit, so that "who is below
    20 JP" is an indexed read rather than a sum over the ledger."""

    learner = models.ForeignKey(
        LearnerProfile,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="jp_years",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    jp = models.IntegerField(_("JP"), default=0)
    # Where this learner-year is counted in Rollup.met_minimum (NO_COURSE rows): set while
    # ``jp`` is at least 20 and the learner is active, null otherwise.
    counted_city_id = models.BigIntegerField(null=True, blank=True, editable=False)
    counted_agency_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("learner year")
        verbose_name_plural = _("learner years")
        constraints = [
            models.UniqueConstraint(fields=["learner", "year"], name="records_learneryear_once"),
        ]
        indexes = [models.Index(fields=["year", "jp"])]

    def __str__(self):
        return f"{self.learner_id} {self.year}: {self.jp} JP"


class LearnerActivity(models.Model):
    """The last day (in the learner's city calendar) a learner recorded learning; written
    at most once a day per learner. Active-learner counts read this, not the records."""

    learner = models.OneToOneField(
        LearnerProfile,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="last_activity",
    )
    last_active_on = models.DateField(_("last active on"), db_index=True)
    # Where this learner's day is counted in RollupActive (their city and agency when it
    # was written or last synced); null while the learner is inactive and not counted.
    counted_city_id = models.BigIntegerField(null=True, blank=True, editable=False)
    counted_agency_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("learner activity")
        verbose_name_plural = _("learner activity")

    def __str__(self):
        return f"{self.learner_id} {self.last_active_on}"


class RollupActive(models.Model):
    """Active learners by their last active day, for the dashboards' "active in the last
    7/30 days": ``learners`` counts the active learners whose LearnerActivity day is
    ``day``, so "active since D" is the sum over days after D, a few hundred rows per city
    whatever its size. Keyed by city x agency x day x shard like ``Rollup``; a learner's
    new day moves them from the old day's row to the new one.
    """

    city_id = models.BigIntegerField(_("city"))
    agency_id = models.BigIntegerField(_("agency"), default=0)
    day = models.DateField(_("last active on"))
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    learners = models.IntegerField(_("learners"), default=0)

    class Meta:
        verbose_name = _("activity rollup")
        verbose_name_plural = _("activity rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "agency_id", "day", "shard"], name="records_rollupactive_key"
            ),
        ]

    def __str__(self):
        return f"{self.city_id}/{self.agency_id}/{self.day}#{self.shard}"


class ActivityState(models.Model):
    """A learner's saved state document for one activity (the xAPI State resource): for
    H5P, the player's ``contentUserData``, so a learner resumes where they stopped.

    One row per learner x activity x state id; a write replaces the document (last write
    wins). Unlike statements, this is scratch data, not history: it goes with the learner.
    """

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="activity_states",
        verbose_name=_("learner"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    activity_key = models.UUIDField(_("activity key"))
    state_id = models.CharField(_("state id"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    document = models.TextField(_("document"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("activity state")
        verbose_name_plural = _("activity states")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "activity_key", "state_id"], name="records_state_one_per_id"
            ),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.activity_key} {self.state_id}"


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class AttemptCloser(models.TextChoices):
    """Who ended an attempt: the learner, or the deadline (on the next touch or the
    periodic task)."""

    LEARNER = "learner", _("The learner")
    DEADLINE = "deadline", _("Time ran out")


class QuizAttempt(models.Model):
    """One attempt of a learner at a quiz. Starting it fixes its questions, their order and
    the rules (pass mark, deadline, review options) copied from the quiz."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="quiz_attempts",
        verbose_name=_("learner"),
    )
    quiz_key = models.UUIDField(_("quiz key"))
    lesson_key = models.UUIDField(_("lesson key"))
    course_key = models.UUIDField(_("course key"))
    number = models.PositiveSmallIntegerField(_("attempt number"))
    state = models.CharField(
        _("state"), max_length=12, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS
    )
    closed_by = models.CharField(
        _("ended by"), max_length=10, choices=AttemptCloser.choices, blank=True
    )
    # The random draw and shuffles come from this seed, so they can be reproduced.
    seed = models.BigIntegerField(_("seed"))
    rules = models.JSONField(_("rules in force"))
    pass_mark_percent = models.DecimalField(_("pass mark (%)"), max_digits=5, decimal_places=2)
    started_at = models.DateTimeField(_("started at"))
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    last_saved_at = models.DateTimeField(_("last answer saved at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    max_points = models.DecimalField(_("maximum points"), max_digits=8, decimal_places=2)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2, null=True, blank=True)
    score_percent = models.FloatField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    # Goes up on every regrade; names the statement that reported this grade.
    grade_version = models.PositiveSmallIntegerField(_("grade version"), default=0)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["learner_id", "quiz_key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz_key", "number"], name="records_attempt_number_unique"
            ),
            models.UniqueConstraint(
                fields=["learner", "quiz_key"],
                condition=Q(state="in_progress"),
                name="records_attempt_one_open_per_quiz",
            ),
            models.CheckConstraint(
                condition=Q(state="in_progress") | Q(submitted_at__isnull=False),
                name="records_attempt_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["quiz_key", "state"]),
            models.Index(
                fields=["deadline_at"],
                condition=Q(state="in_progress"),
                name="records_attempt_open_deadline",
            ),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.quiz_key} #{self.number}"


class AttemptQuestion(models.Model):
    """One question of an attempt: the question as it was when drawn (``spec``, the answer
    key included: it never leaves the server before review allows), the order its answers
    are shown in, the learner's saved response and its grade."""

    attempt = models.ForeignKey(
        QuizAttempt, on_delete=models.CASCADE, related_name="questions", verbose_name=_("attempt")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    question_key = models.UUIDField(_("question key"))
    question_version = models.PositiveIntegerField(_("question version"))
    spec = models.JSONField(_("question as drawn"))
    # The answer ids in the order this learner sees them (shuffled per attempt).
    answer_order = models.JSONField(_("answer order"), default=list)
    max_points = models.DecimalField(_("maximum points"), max_digits=6, decimal_places=2)
    response = models.JSONField(_("response"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    fraction = models.FloatField(_("credit (0-1)"), null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        ordering = ["attempt_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="records_attempt_question_position"
            )
        ]
        indexes = [models.Index(fields=["question_key"])]

    def __str__(self):
        return f"{self.attempt_id} Q{self.position}"


class AttemptRegrade(models.Model):
    """History of a regrade: the attempt's grade before and after a question fix."""

    attempt = models.ForeignKey(
        QuizAttempt, on_delete=models.CASCADE, related_name="regrades", verbose_name=_("attempt")
    )
    regraded_at = models.DateTimeField(_("regraded at"))
    regraded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("regraded by"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    grade_version = models.PositiveSmallIntegerField(_("grade version"))
    old_points = models.DecimalField(_("points before"), max_digits=8, decimal_places=2)
    new_points = models.DecimalField(_("points after"), max_digits=8, decimal_places=2)
    old_score_percent = models.FloatField(_("score before (%)"))
    new_score_percent = models.FloatField(_("score after (%)"))
    old_passed = models.BooleanField(_("passed before"))
    new_passed = models.BooleanField(_("passed after"))
    # Per question: position, old and new version, old and new points.
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")
        ordering = ["attempt_id", "grade_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "grade_version"], name="records_regrade_once_per_version"
            )
        ]

    def __str__(self):
        return f"{self.attempt_id} v{self.grade_version}"


# --- certificates ----------------------------------------------------------------------


def certificate_verification_code_new() -> str:
    # 16 random bytes, URL-safe: 22 characters nobody can guess or enumerate.
    return secrets.token_urlsafe(16)


def certificate_pdf_path(instance: "Certificate", filename: str) -> str:
    # A random name, not the public verification code: files stay private even where
    # the media storage is reachable by URL.
    return f"certificates/{instance.year}/{uuid.uuid4().hex}.pdf"


class CertificateCounter(models.Model):
    """The last certificate sequence number given out in a city in a year. Issuing locks
    this row (SELECT ... FOR UPDATE), so concurrent issues get consecutive numbers."""

    city = models.ForeignKey(
        "people.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("certificate counter")
        verbose_name_plural = _("certificate counters")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "year"], name="records_certificate_counter_city_year"
            )
        ]

    def __str__(self):
        return f"{self.city_id}/{self.year}: {self.last}"


class Certificate(models.Model):
    """The certificate of a course completion: its number in the issuing city's format,
    a public verification code (the QR code's link), the PDF, and its revocation."""

    completion = models.OneToOneField(
        CourseCompletion,
        on_delete=models.PROTECT,
        related_name="certificate",
        verbose_name=_("course completion"),
    )
    city = models.ForeignKey(
        "people.City",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issuing city"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    number = models.CharField(_("certificate number"), max_length=40, unique=True)
    verification_code = models.CharField(
        _("verification code"),
        max_length=32,
        unique=True,
        default=certificate_verification_code_new,
        editable=False,
    )
    issued_at = models.DateTimeField(_("issued at"))
    pdf = models.FileField(_("PDF"), upload_to=certificate_pdf_path, blank=True, max_length=200)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revoking"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "year", "sequence"], name="records_certificate_sequence_once"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="records_certificate_revoked_has_reason",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
