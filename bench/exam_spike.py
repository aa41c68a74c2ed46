#!/usr/bin/env python
"""Exam spike benchmark: N learners take a 20-question quiz within a window, on gunicorn +
PostgreSQL (127.0.0.1).

    .venv/bin/python bench/exam_spike.py [--learners 2000] [--window 600] [--quick]
        [--concurrency 32] [--workers 4] [--think 2] [--fresh] [--json out.json]

It creates (or reuses) a PostgreSQL database, migrates it, builds a bench city with a
course whose lesson holds a quiz of 20 fixed questions (the demo bank: every question
type), N learners and one logged-in session each (written straight into the session
table: 2,000 password hashes would take minutes and measure nothing), starts gunicorn
(lms.wsgi, production settings, sync workers, a free port on 127.0.0.1) and replays the
spike: learners arrive spread at random over the window; each one starts the quiz
(POST, as the Start button), opens the attempt page, saves 20 answers through the JSON
endpoint (a mix of right and wrong answers that depends on the learner's ability),
submits and opens the review. Between answers a learner thinks for a random time
(exponential, mean ``--think`` seconds). A bounded pool of client threads
(``--concurrency``, keep-alive http.client connections) carries out the steps as they
fall due, so a slow server makes learners wait instead of adding threads.

It prints one table (requests, errors, req/s, p50/p95/p99 in ms per request type: start,
page, answer, submit, review), gunicorn's peak memory, and a database check: every
learner has exactly one attempt from this run, submitted, with 20 answers stored. It also
times the trainer's statistics over the run's attempts. gunicorn is always stopped at the
end. Nothing here leaves 127.0.0.1; requests and time are bounded.
"""

import argparse
import heapq
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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

CSRF_SECRET = "c" * 32
QUESTIONS = 20
STEPS = ("start", "page", "answer", "submit", "review")

SETUP_SNIPPET = """
import datetime, json
from decimal import Decimal
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from courses import grading, services as cs
from courses.demo_quizzes import QUESTIONS, question_create
from courses.models import CoursePage, LessonPage
from courses.quiz_models import QuestionCategory, Quiz, QuizSlot
from lms.people import services as ps
from lms.people.models import City, LearnerProfile, User
from lms.people.nip import make_nip

LEARNERS = {learners}
COUNT = {questions}
index = cs.curriculum_index_install(title="Kurikulum ASN Digital")
city = City.objects.filter(slug="bench-ujian").first() or ps.city_create(
    name="Kota Ujian", slug="bench-ujian", bkpsdm_name="BKPSDM Kota Ujian")
curriculum = getattr(city, "curriculum_page", None) or cs.city_curriculum_create(
    index=index, city=city, title="Kurikulum Kota Ujian")
course = CoursePage.objects.child_of(curriculum).filter(slug="ujian-keamanan").first()
if course is None:
    course = cs.course_create(parent=curriculum, title="Ujian Keamanan Digital",
        slug="ujian-keamanan", summary="Kursus untuk benchmark ujian.", jp_value=2,
        competency_area="digital_literacy", estimated_duration=3600)
quiz = Quiz.objects.filter(course=course, title="Ujian Serentak").first()
if quiz is None:
    category, _ = QuestionCategory.objects.get_or_create(course=course, name="Ujian")
    quiz = Quiz.objects.create(course=course, title="Ujian Serentak", pass_mark_percent=70,
        shuffle_questions=False, shuffle_answers=True, attempts_allowed=0)
    for n in range(COUNT):
        item = QUESTIONS[n % len(QUESTIONS)]
        question = question_create(category, item, name=f"{{n + 1:02d}} {{item.name}}")
        QuizSlot.objects.create(quiz=quiz, question=question, sort_order=n)
lesson = LessonPage.objects.child_of(course).filter(slug="ujian").first()
if lesson is None:
    lesson = cs.lesson_create(course=course, title="Ujian", slug="ujian",
        body=[{{"type": "quiz", "value": {{"key": str(quiz.key), "title": quiz.title}}}}],
        completion_rule="quiz_passed")


def wrong(spec, right):
    kind = spec["kind"]
    ids = [a["id"] for a in spec["answers"]]
    if kind == "single":
        return {{"choice": next(a["id"] for a in spec["answers"]
                if Decimal(a["fraction"]) < 100)}}
    if kind == "multiple":
        return {{"choices": [a["id"] for a in spec["answers"] if Decimal(a["fraction"]) <= 0]}}
    if kind == "truefalse":
        return {{"value": not right["value"]}}
    if kind == "short":
        return {{"text": "tidak tahu"}}
    if kind == "numeric":
        return {{"value": "999"}}
    if kind == "matching":
        prompts = list(right["pairs"])
        values = [right["pairs"][p] for p in prompts]
        return {{"pairs": dict(zip(prompts, values[1:] + values[:1]))}}
    return {{"order": list(reversed(right["order"]))}}


answers = []
for slot in quiz.slots.select_related("question").prefetch_related("question__answers"):
    spec = slot.question.spec()
    right = grading.correct_response(spec)
    bad = wrong(spec, right)
    assert grading.grade(spec, right).fraction == 1, spec["name"]
    assert grading.grade(spec, bad).fraction < 1, spec["name"]
    answers.append({{"right": right, "wrong": bad}})

existing = list(LearnerProfile.objects.filter(city=city).select_related("user").order_by("pk"))
for n in range(len(existing), LEARNERS):
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=n % 9000)
    existing.append(ps.learner_create(city=city,
        nip=make_nip(birth, birth.year + 25, n % 12 + 1, "1" if n % 2 else "2", n // 9000 + 1),
        full_name=f"Peserta Ujian {{n + 1}}", email=f"ujian{{n + 1}}@example.go.id"))
expire = timezone.now() + datetime.timedelta(hours=6)
sessions, rows = [], []
for profile in existing[:LEARNERS]:
    store = SessionStore()
    key = store._get_new_session_key()
    rows.append(Session(session_key=key, expire_date=expire, session_data=store.encode({{
        SESSION_KEY: str(profile.user.pk),
        BACKEND_SESSION_KEY: "lms.people.backends.NipOrEmailBackend",
        HASH_SESSION_KEY: profile.user.get_session_auth_hash(),
    }})))
    sessions.append(key)
Session.objects.bulk_create(rows, batch_size=1000)
admin = User.objects.filter(username="bench-admin").first() or User.objects.create(
    username="bench-admin", is_superuser=True, is_staff=True)
print("SETUP=" + json.dumps({{"quiz": str(quiz.key), "quiz_pk": quiz.pk,
    "lesson": str(lesson.translation_key), "sessions": sessions, "answers": answers,
    "started": timezone.now().isoformat()}}))
"""

CHECK_SNIPPET = """
import datetime, json, time
from django.db.models import Count
from courses.quiz_models import Quiz
from lms.people.models import User
from lms.records.models import AttemptQuestion, QuizAttempt
from lms.reports import quiz_selectors

quiz = Quiz.objects.get(pk={quiz_pk})
since = datetime.datetime.fromisoformat({since!r})
run = QuizAttempt.objects.filter(quiz_key=quiz.key, started_at__gte=since)
per_learner = run.values("learner_id").annotate(n=Count("id"))
admin = User.objects.get(username="bench-admin")
started = time.perf_counter()
stats = quiz_selectors.question_stats(viewer=admin, quiz=quiz)
summary = quiz_selectors.summary(viewer=admin, quiz=quiz)
took = (time.perf_counter() - started) * 1000
print("CHECK=" + json.dumps({{
    "attempts": run.count(),
    "submitted": run.filter(state="submitted").count(),
    "learners_in_run": per_learner.count(),
    "learners_with_more_than_one": per_learner.filter(n__gt=1).count(),
    "answers_stored": AttemptQuestion.objects.filter(attempt__in=run,
        response__isnull=False).count(),
    "question_rows": AttemptQuestion.objects.filter(attempt__in=run).count(),
    "passed": run.filter(passed=True).count(),
    "stats_ms": round(took, 1),
    "all_attempts": summary.attempts,
    "mean_percent": round(summary.mean_percent or 0, 1),
    "questions": len(stats),
}}))
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Learner:
    n: int
    session: str
    ability: float  # probability of answering a question right
    attempt_path: str = ""
    next_position: int = 1
    done: bool = False
    failed: bool = False


class Spike:
    """The learners' steps as a time-ordered queue, worked off by a bounded thread pool."""

    def __init__(self, args, port: int, setup: dict):
        self.args = args
        self.port = port
        self.setup = setup
        self.results = {step: Result(step) for step in STEPS}
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.queue: list[tuple[float, int, int]] = []
        rng = random.Random(args.seed)
        self.rng = rng
        self.learners = [
            Learner(n, session, ability=rng.uniform(0.35, 0.95))
            for n, session in enumerate(setup["sessions"][: args.learners])
        ]
        self.pending = len(self.learners)
        self.start_path = f"/kuis/{setup['quiz']}/pelajaran/{setup['lesson']}/"

    def schedule(self, at: float, learner: Learner) -> None:
        heapq.heappush(self.queue, (at, learner.n, 0))
        self.ready.notify()

    def run(self) -> float:
        t0 = time.monotonic()
        self.t0 = t0
        self.deadline = t0 + self.args.window + self.args.time_limit
        with self.lock:
            for learner in self.learners:
                self.schedule(t0 + self.rng.uniform(0, self.args.window), learner)
        threads = [
            threading.Thread(target=self.worker, daemon=True) for _ in range(self.args.concurrency)
        ]
        for thread in threads:
            thread.start()
        last_report = t0
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=1)
            now = time.monotonic()
            if now - last_report >= 15:
                last_report = now
                with self.lock:
                    finished = len(self.learners) - self.pending
                log(f"{now - t0:5.0f} s: {finished}/{len(self.learners)} learners done")
        return time.monotonic() - t0

    def worker(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        while True:
            with self.lock:
                while True:
                    if self.pending == 0 or time.monotonic() >= self.deadline:
                        conn.close()
                        self.ready.notify_all()
                        return
                    if self.queue and self.queue[0][0] <= time.monotonic():
                        _at, n, _ = heapq.heappop(self.queue)
                        break
                    wait = self.queue[0][0] - time.monotonic() if self.queue else 1.0
                    self.ready.wait(timeout=max(0.001, min(wait, 1.0)))
            learner = self.learners[n]
            conn = self.step(conn, learner)
            with self.lock:
                if learner.done or learner.failed:
                    self.pending -= 1
                    self.ready.notify_all()
                else:
                    think = 0.0
                    if learner.next_position > 1 and self.args.think > 0:
                        think = self.rng.expovariate(1 / self.args.think)
                    self.schedule(time.monotonic() + think, learner)

    def request(self, conn, step: str, learner: Learner, method: str, path: str, body=None):
        headers = {"Cookie": f"sessionid={learner.session}; csrftoken={CSRF_SECRET}"}
        if method == "POST":
            headers["X-CSRFToken"] = CSRF_SECRET
            headers["Content-Type"] = (
                "application/json" if step == "answer" else "application/x-www-form-urlencoded"
            )
        result = self.results[step]
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status, location = response.status, response.getheader("Location") or ""
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            status, location, data = 0, "", type(exc).__name__.encode()
        took_ms = (time.perf_counter() - started) * 1000
        expected = 302 if step in ("start", "submit") else 200
        ok = status == expected
        with self.lock:
            if ok:
                result.latencies_ms.append(took_ms)
            else:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"HTTP {status} {data[:100]!r}")
        return conn, ok, location

    def step(self, conn, learner: Learner):
        if not learner.attempt_path:
            conn, ok, location = self.request(conn, "start", learner, "POST", self.start_path, b"")
            if not ok or "/kuis/percobaan/" not in location:
                learner.failed = True
                return conn
            learner.attempt_path = location[location.index("/kuis/percobaan/") :]
            conn, ok, _ = self.request(conn, "page", learner, "GET", learner.attempt_path)
            learner.failed = not ok
            return conn
        if learner.next_position <= QUESTIONS:
            position = learner.next_position
            choice = self.setup["answers"][position - 1]
            right = random.random() < learner.ability
            body = json.dumps(
                {"position": position, "response": choice["right" if right else "wrong"]}
            )
            conn, ok, _ = self.request(
                conn, "answer", learner, "POST", learner.attempt_path + "jawaban/", body
            )
            learner.next_position += 1
            learner.failed = not ok
            return conn
        conn, ok, location = self.request(
            conn, "submit", learner, "POST", learner.attempt_path + "kirim/", b""
        )
        if ok:
            review = location[location.index("/kuis/") :] if "/kuis/" in location else ""
            conn, ok, _ = self.request(conn, "review", learner, "GET", review)
        learner.done = ok
        learner.failed = not ok
        return conn


def print_table(spike: Spike, elapsed: float, meta: dict) -> None:
    header = (
        f"{'request':<28} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    print()
    print(
        "exam spike | {learners} learners x {questions} questions over {window:.0f} s | "
        "gunicorn {workers} sync workers + PostgreSQL on 127.0.0.1 | {concurrency} client "
        "threads | think {think} s | {cpus} CPUs | Django {django}, Python {python}".format(**meta)
    )
    print(header)
    print("-" * len(header))
    labels = {
        "start": "POST start (Mulai)",
        "page": "GET attempt page",
        "answer": "POST answer (JSON)",
        "submit": "POST submit (Kirim)",
        "review": "GET review",
    }
    total = Result("all")
    for step in STEPS:
        r = spike.results[step]
        total.latencies_ms.extend(r.latencies_ms)
        total.errors += r.errors
        print(
            f"{labels[step]:<28} {r.requests:>8} {r.errors:>6} {r.requests / elapsed:>8.1f} "
            f"{r.percentile(50):>8.1f} {r.percentile(95):>8.1f} {r.percentile(99):>8.1f}"
        )
        if r.error_samples:
            print(f"{'':<28} errors, e.g.: {'; '.join(r.error_samples)}")
    print("-" * len(header))
    print(
        f"{'all':<28} {total.requests:>8} {total.errors:>6} {total.requests / elapsed:>8.1f} "
        f"{total.percentile(50):>8.1f} {total.percentile(95):>8.1f} {total.percentile(99):>8.1f}"
    )
    done = sum(learner.done for learner in spike.learners)
    print(f"learners finished: {done}/{len(spike.learners)} in {elapsed:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=2000, help="max 5000")
    parser.add_argument("--window", type=float, default=600.0, help="arrival window, s (max 1800)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 200 learners over 60 s, think 1 s"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="client threads (max 64)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean seconds between answers (max 60)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        help="seconds allowed after the window for the last learners (max 900)",
    )
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--database", default="asn_bench_exam")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (127.0.0.1 only)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.learners, args.window, args.think = 200, 60.0, 1.0
    # Bounded by design: a benchmark must never turn into an open-ended load test.
    args.learners = max(1, min(args.learners, 5000))
    args.window = max(1.0, min(args.window, 1800.0))
    args.concurrency = max(1, min(args.concurrency, 64))
    args.think = max(0.0, min(args.think, 60.0))
    args.time_limit = max(10.0, min(args.time_limit, 900.0))

    ensure_database(args.postgres, args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-exam-"))
    env = production_env(
        database_url=f"{args.postgres}/{args.database}",
        workdir=workdir,
        WAGTAILADMIN_BASE_URL=f"http://{HOST}",
    )
    log("migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log(f"setting up the quiz and {args.learners} learners with sessions")
    snippet = SETUP_SNIPPET.format(learners=args.learners, questions=QUESTIONS)
    output = manage(env, "shell", "-c", snippet, capture=True)
    line = next(line for line in output.splitlines() if line.startswith("SETUP="))
    setup = json.loads(line[len("SETUP=") :])

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
        log(
            f"spike: {args.learners} learners over {args.window:.0f} s, "
            f"{args.concurrency} client threads"
        )
        spike = Spike(args, port, setup)
        elapsed = spike.run()
        memory.stop()
        memory_line = memory_summary(memory, gunicorn.pid)
    finally:
        if memory is not None:
            memory.halt()
        stop_gunicorn(gunicorn)
        signal.signal(signal.SIGTERM, previous_handler)
    import django

    meta = {
        "learners": args.learners,
        "questions": QUESTIONS,
        "window": args.window,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "think": args.think,
        "cpus": os.cpu_count(),
        "django": django.get_version(),
        "python": sys.version.split()[0],
    }
    print_table(spike, elapsed, meta)
    print(memory_line)
    output = manage(
        env,
        "shell",
        "-c",
        CHECK_SNIPPET.format(quiz_pk=setup["quiz_pk"], since=setup["started"]),
        capture=True,
    )
    line = next(line for line in output.splitlines() if line.startswith("CHECK="))
    check = json.loads(line[len("CHECK=") :])
    expected_answers = args.learners * QUESTIONS
    good = (
        check["submitted"] == args.learners
        and check["attempts"] == args.learners
        and check["learners_with_more_than_one"] == 0
        and check["answers_stored"] == expected_answers
    )
    print(
        "database check: {submitted}/{learners} attempts submitted (of {attempts} started), "
        "{answers_stored}/{expected} answers stored, {dup} learners with a second attempt, "
        "{passed} passed -> {verdict}".format(
            learners=args.learners,
            expected=expected_answers,
            dup=check["learners_with_more_than_one"],
            verdict="OK" if good else "MISMATCH",
            **check,
        )
    )
    print(
        "trainer's statistics (question_stats + summary) over {all_attempts} attempts: "
        "{stats_ms} ms, mean score {mean_percent} %".format(**check)
    )
    if log_path.exists():
        server_errors = [line for line in log_path.read_text().splitlines() if "Error" in line][:5]
        if server_errors:
            print("gunicorn log, first errors:", *server_errors, sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "meta": meta,
                    "requests": [
                        {
                            "request": step,
                            "requests": r.requests,
                            "errors": r.errors,
                            "req_per_s": r.requests / elapsed,
                            "p50_ms": r.percentile(50),
                            "p95_ms": r.percentile(95),
                            "p99_ms": r.percentile(99),
                        }
                        for step, r in spike.results.items()
                    ],
                    "check": check,
                    "peak_rss_total_kib": memory.peak_total_kib if memory else None,
                },
                indent=2,
            )
        )
    errors = sum(r.errors for r in spike.results.values())
    return 0 if good and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
