"""People and organisations: the cities (pemerintah kota/provinsi) that run the platform,
their agencies (OPD / unit kerja, a tree of any depth), the ASN learner profile of each
user (NIP, rank, position, supervisor), and the groups that give staff their role in a city.
"""

import string

from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class User(AbstractUser):
    """A login. Learners log in with their NIP (also their username) or their email."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="people_user_email_ci_unique",
                violation_error_message=_("Another account already uses this email address."),
            ),
        ]


# --- certificate numbers --------------------------------------------------------------------
CERTIFICATE_NUMBER_DEFAULT_FORMAT = "{seq:05d}/SERT/{city}/{year}"
# What a city's format may use; {seq} counts per city per year, from 1.
CERTIFICATE_NUMBER_PLACEHOLDERS = ("seq", "year", "city", "course")
# Numbers travel to SIASN in CourseCompletion.certificate_number, which holds 40 characters.
CERTIFICATE_NUMBER_MAX_LENGTH = 40


def validate_certificate_number_format(value: str) -> None:
    """A format may only use the known placeholders, and must use {seq}, {year} and {city}
    so that numbers cannot repeat across years and cities."""

    def braced(names) -> str:
        return ", ".join("{" + name + "}" for name in names)

    known = braced(CERTIFICATE_NUMBER_PLACEHOLDERS)
    try:
        fields = [field for _text, field, _spec, _conv in string.Formatter().parse(value)]
    except ValueError:
        raise ValidationError(
            _(
                "The format has an unmatched brace. Write placeholders as {seq}; the known "
                "ones are: %(known)s."
            ),
            code="braces",
            params={"known": known},
        ) from None
    used = {field for field in fields if field is not None}
    unknown = sorted(used - set(CERTIFICATE_NUMBER_PLACEHOLDERS))
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(unknown)s. The known placeholders are: %(known)s."),
            code="unknown",
            params={"unknown": braced(unknown), "known": known},
        )
    missing = [name for name in ("seq", "year", "city") if name not in used]
    if missing:
        raise ValidationError(
            _(
                "The format must contain %(missing)s, so that no two certificates get the "
                "same number."
            ),
            code="missing",
            params={"missing": braced(missing)},
        )
    try:
        sample = value.format(seq=99999, year=2026, city="X" * 12, course="X" * 8)
    except (ValueError, TypeError, KeyError, IndexError):
        raise ValidationError(
            _("A placeholder has a format the numbers cannot use; write e.g. {seq:05d} or {seq}."),
            code="spec",
        ) from None
    if len(sample) > CERTIFICATE_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _(
                "Numbers in this format would be longer than %(max)d characters; shorten the "
                "fixed text."
            ),
            code="length",
            params={"max": CERTIFICATE_NUMBER_MAX_LENGTH},
        )


class City(models.Model):
    """A regional government (pemerintah kota/kabupaten/provinsi) with its own curriculum."""

    class TimeZone(models.TextChoices):
        WIB = "Asia/Jakarta", _("WIB (UTC+7)")
        WITA = "Asia/Makassar", _("WITA (UTC+8)")
        WIT = "Asia/Jayapura", _("WIT (UTC+9)")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    bkpsdm_name = models.CharField(
        _("BKPSDM name"),
        max_length=200,
        help_text=_("The personnel agency that runs competency development for this city."),
    )
    timezone = models.CharField(
        _("time zone"), max_length=32, choices=TimeZone.choices, default=TimeZone.WIB
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    certificate_number_format = models.CharField(
        _("certificate number format"),
        max_length=80,
        default=CERTIFICATE_NUMBER_DEFAULT_FORMAT,
        validators=[validate_certificate_number_format],
        help_text=_(
            "How this city numbers its certificates. Placeholders: {seq} the number of the "
            "certificate in the city and year (e.g. {seq:05d} for 00001), {year}, {city} (the "
            "city's short name in capitals), {course} (the course's initials)."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self):
        return self.name


class Agency(MP_Node):
    """An OPD / unit kerja. Materialised paths make a whole subtree one indexed prefix query."""

    class Kind(models.TextChoices):
        SECRETARIAT = "setda", _("Secretariat (Setda/Setwan)")
        OFFICE = "dinas", _("Office (Dinas)")
        BOARD = "badan", _("Board (Badan)")
        INSPECTORATE = "inspektorat", _("Inspectorate")
        DISTRICT = "kecamatan", _("District (Kecamatan)")
        VILLAGE = "kelurahan", _("Sub-district (Kelurahan)")
        DIVISION = "bidang", _("Division (Bidang/Bagian)")
        SECTION = "seksi", _("Section (Seksi/Subbagian)")
        OTHER = "lainnya", _("Other unit")

    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"),
        max_length=40,
        blank=True,
        help_text=_("Short code used in rosters, e.g. DISKOMINFO. Unique within the city."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OFFICE)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "code"],
                condition=~models.Q(code=""),
                name="people_agency_code_unique_in_city",
                violation_error_message=_("This city already has an agency with this code."),
            ),
        ]

    def __str__(self):
        return self.name


class LearnerProfile(models.Model):
    """An ASN (PNS or PPPK) who learns on the platform; one per user."""

    class EmploymentType(models.TextChoices):
        PNS = "pns", _("PNS")
        PPPK = "pppk", _("PPPK")

    class Gender(models.TextChoices):
        MALE = "1", _("Male")
        FEMALE = "2", _("Female")

    class Golongan(models.TextChoices):
        I_A = "I/a", "I/a — Juru Muda"
        I_B = "I/b", "I/b — Juru Muda Tingkat I"
        I_C = "I/c", "I/c — Juru"
        I_D = "I/d", "I/d — Juru Tingkat I"
        II_A = "II/a", "II/a — Pengatur Muda"
        II_B = "II/b", "II/b — Pengatur Muda Tingkat I"
        II_C = "II/c", "II/c — Pengatur"
        II_D = "II/d", "II/d — Pengatur Tingkat I"
        III_A = "III/a", "III/a — Penata Muda"
        III_B = "III/b", "III/b — Penata Muda Tingkat I"
        III_C = "III/c", "III/c — Penata"
        III_D = "III/d", "III/d — Penata Tingkat I"
        IV_A = "IV/a", "IV/a — Pembina"
        IV_B = "IV/b", "IV/b — Pembina Tingkat I"
        IV_C = "IV/c", "IV/c — Pembina Utama Muda"
        IV_D = "IV/d", "IV/d — Pembina Utama Madya"
        IV_E = "IV/e", "IV/e — Pembina Utama"

    class JabatanType(models.TextChoices):
        LEADERSHIP = "jpt", _("Senior leadership (JPT)")
        ADMINISTRATOR = "administrator", _("Administrator")
        SUPERVISOR = "pengawas", _("Supervisory (Pengawas)")
        FUNCTIONAL = "fungsional", _("Functional")
        EXECUTOR = "pelaksana", _("Executor (Pelaksana)")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("city")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("agency"),
    )
    nip = models.CharField(
        _("NIP"),
        max_length=18,
        unique=True,
        help_text=_("18-digit civil servant number (PNS), or the PPPK number."),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    employment_type = models.CharField(
        _("employment type"),
        max_length=4,
        choices=EmploymentType.choices,
        default=EmploymentType.PNS,
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    golongan = models.CharField(
        _("rank (golongan/pangkat)"), max_length=5, choices=Golongan.choices, blank=True
    )
    jabatan_type = models.CharField(
        _("position type"), max_length=20, choices=JabatanType.choices, blank=True
    )
    jabatan_name = models.CharField(_("position"), max_length=200, blank=True)
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_staff",
        verbose_name=_("supervisor"),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")
        indexes = [
            models.Index(fields=["city", "agency"]),
            # The dashboards count active learners per agency from this index alone.
            models.Index(
                fields=["city", "agency"],
                condition=models.Q(is_active=True),
                name="people_profile_active_city",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(supervisor=models.F("id")),
                name="people_profile_not_own_supervisor",
                violation_error_message=_("A person cannot be their own supervisor."),
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.nip})"


class CityRole(models.Model):
    """Ties a Django group to the role it grants (in one city, or nationally).

    Group membership is the single source of truth for staff roles, so Wagtail's own
    user screens assign roles; page and collection permissions hang off the same groups.
    """

    class Role(models.TextChoices):
        NATIONAL_ADMIN = "national_admin", _("National admin")
        CITY_ADMIN = "city_admin", _("City admin (BKPSDM)")
        TRAINER = "trainer", _("Trainer")

    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, related_name="city_role", verbose_name=_("group")
    )
    city = models.ForeignKey(
        City,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
        verbose_name=_("city"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("city role")
        verbose_name_plural = _("city roles")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "role"], name="people_cityrole_one_group_per_city_role"
            ),
            models.UniqueConstraint(
                fields=["role"],
                condition=models.Q(city__isnull=True),
                name="people_cityrole_one_national_group",
            ),
            models.CheckConstraint(
                condition=models.Q(role="national_admin", city__isnull=True)
                | (~models.Q(role="national_admin") & models.Q(city__isnull=False)),
                name="people_cityrole_city_matches_role",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} — {self.city or _('national')}"
