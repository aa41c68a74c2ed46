"""Forms of the innovation pages. They only parse input; the rules are in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.innovation.services import CriterionData
from lms.people import permissions
from lms.people.models import User


def add_service_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ProposalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    problem = forms.CharField(
        label=gettext_lazy("Problem"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=gettext_lazy("What problem of your office or of citizens does it solve?"),
    )
    solution = forms.CharField(
        label=gettext_lazy("Solution"), widget=forms.Textarea(attrs={"rows": 5}), max_length=8000
    )
    expected_impact = forms.CharField(
        label=gettext_lazy("Expected impact"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class MemberAddForm(forms.Form):
    nip = forms.CharField(
        label=gettext_lazy("NIP of the colleague"),
        max_length=30,
        help_text=gettext_lazy("A civil servant of your city, from any agency."),
    )

    def clean_nip(self):
        return "".join(self.cleaned_data["nip"].split())


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))


class ScorecardForm(forms.Form):
    """One whole-number field per criterion of the rubric, and a private comment."""

    comment = forms.CharField(
        label=gettext_lazy("Comment (only you and the city admins see it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                label=f"{criterion.name} ({criterion.weight}%)",
                min_value=0,
                max_value=criterion.max_score,
                help_text=_("From 0 to %(max)d") % {"max": criterion.max_score},
            )
        self.order_fields([*[f"criterion_{c.pk}" for c in self.criteria], "comment"])

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CompetitionForm(forms.Form):
    city = forms.ModelChoiceField(label=gettext_lazy("City"), queryset=None)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    theme = forms.CharField(label=gettext_lazy("Theme"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    submission_opens_at = forms.DateTimeField(
        label=gettext_lazy("Submission opens at"), widget=DATETIME_WIDGET
    )
    submission_closes_at = forms.DateTimeField(
        label=gettext_lazy("Submission closes at (judging starts)"), widget=DATETIME_WIDGET
    )
    judging_closes_at = forms.DateTimeField(
        label=gettext_lazy("Judging closes at"), widget=DATETIME_WIDGET
    )
    winners_count = forms.IntegerField(
        label=gettext_lazy("Number of winners"), min_value=1, max_value=50, initial=3
    )
    rubric = forms.CharField(
        label=gettext_lazy("Rubric"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One criterion per line: name | weight in % | maximum score, e.g. "
            "“Novelty | 30 | 10”. The weights must add up to 100."
        ),
    )
    judges = forms.CharField(
        label=gettext_lazy("Judges"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: the judge's NIP or user name."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = permissions.manageable_cities(user)

    def clean_rubric(self):
        criteria = []
        for number, line in enumerate(self.cleaned_data["rubric"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) == 2:
                parts.append("10")
            try:
                if len(parts) != 3 or not parts[0]:
                    raise ValueError
                criteria.append(
                    CriterionData(name=parts[0], weight=int(parts[1]), max_score=int(parts[2]))
                )
            except ValueError:
                raise ValidationError(
                    _("Line %(line)d is not “name | weight | maximum score” with whole numbers.")
                    % {"line": number}
                ) from None
        if not criteria:
            raise ValidationError(_("The rubric needs at least one criterion."))
        return criteria

    def clean_judges(self):
        names = [line.strip() for line in self.cleaned_data["judges"].splitlines() if line.strip()]
        names = list(dict.fromkeys(names))
        users = {user.username: user for user in User.objects.filter(username__in=names)}
        unknown = [name for name in names if name not in users]
        if unknown:
            raise ValidationError(
                _("No account with this NIP or user name: %(names)s.")
                % {"names": ", ".join(unknown)}
            )
        return [users[name] for name in names]


def competition_initial(competition) -> dict:
    from django.utils import timezone

    return {
        "city": competition.city_id,
        "title": competition.title,
        "theme": competition.theme,
        "description": competition.description,
        "submission_opens_at": timezone.localtime(competition.submission_opens_at),
        "submission_closes_at": timezone.localtime(competition.submission_closes_at),
        "judging_closes_at": timezone.localtime(competition.judging_closes_at),
        "winners_count": competition.winners_count,
        "rubric": "\n".join(
            f"{c.name} | {c.weight} | {c.max_score}" for c in competition.criteria.all()
        ),
        "judges": "\n".join(
            competition.judges.order_by("username").values_list("username", flat=True)
        ),
    }
