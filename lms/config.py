"""Reading configuration from the environment, and failing fast with a clear message.

Settings modules call the ``env_*`` helpers; ``manage.py`` and ``wsgi.py`` wrap start-up
so that a configuration mistake (no secret key, a malformed or unreachable
``DATABASE_URL``) prints one readable sentence instead of a traceback.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A configuration value is missing or wrong; the message says which and how to fix it."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    value = env_str(name, default) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    import dj_database_url

    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"DATABASE_URL is not a valid database URL ({exc}). Examples: "
            "sqlite:////path/to/db.sqlite3 or postgres://user@127.0.0.1:5432/asn_lms"
        ) from exc
    if not config.get("ENGINE"):
        raise ConfigError("DATABASE_URL names no database engine; use sqlite:// or postgres://.")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # libpq waits for the OS TCP timeout (minutes) on a silent host; a wrong or
        # firewalled DATABASE_URL must fail within seconds. A URL's ?connect_timeout= wins.
        config.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
        )
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            # Only the few hot queries of lms.core.sql use server-side binding, so only
            # they are prepared (after psycopg's default 5 runs on a connection); the ORM's
            # client-side binding never prepares. PgBouncer before 1.21, or without
            # max_prepared_statements, needs DATABASE_PREPARED_STATEMENTS=0.
            config["OPTIONS"].setdefault("prepare_threshold", 5)
    return config


def database_error_message(exc: Exception) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db.get("HOST"):
        # Never the password: this line ends up in logs.
        where = f"{db['HOST']}:{db.get('PORT') or 'default port'}, database {db.get('NAME')}"
    else:
        where = str(db.get("NAME"))
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"Cannot connect to the database ({db.get('ENGINE', '?').rsplit('.', 1)[-1]} at {where}): "
        f"{first_line}\n"
        "Check DATABASE_URL and that the database server is running "
        "(unset DATABASE_URL to use the embedded SQLite file)."
    )


def run_reporting_config_errors(argv: list[str]) -> None:
    """Run a management command; report configuration errors in one message, exit status 2."""
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)
    except OperationalError as exc:
        # Only connection failures are configuration errors; anything else is a real bug
        # and keeps its traceback.
        if not is_connection_error(exc):
            raise
        sys.stderr.write(f"Configuration error: {database_error_message(exc)}\n")
        sys.exit(2)


def is_connection_error(exc: Exception) -> bool:
    text = str(exc).lower()
    markers = (
        "connection refused",
        "could not connect",
        "connection failed",
        "unable to open database file",
        "could not translate host name",
        "no such host",
        "timeout expired",
        "password authentication failed",
    )
    missing_database = text.startswith("connection to server") or (
        "database" in text and "does not exist" in text
    )
    return missing_database or any(marker in text for marker in markers)
