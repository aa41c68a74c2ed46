from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """The stock form, relabelled: learners know their NIP better than a username."""

    username = forms.CharField(
        label=_("NIP or email"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}
        ),
    )

    error_messages = {
        "invalid_login": _(
            "The NIP/email or password is wrong. Check both and try again, "
            "or reset your password below."
        ),
        "inactive": _("This account is not active. Contact your city's BKPSDM."),
    }
