#!/usr/bin/env python
"""Benchmark of the H5P import (content.services.package_import): validation + extraction.

Imports H5P fixtures on the local filesystem and on S3 (a moto server in its own process
on 127.0.0.1, so its work does not share this process's CPU and memory), each run in a fresh
process so that peak memory is its own. Prints a table; asserts nothing about time.
Goal from the H5P issue: the 3.4 MB CoursePresentation in < 2 s, memory not growing with
the package size (compare the smaller fixtures' rows).

    .venv/bin/python bench/h5p_import.py [--runs 3] [--fixtures course-presentation.h5p ...]

Uses a throw-away SQLite database and media folder in a temporary directory.
"""

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = (ROOT / "../shared/fixtures/h5p").resolve()
DEFAULT_FIXTURES = ["true-false.h5p", "multi-choice.h5p", "course-presentation.h5p"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run(backend: str, fixture: str, endpoint: str, workdir: str, trace: bool) -> dict:
    """In a child process: set up Django, import one package, report time or memory.

    tracemalloc slows allocation-heavy code several times over, so time is measured in
    runs without it and peak memory in separate runs with it.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    settings.MEDIA_ROOT = Path(workdir) / "media"
    if backend == "s3":
        import boto3

        bucket = f"bench-{os.getpid()}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
        ).create_bucket(Bucket=bucket)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": endpoint,
                    "addressing_style": "path",
                    "access_key": "bench",
                    "secret_key": "bench",
                    "region_name": "us-east-1",
                    "file_overwrite": False,
                    "default_acl": None,
                },
            },
        }
    from django.core.files.storage import default_storage, storages
    from django.utils.functional import empty

    storages._storages = {}

    default_storage._wrapped = empty
    from content import services

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with open(FIXTURES / fixture, "rb") as handle:
        package = services.package_import(file=handle, filename=fixture)
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # The usual case once a city has content: the libraries are installed already and only
    # the package's own content is written.
    started = time.perf_counter()
    with open(FIXTURES / fixture, "rb") as handle:
        services.package_import(file=handle, filename=fixture)
    again = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "files": package.file_count,
        "unpacked_mb": package.size_bytes / 1024 / 1024,
        "seconds": elapsed,
        "again_seconds": again,
        "peak_python_mb": peak / 1024 / 1024,
        "rss_growth_mb": rss_after - rss_before,
    }


def migrated_database(path: Path) -> None:
    """Migrate one SQLite file; every run starts from a copy (migrating takes ~30 s)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": f"sqlite:///{path}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


TEMPLATE_DB: Path | None = None


def run(backend: str, fixture: str, endpoint: str, *extra: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="h5p-bench-") as workdir:
        shutil.copy(TEMPLATE_DB, Path(workdir) / "bench.sqlite3")
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                fixture,
                endpoint,
                "--workdir",
                workdir,
                *extra,
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fixtures", nargs="+", default=DEFAULT_FIXTURES)
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "FIXTURE", "ENDPOINT"))
    parser.add_argument("--workdir")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(*args.child, args.workdir, args.trace)))
        return

    global TEMPLATE_DB
    template_dir = tempfile.TemporaryDirectory(prefix="h5p-bench-db-")
    TEMPLATE_DB = Path(template_dir.name) / "template.sqlite3"
    migrated_database(TEMPLATE_DB)

    port = free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)  # noqa: S310 (local moto)
                break
            except OSError:
                time.sleep(0.1)
        rows = []
        for backend in ("filesystem", "s3"):
            for fixture in args.fixtures:
                timed = [run(backend, fixture, endpoint) for _run in range(args.runs)]
                traced = run(backend, fixture, endpoint, "--trace")
                best = min(timed, key=lambda r: r["seconds"])
                rows.append(
                    (
                        backend,
                        fixture,
                        (FIXTURES / fixture).stat().st_size,
                        best,
                        traced["peak_python_mb"],
                        min(r["again_seconds"] for r in timed),
                    )
                )
    finally:
        moto.terminate()
        moto.wait(timeout=10)

    header = (
        f"{'backend':<11}{'package':<26}{'zip MB':>7}{'files':>7}{'unpacked MB':>12}"
        f"{'import s (best)':>16}{'again s':>9}{'peak Python MB':>16}{'RSS growth MB':>15}"
    )
    print(header)
    print("-" * len(header))
    for backend, fixture, size, best, peak, again in rows:
        print(
            f"{backend:<11}{fixture:<26}{size / 1024 / 1024:>7.1f}{best['files']:>7}"
            f"{best['unpacked_mb']:>12.1f}{best['seconds']:>16.2f}"
            f"{again:>9.2f}{peak:>16.1f}"
            f"{best['rss_growth_mb']:>15.1f}"
        )


if __name__ == "__main__":
    main()
