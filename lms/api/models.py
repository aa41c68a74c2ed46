"""API tokens: the credentials integrations (a city's HR system, a national dashboard) use
to read the REST API under /api/v1/. Only a hash of each secret is stored; the secret is
shown once, when the token is created."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SCOPE_READ = "read"
SCOPE_ENROLMENTS_WRITE = "enrolments:write"


class ApiToken(models.Model):
    """One token. Scoped to a city (its admins create it); a national admin's token may
    have no city, and then reads every city."""

    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the system that uses it."),
    )
    city = models.ForeignKey(
        "people.City",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("city"),
    )
    # The public part of the token, shown in lists so admins can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    can_write_enrolments = models.BooleanField(
        _("may assign mandatory courses"),
        default=False,
        help_text=_("Without this the token can only read."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        # Wagtail has an APIToken model of its own with the reverse name "api_tokens".
        related_name="lms_api_tokens",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> list[str]:
        scopes = [SCOPE_READ]
        if self.can_write_enrolments:
            scopes.append(SCOPE_ENROLMENTS_WRITE)
        return scopes

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
