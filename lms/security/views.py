"""Two-factor pages and the 500 handler that turns an unreachable service into a 503."""

import sys

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as django_server_error
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.core.middleware import is_service_outage, service_unavailable_response
from lms.security import otp
from lms.security.forms import TokenForm


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@login_required
def otp_verify(request):
    """The second step of a login for a user with a confirmed device."""
    devices = otp.confirmed_devices(request.user)
    form = TokenForm(request.POST or None, devices=devices)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        otp.clear_pending(request)
        return redirect(_safe_next(request, "/"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


@never_cache
@login_required
def otp_setup(request):
    """Staff turn two-factor on (scan the QR, confirm one code) or off (one code).

    Staff here are those who may open an admin: trainers, city and national admins.
    """
    user = request.user
    if not (user.is_staff or user.has_perm("wagtailadmin.access_admin")):
        raise PermissionDenied
    confirmed = list(otp.confirmed_devices(user))
    if confirmed:
        form = TokenForm(request.POST or None, devices=confirmed)
        if request.method == "POST" and form.is_valid():
            TOTPDevice.objects.filter(user=user).delete()
            otp.clear_pending(request)
            messages.success(request, _("Two-step login is off."))
            return redirect("security:otp-setup")
        return render(
            request,
            "registration/otp_setup.html",
            {"form": form, "enabled": True},
            status=400 if request.method == "POST" else 200,
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = TokenForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(
            request, _("Two-step login is on. Next time, enter a code after your password.")
        )
        return redirect("security:otp-setup")
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "enabled": False,
            "qr_data_uri": qr.svg_data_uri(scale=5),
            "secret": _grouped(device.config_url),
        },
        status=400 if request.method == "POST" else 200,
    )


def _grouped(config_url: str) -> str:
    """The base32 secret from the otpauth URL, in groups of four for typing by hand."""
    from urllib.parse import parse_qs, urlsplit

    secret = parse_qs(urlsplit(config_url).query).get("secret", [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def server_error(request, template_name="500.html"):
    """handler500: an outage raised outside a view (in middleware) still gets the 503."""
    exc = sys.exc_info()[1]
    if exc is not None and is_service_outage(exc):
        return service_unavailable_response(request, exc)
    return django_server_error(request, template_name=template_name)
