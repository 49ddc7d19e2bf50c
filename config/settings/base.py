"""Settings shared by every environment.

Environment variables are read through django-environ. Django's own knobs carry a ``DJANGO_``
prefix; ``DATABASE_URL`` and ``CELERY_BROKER_URL`` keep their conventional names. With neither
set, the app runs on an embedded SQLite file with Celery tasks executed in-process.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "axes",
    "accounts",
    "audit",
    "core",
    "cadres",
    "supervision",
    "assessment",
    "recall",
    "incentives",
    "workorders",
    "interop",
]

MIDDLEWARE = [
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.errors.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # after authentication: it decides by who is asking
    "core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.JobDeliveryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes asks: turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A failed CSRF check says so (in Chinese, JSON under /api/), not "permission denied".
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a background write is running.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes: lock an account after repeated failed logins (from one address)
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("DJANGO_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end assets come from npm (package.json) and are served from this machine: departments
# often run on intranets without internet, so nothing is ever loaded from a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp; Django 5.2 has none of its own): only this site's own
# files run or style the page, so injected markup cannot execute. Templates therefore carry no
# inline <script>, on*= handler, <style> or style="" (tests/core/test_security_headers.py);
# data for scripts goes in data-* attributes or json_script, which is not executed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",  # DRF's, the unit read with the user
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "干部考核管理系统 API",
    "DESCRIPTION": "Public REST contract v1. All paths are under /api/v1/ and scoped to the caller's org subtree.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # choice sets whose field names (status_code) recur with other choices elsewhere
    "ENUM_NAME_OVERRIDES": {
        "FlagStatusEnum": "recall.models.FlagStatus",
        "DecisionStatusEnum": "recall.models.DecisionStatus",
    },
    # every operation documents its error answers (core/schema.py)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
}

# Celery: with no broker configured, tasks run in-process (embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A killed pool process puts its message back (acks_late + reject_on_worker_lost); the job's
# lease (core/jobs.py) decides whether it may be claimed again.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With the broker away, a request that queues work should not hang on it: fail fast, and let
# core.sweep_jobs deliver the job later.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
# Background jobs (core/jobs.py): lease renewed every JOB_HEARTBEAT_SECONDS; a running job
# whose lease is older than JOB_LEASE_SECONDS lost its worker and is queued again, at most
# JOB_MAX_ATTEMPTS times; a pending job not started JOB_REDISPATCH_SECONDS after it was sent
# is sent again and no longer reused as "already queued" after JOB_REUSE_SECONDS.
JOB_HEARTBEAT_SECONDS = env.float("DJANGO_JOB_HEARTBEAT_SECONDS", default=15)
JOB_LEASE_SECONDS = env.float("DJANGO_JOB_LEASE_SECONDS", default=120)
JOB_MAX_ATTEMPTS = env.int("DJANGO_JOB_MAX_ATTEMPTS", default=3)
# A recomputation over two or more counties with at least this many assessments runs as one
# Celery task per county and a last step (assessment/services/fanout.py).
RECOMPUTE_FANOUT_MIN_ROWS = env.int("DJANGO_RECOMPUTE_FANOUT_MIN_ROWS", default=200_000)
# grade-reports/: how long a process reuses a subtree's row counts per unit and each unit's ids in
# order (the page count, boundaries and order); the rows of a page are always read afresh.
# 0: counted and sorted on every page.
GRADE_REPORT_COUNT_SECONDS = env.float("DJANGO_GRADE_REPORT_COUNT_SECONDS", default=5)
# PostgreSQL: the hottest statements (API token check, grade-report pages) are prepared once per
# connection (core/prepared.py). Off behind a pooler in transaction mode, which does not keep them.
DB_PREPARED_STATEMENTS = env.bool("DJANGO_DB_PREPARED_STATEMENTS", default=True)
# The home page's dashboard figures are kept this many seconds per user (core/figures.py); an
# audited write in an app a figure depends on forgets it sooner. 0: every page counts afresh.
DASHBOARD_FIGURES_SECONDS = env.int("DJANGO_DASHBOARD_FIGURES_SECONDS", default=600)
JOB_REDISPATCH_SECONDS = env.float("DJANGO_JOB_REDISPATCH_SECONDS", default=300)
JOB_REUSE_SECONDS = env.float("DJANGO_JOB_REUSE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "core-sweep-jobs": {"task": "core.sweep_jobs", "schedule": 60.0},
    # every reminder scan the apps register (core.registry.reminder_scan): 约谈整改报告, 民情工单 ...
    "reminders-daily": {"task": "core.scan_reminders", "schedule": crontab(hour=7, minute=0)},
    "recall-flags-daily": {"task": "recall.evaluate_flags", "schedule": crontab(hour=6, minute=30)},
}

# Attachments of interviews: PDF or images only (checked from the content), size-limited.
SUPERVISION_ATTACHMENT_MAX_BYTES = env.int("DJANGO_ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
# Uploaded score sheets (assessment/sheets): larger files are refused before parsing.
IMPORT_MAX_BYTES = env.int("DJANGO_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
