from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Learning content")

    def ready(self):
        from django.db.models.signals import post_migrate

        from content import signals

        post_migrate.connect(
            signals.sync_after_migrate, sender=self, dispatch_uid="content.sync_after_migrate"
        )
        from content.activities import H5PPackageCatalogue
        from courses.activities import ActivityKind, register_catalogue

        register_catalogue(ActivityKind.H5P, H5PPackageCatalogue())
