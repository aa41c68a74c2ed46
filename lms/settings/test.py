"""Tests: fast hashing, in-memory cache and email, files in a temporary folder."""

import tempfile

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="asn-lms-test-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Serve static files from the finders, as in development: tests (and the browser tests'
# live server) need no collectstatic, and WhiteNoise does not warn about a missing STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Rate-limit counters live in the cache, which outlives a test: left on, one test's logins
# would count against the next. tests/lms/security turns them on where they are tested.
SECURITY_RATE_LIMITS_ENABLED = False
