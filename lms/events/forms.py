from django import forms
from django.utils.translation import gettext_lazy as _


class CheckinForm(forms.Form):
    code = forms.CharField(
        label=_("Session code"),
        max_length=300,
        help_text=_("Scan the QR code the organiser shows, or copy its code here."),
        error_messages={"required": _("Enter the session code.")},
    )


class MonthForm(forms.Form):
    bulan = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={
            "required": _("Choose approve or reject."),
            "invalid_choice": _("Choose approve or reject."),
        },
    )
