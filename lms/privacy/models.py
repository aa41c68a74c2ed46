"""Privacy (UU PDP No. 27/2022): who viewed or exported whose learning records
(``AccessLog``, which the learner can read), and learners' requests to have their data
deleted (``DeletionRequest``, which the city admin acts on by anonymising)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """One access by someone other than the learner: a page that showed the learner's
    records, a file or API page that carried them, a search that found them.

    A list export of a whole city (SIASN, below 20 JP) is one row without a learner, with
    the city and the number of records it held: the learners of that city see it as
    "your city's list was exported", instead of one row per learner per download.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        EXPORT = "export", _("Exported")
        SEARCH = "search", _("Found by a search")
        API = "api", _("Read through the API")
        FEEDBACK = "feedback", _("Wrote feedback")

    class Role(models.TextChoices):
        SUPERVISOR = "supervisor", _("Supervisor")
        CITY_ADMIN = "city_admin", _("City admin (BKPSDM)")
        NATIONAL_ADMIN = "national_admin", _("National admin")
        API_TOKEN = "api_token", _("API token")
        OTHER = "other", _("Other")

    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Kept beside the foreign keys: the log must still say who it was after an account or
    # token is removed.
    actor_label = models.CharField(_("by (name)"), max_length=200, blank=True)
    token = models.ForeignKey(
        "api.ApiToken",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API token"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learner"),
    )
    city = models.ForeignKey(
        "people.City",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city"),
        help_text=_("For list exports: the city whose learners the list held."),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    where = models.CharField(_("where"), max_length=120, help_text=_("The page or API address."))
    count = models.PositiveIntegerField(
        _("records"), default=1, help_text=_("How many records a list export held.")
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["learner", "-at"], name="privacy_access_learner"),
            models.Index(
                fields=["city", "-at"],
                condition=Q(learner__isnull=True),
                name="privacy_access_city_lists",
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.learner_id}"


class DeletionRequest(models.Model):
    """A learner asks that their personal data be deleted. The city admin decides: the
    records that the law and the city's reports need are kept, anonymised."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        ANONYMISED = "anonymised", _("Anonymised")
        REJECTED = "rejected", _("Rejected")

    learner = models.ForeignKey(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("learner"),
    )
    city = models.ForeignKey(
        "people.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")
        constraints = [
            models.UniqueConstraint(
                fields=["learner"],
                condition=Q(status="open"),
                name="privacy_one_open_request_per_learner",
            ),
        ]
        indexes = [models.Index(fields=["city", "status"], name="privacy_request_city_status")]

    def __str__(self):
        return f"{self.learner_id} {self.status}"


class Anonymisation(models.Model):
    """That a learner was anonymised, when and by whom (the profile itself no longer says
    who it was)."""

    learner = models.OneToOneField(
        "people.LearnerProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("learner"),
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), default=timezone.now)
    anonymised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("anonymised by"),
    )
    statements_stripped = models.PositiveIntegerField(_("statements stripped"), default=0)

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")

    def __str__(self):
        return f"{self.learner_id} {self.anonymised_at:%Y-%m-%d}"
