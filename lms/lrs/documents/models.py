"""What the xAPI document resources store: the documents external clients keep in the
State, Activity Profile and Agent Profile resources, and the cmi5 launch sessions (one
per launch of an assignable unit, with its one-time fetch token).

The H5P player's saved state of a session learner is not stored here: it stays in
``lms.records.ActivityState``, which the State resource delegates to for session requests.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    STATE = "state", _("State")
    ACTIVITY_PROFILE = "activity_profile", _("Activity profile")
    AGENT_PROFILE = "agent_profile", _("Agent profile")


class XapiDocument(models.Model):
    """One document of the State, Activity Profile or Agent Profile resource.

    A document lives in a *scope*: for State, an activity x agent x registration; for an
    Activity Profile, an activity within a city; for an Agent Profile, an agent. The scope
    is hashed into ``scope_hash`` so one short indexed column finds a document (unique with
    ``document_id``) whatever the length of the IRIs; ``context_hash`` (the scope without
    the registration) lists or deletes documents across registrations. Small bodies are
    kept in the row; larger ones go to the default file storage.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    scope_hash = models.CharField(_("scope hash"), max_length=64, editable=False)
    # The scope without the registration (State: activity x agent), for requests that
    # list or delete across registrations.
    context_hash = models.CharField(_("context hash"), max_length=64, editable=False)
    document_id = models.CharField(_("document id"), max_length=255)
    activity_id = models.TextField(_("activity IRI"), blank=True)
    agent_key = models.CharField(
        _("agent"),
        max_length=600,
        blank=True,
        help_text=_("The agent's identifier, e.g. account:<homePage>|<name> or mbox:mailto:..."),
    )
    registration = models.UUIDField(_("registration"), null=True, blank=True)
    city = models.ForeignKey(
        "people.City",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city"),
        help_text=_("The city whose client or learner the document belongs to (empty: national)."),
    )
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learner"),
    )
    content_type = models.CharField(_("content type"), max_length=255)
    etag = models.CharField(_("ETag (SHA-1)"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    body = models.BinaryField(_("body"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="lrs/documents/%Y/%m/", blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("xAPI document")
        verbose_name_plural = _("xAPI documents")
        constraints = [
            models.UniqueConstraint(
                fields=["scope_hash", "document_id"], name="lrs_documents_one_per_id"
            ),
        ]
        indexes = [models.Index(fields=["context_hash", "updated_at"])]

    def __str__(self):
        return f"{self.kind} {self.document_id}"


class LaunchMode(models.TextChoices):
    NORMAL = "Normal", _("Normal")
    BROWSE = "Browse", _("Browse")
    REVIEW = "Review", _("Review")


class MoveOn(models.TextChoices):
    PASSED = "Passed", _("Passed")
    COMPLETED = "Completed", _("Completed")
    COMPLETED_AND_PASSED = "CompletedAndPassed", _("Completed and passed")
    COMPLETED_OR_PASSED = "CompletedOrPassed", _("Completed or passed")
    NOT_APPLICABLE = "NotApplicable", _("Not applicable")


class LaunchSession(models.Model):
    """One cmi5 launch of an assignable unit (AU) for a learner.

    The launch URL carries ``fetch`` = this session's fetch URL; the AU posts to it once and
    receives the auth token, made at that moment. Only the token's SHA-256 digest is kept.
    The token lets its holder use the LRS as this learner, for this registration, until
    ``expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="cmi5_launches",
        verbose_name=_("learner"),
    )
    activity_id = models.TextField(_("AU activity IRI"))
    registration = models.UUIDField(_("registration"))
    launch_mode = models.CharField(
        _("launch mode"), max_length=10, choices=LaunchMode.choices, default=LaunchMode.NORMAL
    )
    move_on = models.CharField(
        _("move on"), max_length=20, choices=MoveOn.choices, default=MoveOn.COMPLETED
    )
    token_digest = models.CharField(
        _("token digest (SHA-256)"), max_length=64, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    fetched_at = models.DateTimeField(
        _("token fetched at"),
        null=True,
        blank=True,
        help_text=_("Set on the first POST to the fetch URL; later fetches are refused."),
    )

    class Meta:
        verbose_name = _("cmi5 launch session")
        verbose_name_plural = _("cmi5 launch sessions")

    def __str__(self):
        return f"{self.learner_id} {self.activity_id} {self.registration}"
