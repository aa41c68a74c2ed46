"""NIP rules (lms.people.nip): every part of the 18 digits, PNS and PPPK, and agreement
with the profile's own birth date and gender. Messages are checked in English (msgids);
the Indonesian comes from locale/."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lms.people.nip import make_nip, parse_nip, validate_nip_matches

VALID = "198609262015051001"


def error_of(value, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info, translation.override("en"):
        parse_nip(value, **kwargs)
    return info.value


class ParseNipTests:
    def test_valid_nip_is_split_into_its_parts(self):
        parts = parse_nip(VALID)
        assert parts.birth_date == datetime.date(1986, 9, 26)
        assert (parts.start_year, parts.start_month) == (2015, 5)
        assert parts.gender == "1"
        assert parts.sequence == "001"

    def test_female_digit(self):
        assert parse_nip("199001152015032001").gender == "2"

    @pytest.mark.parametrize("value", [" 198609262015051001 ", "19860926 201505 1 001"])
    def test_spaces_are_ignored(self, value):
        assert parse_nip(value).birth_date == datetime.date(1986, 9, 26)

    @pytest.mark.parametrize("value", ["", "   ", None])
    def test_required(self, value):
        assert error_of(value).code == "nip_required"

    @pytest.mark.parametrize("value", ["19860926201505100A", "1986-09-26-2015051001"])
    def test_digits_only(self, value):
        assert error_of(value).code == "nip_digits"

    def test_non_ascii_digits_refused(self):
        # Arabic-Indic digits, with an ASCII "2" as digit 15: parse_nip accepts it today.
        assert error_of("١٩٨٦٠٩٢٦٢٠١٥٠٥2٠٠١").code == "nip_digits"

    def test_digits_only_message_names_the_value(self):
        error = error_of("19860926201505100A")
        assert error.code == "nip_digits"
        assert "19860926201505100A" in error.messages[0]

    @pytest.mark.parametrize("value", ["19860926201505100", "1986092620150510011", "1"])
    def test_length(self, value):
        error = error_of(value)
        assert error.code == "nip_length"
        assert f"this one has {len(value)}" in error.messages[0]

    @pytest.mark.parametrize("birth", ["19860231", "19861301", "19860000", "19850229", "00000000"])
    def test_birth_date_must_be_a_real_date(self, birth):
        error = error_of(f"{birth}2015051001")
        assert error.code == "nip_birth_date"
        assert "Digits 1-8" in error.messages[0] and birth in error.messages[0]

    def test_leap_day_is_a_real_date(self):
        assert parse_nip("198402292010011001").birth_date == datetime.date(1984, 2, 29)

    def test_birth_date_in_the_future_refused(self):
        future = timezone.localdate() + datetime.timedelta(days=400)
        error = error_of(f"{future:%Y%m%d}{future.year + 1}011001")
        assert error.code == "nip_birth_date"

    def test_birth_date_before_1900_refused(self):
        assert error_of("189912312015051001").code == "nip_birth_date"

    @pytest.mark.parametrize("month", ["00", "13", "99"])
    def test_start_month_must_be_a_month(self, month):
        error = error_of(f"198609262015{month}1001")
        assert error.code == "nip_start_month"
        assert "Digits 13-14" in error.messages[0] and month in error.messages[0]

    @pytest.mark.parametrize("start", ["198609", "198501", "198001"])
    def test_start_must_come_after_birth(self, start):
        error = error_of(f"19860926{start}1001")
        assert error.code == "nip_start_order"
        assert "Digits 9-14" in error.messages[0]

    def test_start_in_the_month_after_birth_is_accepted(self):
        assert parse_nip("198609261986101001").start_month == 10

    def test_start_in_the_future_refused(self):
        next_year = timezone.localdate().year + 1
        assert error_of(f"19860926{next_year}011001").code == "nip_start_future"

    @pytest.mark.parametrize("digit", ["0", "3", "9"])
    def test_gender_digit_must_be_1_or_2(self, digit):
        error = error_of(f"19860926201505{digit}001")
        assert error.code == "nip_gender"
        assert error.messages[0] == (
            f"Digit 15 of the NIP must be 1 (male) or 2 (female); it is {digit}."
        )

    def test_pns_sequence_cannot_be_000(self):
        error = error_of("198609262015051000")
        assert error.code == "nip_sequence"
        assert "Digits 16-18" in error.messages[0]

    def test_first_wrong_part_is_reported(self):
        # Wrong birth date AND wrong gender digit: the birth date comes first.
        assert error_of("198602302015053001").code == "nip_birth_date"


class PppkNumberTests:
    """PPPK numbers: same layout; the appointment part is the PPPK start and the sequence
    is not restricted (000 accepted). Birth date, start month and gender digit are checked."""

    def test_sequence_000_accepted_for_pppk(self):
        parts = parse_nip("198609262021121000", employment_type="pppk")
        assert parts.sequence == "000" and parts.gender == "1"

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("19860926202112100", "nip_length"),
            ("198602302021121001", "nip_birth_date"),
            ("198609262021131001", "nip_start_month"),
            ("198609261980121001", "nip_start_order"),
            ("198609262021123001", "nip_gender"),
        ],
    )
    def test_other_parts_checked_like_pns(self, value, code):
        assert error_of(value, employment_type="pppk").code == code


class ValidateNipMatchesTests:
    def test_agreeing_profile_passes(self):
        validate_nip_matches(parse_nip(VALID), birth_date=datetime.date(1986, 9, 26), gender="1")

    def test_missing_profile_values_pass(self):
        validate_nip_matches(parse_nip(VALID), birth_date=None, gender=None)

    def test_birth_date_mismatch_names_both_dates(self):
        with pytest.raises(ValidationError) as info, translation.override("en"):
            validate_nip_matches(
                parse_nip(VALID), birth_date=datetime.date(1986, 9, 27), gender=None
            )
        errors = info.value.error_dict
        assert list(errors) == ["birth_date"]
        assert errors["birth_date"][0].code == "nip_birth_mismatch"
        message = info.value.message_dict["birth_date"][0]
        assert "1986-09-27" in message and "1986-09-26" in message

    def test_gender_mismatch(self):
        with pytest.raises(ValidationError) as info:
            validate_nip_matches(parse_nip(VALID), birth_date=None, gender="2")
        assert info.value.error_dict["gender"][0].code == "nip_gender_mismatch"

    def test_both_mismatches_reported_together(self):
        with pytest.raises(ValidationError) as info:
            validate_nip_matches(parse_nip(VALID), birth_date=datetime.date(1990, 1, 1), gender="2")
        assert set(info.value.error_dict) == {"birth_date", "gender"}


class MakeNipTests:
    def test_round_trip(self):
        nip = make_nip(datetime.date(1986, 9, 26), 2015, 5, "1", 1)
        assert nip == VALID
        assert parse_nip(nip).sequence == "001"
