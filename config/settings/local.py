"""Developer / embedded default: SQLite and in-process tasks unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env

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
