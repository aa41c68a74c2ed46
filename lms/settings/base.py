"""Settings shared by every environment. Everything that differs between machines comes
from environment variables (see README): nothing here assumes the embedded defaults."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from lms.config import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_DIR = BASE_DIR / "lms"

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "lms.core",
    "lms.people",
    "lms.security",  # lockout, rate limits, two-factor, CSP, masked logs
    "lms.records",
    "lms.reports",
    "lms.notifications",  # in-app notifications and their emails
    "lms.feedback",  # supervisor feedback threads
    "lms.learning",  # learner home (Beranda) and supervisors' team pages (Tim Saya)
    "lms.api",  # REST API (django-ninja) under /api/v1/ and its tokens
    "lms.innovation",  # innovation competitions, their judging, leaderboard and library
    "lms.privacy",  # UU PDP: access log, data download, deletion requests, anonymisation
    "lms.lrs",  # xAPI 1.0.3 learning record store at /xapi/ and its client credentials
    "lms.lrs.documents",  # xAPI State/Activity/Agent Profile documents, /xapi/about, cmi5 launch
    "lms.events",  # workshops, seminars, magang with partners; registration, attendance
    "courses",
    "content",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "storages",
    "axes",  # locks an account after repeated wrong passwords
    "django_otp",  # optional TOTP two-factor login for staff
    "django_otp.plugins.otp_totp",
    "csp",  # Content-Security-Policy header (lms.security.csp)
    "ninja",  # serves the API docs page's Swagger UI from its own static files (no CDN)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lms.security.csp.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lms.core.middleware.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.core.middleware.IndonesianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lms.security.otp.OTPRequiredMiddleware",
    "lms.security.ratelimit.RateLimitMiddleware",
    # cmi5 auth tokens on /xapi/: the launch's learner is the user of that request
    "lms.lrs.documents.middleware.Cmi5TokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # the bell's unread count (lazy: counted only when shown)
                "lms.notifications.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL (PostgreSQL in production); the embedded default is a SQLite file.
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a request writes; the timeout waits out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # IMMEDIATE takes the write lock when a transaction starts, so two writers wait
        # for each other instead of failing with "database is locked" on lock upgrade.
        {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "lms.security.backends.LockoutBackend",  # first: refuses locked accounts
    "lms.people.backends.NipOrEmailBackend",
]
LOGIN_URL = "login"
# Learners land on their home page (Beranda); staff without a profile get a pointer
# to the admin there.
LOGIN_REDIRECT_URL = "learning:home"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Bahasa Indonesia first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [
    ("id", "Bahasa Indonesia"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# Static files: the project's own plus front-end packages installed by `npm ci`.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
NODE_MODULES_DIR = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    PROJECT_DIR / "static",
    ("vendor/h5p-standalone", NODE_MODULES_DIR / "h5p-standalone" / "dist"),
]
STATIC_ROOT = BASE_DIR / "static_collected"
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# Files go through STORAGES: S3 (or an S3-compatible server) when a bucket is configured,
# otherwise the local filesystem.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Cache and sessions: local memory and the database on one machine, Redis at scale.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: django-tasks, run inline by default; the database backend at scale.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}
# The database backend (TASKS_BACKEND=django_tasks_db.DatabaseBackend, run by `manage.py
# db_worker`, see docs/deploy.md) keeps its queue in tables of its own app.
if TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
    INSTALLED_APPS.append("django_tasks_db")

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "noreply@asn-lms.local")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")

# Django limits forms to 1000 fields; long Wagtail page forms can exceed that.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = _("ASN Digital")
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "mp4",
    "odt",
    "ogv",
    "pdf",
    "pptx",
    "txt",
    "webm",
    "xlsx",
    "zip",
]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Quizzes: an answer arriving this many seconds after an attempt's deadline is still
# taken (network latency of a weak connection); later ones are refused.
QUIZ_DEADLINE_GRACE_SECONDS = env_int("QUIZ_DEADLINE_GRACE_SECONDS", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Libraries speak only of problems; our own apps also report what they did.
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        name: {"level": env_str("DJANGO_LOG_LEVEL", "INFO")}
        for name in ("lms", "courses", "content", "django.request")
    },
}

# xAPI learning record store (lms/lrs): browser origins allowed to call /xapi/ from other
# sites (CORS), comma-separated; "*" allows any origin.
XAPI_CORS_ORIGINS = env_list("XAPI_CORS_ORIGINS", "")
# Largest State / Profile document the LRS keeps (lms/lrs/documents; 413 above); must stay
# below DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), since the body is read into memory.
LRS_DOCUMENT_MAX_BYTES = env_int("LRS_DOCUMENT_MAX_BYTES", 2 * 1024 * 1024)

# Privacy (UU PDP 27/2022): raw xAPI statements older than this many days lose their
# personal parts ("strip") or are deleted ("delete") by `manage.py statements_retention`
# (run daily); 0 keeps them for ever.
STATEMENT_RETENTION_DAYS = env_int("STATEMENT_RETENTION_DAYS", 0)
STATEMENT_RETENTION_MODE = env_str("STATEMENT_RETENTION_MODE", "strip")
# Deployment (docs/deploy.md): how long /healthz waits for the database and the storage.
HEALTHZ_TIMEOUT_SECONDS = env_int("HEALTHZ_TIMEOUT_SECONDS", 3)

# --- Security (lms/security): login protection, rate limits, headers, outages ---------------
# Account lockout (django-axes): the AXES_FAILURE_LIMIT-th wrong password in a row locks
# the account for AXES_COOLOFF_MINUTES; every alias of one account (NIP, email, username)
# counts together. Addresses are counted separately by SECURITY_LOGIN_FAILURES_PER_IP.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 6)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "lms.security.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "lms.security.clientip.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "lms.security.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "username"]
# How many reverse proxies (each appending to X-Forwarded-For) stand in front of the app.
SECURITY_TRUSTED_PROXY_COUNT = env_int("SECURITY_TRUSTED_PROXY_COUNT", 0)
# Rate limits "count/seconds", per address or per logged-in user; over it: 429 + Retry-After.
SECURITY_RATE_LIMITS_ENABLED = env_bool("SECURITY_RATE_LIMITS_ENABLED", True)
SECURITY_RATE_LIMITS = {
    "login": {
        "urls": ["login", "wagtailadmin_login", "admin:login", "security:otp-verify"],
        "methods": ["POST"],
        "rate": env_str("RATE_LIMIT_LOGIN", "20/300"),
        "key": "ip",
    },
    "password_reset": {
        "urls": ["password_reset", "wagtailadmin_password_reset"],
        "methods": ["POST"],
        "rate": env_str("RATE_LIMIT_PASSWORD_RESET", "5/900"),
        "key": "ip",
    },
    "statements": {
        "urls": ["records:statements", "lrs:statements"],
        "methods": ["POST", "PUT"],
        "rate": env_str("RATE_LIMIT_STATEMENTS", "120/60"),
        "key": "user",
        "sessions_only": True,
    },
}
SECURITY_LOGIN_FAILURES_PER_IP = env_str("RATE_LIMIT_LOGIN_FAILURES_PER_IP", "50/900")
AUTH_PASSWORD_VALIDATORS[1] = {
    "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
    "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
}
# Sessions: not readable by scripts, not sent on cross-site posts, 8 hours (a working day).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE_SECONDS", 8 * 60 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The H5P player and Wagtail's preview are framed by our own pages.
X_FRAME_OPTIONS = "SAMEORIGIN"
# CSP: see lms/security/csp.py for why each source is there.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

from lms.security.csp import inline_script_hashes, project_template_dirs  # noqa: E402

_storage_origins = []
if AWS_STORAGE_BUCKET_NAME:
    for _url in (env_str("AWS_S3_ENDPOINT_URL"), env_str("AWS_S3_CUSTOM_DOMAIN")):
        if _url:
            _url = _url if "://" in _url else f"https://{_url}"
            _storage_origins.append("/".join(_url.split("/")[:3]))
    _storage_origins.append("https://*.amazonaws.com")
_embed_origins = [
    "https://www.youtube.com",
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
]
_content_origins = [o for o in [env_str("H5P_CONTENT_ORIGIN")] if o]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *inline_script_hashes(project_template_dirs(BASE_DIR))],
        "style-src": [SELF, "'unsafe-inline'"],  # style="" attributes in content and templates
        "img-src": [SELF, "data:", "blob:", *_storage_origins, "https://i.ytimg.com"],
        "media-src": [SELF, "blob:", *_storage_origins],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF, *_content_origins, *_embed_origins],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
SECURITY_CSP_ADMIN_PREFIXES = ["/admin/", "/django-admin/"]
SECURITY_CSP_ADMIN_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": [SELF, "'unsafe-inline'"],
    "img-src": [
        SELF,
        "data:",
        "blob:",
        *_storage_origins,
        "https://i.ytimg.com",
        "https://www.gravatar.com",
    ],
}
# Outages: the 503 page and JSON error ask clients to come back after this many seconds.
SERVICE_UNAVAILABLE_RETRY_AFTER = env_int("SERVICE_UNAVAILABLE_RETRY_AFTER", 30)
# Request logs never carry passwords, tokens or NIPs.
LOGGING.setdefault("filters", {})["mask_sensitive"] = {
    "()": "lms.security.logfilter.SensitiveDataFilter"
}
LOGGING["handlers"]["console"].setdefault("filters", []).append("mask_sensitive")
# axes.W006 asks for per-address lockout in axes itself; addresses are limited by
# SECURITY_LOGIN_FAILURES_PER_IP instead, with a larger allowance (offices share NAT).
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W006"]
