#!/usr/bin/env python
"""xAPI statement benchmark: POST /xapi/statements on gunicorn + PostgreSQL (127.0.0.1).

    .venv/bin/python bench/statements.py [--workers 4] [--redis auto] [--single-requests 6000]
        [--batch-requests 300] [--time-limit 40] [--fresh] [--json out.json]

It creates (or reuses) a PostgreSQL database, migrates it, builds a bench city with a
curriculum, a course of five lessons (viewed / H5P score / quiz) and one learner per
client thread with a logged-in session, starts gunicorn (lms.wsgi, production settings,
sync workers, a free port on 127.0.0.1), and drives the endpoint with a bounded
threads-based client (plain sockets, no extra dependency; requests built before the clock
starts, so that the client takes as little as it can of the two cores the server also
needs). Every request carries the session cookie, the CSRF header and
X-Experience-API-Version: 1.0.3, like the browser. Scenarios:

- ``baseline``: GET /healthz (one database query), the ceiling of this machine;
- ``single``: one statement per request, 16 clients;
- ``batch50``: batches of 50 statements, 8 clients;
- ``mixed20``: 20 clients posting batches of 50 that mix the same verbs and activities
  (the case that deadlocks an LRS with shared verb/activity rows), 10 % of statements
  re-sent (retries must be acknowledged without change).

It prints one table (requests, statements, errors, req/s, statements/s, p50/p95/p99 in
ms, the client's own CPU per request) and, afterwards, checks in the database that every
statement sent is stored once.
gunicorn is always stopped at the end. Nothing here leaves 127.0.0.1.
"""

import argparse
import json
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (  # noqa: E402 - the shared helpers of bench/http_load.py
    HOST,
    MemorySampler,
    Result,
    ensure_database,
    free_port,
    manage,
    memory_summary,
    production_env,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)

ADL = "http://adlnet.gov/expapi/verbs/"
CSRF_SECRET = "b" * 32

SETUP_SNIPPET = """
import json, uuid
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from courses import services as cs
from courses.models import CoursePage
from lms.people import services as ps
from lms.people.models import City, LearnerProfile

LEARNERS = {learners}
index = cs.curriculum_index_install(title="Kurikulum ASN Digital")
city = City.objects.filter(slug="bench-kota").first() or ps.city_create(
    name="Kota Bench", slug="bench-kota", bkpsdm_name="BKPSDM Kota Bench")
curriculum = getattr(city, "curriculum_page", None) or cs.city_curriculum_create(
    index=index, city=city, title="Kurikulum Kota Bench")
course = CoursePage.objects.child_of(curriculum).filter(slug="bench-kursus").first()
if course is None:
    # The bench's activity keys are made up: build the lessons as if no app owned
    # H5P packages or quizzes (only in this set-up process).
    from courses import activities
    activities.unregister_catalogue("h5p")
    activities.unregister_catalogue("quiz")
    course = cs.course_create(parent=curriculum, title="Kursus Bench", slug="bench-kursus",
        summary="Kursus untuk benchmark.", jp_value=4, competency_area="digital_literacy",
        estimated_duration=3600)
    h5p_key, quiz_key = uuid.uuid4(), uuid.uuid4()
    cs.lesson_create(course=course, title="Membaca 1", slug="baca-1",
        body=[{{"type": "paragraph", "value": "<p>x</p>"}}])
    cs.lesson_create(course=course, title="Membaca 2", slug="baca-2",
        body=[{{"type": "paragraph", "value": "<p>x</p>"}}])
    cs.lesson_create(course=course, title="Latihan", slug="latihan",
        body=[{{"type": "h5p", "value": {{"key": str(h5p_key), "title": "H5P"}}}}],
        completion_rule="h5p_score", completion_threshold=80)
    cs.lesson_create(course=course, title="Kuis", slug="kuis",
        body=[{{"type": "quiz", "value": {{"key": str(quiz_key), "title": "Kuis"}}}}],
        completion_rule="quiz_passed")
    cs.lesson_create(course=course, title="Membaca 3", slug="baca-3",
        body=[{{"type": "paragraph", "value": "<p>x</p>"}}])
lessons = []
from courses.selectors import course_lessons
for lesson in course_lessons(course).only("translation_key", "completion_rule", "body"):
    lesson = type(lesson).objects.get(pk=lesson.pk)
    lessons.append({{"key": str(lesson.translation_key), "rule": lesson.completion_rule,
        "h5p": list(lesson.activity_keys("h5p")), "quiz": list(lesson.activity_keys("quiz"))}})
sessions = []
existing = list(LearnerProfile.objects.filter(city=city).select_related("user").order_by("pk"))
for n in range(len(existing), LEARNERS):
    nip = "19800101200501" + "1" + str(n + 1).zfill(3)
    existing.append(ps.learner_create(city=city, nip=nip, full_name=f"Pegawai Bench {{n}}",
        email=f"bench{{n}}@example.go.id"))
for profile in existing[:LEARNERS]:
    s = SessionStore()
    s[SESSION_KEY] = str(profile.user.pk)
    s[BACKEND_SESSION_KEY] = "lms.people.backends.NipOrEmailBackend"
    s[HASH_SESSION_KEY] = profile.user.get_session_auth_hash()
    s.create()
    sessions.append({{"session": s.session_key, "learner": profile.pk}})
print("SETUP=" + json.dumps({{"lessons": lessons, "sessions": sessions}}))
"""


def vacuum(server_url: str, name: str) -> None:
    """VACUUM ANALYZE the rows every statement updates, so that a re-used database does not
    carry the dead rows of earlier runs into this one (a server with autovacuum off, or
    one that has not got round to it yet, would otherwise make every run slower)."""
    import psycopg

    log("vacuum analyze")
    with psycopg.connect(f"{server_url}/{name}", autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "VACUUM ANALYZE records_activityprogress, records_rollup, records_enrolment, "
            "people_learnerprofile, django_session"
        )


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def iri(kind: str, key: str) -> str:
    return f"http://{HOST}/xapi/activities/{kind}/{key}"


class StatementMaker:
    """Statements a learner's browser would send: views, progress, H5P answers. (Quiz
    results are graded on the server and never come from the browser.)"""

    def __init__(self, lessons: list[dict], seed: int):
        self.lessons = lessons
        self.rng = random.Random(seed)
        self.sent: list[dict] = []

    def one(self) -> dict:
        rng = self.rng
        lesson = rng.choice(self.lessons)
        parent = {"contextActivities": {"parent": [{"id": iri("lesson", lesson["key"])}]}}
        roll = rng.random()
        if lesson["h5p"] and roll < 0.6:
            scaled = round(rng.random(), 2)
            statement = {
                "verb": {"id": ADL + rng.choice(["answered", "completed"])},
                "object": {"id": iri("h5p", lesson["h5p"][0])},
                "result": {
                    "score": {"scaled": scaled, "raw": int(scaled * 10), "min": 0, "max": 10},
                    "duration": "PT15S",
                },
                "context": parent,
            }
        else:
            statement = {
                "verb": {"id": ADL + rng.choice(["experienced", "progressed"])},
                "object": {"id": iri("lesson", lesson["key"])},
                "result": {
                    "extensions": {
                        "https://w3id.org/xapi/cmi5/result/extensions/progress": rng.randint(1, 100)
                    },
                    "duration": "PT30S",
                },
            }
        statement["id"] = str(uuid.uuid4())
        self.sent.append(statement)
        return statement

    def batch(self, size: int, resend: float = 0.0) -> list[dict]:
        items = []
        for _ in range(size):
            if self.sent and self.rng.random() < resend:
                items.append(self.rng.choice(self.sent))  # a retry of an earlier statement
            else:
                items.append(self.one())
        return items


@dataclass
class Scenario:
    label: str
    clients: int
    batch: int  # 0: GET /healthz, the server's baseline on this machine
    requests: int
    resend: float = 0.0


@dataclass
class Outcome:
    result: Result
    statements: int = 0
    ids: set = field(default_factory=set)
    client_cpu_ms: float = 0.0  # the load generator's own CPU during the measured window


def request_bytes(port: int, session: dict | None, payload) -> bytes:
    """One HTTP/1.1 request, as the browser sends it (session cookie, CSRF header, xAPI
    version). ``Connection: close``: gunicorn's sync workers close after every response
    anyway, so the answer is read to the end of the stream."""
    if session is None:
        return f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    body = json.dumps(payload).encode()
    head = (
        f"POST /xapi/statements HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        "Content-Type: application/json\r\nX-Experience-API-Version: 1.0.3\r\n"
        f"X-CSRFToken: {CSRF_SECRET}\r\n"
        f"Cookie: sessionid={session['session']}; csrftoken={CSRF_SECRET}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Send one request on a new connection; (status, whole response)."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    if not response.startswith(b"HTTP/1.1 "):
        raise OSError(f"not an HTTP response: {response[:40]!r}")
    return int(response[9:12]), response


def drive(
    port: int, scenario: Scenario, sessions: list[dict], lessons, time_limit: float
) -> Outcome:
    """Run a scenario from ``scenario.clients`` threads. Each thread builds its requests
    (statements, JSON, HTTP bytes) before the clock starts, so that during the measured
    window the load generator does little more than send and receive: it shares the two
    cores with the server, and every millisecond it spends is taken from gunicorn and
    PostgreSQL. Its CPU per request is printed with the results."""
    result = Result(scenario.label)
    outcome = Outcome(result)
    lock = threading.Lock()
    issued = 0
    per_client = min(scenario.requests, -(-scenario.requests // scenario.clients) * 2)
    clock = {}

    def start_clock():  # run once, as the last thread arrives: before any request is sent
        clock.update(cpu=time.process_time(), wall=time.perf_counter())
        clock["deadline"] = time.monotonic() + time_limit

    ready = threading.Barrier(scenario.clients + 1, action=start_clock)

    def worker(n: int):
        nonlocal issued
        session = sessions[n % len(sessions)]
        maker = StatementMaker(lessons, seed=hash((scenario.label, n)))

        def build():
            if scenario.batch == 0:
                return request_bytes(port, None, None), []
            if scenario.batch == 1:
                items = [maker.one()]
                return request_bytes(port, session, items[0]), items
            items = maker.batch(scenario.batch, resend=scenario.resend)
            return request_bytes(port, session, items), items

        prepared = [build() for _ in range(per_client)]
        prepared.reverse()  # pop() from the end, in the order they were made
        ready.wait()
        while True:
            with lock:
                if issued >= scenario.requests or time.monotonic() >= clock["deadline"]:
                    break
                issued += 1
            request, items = prepared.pop() if prepared else build()
            started = time.perf_counter()
            try:
                status, response = exchange(port, request)
                ok = status == 200
                body = response.partition(b"\r\n\r\n")[2]
                problem = f"HTTP {status} {body[:120]!r}"
            except OSError as exc:
                ok, problem = False, type(exc).__name__
            took_ms = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    result.latencies_ms.append(took_ms)
                    outcome.statements += len(items)
                    outcome.ids.update(item["id"] for item in items)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)

    threads = [
        threading.Thread(target=worker, args=(n,), daemon=True) for n in range(scenario.clients)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    result.elapsed_s = time.perf_counter() - clock["wall"]
    outcome.client_cpu_ms = (time.process_time() - clock["cpu"]) * 1000
    return outcome


def print_table(outcomes: list[Outcome], meta: dict) -> None:
    header = (
        f"{'scenario':<34} {'requests':>8} {'stmts':>7} {'errors':>6} {'req/s':>8} "
        f"{'stmts/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'client CPU':>10}"
    )
    print()
    print(
        "POST /xapi/statements | gunicorn {workers} sync workers + PostgreSQL on 127.0.0.1 | "
        "cache and sessions: {cache} | {cpus} CPUs | Django {django}, Python {python}".format(
            **meta
        )
    )
    print(header)
    print("-" * len(header))
    for o in outcomes:
        r = o.result
        rate = r.requests / r.elapsed_s if r.elapsed_s else 0.0
        stmt_rate = o.statements / r.elapsed_s if r.elapsed_s else 0.0
        print(
            f"{r.label:<34} {r.requests:>8} {o.statements:>7} {r.errors:>6} {rate:>8.1f} "
            f"{stmt_rate:>8.1f} {r.percentile(50):>7.1f} {r.percentile(95):>7.1f} "
            f"{r.percentile(99):>7.1f} {o.client_cpu_ms / max(r.requests, 1):>7.2f} ms"
        )
        if r.error_samples:
            print(f"{'':<34} errors, e.g.: {'; '.join(r.error_samples)}")


def verify(env: dict, ids: set) -> str:
    """Every statement acknowledged is stored, and stored once."""
    path = Path(tempfile.mkdtemp(prefix="asn-bench-ids-")) / "ids.json"
    path.write_text(json.dumps(sorted(ids)))
    snippet = (
        "import json; from lms.records.models import Statement; "
        f"ids = json.load(open({str(path)!r})); "
        "found = sum(Statement.objects.filter(pk__in=ids[i:i+5000]).count() "
        "for i in range(0, len(ids), 5000)); "
        "print(f'VERIFY sent={len(ids)} stored={found}')"
    )
    return manage(env, "shell", "-c", snippet, capture=True).strip()


def redis_choice(value: str) -> str | None:
    """The REDIS_URL for the server, or None. Only a Redis on 127.0.0.1 is used."""
    import socket
    from urllib.parse import urlsplit

    if value == "none":
        return None
    url = "redis://127.0.0.1:6379/15" if value == "auto" else value
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("--redis: only a Redis on 127.0.0.1 is used by the benchmarks")
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError:
        if value == "auto":
            log("no Redis on 127.0.0.1:6379: local-memory cache, sessions in PostgreSQL")
            return None
        raise SystemExit(f"--redis: nothing answers at {url}") from None
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="gunicorn sync workers (4 served more than 8 or 16 on 2 cores: fewer switches)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "auto"),
        help="REDIS_URL of the server as docs/deploy.md sets it in production (the cache, "
        "sessions in cached_db); 'auto': redis://127.0.0.1:6379/15 when it answers, "
        "'none': local-memory cache and sessions in the database",
    )
    parser.add_argument("--single-requests", type=int, default=6000, help="max 20000")
    parser.add_argument("--batch-requests", type=int, default=300, help="max 2000")
    parser.add_argument("--time-limit", type=float, default=40.0, help="seconds (max 120)")
    parser.add_argument("--database", default="asn_bench_statements")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (127.0.0.1 only)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    # Bounded by design: a benchmark must never turn into an open-ended load test.
    args.single_requests = max(1, min(args.single_requests, 20000))
    args.batch_requests = max(1, min(args.batch_requests, 2000))
    args.time_limit = max(1.0, min(args.time_limit, 120.0))
    scenarios = [
        Scenario("baseline: GET /healthz, 16 clients", 16, 0, args.single_requests),
        Scenario("single statement, 16 clients", 16, 1, args.single_requests),
        Scenario("batch of 50, 8 clients", 8, 50, args.batch_requests),
        Scenario("batch of 50 mixed+10% retries, 20 cl.", 20, 50, args.batch_requests, 0.1),
    ]
    learners = max(s.clients for s in scenarios)

    ensure_database(args.postgres, args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-stmts-"))
    redis_url = redis_choice(args.redis)
    env = production_env(
        database_url=f"{args.postgres}/{args.database}",
        workdir=workdir,
        WAGTAILADMIN_BASE_URL=f"http://{HOST}",
        **({"REDIS_URL": redis_url} if redis_url else {}),
    )
    log("migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log(f"setting up the bench course and {learners} learners")
    output = manage(env, "shell", "-c", SETUP_SNIPPET.format(learners=learners), capture=True)
    line = next(line for line in output.splitlines() if line.startswith("SETUP="))
    setup = json.loads(line[len("SETUP=") :])

    vacuum(args.postgres, args.database)

    port = free_port()
    log_path = workdir / "gunicorn.log"
    gunicorn = None
    previous_handler = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    outcomes: list[Outcome] = []
    memory = None
    try:
        log(f"starting gunicorn on {HOST}:{port} with {args.workers} workers")
        gunicorn = start_gunicorn(env, port, args.workers, log_path)
        wait_until_up(port, gunicorn, log_path)
        memory = MemorySampler(gunicorn.pid)
        memory.start()
        warm = Scenario("warm-up", 4, 1, 200)
        drive(port, warm, setup["sessions"], setup["lessons"], 20)
        for scenario in scenarios:
            log(f"{scenario.label}: up to {scenario.requests} requests")
            outcomes.append(
                drive(port, scenario, setup["sessions"], setup["lessons"], args.time_limit)
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
        "cache": f"Redis ({redis_url})" if redis_url else "local memory, sessions in PostgreSQL",
        "cpus": os.cpu_count(),
        "django": django.get_version(),
        "python": sys.version.split()[0],
    }
    print_table(outcomes, meta)
    print(memory_line)
    all_ids = set().union(*(o.ids for o in outcomes))
    print(verify(env, all_ids))
    if gunicorn is not None and log_path.exists():
        server_errors = [line for line in log_path.read_text().splitlines() if "Error" in line][:5]
        if server_errors:
            print("gunicorn log, first errors:", *server_errors, sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "meta": meta,
                    "scenarios": [
                        {
                            "scenario": o.result.label,
                            "requests": o.result.requests,
                            "statements": o.statements,
                            "errors": o.result.errors,
                            "req_per_s": o.result.requests / o.result.elapsed_s,
                            "statements_per_s": o.statements / o.result.elapsed_s,
                            "p50_ms": o.result.percentile(50),
                            "p95_ms": o.result.percentile(95),
                            "p99_ms": o.result.percentile(99),
                            "client_cpu_ms_per_request": o.client_cpu_ms
                            / max(o.result.requests, 1),
                        }
                        for o in outcomes
                    ],
                },
                indent=2,
            )
        )
    return 1 if any(o.result.errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
