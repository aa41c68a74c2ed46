"""Optional TOTP two-factor login for staff (django-otp).

A user with a confirmed TOTP device is asked for a code after the password: the login
marks the session "second factor pending" and OTPRequiredMiddleware sends every request
of that session to the verification page until a valid code is given. Marking the session
at login keeps the check off every other request (no device query per request).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.security.responses import json_error, wants_json

PENDING_SESSION_KEY = "security_otp_pending"


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def mark_pending_if_enrolled(request, user) -> None:
    if hasattr(request, "session") and confirmed_devices(user).exists():
        request.session[PENDING_SESSION_KEY] = True


def clear_pending(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


class OTPRequiredMiddleware:
    """After django_otp's OTPMiddleware: no page until the second factor is given."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        session = getattr(request, "session", None)
        if session is None or not session.get(PENDING_SESSION_KEY):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match and match.view_name in {"security:otp-verify", "logout"}:
            return None
        if request.path_info.startswith((settings.STATIC_URL, "/i18n/", "/healthz")):
            return None
        if wants_json(request):
            from django.utils.translation import gettext as _

            return json_error(
                _("Enter the code from your authenticator app first."),
                status=403,
                code="second_factor_required",
            )
        return redirect(
            reverse("security:otp-verify") + "?" + urlencode({"next": request.get_full_path()})
        )
