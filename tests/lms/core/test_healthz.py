import socket
import time

import pytest
from django.db.utils import OperationalError

from lms.core import health
from tests.content.test_storage import create_bucket, moto_s3_server, s3_storage_options

# Fail in about a second when the endpoint is down, instead of botocore's retries.
FAST_FAILING_CLIENT = {
    "connect_timeout": 1,
    "read_timeout": 1,
    "retries": {"max_attempts": 1, "mode": "standard"},
}


def _closed_local_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _use_s3(settings, endpoint_url: str, bucket: str) -> None:
    from botocore.config import Config

    options = s3_storage_options(endpoint_url, bucket)
    options["client_config"] = Config(s3={"addressing_style": "path"}, **FAST_FAILING_CLIENT)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }


@pytest.mark.django_db
class HealthzTests:
    def test_ok_when_database_and_filesystem_storage_answer(self, client):
        response = client.get("/healthz")

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["storage"] == {"ok": True, "backend": "FileSystemStorage"}
        assert "no-cache" in response["Cache-Control"]

    def test_ok_with_s3_storage_over_http(self, client, settings):
        with moto_s3_server() as endpoint_url:
            create_bucket(endpoint_url, "asn-lms-healthz")
            _use_s3(settings, endpoint_url, "asn-lms-healthz")

            response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json()["checks"]["storage"] == {"ok": True, "backend": "S3Storage"}

    def test_503_when_the_s3_bucket_is_missing(self, client, settings):
        with moto_s3_server() as endpoint_url:
            _use_s3(settings, endpoint_url, "no-such-bucket")

            response = client.get("/healthz")

        assert response.status_code == 503
        assert response.json()["checks"]["storage"]["ok"] is False

    def test_503_when_storage_is_unreachable(self, client, settings):
        _use_s3(settings, f"http://127.0.0.1:{_closed_local_port()}", "asn-lms-media")

        response = client.get("/healthz")

        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "error"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["storage"]["ok"] is False
        assert body["checks"]["storage"]["backend"] == "S3Storage"

    def test_503_when_storage_hangs_past_the_timeout(self, client, settings, monkeypatch):
        settings.HEALTHZ_TIMEOUT_SECONDS = 0.2
        monkeypatch.setattr(health, "_probe", lambda storage: time.sleep(0.6))

        response = client.get("/healthz")

        assert response.status_code == 503
        assert response.json()["checks"]["storage"]["error"] == "timeout"

    def test_503_when_the_database_fails(self, client, monkeypatch):
        class BrokenCursor:
            def __enter__(self):
                raise OperationalError("connection to server at 127.0.0.1 failed")

            def __exit__(self, *exc):
                return False

        monkeypatch.setattr(health.connection, "cursor", lambda: BrokenCursor())

        response = client.get("/healthz")

        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
        assert body["checks"]["storage"]["ok"] is True

    def test_only_get_is_allowed(self, client):
        assert client.post("/healthz").status_code == 405
