"""Forms for logging in, resetting a password, and the admin screens for people and
organisations. The admin forms only validate and narrow choices to what the editing user
may manage; saving goes through lms.people.services in the admin views."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from lms.people import permissions
from lms.people.backends import normalise_login, users_matching_login
from lms.people.models import Agency, City, LearnerProfile
from lms.people.nip import validate_nip_matches
from lms.people.services import nip_parse


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

    def clean(self):
        try:
            return super().clean()
        except ValidationError as exc:
            # The backend refuses inactive accounts like wrong passwords. When the
            # password was right, say the account is inactive, so the learner knows to
            # call BKPSDM rather than reset a password that would not help.
            if exc.code == "invalid_login" and self._is_inactive_with_right_password():
                raise ValidationError(self.error_messages["inactive"], code="inactive") from None
            raise

    def _is_inactive_with_right_password(self) -> bool:
        login = normalise_login(self.cleaned_data.get("username"))
        password = self.cleaned_data.get("password")
        if not login or not password:
            return False
        candidates = users_matching_login(login)
        return (
            len(candidates) == 1
            and not candidates[0].is_active
            and candidates[0].check_password(password)
        )


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's form, except that accounts without a password yet may also reset.

    Imported learners start without a password (services.learner_create); the reset
    email is how they set their first one. Django skips such accounts because elsewhere
    an unusable password can mean "logs in through another system"; here it never does.
    """

    def get_users(self, email):
        email = (email or "").strip()
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)


# --- admin forms --------------------------------------------------------------------------


class AgencyChoiceField(forms.ModelChoiceField):
    """Agencies shown as an indented tree, with their city when several are offered."""

    def __init__(self, *args, show_city=False, **kwargs):
        self.show_city = show_city
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        label = f"{'— ' * (obj.depth - 1)}{obj.name}"
        if obj.code:
            label = f"{label} ({obj.code})"
        if self.show_city:
            label = f"{obj.city.name}: {label}"
        return label


def _agency_choices(user):
    return (
        permissions.manageable_agencies(user).select_related("city").order_by("city__name", "path")
    )


class CityForm(WagtailAdminModelForm):
    class Meta:
        model = City
        fields = ["name", "slug", "bkpsdm_name", "timezone", "certificate_number_format"]


class AgencyForm(WagtailAdminModelForm):
    """Create or edit an agency; `parent` places it in the city's tree."""

    parent = AgencyChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label=_("parent unit"),
        help_text=_("Leave empty for a top-level OPD."),
    )

    class Meta:
        model = Agency
        fields = ["city", "name", "code", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        cities = permissions.manageable_cities(user)
        self.fields["city"].queryset = cities
        agencies = _agency_choices(user)
        self.fields["parent"].show_city = permissions.is_national_admin(user) or (
            len(permissions.roles_of(user).admin_city_ids) > 1
        )
        if self.instance.pk:
            # A unit stays in its city, and cannot go under itself or its own sub-units.
            self.fields["city"].disabled = True
            agencies = agencies.filter(city_id=self.instance.city_id).exclude(
                path__startswith=self.instance.path
            )
            parent = self.instance.get_parent()
            self.initial.setdefault("parent", parent.pk if parent else None)
        elif cities.count() == 1:
            self.fields["city"].initial = cities.first()
            self.fields["city"].empty_label = None
        self.fields["parent"].queryset = agencies

    def clean(self):
        cleaned = super().clean()
        city, parent = cleaned.get("city"), cleaned.get("parent")
        if city is not None and parent is not None and parent.city_id != city.pk:
            self.add_error("parent", _("The parent unit belongs to another city."))
        return cleaned


class LearnerProfileForm(WagtailAdminModelForm):
    """Create or edit a learner. The supervisor is given by NIP: a city has thousands of
    people, too many for a drop-down."""

    supervisor_nip = forms.CharField(
        label=_("supervisor's NIP"),
        required=False,
        max_length=30,
        help_text=_("The NIP of this person's direct supervisor (atasan), in the same city."),
    )
    is_active = forms.BooleanField(
        label=_("active"),
        required=False,
        initial=True,
        help_text=_("Inactive people cannot log in; their records are kept."),
    )

    class Meta:
        model = LearnerProfile
        fields = [
            "city",
            "employment_type",
            "nip",
            "full_name",
            "gender",
            "birth_date",
            "golongan",
            "jabatan_type",
            "jabatan_name",
            "agency",
            "email",
            "phone",
        ]
        field_classes = {"agency": AgencyChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        cities = permissions.manageable_cities(user)
        self.fields["city"].queryset = cities
        self.fields["agency"].queryset = _agency_choices(user)
        several_cities = permissions.is_national_admin(user) or (
            len(permissions.roles_of(user).admin_city_ids) > 1
        )
        self.fields["agency"].show_city = several_cities
        self.fields["gender"].help_text = _("Taken from digit 15 of a PNS NIP when left empty.")
        self.fields["birth_date"].help_text = _("Taken from digits 1-8 of the NIP when left empty.")
        if self.instance.pk:
            self.fields["city"].disabled = True
            self.fields["agency"].queryset = self.fields["agency"].queryset.filter(
                city_id=self.instance.city_id
            )
            self.initial.setdefault(
                "supervisor_nip", self.instance.supervisor.nip if self.instance.supervisor else ""
            )
            self.initial["is_active"] = self.instance.is_active
        else:
            del self.fields["is_active"]
            if cities.count() == 1:
                self.fields["city"].initial = cities.first()
                self.fields["city"].empty_label = None

    def clean_nip(self):
        nip = (self.cleaned_data.get("nip") or "").strip().replace(" ", "")
        employment_type = self.cleaned_data.get(
            "employment_type", LearnerProfile.EmploymentType.PNS
        )
        try:
            self._nip_parts = nip_parse(nip, employment_type=employment_type)
        except ValidationError:
            self._nip_parts = None
            raise
        return nip

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        if email:
            users = get_user_model().objects.filter(email__iexact=email)
            if self.instance.pk:
                users = users.exclude(pk=self.instance.user_id)
            if users.exists():
                raise ValidationError(
                    _("Another account already uses this email address."), code="email_taken"
                )
        return email

    def clean(self):
        cleaned = super().clean()
        parts = getattr(self, "_nip_parts", None)
        if parts is not None and "nip" in cleaned:
            try:
                validate_nip_matches(
                    parts,
                    birth_date=cleaned.get("birth_date"),
                    gender=cleaned.get("gender") or None,
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        self.add_error(field, error)
        city = cleaned.get("city")
        agency = cleaned.get("agency")
        if city is not None and agency is not None and agency.city_id != city.pk:
            self.add_error(
                "agency",
                ValidationError(
                    _("The agency “%(agency)s” belongs to another city."),
                    code="agency_other_city",
                    params={"agency": agency.name},
                ),
            )
        cleaned["supervisor"] = None
        supervisor_nip = (cleaned.get("supervisor_nip") or "").strip().replace(" ", "")
        if supervisor_nip and city is not None:
            supervisor = (
                LearnerProfile.objects.filter(nip=supervisor_nip, city=city)
                .select_related("city")
                .first()
            )
            if supervisor is None:
                self.add_error(
                    "supervisor_nip",
                    ValidationError(
                        _("Nobody with the NIP %(nip)s works in %(city)s."),
                        code="supervisor_not_found",
                        params={"nip": supervisor_nip, "city": city.name},
                    ),
                )
            else:
                cleaned["supervisor"] = supervisor
        return cleaned

    def _get_validation_exclusions(self):
        # The user is created by the service; the supervisor is set by supervisor_set.
        exclude = super()._get_validation_exclusions()
        exclude.update({"user", "supervisor"})
        return exclude
