"""Retrying background work after transient failures, with exponential backoff.

A task that writes a rollup or an export may hit a database restart or an S3 hiccup;
retrying a few times with growing pauses rides such failures out, while a real bug
(any other exception) fails at once.
"""

import functools
import logging
import random
import time

from django.db import InterfaceError, OperationalError

from lms.core.middleware import is_service_outage

logger = logging.getLogger(__name__)


def backoff_delays(attempts: int, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.1):
    """The pause before each retry: base, 2*base, 4*base, ... at most cap, +-jitter."""
    for attempt in range(attempts - 1):
        delay = min(cap, base * (2**attempt))
        yield delay * (1 + random.uniform(-jitter, jitter))


def retry_transient(
    func=None,
    *,
    attempts: int = 4,
    base: float = 0.5,
    cap: float = 30.0,
    is_transient=is_service_outage,
    sleep=time.sleep,
):
    """Decorator: call again after a transient error (database or storage unreachable).

    The last error is raised if every attempt fails. Each attempt must be safe to repeat:
    wrap the work in a transaction (nothing half-written to redo) or make it idempotent.
    """

    def decorate(inner):
        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            delays = backoff_delays(attempts, base=base, cap=cap)
            while True:
                try:
                    return inner(*args, **kwargs)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    delay = next(delays, None)
                    if delay is None:
                        raise
                    logger.warning(
                        "%s failed (%s); retrying in %.1f s",
                        inner.__qualname__,
                        type(exc).__name__,
                        delay,
                    )
                    if isinstance(exc, (OperationalError, InterfaceError)):
                        _close_broken_connections()
                    sleep(delay)

        return wrapper

    return decorate(func) if func is not None else decorate


def _close_broken_connections() -> None:
    """A connection that failed is unusable; the next attempt should open a fresh one."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
