"""Two app processes (gunicorn) on different ports, sharing one database and one media
folder, behave as one site: a session made on one is valid on the other, and a write
through one is read through the other; both report the shared database and storage healthy.

PostgreSQL: the processes use the test database itself (the test commits for real, so it
is marked transactional). It is skipped on SQLite, whose test database lives in memory;
CI runs it in the PostgreSQL pass.
"""

import http.cookies
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import PASSWORD

REPO = Path(settings.BASE_DIR)
SETTINGS = "tests.lms.privacy.two_process_settings"
START_TIMEOUT = 90  # seconds for a process to answer /healthz (a slow shared machine)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = urllib.parse.quote(db["USER"] or "postgres")
        password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{user}{password}@{host}/{db['NAME']}"
    raise AssertionError("only for PostgreSQL")


class Browser:
    """A minimal client with its own cookie jar that sends cookies to any port of
    127.0.0.1 (secure flag or not), so one login can be carried between processes."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, base: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(base + path, data=body, method="POST" if data else "GET")
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        request.add_header("Accept-Language", "en")
        if data is not None:
            request.add_header("Referer", base + path)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(request, timeout=30)
            status, headers, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, headers, text = exc.code, exc.headers, exc.read().decode(errors="replace")
        for header in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return status, text


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def start(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "lms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "120",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_healthy(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-3000:])
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{base} did not become healthy")


@pytest.fixture
def shared_site(transactional_db, tmp_path):
    """(learner's NIP, [base_a, base_b], media_dir): two gunicorn processes, one database."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: an in-memory SQLite test database cannot be shared")
    from tests.factories import CityFactory, LearnerFactory

    media = tmp_path / "media"
    media.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_MEDIA_ROOT": str(media),
        "PYTHONPATH": str(REPO),
    }
    env["DATABASE_URL"] = database_url()
    learner_nip = LearnerFactory(city=CityFactory(), full_name="Rina Dua Proses").nip
    ports = [free_port(), free_port()]
    processes = [start(port, env) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, base in zip(processes, bases, strict=True):
            wait_healthy(process, base)
        yield learner_nip, bases, media
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TwoProcessesTests:
    def test_two_processes_behave_as_one_site(self, shared_site):
        nip, (a, b), media = shared_site
        browser = Browser()

        # Log in on A (the login form's CSRF cookie and token come from A).
        status, page = browser.request(a, "/akun/masuk/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _page = browser.request(
            a,
            "/akun/masuk/",
            {"csrfmiddlewaretoken": token, "username": nip, "password": PASSWORD},
        )
        assert status == 302, _page[:2000]
        assert "sessionid" in browser.cookies

        # The session works on B.
        status, page = browser.request(b, "/privasi/")
        assert status == 200
        # (The site speaks Indonesian to a browser that chose no language.)
        assert "Minta penghapusan" in page  # "Ask for deletion"

        # A write through B (a deletion request, with B's form token) ...
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _page = browser.request(
            b, "/privasi/hapus/", {"csrfmiddlewaretoken": token, "reason": "Pindah instansi"}
        )
        assert status == 302, _page[:2000]
        # ... is seen through A.
        status, page = browser.request(a, "/privasi/")
        assert status == 200
        assert "BKPSDM Anda belum memutuskan." in page  # "Your BKPSDM has not decided yet."

        # Both find the shared database and storage healthy.
        for base in (a, b):
            status, text = browser.request(base, "/healthz")
            assert status == 200 and json.loads(text)["status"] == "ok"
