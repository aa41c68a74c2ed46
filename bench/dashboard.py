#!/usr/bin/env python
"""Dashboards, reports API and SIASN export on a generated data set (gunicorn + PostgreSQL).

    .venv/bin/python bench/dashboard.py                 # 100,000 learners, 3,000,000 progress rows
    .venv/bin/python bench/dashboard.py --quick         # 10,000 learners, 300,000 progress rows
    .venv/bin/python bench/dashboard.py --learners 50000 --progress-rows 1500000 \\
        --requests 200 --concurrency 4 --json bench/results/dashboard.json

It creates (or reuses) the PostgreSQL database ``asn_lms_bench_dash`` on 127.0.0.1,
migrates it and, unless it already holds generated data of the asked size, fills it with
``manage.py generate_scale_data`` (a database with generated data of another size is
dropped and made again). Then it starts gunicorn (lms.wsgi, production settings, sync
workers, a free port on 127.0.0.1), logs in as the biggest city's admin and as the national
admin through the login form (CSRF token, session cookie), creates an API token for that
city (lms.api.tokens.token_create, the service the admin screen uses), and measures with a
bounded number of requests per endpoint:

- the city dashboard ``/admin/dasbor/kota/<slug>/`` (and filtered to one agency subtree);
- the national dashboard ``/admin/dasbor/nasional/``;
- the API's city report ``/api/v1/cities/<slug>/report`` and a page of
  ``/api/v1/cities/<slug>/completions`` (bearer token);
- ``manage.py export_siasn`` of the city's year to CSV, timed in its own process.

It prints one table with the goals of issue #9 (city dashboard p95 < 300 ms, national
dashboard p95 < 1 s, SIASN export of a city-year < 10 s) and gunicorn's peak memory.
gunicorn is always stopped at the end. Nothing here leaves 127.0.0.1.
"""

import argparse
import csv
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (  # noqa: E402 - the shared helpers of bench/http_load.py
    BASE_DIR,
    HOST,
    PYTHON,
    MemorySampler,
    drive,
    ensure_database,
    free_port,
    manage,
    memory_summary,
    parse_cookies,
    production_env,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)

PASSWORD = "skala-asn-2026"  # generate_scale_data's default, printed by it
FULL = {"learners": 100_000, "progress_rows": 3_000_000}
QUICK = {"learners": 10_000, "progress_rows": 300_000}
GOALS_MS = {"city": 300.0, "national": 1000.0}
SIASN_GOAL_S = 10.0

# Sizes of the generated data already in the database (or nothing).
SIZE_SNIPPET = """
import json
from lms.people.models import LearnerProfile
from lms.records.models import ActivityProgress
from lms.records.scale import scale_data_exists
print("SIZE=" + json.dumps({
    "exists": scale_data_exists(),
    "learners": LearnerProfile.objects.filter(city__slug__startswith="skala-").count(),
    "progress_rows": ActivityProgress.objects.count(),
}))
"""

# The biggest generated city, its year, an agency with units, and API tokens made with the
# same service as the admin screen (fresh secrets each run; the older ones are revoked).
SETUP_SNIPPET = """
import json
from django.db.models import Count
from django.utils import timezone
from lms.people.models import Agency, City, User
from lms.records.models import CourseCompletion
from lms.records.scale import NATIONAL_ADMIN_USERNAME
city = (City.objects.filter(slug__startswith="skala-")
        .annotate(n=Count("profiles")).order_by("-n", "slug").first())
year = (CourseCompletion.objects.filter(city=city).order_by("-year")
        .values_list("year", flat=True).first()) or timezone.localdate().year
agency = (Agency.objects.filter(city=city, depth=1, numchild__gt=0)
          .annotate(n=Count("profiles")).order_by("-n").first())
info = {"city": city.slug, "city_learners": city.n, "year": year,
        "agency": agency.pk if agency else None, "cities": City.objects.filter(
        slug__startswith="skala-").count(), "token": None, "token_note": ""}
try:
    from lms.api.models import ApiToken
    from lms.api.tokens import token_create, token_revoke
except ImportError as exc:
    info["token_note"] = f"no token service ({exc}); the API is called with the session"
else:
    admin = User.objects.get(username=f"admin-{city.slug}")
    for old in ApiToken.objects.filter(name="bench-dashboard", revoked_at__isnull=True):
        token_revoke(by=admin if old.city_id == city.pk else User.objects.get(
            username=NATIONAL_ADMIN_USERNAME), token=old)
    info["token"] = token_create(by=admin, name="bench-dashboard", city=city).secret
print("SETUP=" + json.dumps(info))
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def shell_json(env: dict, snippet: str, marker: str) -> dict:
    output = manage(env, "shell", "-c", snippet, capture=True)
    match = re.search(rf"{marker}=(\{{.*\}})", output)
    if not match:
        raise SystemExit(f"no {marker} in the output of the set-up snippet:\n{output}")
    return json.loads(match.group(1))


def generate(env: dict, args) -> float:
    command = [
        PYTHON,
        "manage.py",
        "generate_scale_data",
        "--force",
        "--cities",
        str(args.cities),
        "--agencies-per-city",
        str(args.agencies_per_city),
        "--learners",
        str(args.learners),
        "--courses",
        str(args.courses),
        "--progress-rows",
        str(args.progress_rows),
        "--seed",
        str(args.seed),
        "--password",
        PASSWORD,
    ]
    log("generate_scale_data " + " ".join(command[4:]))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=BASE_DIR, env=env, timeout=4 * 3600)
    if result.returncode != 0:
        raise SystemExit(f"generate_scale_data failed (exit {result.returncode})")
    return time.perf_counter() - started


def prepare_data(args) -> tuple[dict, Path, float | None]:
    """The database with generated data of the asked size; returns the environment, the
    work folder and how long generating took (None when the data was reused)."""
    ensure_database(args.postgres, args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-dash-"))
    env = production_env(database_url=f"{args.postgres}/{args.database}", workdir=workdir)
    log("migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    size = shell_json(env, SIZE_SNIPPET, "SIZE")
    took = None
    wanted = (args.learners, args.progress_rows)
    if size["exists"] and (size["learners"], size["progress_rows"]) == wanted:
        log(
            f"reusing the generated data ({size['learners']} learners, "
            f"{size['progress_rows']} progress rows)"
        )
    else:
        if size["exists"]:
            log(
                f"the database holds another size ({size['learners']} learners, "
                f"{size['progress_rows']} progress rows): making it again"
            )
            ensure_database(args.postgres, args.database, True)
            manage(env, "migrate", "--noinput", "-v", "0")
        took = generate(env, args)
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    return env, workdir, took


def log_in(port: int, username: str, password: str) -> str:
    """Log in through the login form like a browser; return the Cookie header."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/akun/masuk/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = parse_cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not token or "csrftoken" not in cookies:
        raise SystemExit(f"login page: HTTP {response.status}, no CSRF token")
    body = urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    conn.request(
        "POST",
        "/akun/masuk/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    cookies.update(parse_cookies(response))
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {username} failed: HTTP {response.status}")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def probe(port: int, path: str, headers: dict) -> tuple[int, int]:
    """Status and size of one answer (the page exists? and how big it is)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, len(body)


def siasn_export(env: dict, city: str, year: int) -> dict:
    output = Path(tempfile.mkdtemp(prefix="asn-bench-siasn-")) / f"siasn-{city}-{year}.csv"
    command = [
        PYTHON,
        "manage.py",
        "export_siasn",
        "--city",
        city,
        "--year",
        str(year),
        "--format",
        "csv",
        "--output",
        str(output),
        "--no-progress",
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        return {"error": (result.stderr or result.stdout).strip().splitlines()[-1:] or ["?"]}
    with output.open(newline="", encoding="utf-8-sig") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    size = output.stat().st_size
    output.unlink()
    return {"seconds": seconds, "rows": rows, "bytes": size}


def print_table(results, notes, goals, siasn, memory, root_pid, meta) -> None:
    header = (
        f"{'endpoint':<52} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  goal"
    )
    print()
    print(
        "dashboards on generated data | {learners} learners, {progress_rows} progress rows, "
        "{cities} cities; measured city {city} ({city_learners} learners), year {year} | "
        "gunicorn {workers} sync workers + PostgreSQL on 127.0.0.1 | {concurrency} client "
        "threads | {requests} requests per endpoint | load average before {load_before} | "
        "{cpus} CPUs | Django {django}, Python {python}".format(**meta)
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rate = r.requests / r.elapsed_s if r.elapsed_s else 0.0
        goal = goals.get(r.label)
        verdict = ""
        if goal is not None and r.latencies_ms:
            ok = r.percentile(95) < goal and not r.errors
            verdict = f"p95 < {goal:.0f} ms: {'met' if ok else 'NOT met'}"
        print(
            f"{r.label:<52} {r.requests:>8} {r.errors:>6} {rate:>7.1f} "
            f"{r.percentile(50):>8.1f} {r.percentile(95):>8.1f} {r.percentile(99):>8.1f}  "
            f"{verdict}"
        )
        if r.error_samples:
            print(f"{'':<52} errors, e.g.: {', '.join(r.error_samples)}")
    for label, note in notes:
        print(f"{label:<52} {note}")
    if "seconds" in siasn:
        ok = siasn["seconds"] < SIASN_GOAL_S
        print(
            f"{'manage.py export_siasn (city-year, CSV)':<52} {siasn['rows']} rows, "
            f"{siasn['bytes'] / 1e6:.1f} MB in {siasn['seconds']:.1f} s  "
            f"< {SIASN_GOAL_S:.0f} s: {'met' if ok else 'NOT met'}"
        )
    else:
        print(f"{'manage.py export_siasn (city-year, CSV)':<52} failed: {siasn.get('error')}")
    print("-" * len(header))
    print(memory_summary(memory, root_pid))
    print(f"load average after: {meta['load_after']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 learners, 300,000 rows")
    parser.add_argument("--learners", type=int, help="default 100000 (10000 with --quick)")
    parser.add_argument("--progress-rows", type=int, help="default 3000000 (300000 --quick)")
    parser.add_argument("--cities", type=int, default=8)
    parser.add_argument("--agencies-per-city", type=int, default=40)
    parser.add_argument("--courses", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100, help="per endpoint (max 2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (max 32)")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per endpoint (max 300)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database", default="asn_lms_bench_dash")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (127.0.0.1 only)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and generate again")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    args.learners = size["learners"] if args.learners is None else args.learners
    args.progress_rows = size["progress_rows"] if args.progress_rows is None else args.progress_rows
    # Bounded by design: a benchmark must never turn into an open-ended load test.
    args.requests = max(1, min(args.requests, 2000))
    args.concurrency = max(1, min(args.concurrency, 32))
    args.time_limit = max(1.0, min(args.time_limit, 300.0))

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    env, workdir, generated_in = prepare_data(args)
    info = shell_json(env, SETUP_SNIPPET, "SETUP")
    city, year = info["city"], info["year"]

    port = free_port()
    log_path = workdir / "gunicorn.log"
    gunicorn = None
    memory = None
    previous_handler = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        log(f"starting gunicorn on {HOST}:{port} with {args.workers} workers")
        gunicorn = start_gunicorn(env, port, args.workers, log_path)
        wait_until_up(port, gunicorn, log_path)
        memory = MemorySampler(gunicorn.pid)
        memory.start()
        city_cookie = {"Cookie": log_in(port, f"admin-{city}", PASSWORD)}
        national_cookie = {"Cookie": log_in(port, "admin-skala-nasional", PASSWORD)}
        if info["token"]:
            api_headers = {"Authorization": f"Bearer {info['token']}"}
            api_auth = "token"
        else:
            api_headers, api_auth = city_cookie, "session"
        agency = f"?agency={info['agency']}" if info["agency"] else ""
        endpoints = [
            ("city", f"GET /admin/dasbor/kota/{city}/", f"/admin/dasbor/kota/{city}/", city_cookie),
            (
                "city",
                "GET city dashboard, one agency subtree",
                f"/admin/dasbor/kota/{city}/{agency}",
                city_cookie,
            ),
            ("national", "GET /admin/dasbor/nasional/", "/admin/dasbor/nasional/", national_cookie),
            (
                None,
                f"GET /api/v1/cities/{city}/report ({api_auth})",
                f"/api/v1/cities/{city}/report?year={year}",
                api_headers,
            ),
            (
                None,
                f"GET /api/v1/cities/{city}/completions ({api_auth})",
                f"/api/v1/cities/{city}/completions?year={year}&limit=100&offset=1000",
                api_headers,
            ),
        ]
        results, notes, goals = [], [], {}
        for goal_key, label, path, headers in endpoints:
            status, size_bytes = probe(port, path, headers)
            if status != 200:
                notes.append((label, f"not measured: HTTP {status}"))
                log(f"{label}: HTTP {status}, skipped")
                continue
            if goal_key:
                goals[label] = GOALS_MS[goal_key]
            # Warm-up: fill caches and open DB connections in every worker; not counted.
            drive(port, label, path, headers, 2 * args.workers, args.workers, 60)
            log(f"{label}: {args.requests} requests, {args.concurrency} threads ({size_bytes} B)")
            results.append(
                drive(port, label, path, headers, args.requests, args.concurrency, args.time_limit)
            )
        memory.stop()
        log(f"export_siasn --city {city} --year {year}")
        siasn = siasn_export(env, city, year)
        import django

        meta = {
            "learners": args.learners,
            "progress_rows": args.progress_rows,
            "cities": info["cities"],
            "city": city,
            "city_learners": info["city_learners"],
            "year": year,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "requests": args.requests,
            "load_before": load_before,
            "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "cpus": os.cpu_count(),
            "django": django.get_version(),
            "python": sys.version.split()[0],
        }
        if generated_in is not None:
            print(f"\ngenerate_scale_data took {generated_in:.0f} s")
        if info["token_note"]:
            print(info["token_note"])
        print_table(results, notes, goals, siasn, memory, gunicorn.pid, meta)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "meta": meta,
                        "generated_in_s": generated_in,
                        "endpoints": [
                            {
                                "endpoint": r.label,
                                "requests": r.requests,
                                "errors": r.errors,
                                "req_per_s": r.requests / r.elapsed_s if r.elapsed_s else 0,
                                "p50_ms": r.percentile(50),
                                "p95_ms": r.percentile(95),
                                "p99_ms": r.percentile(99),
                                "goal_p95_ms": goals.get(r.label),
                            }
                            for r in results
                        ],
                        "not_measured": notes,
                        "siasn": siasn,
                        "peak_rss_total_kib": memory.peak_total_kib,
                    },
                    indent=2,
                )
            )
        failed = any(r.errors for r in results) or notes or "seconds" not in siasn
        return 1 if failed else 0
    finally:
        # gunicorn first: whatever failed above, no server may outlive the benchmark.
        stop_gunicorn(gunicorn)
        if memory is not None:
            memory.halt()
        signal.signal(signal.SIGTERM, previous_handler)


if __name__ == "__main__":
    sys.exit(main())
