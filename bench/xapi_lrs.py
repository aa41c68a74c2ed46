#!/usr/bin/env python
"""LRS benchmark: /xapi/statements for an external client (HTTP Basic) on gunicorn +
PostgreSQL (127.0.0.1).

    .venv/bin/python bench/xapi_lrs.py [--seed 1000000] [--batch-requests 400]
        [--get-requests 400] [--clients 20] [--workers 8] [--time-limit 60] [--fresh]

It creates (or reuses) a PostgreSQL database, migrates it, creates a city and an xAPI
client (read + write), seeds ``--seed`` statements of that city with COPY (not the ORM),
ANALYZEs, starts gunicorn (lms.wsgi, production settings) and measures:

- POST batches of 50 statements from ``--clients`` concurrent clients; every batch mixes
  the same few verbs and activities (the pattern that deadlocks an LRS that updates
  shared verb/activity rows per statement), 10 % of the statements are retries;
- GET a filtered page of 100 (by verb, by activity, by agent, and following ``more``)
  with the seeded statements stored.

Prints one table (requests, statements, errors, req/s, statements/s, p50/p95/p99) and
gunicorn's peak memory, then checks that every acknowledged statement is stored once.
Goals (issue 11): >= 1,000 statements/s in batches of 50 with 20 clients and 0 errors;
GET of a filtered page of 100 < 50 ms p95 with 1,000,000 statements stored.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (  # noqa: E402 - the shared helpers of bench/http_load.py
    HOST,
    MemorySampler,
    Result,
    ensure_database,
    free_port,
    log,
    manage,
    memory_summary,
    production_env,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = [ADL + v for v in ("experienced", "attempted", "answered", "completed", "passed")] + [
    f"https://tool.example/verbs/v{n}" for n in range(45)
]
ACTIVITIES = 5000
AGENTS = 2000
SHARED_ACTIVITIES = [f"https://tool.example/activities/shared{n}" for n in range(5)]

SETUP_SNIPPET = """
import json
from lms.lrs.services import xapi_client_create
from lms.people import services as ps
from lms.people.models import City
city = City.objects.filter(slug="bench-lrs").first() or ps.city_create(
    name="Kota Bench LRS", slug="bench-lrs", bkpsdm_name="BKPSDM Kota Bench LRS")
issued = xapi_client_create(name="Bench", city=city, can_read=True, can_write=True)
print("SETUP=" + json.dumps({"key": issued.client.key, "secret": issued.secret,
    "client": issued.client.pk, "city": city.pk}))
"""


def agent(n: int) -> dict:
    return {"objectType": "Agent", "name": f"Pegawai {n}", "mbox": f"mailto:orang{n}@luar.example"}


def agent_hash(n: int) -> str:
    ifi = f"mailto:orang{n}@luar.example"
    return hashlib.sha256(f"Agent|mbox|{ifi}".encode()).hexdigest()


def activity(n: int) -> str:
    return f"https://tool.example/activities/a{n}"


def make_statement(rng: random.Random) -> dict:
    # Every batch hits the same few verbs and shared activities.
    target = (
        rng.choice(SHARED_ACTIVITIES) if rng.random() < 0.5 else activity(rng.randrange(ACTIVITIES))
    )
    return {
        "id": str(uuid.uuid4()),
        "actor": agent(rng.randrange(AGENTS)),
        "verb": {"id": rng.choice(VERBS[:5]), "display": {"en-US": "did"}},
        "object": {
            "objectType": "Activity",
            "id": target,
            "definition": {"name": {"id-ID": "Aktivitas"}},
        },
        "result": {"score": {"scaled": round(rng.random(), 2)}, "completion": True},
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128))),
            "contextActivities": {"parent": [{"id": "https://tool.example/course"}]},
        },
        "timestamp": datetime.now(UTC).isoformat(),
    }


def seed(server_url: str, name: str, *, count: int, client_id: int, city_id: int) -> None:
    """COPY ``count`` statements of the bench city into records_statement."""
    import psycopg

    with psycopg.connect(f"{server_url}/{name}", connect_timeout=5) as conn:
        existing = conn.execute(
            "SELECT count(*) FROM records_statement WHERE city_id = %s", (city_id,)
        ).fetchone()[0]
        missing = count - existing
        if missing <= 0:
            log(f"{existing} statements already seeded")
            return
        log(f"seeding {missing} statements with COPY")
        rng = random.Random(42)
        now = datetime.now(UTC)
        token = str(uuid.uuid4())
        columns = (
            "id, learner_id, verb, object_iri, kind, activity_key, lesson_key, is_child, "
            "score_percent, success, duration_seconds, content_hash, batch_token, timestamp, "
            "stored_at, payload, city_id, client_id, actor_hash, object_agent_hash, "
            "registration, voided"
        )
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY records_statement ({columns}) FROM STDIN") as copy,
        ):
            for n in range(missing):
                statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                person = rng.randrange(AGENTS)
                verb = rng.choice(VERBS)
                target = activity(rng.randrange(ACTIVITIES))
                stored = now - timedelta(seconds=rng.randrange(365 * 86400), microseconds=n)
                stamp = stored.isoformat().replace("+00:00", "Z")
                payload = {
                    "id": statement_id,
                    "actor": agent(person),
                    "verb": {"id": verb},
                    "object": {"objectType": "Activity", "id": target},
                    "timestamp": stamp,
                    "stored": stamp,
                    "version": "1.0.3",
                }
                copy.write_row(
                    (
                        statement_id,
                        None,
                        verb,
                        target,
                        "",
                        None,
                        None,
                        False,
                        None,
                        None,
                        None,
                        "0" * 64,
                        token,
                        stored,
                        stored,
                        json.dumps(payload),
                        city_id,
                        client_id,
                        agent_hash(person),
                        "",
                        None,
                        False,
                    )
                )
                if n and n % 200_000 == 0:
                    log(f"  {n} rows")
        conn.commit()
        log("analyze")
        conn.execute("ANALYZE records_statement")
        conn.commit()


@dataclass
class Outcome:
    result: Result
    statements: int = 0
    ids: set = field(default_factory=set)


def drive_post(port, auth, *, clients, requests, time_limit, batch=50, resend=0.1) -> Outcome:
    outcome = Outcome(Result(f"POST batch of {batch}, {clients} clients"))
    result = outcome.result
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + time_limit

    def worker(n):
        nonlocal issued
        rng = random.Random(n)
        sent: list[dict] = []
        headers = {
            "Authorization": auth,
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
        }
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                if issued >= requests or time.monotonic() >= deadline:
                    break
                issued += 1
            payload = []
            for _ in range(batch):
                if sent and rng.random() < resend:
                    payload.append(rng.choice(sent))  # a retry: same id, same content
                else:
                    payload.append(make_statement(rng))
            unique = {item["id"]: item for item in payload}
            payload = list(unique.values())
            sent = (sent + payload)[-500:]
            started = time.perf_counter()
            try:
                conn.request("POST", "/xapi/statements", body=json.dumps(payload), headers=headers)
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200
                problem = f"HTTP {response.status} {data[:160]!r}"
            except (OSError, http.client.HTTPException) as exc:
                ok, problem = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            took = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    result.latencies_ms.append(took)
                    outcome.statements += len(payload)
                    outcome.ids.update(unique)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    result.elapsed_s = time.perf_counter() - started
    return outcome


def drive_get(port, auth, label, make_query, *, clients, requests, time_limit) -> Outcome:
    outcome = Outcome(Result(label))
    result = outcome.result
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + time_limit

    def worker(n):
        nonlocal issued
        rng = random.Random(1000 + n)
        headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        more = None
        while True:
            with lock:
                if issued >= requests or time.monotonic() >= deadline:
                    break
                issued += 1
            path = more or "/xapi/statements?" + urlencode(make_query(rng))
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200
                problem = f"HTTP {response.status} {data[:160]!r}"
                count = len(json.loads(data)["statements"]) if ok else 0
                if label.endswith("more"):
                    more = json.loads(data)["more"] or None if ok else None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                ok, problem, count = False, type(exc).__name__, 0
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            took = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    result.latencies_ms.append(took)
                    outcome.statements += count
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    result.elapsed_s = time.perf_counter() - started
    return outcome


def print_table(outcomes: list[Outcome], meta: dict) -> None:
    header = (
        f"{'scenario':<38} {'requests':>8} {'stmts':>7} {'errors':>6} {'req/s':>8} "
        f"{'stmts/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    print()
    print(
        "/xapi/statements (Basic client) | gunicorn {workers} sync workers + PostgreSQL on "
        "127.0.0.1 | {cpus} CPUs | {stored} statements stored | Django {django}".format(**meta)
    )
    print(header)
    print("-" * len(header))
    for o in outcomes:
        r = o.result
        rate = r.requests / r.elapsed_s if r.elapsed_s else 0.0
        stmt_rate = o.statements / r.elapsed_s if r.elapsed_s else 0.0
        print(
            f"{r.label:<38} {r.requests:>8} {o.statements:>7} {r.errors:>6} {rate:>8.1f} "
            f"{stmt_rate:>8.1f} {r.percentile(50):>7.1f} {r.percentile(95):>7.1f} "
            f"{r.percentile(99):>7.1f}"
        )
        if r.error_samples:
            print(f"{'':<38} errors, e.g.: {'; '.join(r.error_samples)}")


def verify(server_url: str, name: str, ids: set) -> str:
    import psycopg

    with psycopg.connect(f"{server_url}/{name}", connect_timeout=5) as conn:
        found = 0
        ordered = sorted(ids)
        for i in range(0, len(ordered), 5000):
            found += conn.execute(
                "SELECT count(*) FROM records_statement WHERE id = ANY(%s::uuid[])",
                (ordered[i : i + 5000],),
            ).fetchone()[0]
    return f"VERIFY acknowledged={len(ids)} stored={found}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=1_000_000, help="statements stored (max 2M)")
    parser.add_argument("--batch-requests", type=int, default=400, help="max 4000")
    parser.add_argument("--get-requests", type=int, default=400, help="per GET scenario, max 4000")
    parser.add_argument("--clients", type=int, default=20, help="POST clients")
    parser.add_argument("--get-clients", type=int, default=4)
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per scenario (max 180)"
    )
    parser.add_argument("--database", default="asn_bench_lrs")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (127.0.0.1 only)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    args = parser.parse_args()
    args.seed = max(0, min(args.seed, 2_000_000))
    args.batch_requests = max(1, min(args.batch_requests, 4000))
    args.get_requests = max(1, min(args.get_requests, 4000))
    args.time_limit = max(1.0, min(args.time_limit, 180.0))

    ensure_database(args.postgres, args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-lrs-"))
    env = production_env(
        database_url=f"{args.postgres}/{args.database}",
        workdir=workdir,
        WAGTAILADMIN_BASE_URL=f"http://{HOST}",
    )
    log("migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    output = manage(env, "shell", "-c", SETUP_SNIPPET, capture=True)
    line = next(line for line in output.splitlines() if line.startswith("SETUP="))
    setup = json.loads(line[len("SETUP=") :])
    seed(
        args.postgres,
        args.database,
        count=args.seed,
        client_id=setup["client"],
        city_id=setup["city"],
    )
    auth = "Basic " + base64.b64encode(f"{setup['key']}:{setup['secret']}".encode()).decode()

    port = free_port()
    log_path = workdir / "gunicorn.log"
    gunicorn = None
    previous_handler = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    outcomes: list[Outcome] = []
    memory = None
    get_scenarios = [
        ("GET verb filter, limit 100", lambda rng: {"verb": rng.choice(VERBS), "limit": 100}),
        (
            "GET activity filter, limit 100",
            lambda rng: {"activity": activity(rng.randrange(ACTIVITIES)), "limit": 100},
        ),
        (
            "GET agent filter, limit 100",
            lambda rng: {"agent": json.dumps(agent(rng.randrange(AGENTS))), "limit": 100},
        ),
        ("GET all, limit 100, following more", lambda rng: {"limit": 100}),
    ]
    try:
        log(f"starting gunicorn on {HOST}:{port} with {args.workers} workers")
        gunicorn = start_gunicorn(env, port, args.workers, log_path)
        # A loaded machine takes a while to import Django and Wagtail in every worker.
        wait_until_up(port, gunicorn, log_path, seconds=240)
        memory = MemorySampler(gunicorn.pid)
        memory.start()
        drive_get(port, auth, "warm-up", get_scenarios[0][1], clients=2, requests=40, time_limit=20)
        for label, make_query in get_scenarios:
            log(f"{label}: up to {args.get_requests} requests")
            outcomes.append(
                drive_get(
                    port,
                    auth,
                    label,
                    make_query,
                    clients=args.get_clients,
                    requests=args.get_requests,
                    time_limit=args.time_limit,
                )
            )
        log(f"POST: up to {args.batch_requests} batches from {args.clients} clients")
        outcomes.append(
            drive_post(
                port,
                auth,
                clients=args.clients,
                requests=args.batch_requests,
                time_limit=args.time_limit,
            )
        )
        memory.stop()
        memory_line = memory_summary(memory, gunicorn.pid)
    finally:
        if memory is not None:
            memory.halt()
        stop_gunicorn(gunicorn)
        signal.signal(signal.SIGTERM, previous_handler)
    import django

    meta = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "stored": f"{args.seed:,}",
        "django": django.get_version(),
    }
    print_table(outcomes, meta)
    print(memory_line)
    print(verify(args.postgres, args.database, outcomes[-1].ids))
    if log_path.exists():
        server_errors = [line for line in log_path.read_text().splitlines() if "Error" in line][:5]
        if server_errors:
            print("gunicorn log, first errors:", *server_errors, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
