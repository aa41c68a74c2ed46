"""Exports: the SIASN riwayat kursus rows and files, dashboard tables as CSV/XLSX, starting
an export (validation, permissions) and running it in the background (progress, failure)."""

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import translation

from lms.reports import exports
from lms.reports.models import ExportJob
from lms.reports.selectors import Table
from tests.factories import AgencyFactory, national_admin, trainer

from .export_fixtures import YEAR, complete, data_fixture  # noqa: F401 - the `data` fixture

pytestmark = pytest.mark.django_db


def siasn_bytes(write, completions) -> bytes:
    buffer = io.BytesIO()
    write(exports.siasn_rows(completions), buffer)
    return buffer.getvalue()


def run_start(django_capture_on_commit_callbacks, **kwargs) -> ExportJob:
    """export_start, then the commit that starts the task (ImmediateBackend: runs it)."""
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(**kwargs)
    job.refresh_from_db()
    return job


def stored(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


class SiasnTests:
    def test_fields_are_the_siasn_riwayat_kursus_names(self):
        assert exports.SIASN_KEYS == [
            "nipBaru",
            "namaKursus",
            "institusiPenyelenggara",
            "jenisKursusSertipikat",
            "jumlahJam",
            "tanggalKursus",
            "tanggalSelesaiKursus",
            "tahunKursus",
            "nomorSertipikat",
        ]

    def test_completions_of_the_city_and_year_only_in_key_order(self, data):
        rows = list(exports.siasn_completions(city=data.jakarta, year=YEAR))
        c = data.completions
        assert [row.pk for row in rows] == sorted(
            [c["ani"].pk, c["ani_ws"].pk, c["budi"].pk, c["citra"].pk]
        )
        assert {row.nip for row in rows} == {
            data.learners[key].nip for key in ("ani", "budi", "citra")
        }
        last_year = exports.siasn_completions(city=data.jakarta, year=YEAR - 1)
        assert [row.pk for row in last_year] == [c["ani_last_year"].pk]
        sorong = exports.siasn_completions(city=data.sorong, year=YEAR)
        assert [row.pk for row in sorong] == [c["yohanes"].pk]

    def test_agency_narrows_to_its_subtree(self, data):
        c = data.completions
        dinas = exports.siasn_completions(city=data.jakarta, year=YEAR, agency_id=data.dinas.pk)
        assert {row.pk for row in dinas} == {c["ani"].pk, c["ani_ws"].pk, c["budi"].pk}
        bidang = exports.siasn_completions(city=data.jakarta, year=YEAR, agency_id=data.bidang.pk)
        assert [row.pk for row in bidang] == [c["budi"].pk]
        # Another city's agency gives nothing, not that city's rows.
        sorong_agency = AgencyFactory(city=data.sorong)
        other = exports.siasn_completions(city=data.jakarta, year=YEAR, agency_id=sorong_agency.pk)
        assert list(other) == []

    def test_row_in_siasn_names(self, data):
        completion = exports.siasn_completions(city=data.jakarta, year=YEAR).get(
            pk=data.completions["ani_ws"].pk
        )
        with translation.override("id"):
            workshop = str(exports.LearningForm.WORKSHOP.label)
        assert exports.siasn_row(completion) == {
            "nipBaru": data.learners["ani"].nip,
            "namaKursus": "=Tata Kelola Data",
            "institusiPenyelenggara": "Kominfo",
            "jenisKursusSertipikat": workshop,
            "jumlahJam": 8,
            "tanggalKursus": f"{YEAR}-03-02",
            "tanggalSelesaiKursus": f"{YEAR}-03-07",
            "tahunKursus": YEAR,
            "nomorSertipikat": data.completions["ani_ws"].certificate_number,
        }
        # A plain completion (no annotation) reads the NIP through its learner.
        assert exports.siasn_row(data.completions["ani_ws"])["nipBaru"] == data.learners["ani"].nip

    def test_csv_is_plain_utf8_with_machine_names_and_exact_values(self, data):
        raw = siasn_bytes(
            exports.write_siasn_csv, exports.siasn_completions(city=data.jakarta, year=YEAR)
        )
        assert not raw.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
        assert list(rows[0]) == exports.SIASN_KEYS
        assert len(rows) == 4
        by_title = {row["namaKursus"]: row for row in rows}
        # Machine format: the course name exactly as recorded (no apostrophe added).
        workshop = by_title["=Tata Kelola Data"]
        assert workshop["jumlahJam"] == "8"
        assert workshop["tanggalKursus"] == f"{YEAR}-03-02"
        assert workshop["nipBaru"] == data.learners["ani"].nip
        assert by_title["Literasi Digital"]["nipBaru"] == data.learners["budi"].nip

    def test_json_is_a_list_of_records_with_iso_dates(self, data):
        raw = siasn_bytes(
            exports.write_siasn_json, exports.siasn_completions(city=data.jakarta, year=YEAR)
        )
        records = json.loads(raw.decode("utf-8"))
        assert isinstance(records, list) and len(records) == 4
        first = records[0]
        assert list(first) == exports.SIASN_KEYS
        assert first["jumlahJam"] == 4 and first["tahunKursus"] == YEAR
        assert datetime.date.fromisoformat(first["tanggalSelesaiKursus"]) == datetime.date(
            YEAR, 3, 7
        )
        empty = siasn_bytes(
            exports.write_siasn_json, exports.siasn_completions(city=data.sorong, year=YEAR - 5)
        )
        assert json.loads(empty) == []

    def test_one_query_whatever_the_number_of_rows(self, data, django_assert_num_queries):
        completions = exports.siasn_completions(city=data.jakarta, year=YEAR)
        with django_assert_num_queries(1):
            assert len(siasn_bytes(exports.write_siasn_csv, completions).splitlines()) == 5
        for n in range(20):
            complete(data.learners["dewi"], title=f"Kursus {n}")
        with django_assert_num_queries(1):
            assert len(siasn_bytes(exports.write_siasn_csv, completions).splitlines()) == 25


@pytest.fixture
def table():
    return Table(
        key="courses",
        title="Courses: completion / year [2026]",
        columns=[("title", "Course"), ("rate", "Completion rate (%)"), ("day", "Day"), ("n", "N")],
        rows=[
            {"title": "Keamanan; Digital", "rate": 62.5, "day": datetime.date(2026, 1, 5), "n": 3},
            {"title": '=HYPERLINK("http://x")', "rate": None, "day": None, "n": 0},
            {"title": "-Rina", "rate": 100.0},
        ],
    )


class TableTests:
    def test_csv_for_indonesian_excel(self, table):
        raw = exports.table_csv(table)
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows == [
            ["Course", "Completion rate (%)", "Day", "N"],
            ["Keamanan; Digital", "62,5", "2026-01-05", "3"],
            ['\'=HYPERLINK("http://x")', "", "", "0"],
            ["'-Rina", "100,0", "", ""],
        ]

    def test_xlsx_keeps_types_and_neutralises_formulas(self, table):
        workbook = openpyxl.load_workbook(io.BytesIO(exports.table_xlsx(table)))
        sheet = workbook.worksheets[0]
        assert sheet.title == "Courses  completion   year  202"  # no []:/ and 31 characters
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("Course", "Completion rate (%)", "Day", "N")
        assert rows[1][0] == "Keamanan; Digital" and rows[1][1] == 62.5 and rows[1][3] == 3
        assert rows[1][2] == datetime.datetime(2026, 1, 5)
        assert rows[2][0] == '\'=HYPERLINK("http://x")'
        assert sheet.cell(row=3, column=1).data_type == "s"  # text, not a formula
        assert rows[3] == ("'-Rina", 100.0, None, None)


class ExportStartTests:
    def test_city_admin_gets_a_siasn_csv_in_the_background(
        self, data, django_capture_on_commit_callbacks
    ):
        job = run_start(
            django_capture_on_commit_callbacks,
            user=data.admin,
            kind="siasn",
            city=data.jakarta,
            params={"format": "csv", "year": str(YEAR), "agency_id": ""},
        )
        assert job.status == ExportJob.Status.DONE
        assert (job.rows_done, job.rows_total, job.percent) == (4, 4, 100)
        assert job.params == {"year": YEAR, "agency_id": None}
        assert job.requested_by == data.admin and job.finished_at is not None
        assert job.file.name.startswith("exports/") and job.file.name.endswith(".csv")
        assert exports.export_file_name(job) == f"siasn-riwayat-kursus-jakarta-{YEAR}.csv"
        expected = siasn_bytes(
            exports.write_siasn_csv, exports.siasn_completions(city=data.jakarta, year=YEAR)
        )
        assert stored(job) == expected

    def test_siasn_json_for_an_agency(self, data, django_capture_on_commit_callbacks):
        job = run_start(
            django_capture_on_commit_callbacks,
            user=data.admin,
            kind="siasn",
            city=data.jakarta,
            params={"format": "json", "year": YEAR, "agency_id": data.bidang.pk},
        )
        records = json.loads(stored(job))
        assert [r["namaKursus"] for r in records] == ["Literasi Digital"]
        assert exports.export_file_name(job).endswith(f"-{YEAR}-unit{data.bidang.pk}.json")

    def test_below_minimum_xlsx_lists_who_is_under_20_jp(
        self, data, django_capture_on_commit_callbacks
    ):
        job = run_start(
            django_capture_on_commit_callbacks,
            user=national_admin(),
            kind="below_minimum",
            city=data.jakarta,
            params={"format": "xlsx", "year": YEAR},
        )
        assert job.status == ExportJob.Status.DONE and job.rows_total == 3
        sheet = openpyxl.load_workbook(io.BytesIO(stored(job))).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        with translation.override("id"):
            assert rows[0] == tuple(str(label) for _key, label in exports.BELOW_MINIMUM_COLUMNS)
        learners = data.learners
        # Ordered by agency name then name; Dewi has no agency and no JP this year.
        assert sorted(rows[1:], key=lambda row: row[1]) == [
            (learners["budi"].nip, "Budi Santoso", "Bidang Statistik", 12),
            (learners["citra"].nip, "Citra Lestari", "Badan Keuangan", 3),
            (learners["dewi"].nip, "Dewi Anggraini", None, 0),
        ]

    def test_below_minimum_csv_for_an_agency_subtree(
        self, data, django_capture_on_commit_callbacks
    ):
        job = run_start(
            django_capture_on_commit_callbacks,
            user=data.admin,
            kind="below_minimum",
            city=data.jakarta,
            params={"format": "csv", "year": YEAR, "agency_id": str(data.dinas.pk)},
        )
        raw = stored(job)
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows[1:] == [[data.learners["budi"].nip, "Budi Santoso", "Bidang Statistik", "12"]]

    @pytest.mark.parametrize(
        ("kind", "params", "field"),
        [
            ("everything", {"format": "csv", "year": YEAR}, "kind"),
            ("siasn", {"format": "xlsx", "year": YEAR}, "format"),
            ("below_minimum", {"format": "json", "year": YEAR}, "format"),
            ("siasn", {"format": "csv", "year": "tahun ini"}, "year"),
            ("siasn", {"format": "csv", "year": 1999}, "year"),
            ("siasn", {"format": "csv", "year": YEAR + 1}, "year"),
            ("siasn", {"format": "csv"}, "year"),
            ("siasn", {"format": "csv", "year": YEAR, "agency_id": "dinas"}, "agency"),
            ("siasn", {"format": "csv", "year": YEAR, "agency_id": 999999}, "agency"),
        ],
    )
    def test_bad_input_is_refused_and_creates_nothing(
        self, data, django_capture_on_commit_callbacks, kind, params, field
    ):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(ValidationError) as caught,
        ):
            exports.export_start(user=data.admin, kind=kind, city=data.jakarta, params=params)
        assert field in caught.value.message_dict
        assert not ExportJob.objects.exists() and callbacks == []

    def test_agency_of_another_city_is_refused(self, data):
        sorong_agency = AgencyFactory(city=data.sorong)
        with pytest.raises(ValidationError) as caught:
            exports.export_start(
                user=data.admin,
                kind="siasn",
                city=data.jakarta,
                params={"format": "csv", "year": YEAR, "agency_id": sorong_agency.pk},
            )
        assert caught.value.message_dict["agency"] == [
            "Choose one of this city's agencies, or leave it empty."
        ]
        assert not ExportJob.objects.exists()

    def test_other_city_trainer_and_missing_city_are_refused(self, data):
        params = {"format": "csv", "year": YEAR}
        for user, city in (
            (data.sorong_admin, data.jakarta),
            (data.admin, data.sorong),
            (trainer(data.jakarta), data.jakarta),
            (data.learners["ani"].user, data.jakarta),
            (data.admin, None),
        ):
            with pytest.raises(ValidationError):
                exports.export_start(user=user, kind="siasn", city=city, params=params)
        assert not ExportJob.objects.exists()

    def test_national_admin_may_export_any_city(self, data, django_capture_on_commit_callbacks):
        job = run_start(
            django_capture_on_commit_callbacks,
            user=national_admin(),
            kind="siasn",
            city=data.sorong,
            params={"format": "csv", "year": YEAR},
        )
        assert job.status == ExportJob.Status.DONE and job.rows_total == 1

    def test_asking_twice_while_queued_is_one_job(self, data):
        params = {"format": "csv", "year": YEAR}
        first = exports.export_start(
            user=data.admin, kind="siasn", city=data.jakarta, params=params
        )
        again = exports.export_start(
            user=data.admin, kind="siasn", city=data.jakarta, params=params
        )
        assert again.pk == first.pk and ExportJob.objects.count() == 1
        other = exports.export_start(
            user=data.admin, kind="siasn", city=data.jakarta, params={**params, "format": "json"}
        )
        assert other.pk != first.pk


def queued(data, **fields) -> ExportJob:
    values = {"kind": "siasn", "format": "csv", "city": data.jakarta, "requested_by": data.admin}
    values.update(fields)
    values.setdefault("params", {"year": YEAR, "agency_id": None})
    return ExportJob.objects.create(**values)


def files_under_exports() -> list[str]:
    found = []

    def walk(path):
        directories, files = default_storage.listdir(path)
        found.extend(f"{path}/{name}" for name in files)
        for directory in directories:
            walk(f"{path}/{directory}")

    if default_storage.exists("exports"):
        walk("exports")
    return found


class RunTests:
    def test_progress_is_reported_every_n_rows(self, data, monkeypatch):
        monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
        for n in range(3):
            complete(data.learners["dewi"], title=f"Kursus {n}")
        job = queued(data)
        seen = []
        count = exports.export_write(job, io.BytesIO(), progress=seen.append)
        assert count == 7 and seen == [2, 4, 6]
        job.refresh_from_db()
        assert job.rows_total == 7

    def test_progress_is_saved_on_the_job_while_it_runs(self, data, monkeypatch):
        monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
        job = queued(data)
        saved = []
        real_saver = exports._progress_saver

        def spying_saver(job):
            save = real_saver(job)

            def spy(done):
                save(done)
                saved.append(ExportJob.objects.values_list("status", "rows_done").get(pk=job.pk))

            return spy

        monkeypatch.setattr(exports, "_progress_saver", spying_saver)
        exports.export_job_run(job_id=job.pk)
        assert saved == [("running", 1), ("running", 2), ("running", 3), ("running", 4)]

    def test_a_failure_is_recorded_and_leaves_no_file(self, data, monkeypatch):
        before = files_under_exports()

        def broken(rows, target):
            target.write(b"nipBaru,namaKursus\r\n")
            raise OSError("disk full")

        monkeypatch.setitem(exports.SIASN_WRITERS, "csv", broken)
        job = exports.export_job_run(job_id=queued(data).pk)
        assert job.status == ExportJob.Status.FAILED
        assert job.error == "OSError: disk full"
        assert not job.file and job.finished_at is not None
        assert files_under_exports() == before

    def test_a_failure_while_storing_deletes_the_partial_file(self, data, monkeypatch):
        before = files_under_exports()
        job = queued(data)
        real_save = FieldFile.save

        def save_then_fail(self, name, content, save=True):
            real_save(self, name, content, save=save)
            raise OSError("connection to storage lost")

        monkeypatch.setattr(FieldFile, "save", save_then_fail)
        job = exports.export_job_run(job_id=job.pk)
        assert job.status == ExportJob.Status.FAILED and not job.file
        assert "connection to storage lost" in job.error
        assert files_under_exports() == before

    def test_a_job_runs_once(self, data):
        job = queued(data)
        assert exports.export_job_run(job_id=job.pk).status == ExportJob.Status.DONE
        name = ExportJob.objects.get(pk=job.pk).file.name
        assert exports.export_job_run(job_id=job.pk) is None
        assert ExportJob.objects.get(pk=job.pk).file.name == name

    def test_the_database_refuses_done_without_a_file(self, data):
        with pytest.raises(IntegrityError), transaction.atomic():
            queued(data, status=ExportJob.Status.DONE)
