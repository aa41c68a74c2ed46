"""Bad configuration fails fast: one readable "Configuration error" line, exit status 2 from
manage.py (4 from the WSGI module, which gunicorn reads as "halt"), and no traceback."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
GOOD_SECRET = secrets.token_urlsafe(50)

# Warnings `check --deploy` may print with production settings, each documented in
# lms/settings/production.py. An empty set: production settings give none by default.
DOCUMENTED_DEPLOY_WARNINGS: set[str] = set()


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with only the given Django/database settings."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_")) and key != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_config_error(result: subprocess.CompletedProcess, status: int = 2) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == status, output
    assert "Configuration error" in result.stderr, output
    assert "Traceback" not in output, output


class ManagePyConfigErrorTests:
    @pytest.mark.parametrize("url", ["not-a-database-url", "mysqlx://nobody@127.0.0.1/x"])
    def test_malformed_database_url(self, url):
        result = run(
            ["manage.py", "check"], DJANGO_SETTINGS_MODULE="lms.settings.dev", DATABASE_URL=url
        )

        assert_config_error(result)
        assert "DATABASE_URL" in result.stderr

    def test_unreachable_database(self):
        result = run(
            ["manage.py", "migrate", "--noinput"],
            DJANGO_SETTINGS_MODULE="lms.settings.dev",
            DATABASE_URL="postgres://postgres@127.0.0.1:1/x",
        )

        assert_config_error(result)
        assert "Cannot connect to the database" in result.stderr
        assert "127.0.0.1:1" in result.stderr

    def test_unreadable_sqlite_path(self, tmp_path):
        missing = tmp_path / "no" / "such" / "folder" / "db.sqlite3"

        result = run(
            ["manage.py", "migrate", "--noinput"],
            DJANGO_SETTINGS_MODULE="lms.settings.dev",
            DATABASE_URL=f"sqlite:///{missing}",
        )

        assert_config_error(result)

    def test_boolean_setting_with_a_typo(self):
        result = run(
            ["manage.py", "check"], DJANGO_SETTINGS_MODULE="lms.settings.dev", DJANGO_DEBUG="yes!"
        )

        assert_config_error(result)
        assert "DJANGO_DEBUG" in result.stderr

    def test_production_without_secret_key(self):
        result = run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="lms.settings.production")

        assert_config_error(result)
        assert "DJANGO_SECRET_KEY is not set" in result.stderr

    def test_production_with_a_short_secret_key(self):
        result = run(
            ["manage.py", "check"],
            DJANGO_SETTINGS_MODULE="lms.settings.production",
            DJANGO_SECRET_KEY="changeme",
        )

        assert_config_error(result)
        assert "too short" in result.stderr

    def test_production_with_a_non_numeric_hsts_setting(self):
        result = run(
            ["manage.py", "check"],
            DJANGO_SETTINGS_MODULE="lms.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_SECURE_HSTS_SECONDS="one year",
        )

        assert_config_error(result)


class WsgiConfigErrorTests:
    """gunicorn imports lms.wsgi; a bad configuration must stop it at boot."""

    def test_missing_secret_key(self):
        result = run(["-c", "import lms.wsgi"])

        assert_config_error(result, status=4)

    def test_unreachable_database(self):
        result = run(
            ["-c", "import lms.wsgi"],
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DATABASE_URL="postgres://postgres@127.0.0.1:1/x",
        )

        assert_config_error(result, status=4)
        assert "Cannot connect to the database" in result.stderr


class DeployCheckTests:
    def test_production_settings_pass_the_deploy_check(self):
        result = run(
            ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            DJANGO_SETTINGS_MODULE="lms.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
        )

        output = result.stdout + result.stderr
        reported = {word.strip(":()") for word in output.split() if word.startswith("(security.")}
        assert reported <= DOCUMENTED_DEPLOY_WARNINGS, output
        assert result.returncode == 0, output
        assert "no issues" in output

    def test_turning_off_the_ssl_redirect_gives_only_the_documented_warning(self):
        # bench/ and a TLS-terminating proxy run with DJANGO_SECURE_SSL_REDIRECT=0.
        result = run(
            ["manage.py", "check", "--deploy"],
            DJANGO_SETTINGS_MODULE="lms.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_SECURE_SSL_REDIRECT="0",
        )

        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "security.W008" in output
        assert "identified 1 issue" in output


class PreparedStatementsSettingTests:
    """lms.core.sql prepares its queries on PostgreSQL unless DATABASE_PREPARED_STATEMENTS=0
    (PgBouncer before 1.21); SQLite has nothing to prepare."""

    URL = "postgres://asnlms@db.internal:5432/asn_lms"

    def test_postgresql_prepares_by_default(self, monkeypatch):
        from lms.config import database_from_url

        monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
        assert database_from_url(self.URL)["OPTIONS"]["prepare_threshold"] == 5

    def test_turned_off(self, monkeypatch):
        from lms.config import database_from_url

        monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
        assert "prepare_threshold" not in database_from_url(self.URL)["OPTIONS"]

    def test_a_typo_is_a_configuration_error(self, monkeypatch):
        from lms.config import ConfigError, database_from_url

        monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "nein")
        with pytest.raises(ConfigError, match="DATABASE_PREPARED_STATEMENTS"):
            database_from_url(self.URL)

    def test_sqlite_has_no_threshold(self, tmp_path):
        from lms.config import database_from_url

        config = database_from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        assert "prepare_threshold" not in config.get("OPTIONS", {})
