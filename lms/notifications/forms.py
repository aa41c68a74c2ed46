from django import forms

from lms.notifications.models import Kind


class PreferencesForm(forms.Form):
    """One "also by email" checkbox per kind of notification."""

    def __init__(self, *args, initial_choices: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=initial_choices.get(kind, True)
            )

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in Kind.values}
