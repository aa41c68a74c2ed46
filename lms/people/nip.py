"""NIP (Nomor Induk Pegawai) rules.

PNS NIP, 18 digits:  YYYYMMDD (birth date) + YYYYMM (CPNS start) + G (1 male, 2 female)
+ NNN (sequence), e.g. 198609262015051001.

What is checked for a PNS NIP: only digits, exactly 18; digits 1-8 a real calendar date
not in the future; digits 9-14 a real month (01-12) after the birth month and not in the
future; digit 15 is 1 or 2; digits 16-18 not 000. When the profile also states a birth
date or gender, they must agree with the NIP.

PPPK numbers (NI PPPK) follow the same 18-digit layout, but the appointment part is the
PPPK start and the sequence is not restricted; what is checked: 18 digits, a real birth
date, a real start month after it, digit 15 is 1 or 2. Profiles without a birth date or
gender take them from the number.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class NipParts:
    birth_date: datetime.date
    start_year: int
    start_month: int
    gender: str  # "1" male, "2" female — the same codes as LearnerProfile.Gender
    sequence: str


def parse_nip(value: str, *, employment_type: str = "pns") -> NipParts:
    """Split and check a NIP; raise ValidationError naming the wrong part, in Indonesian."""
    nip = (value or "").strip().replace(" ", "")
    if not nip:
        raise ValidationError(_("NIP is required."), code="nip_required")
    # isdigit() alone accepts Arabic-Indic and other Unicode digits.
    if not (nip.isascii() and nip.isdigit()):
        raise ValidationError(
            _("NIP may contain digits only (found “%(value)s”).") % {"value": value},
            code="nip_digits",
        )
    if len(nip) != 18:
        raise ValidationError(
            _("NIP must be 18 digits long; this one has %(count)d.") % {"count": len(nip)},
            code="nip_length",
        )
    today = timezone.localdate()
    try:
        birth_date = datetime.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValidationError(
            _("Digits 1-8 of the NIP must be a real birth date (YYYYMMDD); “%(part)s” is not.")
            % {"part": nip[0:8]},
            code="nip_birth_date",
        ) from None
    if birth_date > today or birth_date.year < 1900:
        raise ValidationError(
            _("Digits 1-8 of the NIP (birth date %(part)s) cannot be in the future or before 1900.")
            % {"part": nip[0:8]},
            code="nip_birth_date",
        )
    start_year, start_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= start_month <= 12:
        raise ValidationError(
            _(
                "Digits 13-14 of the NIP must be the month the service started (01-12); "
                "“%(part)s” is not a month."
            )
            % {"part": nip[12:14]},
            code="nip_start_month",
        )
    if (start_year, start_month) <= (birth_date.year, birth_date.month):
        raise ValidationError(
            _("Digits 9-14 of the NIP (service start %(part)s) must come after the birth date.")
            % {"part": nip[8:14]},
            code="nip_start_order",
        )
    if (start_year, start_month) > (today.year, today.month):
        raise ValidationError(
            _("Digits 9-14 of the NIP (service start %(part)s) cannot be in the future.")
            % {"part": nip[8:14]},
            code="nip_start_future",
        )
    gender = nip[14]
    if gender not in ("1", "2"):
        raise ValidationError(
            _("Digit 15 of the NIP must be 1 (male) or 2 (female); it is %(digit)s.")
            % {"digit": gender},
            code="nip_gender",
        )
    sequence = nip[15:18]
    if employment_type == "pns" and sequence == "000":
        raise ValidationError(
            _("Digits 16-18 of the NIP are a sequence number and cannot be 000."),
            code="nip_sequence",
        )
    return NipParts(birth_date, start_year, start_month, gender, sequence)


def validate_nip_matches(
    parts: NipParts, *, birth_date: datetime.date | None, gender: str | None
) -> None:
    """The profile's own birth date and gender must agree with what the NIP encodes."""
    errors = {}
    if birth_date and birth_date != parts.birth_date:
        errors["birth_date"] = ValidationError(
            _("The birth date (%(given)s) does not match digits 1-8 of the NIP (%(nip)s).")
            % {"given": birth_date.isoformat(), "nip": parts.birth_date.isoformat()},
            code="nip_birth_mismatch",
        )
    if gender and gender != parts.gender:
        errors["gender"] = ValidationError(
            _("The gender does not match digit 15 of the NIP (1 = male, 2 = female)."),
            code="nip_gender_mismatch",
        )
    if errors:
        raise ValidationError(errors)


def make_nip(
    birth_date: datetime.date, start_year: int, start_month: int, gender: str, sequence: int
) -> str:
    """Compose a NIP from its parts (used by the demo data and tests)."""
    return f"{birth_date:%Y%m%d}{start_year:04d}{start_month:02d}{gender}{sequence:03d}"
