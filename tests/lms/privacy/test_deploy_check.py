"""`manage.py check --deploy` is clean with the production settings (a dummy secret and
host, as docs/deploy.md sets them)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

REPO = Path(settings.BASE_DIR)


def check_deploy(**extra) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "lms.example.go.id",
        **extra,
    }
    if "DJANGO_SECURE_SSL_REDIRECT" not in extra:
        env.pop("DJANGO_SECURE_SSL_REDIRECT", None)
    # Set by the browser tests' fixtures (Playwright runs in the test process); it must not
    # leak into a production check (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class CheckDeployTests:
    def test_production_settings_pass_check_deploy_without_warnings(self):
        result = check_deploy()
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_production_refuses_to_start_without_a_secret(self):
        result = check_deploy(DJANGO_SECRET_KEY="")
        assert result.returncode == 2
        assert "DJANGO_SECRET_KEY is not set" in result.stderr
        assert "Traceback" not in result.stderr
