"""Notifications: the in-app messages behind the bell (one row per user x event), and each
user's choice of which kinds also arrive by email."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MANDATORY_ASSIGNED = "mandatory_assigned", _("A mandatory course was assigned to me")
    DUE_SOON = "due_soon", _("A mandatory course is due soon")
    FEEDBACK = "feedback", _("Feedback from my supervisor")
    FEEDBACK_REPLY = "feedback_reply", _("Replies from my staff to my feedback")
    CERTIFICATE_ISSUED = "certificate_issued", _("My certificate was issued")
    NUDGE = "nudge", _("Reminders from my supervisor")


class Notification(models.Model):
    """One message for one user. Title and body are stored as rendered when the event
    happened, so a later change to a course title does not rewrite what was said."""

    Kind = Kind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        null=True,
        blank=True,
        help_text=_(
            "Set by senders that may run twice (periodic tasks, retries): a second "
            "notification with the same user, kind and key is not stored."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_user_recent"),
            # The bell counts unread rows on every page: a partial index keeps that tiny.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notifications_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notifications_once_per_dedupe_key",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {self.title}"


class NotificationPreference(models.Model):
    """A user's email choice for one kind; no row means email is on (the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    email_enabled = models.BooleanField(_("send by email"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notifications_one_preference_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {self.email_enabled}"
