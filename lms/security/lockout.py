"""django-axes glue: one failure counter per account, and the Indonesian lockout page."""

import math

from axes.helpers import get_cool_off
from django.template.response import TemplateResponse
from django.utils import timezone

from lms.people.backends import normalise_login, users_matching_login
from lms.security.responses import json_error, wants_json


def account_key(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: the account a login names, however it was typed.

    A learner logs in with a NIP (with or without spaces), an email or a username; counting
    failures per typed text would give an attacker a fresh allowance for every alias of
    the same account. Unknown logins are counted under their normalised text.
    """
    login = normalise_login((credentials or {}).get("username") or "")
    if not login:
        return ""
    candidates = users_matching_login(login)
    if len(candidates) == 1:
        return f"account:{candidates[0].pk}"
    return login.lower()


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 saying until when, and whom to call (BKPSDM)."""
    from django.utils.translation import gettext as _

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    retry_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    if wants_json(request):
        response = json_error(
            _(
                "Too many wrong passwords: this account is locked for %(minutes)s minutes. "
                "Contact your city's BKPSDM admin if you cannot log in."
            )
            % {"minutes": math.ceil(seconds / 60)},
            status=429,
            code="locked_out",
        )
    else:
        response = TemplateResponse(
            request,
            "registration/lockout.html",
            {"retry_at": retry_at, "minutes": math.ceil(seconds / 60)},
            status=429,
        )
        response.render()
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
