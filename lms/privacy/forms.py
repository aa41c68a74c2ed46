from django import forms
from django.utils.translation import gettext_lazy as _


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Please keep the reason under 1000 characters.")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("anonymise", _("Anonymise")), ("reject", _("Reject"))],
        error_messages={"invalid_choice": _("Choose to anonymise or to reject.")},
    )
    note = forms.CharField(label=_("Note for the learner"), required=False, max_length=1000)


class AnonymiseForm(forms.Form):
    nip = forms.CharField(label=_("NIP of the departed learner"), max_length=30)
    confirm = forms.BooleanField(
        label=_("I understand this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
