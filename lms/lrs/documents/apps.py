from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LrsDocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.lrs.documents"
    label = "lrs_documents"
    verbose_name = _("xAPI documents and cmi5 launches")
