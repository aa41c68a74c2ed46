"""Concurrent registration on PostgreSQL: 20 learners register for 5 seats at the same
moment, some twice; then seated learners cancel at once. No overbooking, no duplicate
registrations, and the waitlist is promoted to exactly the capacity."""

import threading

import pytest
from django.db import connection, connections

from lms.events import services
from lms.events.models import Registration
from tests.factories import CityFactory, LearnerFactory

from .conftest import make_event

LEARNERS = 20
CAPACITY = 5


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Row locks and real concurrency need PostgreSQL; SQLite runs one writer at a "
            "time. Run with DATABASE_URL=postgres://... to include this test."
        )


def run_at_once(jobs) -> list[str]:
    errors: list[str] = []
    barrier = threading.Barrier(len(jobs))

    def worker(job):
        try:
            barrier.wait(timeout=60)
            job()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class ConcurrentRegistrationTests:
    def test_no_overbooking_and_promotion_fills_exactly_the_seats(self, postgresql_only):
        city = CityFactory()
        event = make_event(city, capacity=CAPACITY)
        learners = [LearnerFactory(city=city) for _ in range(LEARNERS)]
        # Every learner registers twice, at the same moment as everyone else.
        jobs = [
            (lambda learner=learner: services.registration_create(learner=learner, event=event))
            for learner in learners * 2
        ]
        assert run_at_once(jobs) == []
        rows = Registration.objects.filter(event=event)
        assert rows.count() == LEARNERS
        assert rows.filter(status=Registration.Status.CONFIRMED).count() == CAPACITY
        assert rows.filter(status=Registration.Status.WAITLISTED).count() == LEARNERS - CAPACITY

        seated = list(rows.filter(status=Registration.Status.CONFIRMED).select_related("learner"))
        cancels = [
            (lambda r=r: services.registration_cancel(user=r.learner.user, registration=r))
            for r in seated[:3]
        ]
        assert run_at_once(cancels) == []
        assert rows.filter(status=Registration.Status.CONFIRMED).count() == CAPACITY
        assert rows.filter(status=Registration.Status.CANCELLED).count() == 3
        assert rows.filter(status=Registration.Status.WAITLISTED).count() == LEARNERS - CAPACITY - 3
