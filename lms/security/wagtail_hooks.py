"""Wagtail admin wiring: the account page links to the two-step login setup."""

from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks


@hooks.register("register_account_menu_item")
def two_step_login_item(request):
    return {
        "url": reverse("security:otp-setup"),
        "label": _("Two-step login"),
        "help_text": _("Ask for a code from your phone's authenticator app after the password."),
    }
