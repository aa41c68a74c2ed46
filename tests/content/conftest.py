"""Fixtures for the content app: the real hub packages, hostile packages built on the spot,
and an S3 API served by moto over HTTP on 127.0.0.1 (no mocking inside boto3)."""

import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest

# CI clones the repository next to shared/, so the fixtures are found relative to the repo.
REPO_DIR = Path(__file__).resolve().parents[2]
FIXTURES_DIR = (REPO_DIR / "../shared/fixtures/h5p").resolve()
FIXTURE_NAMES = sorted(path.name for path in FIXTURES_DIR.glob("*.h5p"))

S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def fixture_path(name: str) -> Path:
    return FIXTURES_DIR / name


# --- packages built in the tests -------------------------------------------------------------

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def minimal_files() -> dict[str, bytes]:
    """A small valid package: one library, h5p.json, content.json and an image."""
    library = {
        "title": "Demo",
        "machineName": "H5P.Demo",
        "majorVersion": 1,
        "minorVersion": 0,
        "patchVersion": 3,
        "runnable": 1,
        "preloadedJs": [{"path": "demo.js"}],
        "preloadedCss": [{"path": "demo.css"}],
    }
    h5p = {
        "title": "Kuis Demo",
        "language": "id",
        "mainLibrary": "H5P.Demo",
        "embedTypes": ["div"],
        "preloadedDependencies": [
            {"machineName": "H5P.Demo", "majorVersion": "1", "minorVersion": "0"}
        ],
    }
    return {
        "h5p.json": json.dumps(h5p).encode(),
        "content/content.json": json.dumps({"question": "<p>Benar?</p>"}).encode(),
        "content/images/gambar.png": PNG_BYTES,
        "H5P.Demo-1.0/library.json": json.dumps(library).encode(),
        "H5P.Demo-1.0/demo.js": b"H5P.Demo = function () {};",
        "H5P.Demo-1.0/demo.css": b".h5p-demo {}",
    }


def build_zip(files: dict[str, bytes], *, extra=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """Zip ``files``; ``extra(zipfile)`` may add hand-made entries (symlinks, duplicates)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        if extra is not None:
            extra(archive)
    return buffer.getvalue()


@pytest.fixture
def minimal_package() -> bytes:
    return build_zip(minimal_files())


# --- S3 over HTTP (moto server) ----------------------------------------------------------------


@pytest.fixture(scope="session")
def h5p_s3_endpoint():
    """An S3 API on 127.0.0.1 at a free port, for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    # One access-log line per S3 request would bury a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_storages_setting(endpoint_url: str, bucket: str) -> dict:
    from botocore.config import Config

    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint_url,
                "addressing_style": "path",
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                **S3_CREDENTIALS,
                "client_config": Config(
                    s3={"addressing_style": "path"},
                    connect_timeout=2,
                    read_timeout=10,
                    retries={"max_attempts": 1, "mode": "standard"},
                ),
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def create_bucket(endpoint_url: str, bucket: str) -> None:
    import boto3
    from botocore.config import Config

    boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
        config=Config(s3={"addressing_style": "path"}),
    ).create_bucket(Bucket=bucket)


@pytest.fixture
def s3_default_storage(h5p_s3_endpoint, settings):
    """Django's default storage switched to a fresh, empty S3 bucket on the moto server."""
    bucket = f"asn-h5p-{uuid.uuid4().hex[:12]}"
    create_bucket(h5p_s3_endpoint, bucket)
    settings.STORAGES = s3_storages_setting(h5p_s3_endpoint, bucket)
    from django.core.files.storage import default_storage

    return default_storage


@pytest.fixture
def fs_default_storage(settings, tmp_path):
    """Django's default storage switched to an empty folder of this test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.files.storage import default_storage

    return default_storage


@pytest.fixture(params=["filesystem", "s3"])
def any_storage(request):
    name = "fs_default_storage" if request.param == "filesystem" else "s3_default_storage"
    return request.getfixturevalue(name)


def stored_names(storage, folder: str = "h5p") -> list[str]:
    """Every file under a folder of a storage (empty when the folder does not exist)."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # One listing request instead of one per folder.
        return sorted(obj.key for obj in bucket.objects.filter(Prefix=folder + "/"))
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" for name in files]
    for directory in directories:
        names += stored_names(storage, f"{folder}/{directory}")
    return names
