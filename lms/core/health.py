"""Checks behind /healthz: each answers within a bounded time and never raises."""

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

logger = logging.getLogger(__name__)

PROBE_NAME = "healthz-probe"
DEFAULT_TIMEOUT_SECONDS = 3.0


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not healthy", never a 500
        logger.warning("healthz: database check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _probe(storage) -> None:
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        # HEAD on the bucket, not on a key: a missing bucket or wrong credentials answer a
        # key lookup with "not found", which exists() reports as a healthy False.
        storage.connection.meta.client.head_bucket(Bucket=bucket)
    else:
        # A stat on the filesystem; cheap, and fails when the volume is gone.
        storage.exists(PROBE_NAME)


# One long-lived probe thread: S3Storage keeps one boto3 client per thread, so a fresh thread
# per request would build a new client (slow, memory-hungry) on every health check. A probe
# stuck on a silent endpoint is shared by later checks instead of piling up threads.
_state_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_inflight: Future | None = None


def _submit(storage) -> Future:
    global _executor, _executor_pid, _inflight
    with _state_lock:
        if _executor is None or _executor_pid != os.getpid():
            # Threads do not survive a fork (gunicorn --preload): start one per process.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz-storage")
            _executor_pid = os.getpid()
            _inflight = None
        if _inflight is None or _inflight.done():
            _inflight = _executor.submit(_probe, storage)
        return _inflight


def check_storage() -> dict:
    timeout = float(getattr(settings, "HEALTHZ_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    try:
        storage = storages["default"]
    except Exception as exc:  # a misconfigured backend class or option
        logger.warning("healthz: storage backend cannot be built: %s", exc)
        return {"ok": False, "backend": "?", "error": type(exc).__name__}
    backend = type(storage).__name__
    try:
        _submit(storage).result(timeout=timeout)
    except FutureTimeoutError:
        logger.warning("healthz: storage check did not answer within %.1f s", timeout)
        return {"ok": False, "backend": backend, "error": "timeout"}
    except Exception as exc:  # unreachable endpoint, bad credentials, missing bucket...
        logger.warning("healthz: storage check failed: %s", exc)
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": True, "backend": backend}
