"""Development: the demo served by `make demo`. Debug is on unless DJANGO_DEBUG says off."""

from .base import *

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed key is fine for a developer's machine; production refuses to start without one.
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
