"""Credentials of the LRS's external clients (authoring tools, cmi5 players, other
systems). Only a SHA-256 digest of each secret is kept; the secret is shown once, when the
client is created. A client belongs to a city, or to none (national: every city)."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_BYTES = 12
SECRET_BYTES = 32


def secret_digest(secret: str) -> str:
    """SHA-256 hex digest of a secret. The secret is 256 random bits, so a slow password
    hash would add no safety, only ~50 ms of CPU per request."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class XapiClient(models.Model):
    """One set of HTTP Basic credentials: the key is the user name, the secret the
    password."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the client is, e.g. the authoring tool.")
    )
    key = models.CharField(_("key"), max_length=40, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    city = models.ForeignKey(
        "people.City",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="xapi_clients",
        verbose_name=_("city"),
        help_text=_("Empty: a national client that reaches every city."),
    )
    can_read = models.BooleanField(_("may read statements"), default=True)
    can_write = models.BooleanField(_("may send statements"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="xapi_clients",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set at most once a day (see auth.py): a busy client must not rewrite its row on
    # every request.
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("xAPI client")
        verbose_name_plural = _("xAPI clients")

    def __str__(self):
        return f"{self.name} ({self.key})"

    @staticmethod
    def new_credentials() -> tuple[str, str]:
        """A fresh (key, secret) pair; the caller shows the secret once."""
        return "lrs_" + secrets.token_hex(KEY_BYTES), secrets.token_urlsafe(SECRET_BYTES)

    def set_secret(self, secret: str) -> None:
        self.secret_hash = secret_digest(secret)

    def check_secret(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, secret_digest(secret))


class StatementRelation(models.Model):
    """An activity or agent a statement names besides its actor and object (context
    activities, instructor, team, a sub-statement's actor and object): what the
    ``related_activities`` / ``related_agents`` filters also search. Written once with the
    statement, never updated."""

    class Kind(models.TextChoices):
        ACTIVITY = "a", _("activity")
        AGENT = "g", _("agent")

    statement = models.ForeignKey(
        "records.Statement",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("statement"),
    )
    kind = models.CharField(_("kind"), max_length=1, choices=Kind.choices)
    # SHA-256 of the activity IRI, or of the agent's objectType and identifier.
    key = models.CharField(_("key"), max_length=64)

    class Meta:
        verbose_name = _("statement relation")
        verbose_name_plural = _("statement relations")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "kind", "key"], name="lrs_relation_unique"
            ),
        ]
        indexes = [models.Index(fields=["kind", "key"], name="lrs_relation_key")]

    def __str__(self):
        return f"{self.statement_id} {self.kind} {self.key[:12]}"


class Attachment(models.Model):
    """A statement attachment's content, stored once per SHA-2 digest through Django's
    storage (local files or S3)."""

    sha2 = models.CharField(_("SHA-2"), max_length=128, unique=True)
    content_type = models.CharField(_("content type"), max_length=255)
    length = models.PositiveBigIntegerField(_("length (bytes)"))
    file = models.FileField(_("file"), upload_to="xapi/attachments/")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement attachment")
        verbose_name_plural = _("statement attachments")

    def __str__(self):
        return self.sha2
