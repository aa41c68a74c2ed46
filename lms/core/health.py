"""Checks behind /healthz: each answers quickly and never raises."""

import logging

from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not healthy", never a 500
        logger.warning("healthz: database check failed: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_storage() -> dict:
    backend = default_storage.__class__.__name__
    try:
        # exists() makes a real round trip (HEAD on S3, stat on the filesystem).
        default_storage.exists("healthz-probe")
    except Exception as exc:  # unreachable endpoint, bad credentials, missing bucket...
        logger.warning("healthz: storage check failed: %s", exc)
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}
    return {"ok": True, "backend": backend}
