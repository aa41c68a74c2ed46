"""Login events the security app reacts to."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from lms.security import otp
from lms.security.ratelimit import record_login_failure


@receiver(user_login_failed, dispatch_uid="security_count_login_failure")
def count_login_failure(sender, credentials, request=None, **kwargs):
    if request is not None:
        record_login_failure(request)


@receiver(user_logged_in, dispatch_uid="security_second_factor")
def ask_for_second_factor(sender, request, user, **kwargs):
    if request is not None:
        otp.mark_pending_if_enrolled(request, user)
