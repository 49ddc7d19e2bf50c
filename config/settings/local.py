"""Developer / embedded default: SQLite and in-process tasks unless the environment says otherwise."""

import base64
import hashlib

from .base import *  # noqa: F403
from .base import env


def _fixed_key(purpose: str) -> str:
    """A key for local use only, the same on every machine (a Fernet key is 32 bytes, URL-safe
    Base64), so a database made here stays readable; production has no default."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"cadre-local-{purpose}".encode()).digest()).decode()


FIELD_ENCRYPTION_KEYS = env.list("DJANGO_FIELD_ENCRYPTION_KEYS", default=[_fixed_key("field-encryption")])
ID_HASH_KEY = env.str("DJANGO_ID_HASH_KEY", default=_fixed_key("id-hash"))

# Debug pages off unless asked for (DJANGO_DEBUG=true): a newcomer running ./dev start sees the
# app's own Chinese 404/403/500 pages, never Django's debug page listing every URL.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="local-development-only-key-not-for-production-use-0123456789"
)
# Plain storage so a missing manifest never breaks local pages.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# With DEBUG off runserver serves no static files (./dev start runs it with --nostatic either
# way): WhiteNoise (in base MIDDLEWARE) serves them straight from the finders, so no collectstatic
# is needed, and re-reads them as they change.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
