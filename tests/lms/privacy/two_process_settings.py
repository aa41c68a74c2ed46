"""Settings of the app processes the two-process test starts: the test settings, but the
media folder from DJANGO_MEDIA_ROOT (test.py makes a fresh one per process) and the
sessions in the shared database, as in production."""

import os
from pathlib import Path

from lms.settings.test import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["DJANGO_MEDIA_ROOT"])
SESSION_ENGINE = "django.contrib.sessions.backends.db"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
