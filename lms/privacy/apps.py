from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "lms.privacy"
    label = "privacy"
    verbose_name = _("Privacy (UU PDP)")
    default_auto_field = "django.db.models.BigAutoField"
