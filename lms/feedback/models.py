"""Supervisor feedback: one thread per learner x topic (in general, on a course, or on a
quiz attempt) and its messages, written by the learner's supervisors and the learner."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BODY_MAX_CHARS = 2000


class FeedbackThread(models.Model):
    """A conversation about one learner and one topic; a second "write feedback" on the
    same topic joins it instead of starting another."""

    class TopicKind(models.TextChoices):
        GENERAL = "general", _("General")
        COURSE = "course", _("Course")
        QUIZ_ATTEMPT = "quiz_attempt", _("Quiz result")

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="feedback_threads",
        verbose_name=_("learner"),
    )
    topic_kind = models.CharField(_("topic"), max_length=20, choices=TopicKind.choices)
    topic_key = models.UUIDField(
        _("topic key"),
        null=True,
        blank=True,
        help_text=_("The course's translation key or the quiz attempt's id; empty for general."),
    )
    topic_title = models.CharField(_("topic title"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), default=timezone.now)
    learner_read_at = models.DateTimeField(
        _("read by the learner at"),
        null=True,
        blank=True,
        help_text=_("When the learner last opened the thread; newer messages are unread."),
    )

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("feedback thread")
        verbose_name_plural = _("feedback threads")
        indexes = [
            models.Index(fields=["learner", "-last_message_at"], name="feedback_learner_recent"),
        ]
        constraints = [
            # NULL keys never collide in a unique index, so "general" gets its own constraint.
            models.UniqueConstraint(
                fields=["learner", "topic_kind", "topic_key"],
                condition=Q(topic_key__isnull=False),
                name="feedback_one_thread_per_topic",
            ),
            models.UniqueConstraint(
                fields=["learner", "topic_kind"],
                condition=Q(topic_key__isnull=True),
                name="feedback_one_general_thread",
            ),
            models.CheckConstraint(
                condition=Q(topic_kind="general", topic_key__isnull=True)
                | (~Q(topic_kind="general") & Q(topic_key__isnull=False)),
                name="feedback_topic_key_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.topic_kind}: {self.topic_title}"


class FeedbackMessage(models.Model):
    thread = models.ForeignKey(
        FeedbackThread,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("thread"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"), max_length=BODY_MAX_CHARS)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("feedback message")
        verbose_name_plural = _("feedback messages")
        indexes = [models.Index(fields=["thread", "created_at"], name="feedback_thread_messages")]

    def __str__(self):
        return f"{self.thread_id} {self.author_id} {self.created_at:%Y-%m-%d}"
