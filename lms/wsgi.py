"""WSGI entry point (gunicorn lms.wsgi)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # One readable line in the server log instead of a traceback, then refuse to boot.
    sys.stderr.write(f"Configuration error: {exc}\n")
    raise SystemExit(2) from None
