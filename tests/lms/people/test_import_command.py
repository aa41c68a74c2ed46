import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override

from lms.people.models import LearnerProfile
from tests.factories import (
    CityFactory,
    LearnerFactory,
    nip_for,
    roster_csv,
    roster_row,
    roster_xlsx,
)
from tests.lms.people.test_import import db_state


@pytest.fixture
def city(db):
    return CityFactory(name="Kota Sorong", slug="sorong")


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def import_learners(*args, **options):
    """Run the command in English; return (stdout, stderr, CommandError or None)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    error = None
    with override("en"):
        try:
            call_command(
                "import_learners", *map(str, args), stdout=stdout, stderr=stderr, **options
            )
        except CommandError as exc:
            error = exc
    return stdout.getvalue(), stderr.getvalue(), error


@pytest.mark.django_db
class ImportLearnersCommandTests:
    def test_good_file_is_imported_and_exits_zero(self, city, tmp_path):
        rows = [roster_row(6001), roster_row(6002, nip_atasan=nip_for(6001))]
        path = write(tmp_path, "pegawai.csv", roster_csv(rows))
        out, _err, error = import_learners(path, city="sorong")
        assert error is None
        assert "Imported 2 rows into Kota Sorong: 2 new" in out
        assert LearnerProfile.objects.get(nip=nip_for(6002)).supervisor.nip == nip_for(6001)

    def test_xlsx_and_verbose_per_row_report(self, city, tmp_path):
        path = write(tmp_path, "pegawai.xlsx", roster_xlsx([roster_row(6003)]))
        out, _err, error = import_learners(path, city="sorong", verbosity=2)
        assert error is None
        assert f"Row 2 (NIP {nip_for(6003)}): created" in out

    def test_dry_run_writes_nothing_and_exits_zero(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", roster_csv([roster_row(6004)]))
        before = db_state()
        out, _err, error = import_learners(path, city="sorong", dry_run=True)
        assert error is None
        assert "Dry run: 1 row can be imported" in out
        assert db_state() == before

    def test_bad_rows_print_the_report_and_exit_one(self, city, tmp_path):
        LearnerFactory(city=city, nip=nip_for(6005))
        rows = [
            roster_row(6005, nama="Diubah"),
            roster_row(6006, nip="198609262015051000"),
            roster_row(6007, nip_atasan=nip_for(6999)),
        ]
        path = write(tmp_path, "pegawai.csv", roster_csv(rows))
        before = db_state()
        out, _err, error = import_learners(path, city="sorong")
        assert error is not None and error.returncode == 1
        assert "Row 3, column nip: Digits 16-18" in out
        assert f"Row 4, column nip_atasan: Supervisor NIP {nip_for(6999)}" in out
        assert "Nothing was imported: 2 errors in 2 of 3 rows" in out
        assert db_state() == before

    def test_dry_run_of_a_bad_file_exits_one(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", b"nomor;nama\r\n1;A\r\n")
        out, _err, error = import_learners(path, city="sorong", dry_run=True)
        assert error is not None and error.returncode == 1
        assert "Required columns are missing: nip, email" in out

    def test_non_csv_renamed_csv(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", os.urandom(4096) + b"\x00")
        before = db_state()
        out, _err, error = import_learners(path, city="sorong")
        assert error is not None and error.returncode == 1
        assert "neither CSV nor XLSX" in out
        assert db_state() == before

    def test_empty_file(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", b"")
        out, _err, error = import_learners(path, city="sorong")
        assert error.returncode == 1
        assert "The file is empty" in out

    def test_missing_file_is_a_message_not_a_traceback(self, city, tmp_path):
        _out, _err, error = import_learners(tmp_path / "tidak-ada.csv", city="sorong")
        assert error.returncode == 2
        assert "File not found" in str(error)

    def test_directory(self, city, tmp_path):
        _out, _err, error = import_learners(tmp_path, city="sorong")
        assert error.returncode == 2
        assert "is not a file" in str(error)

    def test_unknown_city(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", roster_csv([roster_row(6008)]))
        _out, _err, error = import_learners(path, city="atlantis")
        assert error.returncode == 2
        assert "No city with the slug “atlantis”. Known cities: sorong." in str(error)

    def test_city_is_required_when_there_are_several(self, city, tmp_path):
        CityFactory(slug="palu", name="Kota Palu")
        path = write(tmp_path, "pegawai.csv", roster_csv([roster_row(6009)]))
        _out, _err, error = import_learners(path)
        assert error.returncode == 2
        assert "--city SLUG" in str(error)
        assert not LearnerProfile.objects.exists()

    def test_the_only_city_is_the_default(self, city, tmp_path):
        path = write(tmp_path, "pegawai.csv", roster_csv([roster_row(6010)]))
        _out, _err, error = import_learners(path)
        assert error is None
        assert LearnerProfile.objects.get(nip=nip_for(6010)).city == city


class ImportLearnersProcessTests:
    """The real exit status and stderr of `manage.py import_learners`, without a database
    write (the file is refused before any query), as a shell script would see them."""

    def run_manage(self, *args):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings.test", "LANGUAGE": "en"}
        return subprocess.run(
            [sys.executable, "manage.py", "import_learners", *args],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_missing_file_exits_two_without_traceback(self, tmp_path):
        result = self.run_manage(str(tmp_path / "tidak-ada.csv"), "--city", "x")
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.strip()
