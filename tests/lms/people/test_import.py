import datetime
import io
import math
import zipfile

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import override

from lms.people import importing
from lms.people.importing import learners_import, normalise_golongan, validate_roster
from lms.people.models import LearnerProfile, User
from lms.records import services as records_services
from tests.factories import (
    AgencyFactory,
    CityFactory,
    LearnerFactory,
    nip_for,
    roster_csv,
    roster_row,
    roster_xlsx,
)


@pytest.fixture
def city(db):
    return CityFactory(name="Kota Sorong", slug="sorong")


@pytest.fixture
def other_city(db):
    return CityFactory(name="Kota Palu", slug="palu")


@pytest.fixture
def diskominfo(city):
    return AgencyFactory(city=city, name="Dinas Komunikasi dan Informatika", code="DISKOMINFO")


def run(content: bytes, city, *, filename="pegawai.csv", dry_run=False):
    with override("en"):
        return learners_import(
            file=io.BytesIO(content), city=city, filename=filename, dry_run=dry_run
        )


def db_state():
    """Everything an import could touch, to prove that a refused file changed nothing."""
    users = list(
        User.objects.order_by("pk").values_list("pk", "username", "email", "first_name", "password")
    )
    profiles = list(
        LearnerProfile.objects.order_by("pk").values_list(
            "pk",
            "nip",
            "city_id",
            "agency_id",
            "supervisor_id",
            "full_name",
            "email",
            "golongan",
            "jabatan_name",
            "phone",
            "updated_at",
        )
    )
    return users, profiles


def codes(report):
    return [(issue.row, issue.column, issue.code) for issue in report.errors]


@pytest.mark.django_db
class GoodFileTests:
    def test_creates_learners_with_the_rules_of_learner_create(self, city, diskominfo):
        boss = roster_row(1, nama="Ibu Kepala", golongan="IV/a", unit_kerja="DISKOMINFO")
        # Staff first, supervisor after them: rows may come in any order.
        staff = roster_row(
            2,
            nama="Budi Santoso",
            email="Budi@Example.go.id",
            golongan="iii-b",
            unit_kerja="dinas komunikasi  dan informatika",
            nip_atasan=boss["nip"],
        )
        report = run(roster_csv([staff, boss]), city)

        assert report.ok, report.errors
        assert report.applied
        assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
        profile = LearnerProfile.objects.select_related("user", "supervisor").get(nip=staff["nip"])
        assert profile.city == city
        assert profile.agency == diskominfo
        assert profile.supervisor.nip == boss["nip"]
        assert profile.full_name == "Budi Santoso"
        assert profile.golongan == "III/b"
        assert profile.jabatan_name == "Analis Kebijakan"
        assert profile.email == "Budi@Example.go.id"
        assert profile.user.username == staff["nip"]
        assert profile.user.email == "Budi@Example.go.id"
        assert not profile.user.has_usable_password()
        nip = staff["nip"]
        assert profile.birth_date == datetime.date(int(nip[:4]), int(nip[4:6]), int(nip[6:8]))
        assert profile.gender == nip[14]

    def test_supervisor_already_in_the_database(self, city):
        boss = LearnerFactory(city=city)
        report = run(roster_csv([roster_row(5001, nip_atasan=boss.nip)]), city)
        assert report.ok, report.errors
        assert LearnerProfile.objects.get(nip=nip_for(5001)).supervisor == boss

    def test_headers_any_case_any_order_semicolon_bom_and_extra_column(self, city, diskominfo):
        row = roster_row(5002, unit_kerja="diskominfo", telepon="0812-3456-7890")
        row["Catatan"] = "diabaikan"
        columns = ["Catatan", "EMAIL", "Nama", "unit kerja", "NIP", "telepon"]
        report = run(roster_csv([row], columns=columns, delimiter=";", bom=True), city)

        assert report.ok, report.errors
        assert [(w.row, w.column, w.code) for w in report.warnings] == [
            (1, "catatan", "column_unknown")
        ]
        profile = LearnerProfile.objects.get(nip=row["nip"])
        assert profile.agency == diskominfo
        assert profile.phone == "0812-3456-7890"

    def test_xlsx_file(self, city):
        rows = [roster_row(5003), roster_row(5004, nip_atasan=nip_for(5003))]
        report = run(roster_xlsx(rows), city, filename="pegawai.xlsx")
        assert report.ok, report.errors
        assert LearnerProfile.objects.get(nip=nip_for(5004)).supervisor.nip == nip_for(5003)

    def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(self, city):
        content = (
            roster_csv([roster_row(5005)])
            + b",,,,,,\r\n"
            + roster_csv([roster_row(5006, email="salah")]).split(b"\r\n", 1)[1]
        )
        report = run(content, city)
        assert codes(report) == [(4, "email", "email_invalid")]

    def test_dry_run_writes_nothing_and_counts_what_would_happen(self, city):
        LearnerFactory(city=city, nip=nip_for(5007), email="lama@example.go.id")
        before = db_state()
        report = run(roster_csv([roster_row(5007), roster_row(5008)]), city, dry_run=True)
        assert report.ok
        assert not report.applied
        assert (report.created, report.updated) == (1, 1)
        assert db_state() == before
        with override("en"):
            assert "Nothing was written" in report.summary()


@pytest.mark.django_db
class UpsertTests:
    def test_reimport_updates_by_nip_and_keeps_the_password(self, city, diskominfo):
        learner = LearnerFactory(city=city, nip=nip_for(5010), email="lama@example.go.id")
        password = learner.user.password
        row = roster_row(
            5010,
            nama="Nama Baru",
            email="baru@example.go.id",
            golongan="4b",
            unit_kerja="DISKOMINFO",
        )
        report = run(roster_csv([row]), city)

        assert report.ok, report.errors
        assert (report.created, report.updated) == (0, 1)
        learner.refresh_from_db()
        learner.user.refresh_from_db()
        assert learner.full_name == "Nama Baru"
        assert learner.golongan == "IV/b"
        assert learner.agency == diskominfo
        assert learner.user.email == "baru@example.go.id"
        assert learner.user.first_name == "Nama Baru"
        assert learner.user.password == password
        assert User.objects.filter(username=nip_for(5010)).count() == 1

    def test_same_file_twice_is_unchanged(self, city):
        content = roster_csv([roster_row(5011), roster_row(5012, nip_atasan=nip_for(5011))])
        assert run(content, city).created == 2
        report = run(content, city)
        assert report.ok
        assert (report.created, report.updated, report.unchanged) == (0, 0, 2)

    def test_absent_column_leaves_the_value_untouched_empty_cell_clears_it(self, city):
        boss = LearnerFactory(city=city)
        learner = LearnerFactory(city=city, supervisor=boss, nip=nip_for(5013))
        report = run(roster_csv([roster_row(5013)], columns=["nip", "nama", "email"]), city)
        assert report.ok, report.errors
        learner.refresh_from_db()
        assert learner.supervisor == boss

        report = run(roster_csv([roster_row(5013, nip_atasan="")]), city)
        assert report.ok, report.errors
        learner.refresh_from_db()
        assert learner.supervisor is None


@pytest.mark.django_db
class GolonganTests:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("III/a", "III/a"),
            ("iii/a", "III/a"),
            ("III-a", "III/a"),
            ("3a", "III/a"),
            ("3/A", "III/a"),
            ("IV e", "IV/e"),
            ("IIa", "II/a"),
            ("1d", "I/d"),
            ("III/e", None),
            ("5a", None),
            ("Penata", None),
        ],
    )
    def test_normalise(self, given, expected):
        assert normalise_golongan(given) == expected

    def test_unknown_golongan_is_a_row_error(self, city):
        before = db_state()
        report = run(roster_csv([roster_row(5020, golongan="III/x")]), city)
        assert codes(report) == [(2, "golongan", "golongan_invalid")]
        assert db_state() == before


@pytest.mark.django_db
class BadRowTests:
    """Every bad row refuses the whole file and leaves the database as it was."""

    @pytest.fixture(autouse=True)
    def _existing(self, city):
        # Something in the database that a partial write would change.
        self.existing = LearnerFactory(city=city, nip=nip_for(5100), email="ada@example.go.id")

    def refused(self, content, city, **kwargs):
        before = db_state()
        report = run(content, city, **kwargs)
        assert not report.ok
        assert not report.applied
        assert db_state() == before
        return report

    def good_rows(self):
        return [roster_row(5101), roster_row(5100, nama="Diubah")]

    @pytest.mark.parametrize(
        ("nip", "code", "text"),
        [
            ("19860926201505100A", "nip_digits", "digits only"),
            ("١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١", "nip_digits", "digits only"),
            ("1986092620150510", "nip_length", "18 digits"),
            ("198613262015051001", "nip_birth_date", "Digits 1-8"),
            ("209909262015051001", "nip_birth_date", "future"),
            ("198609262015131001", "nip_start_month", "Digits 13-14"),
            ("198609261985051001", "nip_start_order", "after the birth date"),
            ("198609262099051001", "nip_start_future", "cannot be in the future"),
            ("198609262015053001", "nip_gender", "Digit 15"),
            ("198609262015051000", "nip_sequence", "Digits 16-18"),
            ("1.98609262015051E+17", "nip_scientific", "scientific notation"),
        ],
    )
    def test_wrong_nip_each_part(self, city, nip, code, text):
        report = self.refused(roster_csv([*self.good_rows(), roster_row(5102, nip=nip)]), city)
        assert codes(report) == [(4, "nip", code)]
        with override("en"):
            assert text in report.errors[0].message
            assert str(report.errors[0]).startswith("Row 4, column nip: ")

    def test_duplicate_nip_in_the_file(self, city):
        rows = [*self.good_rows(), roster_row(5101, email="lain@example.go.id")]
        report = self.refused(roster_csv(rows), city)
        assert codes(report) == [(4, "nip", "nip_duplicate")]
        with override("en"):
            assert "also appears in row 2" in report.errors[0].message

    def test_nip_registered_in_another_city(self, city, other_city):
        elsewhere = LearnerFactory(city=other_city, nip=nip_for(5103))
        report = self.refused(roster_csv([*self.good_rows(), roster_row(5103)]), city)
        assert codes(report) == [(4, "nip", "nip_other_city")]
        assert "Kota Palu" in report.errors[0].message
        elsewhere.refresh_from_db()
        assert elsewhere.city == other_city

    def test_unknown_agency(self, city, other_city):
        AgencyFactory(city=other_city, code="BAPPEDA", name="Bappeda Palu")
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5104, unit_kerja="BAPPEDA")]), city
        )
        assert codes(report) == [(4, "unit_kerja", "agency_unknown")]

    def test_ambiguous_agency_name(self, city):
        for parent_code in ("DINKES", "DISDIK"):
            parent = AgencyFactory(city=city, code=parent_code)
            AgencyFactory(city=city, parent=parent, name="Sekretariat", code=f"{parent_code}-SEK")
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5105, unit_kerja="sekretariat")]), city
        )
        assert codes(report) == [(4, "unit_kerja", "agency_ambiguous")]
        assert "DINKES-SEK" in report.errors[0].message

    def test_unknown_supervisor_nip(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5106, nip_atasan=nip_for(5999))]), city
        )
        assert codes(report) == [(4, "nip_atasan", "supervisor_unknown")]
        with override("en"):
            assert "neither in the file nor among the learners of Kota Sorong" in str(
                report.errors[0]
            )

    def test_supervisor_in_another_city(self, city, other_city):
        boss = LearnerFactory(city=other_city)
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5107, nip_atasan=boss.nip)]), city
        )
        assert codes(report) == [(4, "nip_atasan", "supervisor_other_city")]

    def test_own_supervisor(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5108, nip_atasan=nip_for(5108))]), city
        )
        assert codes(report) == [(4, "nip_atasan", "supervisor_self")]

    def test_supervisor_cycle_in_the_file(self, city):
        rows = [
            *self.good_rows(),
            roster_row(5109, nip_atasan=nip_for(5110)),
            roster_row(5110, nip_atasan=nip_for(5111)),
            roster_row(5111, nip_atasan=nip_for(5109)),
            roster_row(5112, nip_atasan=nip_for(5109)),  # under the loop, not in it
        ]
        report = self.refused(roster_csv(rows), city)
        assert sorted(codes(report)) == [
            (4, "nip_atasan", "supervisor_cycle"),
            (5, "nip_atasan", "supervisor_cycle"),
            (6, "nip_atasan", "supervisor_cycle"),
        ]

    def test_supervisor_cycle_closed_by_stored_learners(self, city):
        # Stored: top <- middle (middle's supervisor is top). The file makes top report to
        # a new learner who reports to middle: top -> new -> middle -> top.
        top = LearnerFactory(city=city, nip=nip_for(5113))
        LearnerFactory(city=city, nip=nip_for(5114), supervisor=top)
        rows = [
            *self.good_rows(),
            roster_row(5113, email=top.email, nip_atasan=nip_for(5115)),
            roster_row(5115, nip_atasan=nip_for(5114)),
        ]
        report = self.refused(roster_csv(rows), city)
        assert sorted(codes(report)) == [
            (4, "nip_atasan", "supervisor_cycle"),
            (5, "nip_atasan", "supervisor_cycle"),
        ]
        with override("en"):
            assert nip_for(5114) in report.errors[0].message

    def test_invalid_email(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5116, email="bukan-email")]), city
        )
        assert codes(report) == [(4, "email", "email_invalid")]

    def test_duplicate_email_in_the_file(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5117, email="IMPOR5101@example.go.id")]),
            city,
        )
        assert codes(report) == [(4, "email", "email_duplicate")]

    def test_email_of_another_account(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5118, email="ADA@example.go.id")]), city
        )
        assert codes(report) == [(4, "email", "email_taken")]

    def test_required_cells_empty(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5119, nama="", email="")]), city
        )
        assert codes(report) == [(4, "nama", "required"), (4, "email", "required")]

    def test_too_long_name_uses_the_model_rules(self, city):
        report = self.refused(
            roster_csv([*self.good_rows(), roster_row(5120, nama="A" * 201)]), city
        )
        assert codes(report) == [(4, "nama", "field_invalid")]

    def test_unquoted_comma_shifts_the_row(self, city):
        content = roster_csv(self.good_rows()) + (
            f"{nip_for(5121)},Budi, S.Kom,budi@example.go.id,III/a,Analis,X,Y\r\n".encode()
        )
        report = self.refused(content, city)
        assert (4, None, "row_too_long") in codes(report)

    def test_phone(self, city):
        report = self.refused(
            roster_csv(
                [*self.good_rows(), roster_row(5122, telepon="telp kantor")],
                columns=["nip", "nama", "email", "telepon"],
            ),
            city,
        )
        assert codes(report) == [(4, "telepon", "phone_invalid")]


@pytest.mark.django_db
class BadFileTests:
    @pytest.fixture(autouse=True)
    def _existing(self, city):
        LearnerFactory(city=city, nip=nip_for(5200))

    def refused(self, content, city, filename="pegawai.csv"):
        before = db_state()
        report = run(content, city, filename=filename)
        assert not report.ok
        assert not report.applied
        assert db_state() == before
        assert report.errors[0].row is None or report.errors[0].row == 1
        with override("en"):
            assert report.summary().startswith("Nothing was imported")
        return report

    def file_code(self, report):
        return [issue.code for issue in report.errors]

    @pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b" ,,,\r\n"])
    def test_empty_file(self, city, content):
        report = self.refused(content, city)
        assert self.file_code(report) == ["file_empty"]

    def test_header_only(self, city):
        report = self.refused(b"nip,nama,email\r\n", city)
        assert self.file_code(report) == ["file_no_rows"]

    def test_wrong_columns(self, city):
        content = roster_csv([roster_row(5201)], columns=["nomor", "nama_lengkap", "email"])
        report = self.refused(content, city)
        assert self.file_code(report) == ["columns_missing"]
        with override("en"):
            assert "nip, nama" in report.errors[0].message
            assert "nomor, nama_lengkap, email" in report.errors[0].message

    def test_duplicate_column(self, city):
        content = b"nip,nama,email,nama\r\n" + f"{nip_for(5202)},A,a@b.go.id,B\r\n".encode()
        report = self.refused(content, city)
        assert self.file_code(report) == ["column_duplicate"]

    @pytest.mark.parametrize(
        "content",
        [
            bytes(range(256)) * 8,
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        ],
    )
    def test_binary_file_renamed_csv(self, city, content):
        report = self.refused(content, city)
        assert self.file_code(report) == ["file_not_csv"]

    def test_old_excel_renamed_csv(self, city):
        report = self.refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, city)
        assert self.file_code(report) == ["file_xls"]

    def test_xlsx_that_is_not_a_zip(self, city):
        report = self.refused(roster_csv([roster_row(5203)]), city, filename="pegawai.xlsx")
        assert self.file_code(report) == ["file_not_xlsx"]

    def test_zip_that_is_not_a_workbook(self, city):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("readme.txt", "bukan excel")
        report = self.refused(buffer.getvalue(), city, filename="pegawai.xlsx")
        assert self.file_code(report) == ["file_not_xlsx"]

    def test_not_utf8(self, city):
        content = roster_csv([roster_row(5204, nama="Andr\u00e9")]).decode().encode("cp1252")
        report = self.refused(content, city)
        assert self.file_code(report) == ["file_encoding"]
        with override("en"):
            assert "CSV UTF-8" in report.errors[0].message
            assert "row 2" in report.errors[0].message

    def test_too_large(self, city, monkeypatch):
        monkeypatch.setattr(importing, "MAX_FILE_SIZE", 100)
        report = self.refused(roster_csv([roster_row(5205), roster_row(5206)]), city)
        assert self.file_code(report) == ["file_too_large"]

    def test_too_many_rows(self, city, monkeypatch):
        monkeypatch.setattr(importing, "MAX_ROWS", 2)
        rows = [roster_row(5208), roster_row(5209), roster_row(5210)]
        report = self.refused(roster_csv(rows), city)
        assert self.file_code(report) == ["file_too_many_rows"]

    def test_xlsx_with_nip_stored_as_number(self, city):
        content = roster_xlsx([roster_row(5207, nip=float(nip_for(5207)))])
        before = db_state()
        report = run(content, city, filename="pegawai.xlsx")
        assert codes(report) == [(2, "nip", "nip_scientific")]
        assert db_state() == before


@pytest.mark.django_db
class ConcurrentChangeTests:
    def test_integrity_error_while_writing_rolls_back_and_is_reported(self, city, monkeypatch):
        LearnerFactory(city=city, nip=nip_for(5300))
        before = db_state()
        original = importing._apply

        def racing_apply(report, progress):
            # Someone registers the file's email between the checks and the writes.
            LearnerFactory(city=city, email="impor5301@example.go.id")
            original(report, progress)

        monkeypatch.setattr(importing, "_apply", racing_apply)
        report = run(roster_csv([roster_row(5301), roster_row(5300)]), city)
        assert [issue.code for issue in report.errors] == ["concurrent_change"]
        assert not report.applied
        assert db_state() == before


@pytest.mark.django_db
class TemplateTests:
    @pytest.mark.parametrize(
        ("builder", "filename"),
        [(importing.template_csv, "t.csv"), (importing.template_xlsx, "t.xlsx")],
    )
    def test_template_has_every_column_and_an_example_row(self, city, builder, filename):
        report = validate_roster(io.BytesIO(builder()), city=city, filename=filename)
        assert report.columns == list(importing.COLUMNS)
        assert len(report.rows) == 1
        assert report.rows[0].values == importing.TEMPLATE_EXAMPLE
        # The example's agency and supervisor do not exist: a template imported as is
        # is refused rather than creating a fake learner.
        assert {issue.code for issue in report.errors} == {
            "agency_unknown",
            "supervisor_unknown",
        }


def query_budget(rows: int) -> int:
    """A few queries per look-up chunk and per write statement, never one per row. The
    rows per statement are what the backend allows (SQLite: 999 parameters a statement)."""
    per_statement = min(
        importing.BATCH_SIZE,
        connection.ops.bulk_batch_size(LearnerProfile._meta.concrete_fields, [None] * rows),
    )
    # The imported learners' dashboard counters are synced per COUNTS_SYNC_CHUNK learners.
    counters = 8 * math.ceil(rows / records_services.COUNTS_SYNC_CHUNK)
    return (
        20
        + 4 * math.ceil(rows / importing.LOOKUP_CHUNK)
        + 4 * math.ceil(rows / per_statement)
        + counters
    )


@pytest.mark.django_db
class LargeFileTests:
    ROWS = 10_000

    def test_ten_thousand_rows_in_a_bounded_number_of_queries(
        self, city, diskominfo, django_assert_max_num_queries
    ):
        boss = LearnerFactory(city=city, nip=nip_for(20_000))
        rows = []
        for n in range(1, self.ROWS + 1):
            # Every tenth learner leads the nine after them; leaders report to the stored
            # boss. Staff rows come before their leader's row.
            leader = n - (n - 1) % 10 + 9 if n % 10 else None
            rows.append(
                roster_row(
                    n,
                    unit_kerja="DISKOMINFO" if n % 2 else "",
                    nip_atasan=nip_for(leader) if leader else boss.nip,
                )
            )
        content = roster_csv(rows)

        with django_assert_max_num_queries(query_budget(self.ROWS)):
            report = run(content, city)

        assert report.ok, report.errors[:5]
        assert report.created == self.ROWS
        assert LearnerProfile.objects.filter(city=city).count() == self.ROWS + 1
        assert LearnerProfile.objects.filter(agency=diskominfo).count() == self.ROWS // 2
        assert LearnerProfile.objects.filter(supervisor=boss).count() == self.ROWS // 10
        assert LearnerProfile.objects.get(nip=nip_for(1)).supervisor.nip == nip_for(10)
        assert LearnerProfile.objects.get(nip=nip_for(9999)).supervisor.nip == nip_for(10_000)
        assert not User.objects.get(username=nip_for(1)).has_usable_password()

        # Re-importing with one change per row updates every row, still in bulk.
        for row in rows:
            row["jabatan"] = "Pranata Komputer"
        with django_assert_max_num_queries(query_budget(self.ROWS)):
            report = run(roster_csv(rows), city)
        assert report.ok
        assert report.updated == self.ROWS
        assert LearnerProfile.objects.filter(jabatan_name="Pranata Komputer").count() == self.ROWS
        assert LearnerProfile.objects.filter(updated_at__lte=timezone.now()).count()
