"""Production: every secret from the environment, HTTPS-only cookies, hashed static files.

`manage.py check --deploy` is clean with these settings. The one documented exception is
security.W008, reported when DJANGO_SECURE_SSL_REDIRECT=0: do that only when TLS terminates
at a proxy that redirects HTTP itself (or, as in bench/, on 127.0.0.1 without TLS).
"""

from lms.config import ConfigError, env_int

from .base import *

DEBUG = env_bool("DJANGO_DEBUG", False)
if not SECRET_KEY:
    raise ConfigError(
        "DJANGO_SECRET_KEY is not set. Production needs a long random secret, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ConfigError("DJANGO_SECRET_KEY is too short: use at least 50 random characters.")
if not ALLOWED_HOSTS:
    raise ConfigError("DJANGO_ALLOWED_HOSTS is empty: list the host names the site answers to.")

STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# SAMEORIGIN, not DENY: the lesson page frames the H5P player, Wagtail frames its preview.
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the lesson and quiz scripts read the CSRF token from it
# Behind the reverse proxy (docs/deploy.md) the client address is in X-Forwarded-For.
SECURITY_TRUSTED_PROXY_COUNT = env_int("SECURITY_TRUSTED_PROXY_COUNT", 1)
# security.W019 asks for X_FRAME_OPTIONS = "DENY"; SAMEORIGIN is deliberate (the lesson
# page frames the H5P player, Wagtail frames its preview), and CSP frame-ancestors 'self'
# says the same. Silenced here so `check --deploy` stays clean (tests/lms/privacy).
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W019"]
