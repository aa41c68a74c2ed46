"""Forms of the feedback pages. They only carry the input: every rule (length, topic,
who may write) is checked by lms.feedback.services, whose errors land on these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.feedback.models import BODY_MAX_CHARS, FeedbackThread
from lms.feedback.services import NUDGE_MAX_CHARS


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_MAX_CHARS}),
    )


class WriteForm(ReplyForm):
    topic_kind = forms.CharField(
        label=_("About"),
        required=False,
        initial=FeedbackThread.TopicKind.GENERAL,
        widget=forms.Select(choices=FeedbackThread.TopicKind.choices),
    )
    topic_key = forms.CharField(required=False, widget=forms.HiddenInput)
    topic_title = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["topic_kind", "topic_key", "topic_title", "body"]


class NudgeForm(forms.Form):
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NUDGE_MAX_CHARS}),
    )


def add_service_errors(form: forms.Form, error) -> None:
    """Put a service's ValidationError on the form (on its field when the form has one)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
