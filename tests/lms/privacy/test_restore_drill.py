"""The restore drill (scripts/restore_drill.sh) against a small PostgreSQL database: the
test database itself, with a few learners committed."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.lms.privacy.test_two_processes import database_url

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "restore_drill.sh"

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL tools"),
]


@pytest.fixture
def source(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill is for PostgreSQL")
    from tests.factories import CityFactory, LearnerFactory

    city = CityFactory()
    for _n in range(3):
        LearnerFactory(city=city)
    return database_url()


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=600)


class RestoreDrillTests:
    def test_restores_into_an_empty_database_and_every_count_matches(self, source):
        target = f"asn_lms_privacy_drill_{uuid.uuid4().hex[:8]}"
        result = run(source, target)
        assert result.returncode == 0, result.stderr
        assert "every count matches" in result.stdout
        tables = int(result.stdout.split("OK: ")[1].split(" tables")[0])
        assert tables >= 20  # the project's tables, not an empty dump
        # The drill database is dropped afterwards.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
            assert cursor.fetchone() is None

    def test_refuses_a_target_that_exists(self, source):
        existing = connection.settings_dict["NAME"]
        result = run(source, existing)
        assert result.returncode == 2
        assert "exists already" in result.stderr

    def test_refuses_a_url_without_a_database(self, source):
        assert run("postgres://postgres@127.0.0.1:5432").returncode == 2
