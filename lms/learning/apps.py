from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    """The learner's home (Beranda) and the supervisor's team pages (Tim Saya): pages
    composed from the records, people, courses, feedback and certificates apps. No models."""

    name = "lms.learning"
    label = "learning"
    verbose_name = _("Learner home and team")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from lms.learning.selectors import remember_supervisor_flag

        # The menu shows "Tim Saya" only to supervisors; deciding it once at log-in (one
        # query) keeps every page of the site free of that query.
        user_logged_in.connect(remember_supervisor_flag, dispatch_uid="learning_supervisor_flag")
