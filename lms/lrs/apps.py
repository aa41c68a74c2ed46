from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LrsConfig(AppConfig):
    name = "lms.lrs"
    label = "lrs"
    verbose_name = _("Learning record store")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from lms.lrs import auth  # noqa: F401  (connects the client-cache invalidation)
