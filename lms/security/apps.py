from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Login protection (lockout, rate limits, two-factor), HTTP hardening and log masking."""

    name = "lms.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self):
        from lms.security import signals  # noqa: F401  (connects the login-failure counter)
