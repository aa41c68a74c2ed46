"""20 clients post overlapping batches that share verbs and activities at once
(PostgreSQL): no deadlock, no error, every statement stored exactly once."""

import random
import threading

import pytest
from django.db import connection, connections

from lms.lrs.models import StatementRelation
from lms.records.models import Statement
from tests.factories import CityFactory
from tests.lms.lrs.conftest import Lrs, agent, make_client, statement

THREADS = 20
BATCH = 25


# serialized_rollback like every other transactional test: a flush without it re-creates
# the content types, which the next serialized test's set-up then inserts again.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_overlapping_batches_store_each_statement_once():
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrency needs PostgreSQL: run with DATABASE_URL=postgres://...")
    city = CityFactory(slug="paralel")
    credentials = make_client(city=city)
    pool = [
        statement(
            actor=agent(n % 7),
            activity=f"https://tool.example/shared{n % 3}",
            context={"contextActivities": {"parent": [{"id": "https://tool.example/course"}]}},
        )
        for n in range(120)
    ]
    statuses, problems = [], []
    barrier = threading.Barrier(THREADS)

    def worker(n):
        try:
            lrs = Lrs(credentials)
            rng = random.Random(n)
            batch = rng.sample(pool, BATCH)
            barrier.wait(timeout=30)
            for _ in range(2):
                response = lrs.post(batch)
                statuses.append(response.status_code)
                batch = rng.sample(pool, BATCH)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            problems.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert problems == []
    assert statuses == [200] * (THREADS * 2)
    sent = {s["id"] for s in pool}
    stored = set(Statement.objects.values_list("pk", flat=True))
    assert {str(pk) for pk in stored} <= sent
    assert Statement.objects.count() == len(stored)
    # One relation row per stored statement (its parent activity), never two.
    assert StatementRelation.objects.count() == len(stored)
