"""The one-time code form of the two-factor pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from the authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, devices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = list(devices)
        self.device = None

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("The code has only digits."), code="not_digits")
        throttled = False
        for device in self.devices:
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                self.device = device
                return token
        if throttled:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait a few seconds, then enter the current code."),
                code="throttled",
            )
        raise forms.ValidationError(
            _("This code is wrong or has expired. Enter the current code from the app."),
            code="invalid_token",
        )
