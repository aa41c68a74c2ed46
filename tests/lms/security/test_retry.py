"""Background work retries transient failures with exponential backoff."""

import pytest
from botocore.exceptions import EndpointConnectionError
from django.db import OperationalError

from lms.security.retry import backoff_delays, retry_transient


class BackoffTests:
    def test_delays_double_up_to_the_cap(self):
        delays = list(backoff_delays(6, base=1, cap=5, jitter=0))
        assert delays == [1, 2, 4, 5, 5]

    def test_jitter_stays_within_bounds(self):
        for delay in backoff_delays(20, base=1, cap=8, jitter=0.1):
            assert 0.9 <= delay <= 8.8


@pytest.mark.django_db
class RetryTests:
    def test_a_transient_database_error_is_retried_until_it_works(self):
        slept, calls = [], []

        @retry_transient(attempts=4, base=1, sleep=slept.append)
        def work():
            calls.append(1)
            if len(calls) < 3:
                raise OperationalError("connection refused")
            return "done"

        assert work() == "done"
        assert len(calls) == 3
        assert len(slept) == 2
        assert slept[1] > slept[0]

    def test_storage_errors_are_transient_too(self):
        slept = []
        calls = []

        @retry_transient(attempts=2, base=1, sleep=slept.append)
        def upload():
            calls.append(1)
            if len(calls) == 1:
                raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
            return True

        assert upload() is True
        assert len(slept) == 1

    def test_it_gives_up_after_the_last_attempt(self):
        slept = []

        @retry_transient(attempts=3, base=1, sleep=slept.append)
        def work():
            raise OperationalError("still down")

        with pytest.raises(OperationalError):
            work()
        assert len(slept) == 2

    def test_other_errors_fail_at_once(self):
        slept = []

        @retry_transient(attempts=5, sleep=slept.append)
        def work():
            raise ValueError("a bug")

        with pytest.raises(ValueError):
            work()
        assert slept == []


@pytest.mark.django_db
class TaskRetryTests:
    def test_the_overdue_quiz_task_rides_out_a_database_restart(self, monkeypatch):
        from lms.records import quiz_services, tasks
        from lms.security import retry

        calls = []

        def close_overdue():
            calls.append(1)
            if len(calls) == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return 2

        monkeypatch.setattr(quiz_services, "attempts_close_overdue", close_overdue)
        monkeypatch.setattr(retry, "backoff_delays", lambda attempts, **kw: iter([0] * attempts))
        assert tasks.quiz_attempts_close_overdue.call() == 2
        assert len(calls) == 2
