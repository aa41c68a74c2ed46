from django import forms

from lms.learning.selectors import DEFAULT_SORT, SORTS

SORT_CHOICES = [(name, name) for name in SORTS] + [(f"-{name}", f"-{name}") for name in SORTS]


class TeamQueryForm(forms.Form):
    """The team list's query string: which staff, which filters, which order."""

    indirect = forms.BooleanField(required=False)
    behind = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    @staticmethod
    def defaults() -> dict:
        return {"indirect": False, "behind": False, "overdue": False, "sort": DEFAULT_SORT}

    def clean_sort(self):
        return self.cleaned_data.get("sort") or DEFAULT_SORT
