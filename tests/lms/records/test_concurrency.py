"""50 threads post overlapping batches of the same statements at once (PostgreSQL):
no duplicates, no lost events, no deadlocks, the same final state as a serial run."""

import random
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client

from lms.records import services
from lms.records.models import (
    ActivityProgress,
    CourseCompletion,
    JpCredit,
    Rollup,
    Statement,
)

from .conftest import h5p, post, quiz_passed, statement, submitted_attempt, view

THREADS = 50
BATCH = 10


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Row locks and real concurrency need PostgreSQL; SQLite runs one writer at a "
            "time. Run with DATABASE_URL=postgres://... to include this test."
        )


def statements_for(setup, seed: int) -> list[dict]:
    """A learner's whole session, scores going up and down, that completes the course.
    Ids derive from the seed, so each learner has their own."""
    rng = random.Random(seed)
    items = [view(setup.viewed, progress=p) for p in (10, 50, 100)]
    items += [view(setup.h5p_lesson), view(setup.quiz_lesson)]
    items += [h5p(setup, s, verb="answered", duration="PT10S") for s in (0.2, 0.9, 0.5, 0.85, 0.1)]
    items += [
        statement(
            "h5p",
            setup.h5p_key,
            verb="answered",
            lesson=setup.h5p_lesson,
            score={"scaled": 1.0},
            sub_content=f"part-{n}",
        )
        for n in range(5)
    ]
    # Quiz results are no browser statements any more: see pass_quiz.
    items += [view(setup.viewed, duration="PT5S") for _ in range(10)]
    for item in items:
        item["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return items


def pass_quiz(attempt) -> None:
    """The server's report of a passed attempt (as attempt_submit makes it)."""
    services.quiz_result_record(attempt=attempt, quiz_grade_percent=100.0, passed=True)


def summary(learner, setup):
    rows = {
        row.activity_key: (
            row.kind,
            row.progress,
            row.best_score,
            row.time_spent_seconds,
            row.statement_count,
            row.viewed_at is not None,
            row.passed_at is not None,
            row.completed_at is not None,
        )
        # last_score is left out on purpose: "last" depends on arrival order.
        for row in ActivityProgress.objects.filter(learner=learner)
    }
    return {
        "rows": rows,
        "statements": Statement.objects.filter(learner=learner).count(),
        "completions": CourseCompletion.objects.filter(learner=learner).count(),
        "jp": sum(JpCredit.objects.filter(learner=learner).values_list("jp", flat=True)),
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class ConcurrencyTests:
    def test_overlapping_batches_from_50_threads(self, postgresql_only, world):
        setup = world.course
        concurrent_learners = [world.learner, world.new_learner()]
        serial_learner = world.new_learner()
        sessions = {
            learner.pk: statements_for(setup, seed=learner.pk) for learner in concurrent_learners
        }

        # Every thread also retries the server's report of the learner's (one) passed
        # attempt: stored once, whatever the interleaving.
        attempts = {
            learner.pk: submitted_attempt(learner, quiz_passed(setup))
            for learner in [*concurrent_learners, serial_learner]
        }
        errors: list[str] = []
        barrier = threading.Barrier(THREADS)

        def worker(n: int):
            try:
                learner = concurrent_learners[n % len(concurrent_learners)]
                client = Client()
                client.force_login(learner.user)
                items = list(sessions[learner.pk])
                random.Random(n).shuffle(items)
                barrier.wait(timeout=60)
                for start in range(0, len(items), BATCH):
                    response = post(client, items[start : start + BATCH])
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.content[:200]!r}")
                pass_quiz(attempts[learner.pk])
            except Exception as exc:  # noqa: BLE001 - reported below, with the thread
                errors.append(f"thread {n}: {type(exc).__name__}: {exc}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []

        serial = Client()
        serial.force_login(serial_learner.user)
        serial_items = statements_for(setup, seed=serial_learner.pk)
        for start in range(0, len(serial_items), BATCH):
            assert post(serial, serial_items[start : start + BATCH]).status_code == 200
        pass_quiz(attempts[serial_learner.pk])
        expected = summary(serial_learner, setup)

        assert expected["statements"] == len(serial_items) + 1
        assert expected["completions"] == 1
        assert expected["jp"] == setup.course.jp_value
        for learner in concurrent_learners:
            assert summary(learner, setup) == expected
        # Rollups counted each learner once.
        rollups = Rollup.objects.filter(course_key=setup.course.translation_key)
        assert sum(r.started for r in rollups) == 3
        assert sum(r.completed for r in rollups) == 3
        assert sum(r.jp for r in rollups) == 3 * setup.course.jp_value
