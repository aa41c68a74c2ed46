from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "lms.records"
    label = "records"
    verbose_name = _("Learning records")

    def ready(self):
        from django.db.models.signals import post_delete
        from wagtail.models import Page
        from wagtail.signals import page_published, page_unpublished

        from lms.records.selectors import content_cache_clear

        # The recording path caches course structure briefly; any publishing change to
        # the page tree clears it in this process.
        page_published.connect(content_cache_clear, dispatch_uid="records_content_published")
        page_unpublished.connect(content_cache_clear, dispatch_uid="records_content_unpublished")
        post_delete.connect(
            content_cache_clear, sender=Page, dispatch_uid="records_content_deleted"
        )
