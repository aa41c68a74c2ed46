"""The export screens in the Wagtail admin: start (POST), the job page with its progress,
the JSON status, the download, "My exports"; who is refused; query counts; the
export_siasn command."""

import csv
import datetime
import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lms.reports import exports
from lms.reports.models import ExportJob
from tests.courses.conftest import assert_refused
from tests.factories import national_admin, trainer

from .export_fixtures import YEAR, complete, data_fixture  # noqa: F401 - the `data` fixture

pytestmark = pytest.mark.django_db


def start(client, django_capture_on_commit_callbacks, **fields):
    values = {"kind": "siasn", "format": "csv", "city": "jakarta", "year": str(YEAR)}
    values.update(fields)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("reports_export_start"), values)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def queued(data, **fields) -> ExportJob:
    values = {"kind": "siasn", "format": "csv", "city": data.jakarta, "requested_by": data.admin}
    values.update(fields)
    values.setdefault("params", {"year": YEAR, "agency_id": None})
    return ExportJob.objects.create(**values)


class StartViewTests:
    def test_start_runs_the_export_and_shows_its_page(
        self, client, data, django_capture_on_commit_callbacks
    ):
        client.force_login(data.admin)
        response = start(client, django_capture_on_commit_callbacks)
        job = ExportJob.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("reports_export_job", args=[job.pk])
        assert job.status == ExportJob.Status.DONE and job.rows_total == 4

        page = client.get(response.url)
        assert page.status_code == 200
        html = page.content.decode()
        assert reverse("reports_export_download", args=[job.pk]) in html
        assert f"siasn-riwayat-kursus-jakarta-{YEAR}.csv" in html
        assert 'http-equiv="refresh"' not in html  # finished: no more reloading

        download = client.get(reverse("reports_export_download", args=[job.pk]))
        assert download.status_code == 200
        assert download["Content-Type"] == "text/csv; charset=utf-8"
        assert (
            f'filename="siasn-riwayat-kursus-jakarta-{YEAR}.csv"'
            in (download["Content-Disposition"])
        )
        rows = list(csv.DictReader(io.StringIO(b"".join(download).decode("utf-8"))))
        assert len(rows) == 4 and list(rows[0]) == exports.SIASN_KEYS

    @pytest.mark.parametrize(
        "fields",
        [
            {"kind": "semua"},
            {"format": "xlsx"},
            {"year": "dua ribu"},
            {"year": str(YEAR + 1)},
            {"city": "tidak-ada"},
            {"city": "sorong"},  # not this admin's city
            {"agency": "12345678"},
        ],
    )
    def test_bad_input_gives_a_message_and_no_job(
        self, client, data, django_capture_on_commit_callbacks, fields
    ):
        client.force_login(data.admin)
        response = start(client, django_capture_on_commit_callbacks, **fields)
        assert response.status_code == 302
        assert response.url == reverse("reports_exports")
        assert not ExportJob.objects.exists()
        page = client.get(response.url)
        assert page.status_code == 200
        texts = messages_of(page)
        assert texts and all(text for text in texts)

    def test_bad_input_message_text(self, client, data, django_capture_on_commit_callbacks):
        client.force_login(data.admin)
        response = start(
            client, django_capture_on_commit_callbacks, format="xlsx", next="/admin/ekspor/"
        )
        page = client.get(response.url)
        assert "This export comes as CSV / JSON; choose one of them." in messages_of(page)
        # An outside "next" is not followed.
        response = start(
            client, django_capture_on_commit_callbacks, format="xlsx", next="https://evil.example/"
        )
        assert response.url == reverse("reports_exports")

    def test_get_is_not_allowed_and_staff_without_city_rights_are_refused(
        self, client, data, django_capture_on_commit_callbacks
    ):
        client.force_login(data.admin)
        assert client.get(reverse("reports_export_start")).status_code == 405
        client.force_login(trainer(data.jakarta))
        assert_refused(start(client, django_capture_on_commit_callbacks))
        assert_refused(client.get(reverse("reports_exports")))
        assert not ExportJob.objects.exists()


class JobAccessTests:
    def test_other_city_admin_cannot_see_status_page_or_download(self, client, data):
        job = exports.export_job_run(job_id=queued(data).pk)
        assert job.status == ExportJob.Status.DONE
        client.force_login(data.sorong_admin)
        for name in ("reports_export_job", "reports_export_status", "reports_export_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, name

    def test_city_admins_and_national_admins_may_download(self, client, data):
        job = exports.export_job_run(job_id=queued(data).pk)
        for user in (data.admin, national_admin()):
            client.force_login(user)
            response = client.get(reverse("reports_export_download", args=[job.pk]))
            assert response.status_code == 200
            assert b"".join(response).startswith(b"nipBaru,")

    def test_trainer_and_learner_are_refused(self, client, data):
        job = exports.export_job_run(job_id=queued(data).pk)
        url = reverse("reports_export_download", args=[job.pk])
        client.force_login(trainer(data.jakarta))  # in the admin, but no learner data
        refused = client.get(url)
        assert_refused(refused)
        assert b"nipBaru" not in refused.content
        # A learner has no admin access at all: Wagtail sends them to its login page.
        client.force_login(data.learners["ani"].user)
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(
            reverse("wagtailadmin_login")
        )

    def test_unknown_job_is_404(self, client, data):
        client.force_login(data.admin)
        url = reverse("reports_export_status", args=["00000000-0000-0000-0000-000000000000"])
        assert client.get(url).status_code == 404

    def test_no_download_before_done(self, client, data):
        job = queued(data)
        client.force_login(data.admin)
        assert client.get(reverse("reports_export_download", args=[job.pk])).status_code == 404


class ProgressTests:
    def test_status_json_follows_the_job(self, client, data):
        job = queued(data)
        client.force_login(data.admin)
        url = reverse("reports_export_status", args=[job.pk])
        assert json.loads(client.get(url).content) == {
            "status": "queued",
            "status_label": "Queued",
            "rows_done": 0,
            "rows_total": None,
            "percent": None,
            "finished": False,
            "download_url": None,
        }
        ExportJob.objects.filter(pk=job.pk).update(status="running", rows_done=50, rows_total=200)
        status = json.loads(client.get(url).content)
        assert (status["status"], status["percent"], status["finished"]) == ("running", 25, False)
        exports.export_job_run(job_id=job.pk)  # not queued any more: left alone
        ExportJob.objects.filter(pk=job.pk).update(status="queued")
        exports.export_job_run(job_id=job.pk)
        status = json.loads(client.get(url).content)
        assert status["finished"] and status["percent"] == 100
        assert status["download_url"] == reverse("reports_export_download", args=[job.pk])

    def test_running_page_has_a_bar_a_poller_and_a_no_script_refresh(self, client, data):
        job = queued(data, status="running", rows_done=30, rows_total=120)
        client.force_login(data.admin)
        html = client.get(reverse("reports_export_job", args=[job.pk])).content.decode()
        assert '<progress max="100" value="25"' in html
        assert reverse("reports_export_status", args=[job.pk]) in html
        assert '<noscript><meta http-equiv="refresh"' in html
        assert "30 of 120 rows" in html
        assert reverse("reports_export_download", args=[job.pk]) not in html

    def test_failed_page_says_so_and_offers_no_file(self, client, data):
        job = queued(data, status="failed", error="OSError: disk full")
        client.force_login(data.admin)
        html = client.get(reverse("reports_export_job", args=[job.pk])).content.decode()
        assert "The export failed and made no file." in html
        assert "OSError: disk full" in html
        assert reverse("reports_export_download", args=[job.pk]) not in html


class MyExportsTests:
    def test_lists_only_my_jobs_with_constant_queries(
        self, client, data, django_assert_max_num_queries
    ):
        other_admin = national_admin()
        mine = queued(data)
        theirs = queued(data, requested_by=other_admin)
        client.force_login(data.admin)
        url = reverse("reports_exports")
        response = client.get(url)
        html = response.content.decode()
        assert reverse("reports_export_job", args=[mine.pk]) in html
        assert reverse("reports_export_job", args=[theirs.pk]) not in html
        # The start form offers only this admin's city and its agencies.
        assert 'value="jakarta"' in html and 'value="sorong"' not in html
        assert data.bidang.name in html

        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _n in range(10):
            queued(data, params={"year": YEAR - 1, "agency_id": None})
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url)
        assert response.content.decode().count(f"<td>{YEAR - 1}</td>") == 10


class CommandTests:
    def test_writes_csv_and_json(self, data, tmp_path):
        target = tmp_path / "siasn.csv"
        call_command(
            "export_siasn",
            "--city=jakarta",
            f"--year={YEAR}",
            "--format=csv",
            f"--output={target}",
            "--no-progress",
            stderr=io.StringIO(),
        )
        rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
        assert len(rows) == 4 and list(rows[0]) == exports.SIASN_KEYS
        complete(data.learners["yohanes"], title="Kursus Kedua")
        target = tmp_path / "siasn.json"
        err = io.StringIO()
        call_command(
            "export_siasn",
            "--city=sorong",
            f"--year={YEAR}",
            "--format=json",
            f"--output={target}",
            "--no-progress",
            stderr=err,
        )
        records = json.loads(target.read_text("utf-8"))
        assert [r["namaKursus"] for r in records] == ["Keamanan Digital Sorong", "Kursus Kedua"]
        assert "2 completions of Sorong" in err.getvalue()
        # No temporary ".partial" files left behind.
        assert sorted(path.name for path in tmp_path.iterdir()) == ["siasn.csv", "siasn.json"]

    def test_unknown_city_is_an_error(self, data, tmp_path):
        with pytest.raises(CommandError):
            call_command(
                "export_siasn", "--city=atlantis", f"--year={YEAR}", f"--output={tmp_path / 'x'}"
            )
        assert not (tmp_path / "x").exists()


class CleanupTests:
    def test_old_exports_and_their_files_are_deleted(self, data):
        old = exports.export_job_run(job_id=queued(data).pk)
        recent = exports.export_job_run(job_id=queued(data, format="json").pk)
        ExportJob.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=31)
        )
        out = io.StringIO()
        call_command("delete_old_exports", "--days=30", stdout=out)
        assert "1 old exports deleted." in out.getvalue()
        assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
        assert not default_storage.exists(old.file.name)
        assert default_storage.exists(recent.file.name)
