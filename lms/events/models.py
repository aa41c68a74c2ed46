"""Blended learning events: the partners (universities, tech companies, agencies) that run
them, the events themselves (workshops, seminars, bimbingan teknis, magang, coaching and
mentoring sessions) with their sessions, who registered (with waitlist and supervisor
approval), who attended which session, and each learner's secret calendar-feed token.

JP and completions are not stored here: on reaching the event's minimum attendance the
records app credits them (lms.records.event_services), keyed by ``Event.key``.
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from courses.models import LearningForm
from lms.people.models import LearnerProfile

# The forms an event can take (the rest of the national list are courses or self-study).
EVENT_FORMS = [
    LearningForm.WORKSHOP,
    LearningForm.SEMINAR,
    LearningForm.TECHNICAL_GUIDANCE,
    LearningForm.INTERNSHIP,
    LearningForm.COACHING,
    LearningForm.MENTORING,
]


class Partner(models.Model):
    """A university, technology company or agency that runs events or co-authors courses.
    A partner without a city is national: every city may name it."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University or polytechnic")
        TECH_COMPANY = "tech_company", _("Technology company")
        AGENCY = "agency", _("Government agency")
        OTHER = "other", _("Other institution")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    city = models.ForeignKey(
        "people.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("city"),
        help_text=_("The city that works with this partner; empty for a national partner."),
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logo"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "name"],
                name="events_partner_name_unique_in_city",
                violation_error_message=_("This city already has a partner with this name."),
            ),
        ]

    def __str__(self):
        return self.name


class Event(ClusterableModel):
    """A workshop, seminar, bimbingan teknis, magang or coaching/mentoring activity of a
    city, held in one or several sessions."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    city = models.ForeignKey(
        "people.City", on_delete=models.PROTECT, related_name="events", verbose_name=_("city")
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("partner"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    learning_form = models.CharField(
        _("learning form"),
        max_length=30,
        choices=[(form.value, form.label) for form in EVENT_FORMS],
        default=LearningForm.WORKSHOP,
    )
    place = models.CharField(_("place"), max_length=255, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        validators=[MinValueValidator(1)],
        help_text=_("Seats; more go on the waitlist."),
    )
    registration_opens_at = models.DateTimeField(_("registration opens at"))
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    # Who may register, as lms.records.EnrolmentRule matches learners: the event's city,
    # optionally one agency and the units below it, optionally one position type.
    agency = models.ForeignKey(
        "people.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for agency"),
        help_text=_("Only people of this agency and the units below it; empty for everyone."),
    )
    jabatan_type = models.CharField(
        _("only for position type"),
        max_length=20,
        blank=True,
        choices=LearnerProfile.JabatanType.choices,
        help_text=_("Only people with this position type; empty for every position."),
    )
    requires_supervisor_approval = models.BooleanField(
        _("needs supervisor approval"), default=False
    )
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("minimum attendance (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("The share of sessions a learner must attend to earn the JP and certificate."),
    )
    jp_override = models.PositiveSmallIntegerField(
        _("JP override"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_(
            "Replaces the national rule: for coaching and mentoring the JP per session, "
            "otherwise the JP of the whole event. Empty to follow the national rule."
        ),
    )
    checkin_code_minutes = models.PositiveSmallIntegerField(
        _("check-in code valid for (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["registration_closes_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="events_event_registration_window",
                violation_error_message=_("Registration must close after it opens."),
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="events_event_capacity"),
        ]

    def __str__(self):
        return self.title


class EventSession(models.Model):
    """One meeting of an event."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    topic = models.CharField(_("topic"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="events_session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
        ]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self):
        return f"{self.event_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Registration(models.Model):
    """A learner's place at an event. One row per learner and event; cancelling and
    registering again reuse it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for supervisor approval")
        CONFIRMED = "confirmed", _("Registered")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Not approved by supervisor")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event")
    )
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.PROTECT,
        related_name="event_registrations",
        verbose_name=_("learner"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    queued_at = models.DateTimeField(
        _("queued at"), help_text=_("Waitlist order: the earliest is promoted first.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    credited_at = models.DateTimeField(_("JP credited at"), null=True, blank=True)
    credited_jp = models.PositiveSmallIntegerField(_("JP credited"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "learner"], name="events_registration_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "queued_at"])]

    def __str__(self):
        return f"{self.event_id}/{self.learner_id} ({self.status})"


class Attendance(models.Model):
    """A registered learner was present at one session (a row only when present)."""

    class Method(models.TextChoices):
        QR = "qr", _("Checked in with the session code")
        ORGANISER = "organiser", _("Marked by the organiser")

    session = models.ForeignKey(
        EventSession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("session"),
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("registration"),
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    jp_counted = models.BooleanField(
        _("counted for JP"),
        default=False,
        help_text=_("For per-session forms: this session was counted in the monthly cap."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "registration"], name="events_attendance_once_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.session_id}/{self.registration_id}"


def feed_token_new() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret in a learner's iCalendar feed URL (calendar apps cannot log in)."""

    learner = models.OneToOneField(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("learner"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=feed_token_new)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"{self.learner_id}"
