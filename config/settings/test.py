"""Test settings: the same code as production, faster hashing, no manifest needed."""

from .base import *  # noqa: F403
from .base import env

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
