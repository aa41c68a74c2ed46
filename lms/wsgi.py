"""WSGI entry point (gunicorn lms.wsgi).

A configuration mistake stops the server at boot with one readable line instead of a
traceback per request. The exit status is gunicorn's APP_LOAD_ERROR (4): for any other
status gunicorn's arbiter would respawn the worker forever instead of halting.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")

CONFIG_ERROR_EXIT_STATUS = 4


def _fail(message: str) -> None:
    sys.stderr.write(f"Configuration error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(CONFIG_ERROR_EXIT_STATUS)


def _check_database() -> None:
    """Connect once at boot, so a wrong DATABASE_URL is reported now, not on the first request."""
    from django.db import connection
    from django.db.utils import OperationalError

    from lms.config import database_error_message, is_connection_error

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        if not is_connection_error(exc):
            raise
        _fail(database_error_message(exc))
    finally:
        # Workers must not share a socket opened before a fork (gunicorn --preload).
        connection.close()


try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    _fail(str(exc))
_check_database()
