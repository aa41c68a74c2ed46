"""Files go through Django STORAGES: the same round trip works on the local filesystem and on
an S3 API over real HTTP (moto's server on 127.0.0.1, no mocking inside boto3)."""

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.config import Config
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

BASE_DIR = Path(__file__).resolve().parents[2]

# moto accepts any credentials; fixed ones keep boto3 away from ~/.aws and the environment.
S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@contextlib.contextmanager
def moto_s3_server():
    """An S3 API served over HTTP on 127.0.0.1 at a free port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_storage_options(endpoint_url: str, bucket: str, **extra) -> dict:
    """Options for storages.backends.s3.S3Storage, as settings.STORAGES would give them."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        # An IP address has no bucket sub-domains.
        "addressing_style": "path",
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        **S3_CREDENTIALS,
        **extra,
    }


def create_bucket(endpoint_url: str, bucket: str) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket=bucket)


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture
def s3_storage(s3_endpoint):
    bucket = f"asn-lms-test-{uuid.uuid4().hex[:12]}"
    create_bucket(s3_endpoint, bucket)
    return S3Storage(
        **s3_storage_options(
            s3_endpoint,
            bucket,
            # Fail a test in seconds, not after botocore's default minute of retries.
            client_config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=5,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )
    )


@pytest.fixture
def filesystem_storage(tmp_path):
    return FileSystemStorage(location=tmp_path / "media", base_url="/media/")


@pytest.fixture(params=["filesystem", "s3"])
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


class StorageRoundTripTests:
    def test_save_open_read_exists_url_delete(self, storage):
        payload = "Modul literasi digital – Sorong\n".encode() + bytes(range(256))

        name = storage.save("h5p/uji/paket.bin", ContentFile(payload))

        assert name.startswith("h5p/uji/paket")
        assert storage.exists(name)
        assert storage.size(name) == len(payload)
        with storage.open(name, "rb") as handle:
            assert handle.read() == payload
        assert storage.url(name).split("?")[0].endswith(name)

        storage.delete(name)

        assert not storage.exists(name)

    def test_saving_twice_keeps_both_files(self, storage):
        first = storage.save("docs/sertifikat.txt", ContentFile(b"pertama"))
        second = storage.save("docs/sertifikat.txt", ContentFile(b"kedua"))

        assert first != second
        with storage.open(first) as handle:
            assert handle.read() == b"pertama"
        with storage.open(second) as handle:
            assert handle.read() == b"kedua"

    def test_s3_url_serves_the_file_over_http(self, s3_storage):
        name = s3_storage.save("media/gambar.txt", ContentFile(b"isi berkas"))

        url = s3_storage.url(name)

        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.read() == b"isi berkas"


def _storages_from_settings(**env) -> dict:
    """STORAGES as lms.settings.base computes it for the given environment, in a fresh process."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key != "DATABASE_URL"
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from lms.settings import base; print(json.dumps(base.STORAGES))",
        ],
        cwd=BASE_DIR,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class StorageSettingsTests:
    def test_filesystem_without_a_bucket(self):
        storages = _storages_from_settings()

        assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"

    def test_s3_when_a_bucket_is_configured(self):
        storages = _storages_from_settings(
            AWS_STORAGE_BUCKET_NAME="asn-lms-media",
            AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        )

        default = storages["default"]
        assert default["BACKEND"] == "storages.backends.s3.S3Storage"
        assert default["OPTIONS"]["bucket_name"] == "asn-lms-media"
        assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"

    def test_configured_s3_storage_works_against_a_live_endpoint(self, s3_endpoint):
        """The options base.py builds, not just hand-written ones, reach a real S3 API."""
        create_bucket(s3_endpoint, "asn-lms-from-settings")
        options = _storages_from_settings(
            AWS_STORAGE_BUCKET_NAME="asn-lms-from-settings",
            AWS_S3_ENDPOINT_URL=s3_endpoint,
            AWS_S3_REGION_NAME="us-east-1",
        )["default"]["OPTIONS"]
        storage = S3Storage(
            **options,
            access_key=S3_CREDENTIALS["access_key"],
            secret_key=S3_CREDENTIALS["secret_key"],
        )

        name = storage.save("probe.txt", ContentFile(b"ok"))

        with storage.open(name) as handle:
            assert handle.read() == b"ok"
