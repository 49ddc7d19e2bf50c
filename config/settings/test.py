"""Test settings: the same code as production, faster hashing, no manifest needed."""

import base64
import hashlib

from .base import *  # noqa: F403
from .base import env


def _fixed_key(purpose: str) -> str:
    """A key for test use only, the same on every machine (a Fernet key is 32 bytes, URL-safe
    Base64), so a database made here stays readable; production has no default."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"cadre-test-{purpose}".encode()).digest()).decode()


FIELD_ENCRYPTION_KEYS = env.list("DJANGO_FIELD_ENCRYPTION_KEYS", default=[_fixed_key("field-encryption")])
ID_HASH_KEY = env.str("DJANGO_ID_HASH_KEY", default=_fixed_key("id-hash"))

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tasks run in-process in tests, even where CELERY_BROKER_URL is set for the worker test;
# tests/core/test_celery_worker.py switches to the real broker explicitly.
CELERY_TASK_ALWAYS_EAGER = True
# Every page counts its dashboard afresh (tests/core/test_figures.py turns keeping on).
DASHBOARD_FIGURES_SECONDS = 0
# grade-reports/ counts every page afresh (tests/assessment/test_report_counts.py turns reuse on).
GRADE_REPORT_COUNT_SECONDS = 0
