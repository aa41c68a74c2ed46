#!/usr/bin/env python
"""Benchmark of the learner import (lms.people.importing) on PostgreSQL.

Creates (or re-creates) a benchmark database, migrates it, builds a city with agencies,
writes 10,000-row rosters as CSV and XLSX (supervisors after their staff, agencies by code
and by name) and times, each in a fresh process so that its peak memory is its own:
a dry run, the real import (all rows new) and a re-import with one change per row (all
rows updated). Prints a table; asserts nothing about time.

    .venv/bin/python bench/import_learners.py [--rows 10000] [--database-url URL]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/asn_bench_import) names the
database; it is dropped and created again, so never point it at real data.
"""

import argparse
import csv
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/asn_bench_import"
CITY_SLUG = "bench-kota"
AGENCIES = 20
COLUMNS = ["nip", "nama", "email", "golongan", "jabatan", "unit_kerja", "nip_atasan", "telepon"]


def rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
    # Debug mode keeps every query in memory, which would distort time and memory.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin_url = urlunparse(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(database_url: str) -> None:
    setup_django(database_url)
    from django.core.management import call_command

    from lms.people import services

    call_command("migrate", verbosity=0, interactive=False)
    city = services.city_create(name="Kota Bench", slug=CITY_SLUG, bkpsdm_name="BKPSDM Bench")
    for n in range(1, AGENCIES + 1):
        services.agency_create(city=city, name=f"Dinas Bench {n:02d}", code=f"AG{n:02d}")


def unique_nips(count: int, seed: int, taken: set) -> list[str]:
    from lms.people.nip import make_nip

    rng = random.Random(seed)
    nips = []
    while len(nips) < count:
        birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 29))
        nip = make_nip(
            birth,
            birth.year + rng.randrange(20, 30),
            rng.randrange(1, 13),
            rng.choice("12"),
            rng.randrange(1, 1000),
        )
        if nip not in taken:
            taken.add(nip)
            nips.append(nip)
    return nips


def roster(rows: int, seed: int, taken: set, *, jabatan: str) -> list[list[str]]:
    """A head, agency heads, section chiefs and staff; supervisors come after their staff."""
    nips = unique_nips(rows, seed, taken)
    records = []
    chiefs = max(1, rows // 20)
    for index, nip in enumerate(nips):
        if index == 0:
            supervisor = ""
        elif index <= AGENCIES:
            supervisor = nips[0]
        elif index <= AGENCIES + chiefs:
            supervisor = nips[1 + index % AGENCIES]
        else:
            supervisor = nips[AGENCIES + 1 + index % chiefs]
        agency = 1 + index % AGENCIES
        records.append(
            [
                nip,
                f"Pegawai Bench {seed}-{index}",
                f"bench{seed}.{index}@example.go.id",
                random.Random(index).choice(["II/c", "iii/a", "III-b", "3c", "IV/a"]),
                jabatan,
                f"AG{agency:02d}" if index % 2 else f"dinas bench {agency:02d}",
                supervisor,
                f"0812{index:08d}",
            ]
        )
    records.reverse()
    return records


def write_csv(path: Path, records) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        writer.writerows(records)


def write_xlsx(path: Path, records) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("pegawai")
    sheet.append(COLUMNS)
    for record in records:
        sheet.append(record)
    workbook.save(path)


def run_step(database_url: str, path: str, dry_run: bool, trace: bool) -> None:
    """One import in this process; prints a JSON line for the parent.

    With trace, Python allocations are traced (which slows the run, so its time is not
    used) and the import is rolled back, so that the timed run after it finds the
    database exactly as this one did."""
    setup_django(database_url)
    from django.db import transaction

    from lms.people.importing import learners_import
    from lms.people.models import City

    city = City.objects.get(slug=CITY_SLUG)
    rss_before = rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with transaction.atomic(), open(path, "rb") as handle:
        report = learners_import(file=handle, city=city, filename=Path(path).name, dry_run=dry_run)
        if trace:
            transaction.set_rollback(True)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "rows": report.row_count,
        "ok": report.ok,
        "created": report.created,
        "updated": report.updated,
        "errors": [str(issue) for issue in report.errors[:3]],
        "rss_before": rss_before,
        "rss_peak": rss_mb(),
        "traced_peak": tracemalloc.get_traced_memory()[1] / 1024 / 1024 if trace else None,
    }
    print(json.dumps(result))


def run_child(database_url: str, path: Path, *, dry_run: bool, trace: bool) -> dict | None:
    command = [sys.executable, __file__, "--database-url", database_url, "--step", str(path)]
    if dry_run:
        command.append("--dry-run")
    if trace:
        command.append("--trace")
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        run_step(args.database_url, args.step, args.dry_run, args.trace)
        return 0

    print(f"database: {args.database_url} (re-created)", flush=True)
    recreate_database(args.database_url)
    prepare(args.database_url)

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    taken: set = set()
    files = {}
    for fmt, seed, writer in (("csv", 1, write_csv), ("xlsx", 2, write_xlsx)):
        for label, jabatan in (("new", "Analis Kebijakan"), ("changed", "Pranata Komputer")):
            path = work / f"pegawai-{label}.{fmt}"
            writer(path, roster(args.rows, seed, set(taken), jabatan=jabatan))
            files[fmt, label] = path
        unique_nips(args.rows, seed, taken)  # the next format gets other NIPs

    steps = []
    for fmt in ("csv", "xlsx"):
        steps += [
            (fmt, "dry run (all new)", files[fmt, "new"], True),
            (fmt, "import (all new)", files[fmt, "new"], False),
            (fmt, "re-import (all updated)", files[fmt, "changed"], False),
        ]

    header = (
        f"{'format':<6} {'step':<24} {'size MB':>7} {'rows':>6} {'created':>7} "
        f"{'updated':>7} {'seconds':>7} {'rows/s':>7} {'peak RSS MB':>11} {'Δ RSS MB':>8} "
        f"{'traced peak MB':>14}"
    )
    print(
        f"\n{args.rows} rows, PostgreSQL, one process per step. 'traced peak': the most "
        "Python memory the import held (tracemalloc, measured in a rolled-back twin run).\n"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for fmt, label, path, dry_run in steps:
        traced = run_child(args.database_url, path, dry_run=dry_run, trace=True)
        result = run_child(args.database_url, path, dry_run=dry_run, trace=False)
        if traced is None or result is None:
            return 1
        if not result["ok"]:
            failed = True
            print(f"{fmt} {label}: refused: {result['errors']}", file=sys.stderr)
        print(
            f"{fmt:<6} {label:<24} {path.stat().st_size / 1024 / 1024:>7.2f} "
            f"{result['rows']:>6} {result['created']:>7} {result['updated']:>7} "
            f"{result['seconds']:>7.2f} {result['rows'] / result['seconds']:>7.0f} "
            f"{result['rss_peak']:>11.0f} {result['rss_peak'] - result['rss_before']:>8.0f} "
            f"{traced['traced_peak']:>14.1f}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
