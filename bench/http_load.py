#!/usr/bin/env python
"""HTTP load benchmark: gunicorn + PostgreSQL on 127.0.0.1, bounded in requests and time.

    .venv/bin/python bench/http_load.py [--requests 400] [--concurrency 8] [--time-limit 30]

It creates (or reuses) a PostgreSQL database, migrates it, loads the demo data, collects
static files, starts gunicorn (lms.wsgi with production settings, 2 workers, a free port on
127.0.0.1), then drives each endpoint with a fixed number of requests from a few client
threads and prints one table: requests, errors, req/s and latency percentiles per endpoint,
plus gunicorn's peak memory (VmHWM/VmRSS from /proc; psutil is not a dependency).
gunicorn is always stopped at the end. Nothing here leaves 127.0.0.1.
"""

import argparse
import http.client
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PYTHON = sys.executable
DEMO_PASSWORD = "demo-asn"
LEARNER_CITY = "sorong"

# Picks a learner of LEARNER_CITY; builds a minimal city, curriculum and learner when the
# demo data command is not there, so the logged-in endpoint can always be measured.
LEARNER_SNIPPET = f"""
from lms.people.models import LearnerProfile
learner = LearnerProfile.objects.filter(city__slug={LEARNER_CITY!r}).order_by("pk").first()
if learner is None:
    from courses.services import city_curriculum_create, curriculum_index_install
    from lms.people import services
    from lms.people.models import City
    index = curriculum_index_install(title="Kurikulum ASN Digital")
    city = City.objects.filter(slug={LEARNER_CITY!r}).first() or services.city_create(
        name="Kota Sorong", slug={LEARNER_CITY!r}, bkpsdm_name="BKPSDM Kota Sorong")
    if not hasattr(city, "curriculum_page"):
        city_curriculum_create(index=index, city=city, title="Kurikulum Kota Sorong")
    learner = services.learner_create(city=city, nip="198609262015051001",
        full_name="Pegawai Bench", email="bench@example.go.id", password={DEMO_PASSWORD!r})
print("NIP=" + learner.nip)
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- database and Django set-up -----------------------------------------------------------


def ensure_database(server_url: str, name: str, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"--database {name!r}: use lower-case letters, digits and _ only.")
    parsed = urlparse(server_url)
    if parsed.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("The benchmark only runs against a PostgreSQL server on 127.0.0.1.")
    with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            log(f"dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=capture,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        detail = (result.stderr or "") if capture else ""
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {result.returncode}) {detail}")
    return result.stdout if capture else ""


def prepare_site(env: dict) -> str:
    """Migrate, load the demo, collect static files; return a learner's NIP."""
    log("migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    commands = manage(env, "help", "--commands", capture=True).split()
    if "load_demo_data" in commands:
        log("load_demo_data (re-runnable; existing rows are kept)")
        manage(env, "load_demo_data", "--force", "--no-progress", "-v", "0", capture=True)
    else:
        log("load_demo_data does not exist yet; creating one learner instead")
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    output = manage(env, "shell", "-c", LEARNER_SNIPPET, capture=True)
    match = re.search(r"NIP=(\d+)", output)
    if not match:
        raise SystemExit(f"Could not find or create a learner in {LEARNER_CITY}: {output}")
    return match.group(1)


# --- gunicorn and its memory --------------------------------------------------------------


def production_env(*, database_url: str, workdir: Path, **extra: str) -> dict:
    """The environment of a benchmarked server: production settings on the bench database,
    with nothing inherited from the caller's DJANGO_/AWS_ variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="lms.settings.production",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        # Plain HTTP on 127.0.0.1: no TLS to redirect to (check --deploy W008, documented).
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_LOG_LEVEL="WARNING",
        # No mail server on 127.0.0.1: notification emails would fail inside requests
        # with a refused connection and blur the figures.
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        # Every simulated learner comes from 127.0.0.1 and posts far faster than a person:
        # the limits stay on (their cache hits are part of the cost measured) but so high
        # that they never refuse; tests/lms/security checks that they do refuse.
        RATE_LIMIT_LOGIN="100000000/300",
        RATE_LIMIT_PASSWORD_RESET="100000000/900",
        RATE_LIMIT_STATEMENTS="100000000/60",
        RATE_LIMIT_LOGIN_FAILURES_PER_IP="100000000/900",
        **extra,
    )
    return env


def start_gunicorn(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "lms.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # Its own process group, so stopping it also stops every worker.
        start_new_session=True,
    )
    return process


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    log("stopping gunicorn")
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_until_up(port: int, process: subprocess.Popen, log_path: Path, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer /healthz within {seconds:.0f} s")


def process_tree(root_pid: int) -> list[int]:
    """The gunicorn master and its workers (children read from /proc)."""
    pids = [root_pid]
    try:
        children = Path(f"/proc/{root_pid}/task/{root_pid}/children").read_text().split()
    except OSError:
        children = []
    return pids + [int(pid) for pid in children]


def proc_status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples the summed VmRSS of master + workers; VmHWM alone may peak at different times."""

    def __init__(self, root_pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.peak_total_kib = 0
        self.hwm_kib: dict[int, int] = {}
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self):
        pids = process_tree(self.root_pid)
        total = sum(proc_status_kib(pid, "VmRSS") for pid in pids)
        self.peak_total_kib = max(self.peak_total_kib, total)
        for pid in pids:
            self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), proc_status_kib(pid, "VmHWM"))

    def stop(self):
        """Stop sampling, with one last sample (VmHWM is read while the processes live)."""
        self.halt()
        self.sample()

    def halt(self):
        self._halt.set()
        if self.is_alive():
            self.join(timeout=2)


def memory_summary(memory: MemorySampler, root_pid: int) -> str:
    """One line: the gunicorn master's and each worker's peak, and the peak of their sum."""
    mib = 1024
    master = memory.hwm_kib.get(root_pid, 0) / mib
    workers = [kib / mib for pid, kib in sorted(memory.hwm_kib.items()) if pid != root_pid]
    return (
        f"gunicorn peak memory: master VmHWM {master:.1f} MiB; workers VmHWM "
        f"{', '.join(f'{w:.1f}' for w in workers)} MiB; "
        f"peak sampled VmRSS of all processes {memory.peak_total_kib / mib:.1f} MiB"
    )


# --- HTTP client --------------------------------------------------------------------------


def parse_cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        cookies.update({name: morsel.value for name, morsel in parsed.items()})
    return cookies


def log_in(port: int, nip: str, password: str) -> tuple[str, str]:
    """Log in like a browser; return the session cookie header and the landing path."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("GET", "/akun/masuk/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = parse_cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not token or "csrftoken" not in cookies:
        raise SystemExit(f"login page: HTTP {response.status}, no CSRF token")
    body = urlencode({"username": nip, "password": password, "csrfmiddlewaretoken": token.group(1)})
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
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
    cookies.update(parse_cookies(response))
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {nip} failed: HTTP {response.status}")
    cookie_header = f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"
    # /kurikulum-saya/ redirects to the learner's city curriculum.
    path = urlparse(response.getheader("Location")).path
    for _ in range(3):
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", path, headers={"Cookie": cookie_header})
        response = conn.getresponse()
        response.read()
        if response.status not in (301, 302):
            break
        path = urlparse(response.getheader("Location")).path
    if response.status != 200:
        raise SystemExit(f"the learner's curriculum page {path} answered HTTP {response.status}")
    return cookie_header, path


@dataclass
class Result:
    label: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        # Nearest rank: the smallest sample with at least q % of the samples at or below it.
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]


def drive(
    port: int,
    label: str,
    path: str,
    headers: dict,
    total: int,
    concurrency: int,
    time_limit: float,
) -> Result:
    """Send `total` GETs from `concurrency` threads; stop early at the time limit."""
    result = Result(label)
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + time_limit

    def worker():
        nonlocal issued
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while True:
            with lock:
                if issued >= total or time.monotonic() >= deadline:
                    break
                issued += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                problem = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, problem = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
            took_ms = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    result.latencies_ms.append(took_ms)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + 15)
    result.elapsed_s = time.perf_counter() - started
    return result


# --- report -------------------------------------------------------------------------------


def print_table(results: list[Result], memory: MemorySampler, root_pid: int, meta: dict) -> None:
    header = (
        f"{'endpoint':<44} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    print()
    print(
        "gunicorn {workers} sync workers + PostgreSQL on 127.0.0.1 | {concurrency} client "
        "threads | {requests} requests per endpoint | Django {django}, Python {python}".format(
            **meta
        )
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rate = (len(r.latencies_ms) + r.errors) / r.elapsed_s if r.elapsed_s else 0.0
        print(
            f"{r.label:<44} {r.requests:>8} {r.errors:>6} {rate:>8.1f} "
            f"{r.percentile(50):>8.1f} {r.percentile(95):>8.1f} {r.percentile(99):>8.1f}"
        )
        if r.error_samples:
            print(f"{'':<44} errors, e.g.: {', '.join(r.error_samples)}")
    print("-" * len(header))
    print(memory_summary(memory, root_pid))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per endpoint (max 5000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (max 64)")
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="seconds per endpoint (max 120)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database", default="asn_bench_http")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (127.0.0.1 only)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    # Bounded by design: a benchmark must never turn into an open-ended load test.
    args.requests = max(1, min(args.requests, 5000))
    args.concurrency = max(1, min(args.concurrency, 64))
    args.time_limit = max(1.0, min(args.time_limit, 120.0))

    ensure_database(args.postgres, args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-"))
    env = production_env(database_url=f"{args.postgres}/{args.database}", workdir=workdir)
    nip = prepare_site(env)

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
        cookie, curriculum_path = log_in(port, nip, DEMO_PASSWORD)
        endpoints = [
            ("GET /healthz", "/healthz", {}),
            ("GET /akun/masuk/ (login page)", "/akun/masuk/", {}),
            ("GET / (curriculum index)", "/", {}),
            (f"GET {curriculum_path} (learner)", curriculum_path, {"Cookie": cookie}),
        ]
        results = []
        for label, path, headers in endpoints:
            # Warm-up: fill caches and open DB connections in every worker; not counted.
            drive(port, label, path, headers, 20, args.workers, 10)
            log(f"{label}: {args.requests} requests, {args.concurrency} threads")
            results.append(
                drive(
                    port,
                    label,
                    path,
                    headers,
                    args.requests,
                    args.concurrency,
                    args.time_limit,
                )
            )
        memory.stop()
        import django

        meta = {
            "workers": args.workers,
            "concurrency": args.concurrency,
            "requests": args.requests,
            "django": django.get_version(),
            "python": sys.version.split()[0],
        }
        print_table(results, memory, gunicorn.pid, meta)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "meta": meta,
                        "endpoints": [
                            {
                                "endpoint": r.label,
                                "requests": r.requests,
                                "errors": r.errors,
                                "req_per_s": r.requests / r.elapsed_s if r.elapsed_s else 0,
                                "p50_ms": r.percentile(50),
                                "p95_ms": r.percentile(95),
                                "p99_ms": r.percentile(99),
                            }
                            for r in results
                        ],
                        "peak_rss_total_kib": memory.peak_total_kib,
                        "vmhwm_kib": memory.hwm_kib,
                    },
                    indent=2,
                )
            )
        return 1 if any(r.errors for r in results) else 0
    finally:
        # gunicorn first: whatever failed above, no server may outlive the benchmark.
        stop_gunicorn(gunicorn)
        if memory is not None:
            memory.halt()
        signal.signal(signal.SIGTERM, previous_handler)


if __name__ == "__main__":
    sys.exit(main())
