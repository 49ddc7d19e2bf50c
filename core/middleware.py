"""Tells the user when background work a request queued could not reach the broker."""

from django.contrib import messages
from django.utils.cache import patch_cache_control

from .jobs import DELAYED_MESSAGE, delivery_delayed

DELAYED_HEADER = "X-Background-Work"


class JobDeliveryMiddleware:
    """A write whose job the broker refused still succeeds (core.jobs.jobs_dispatch); this
    says so: a warning on the next page for the browser, a header for API clients (whose
    job bodies also carry ``delayed``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        delivery_delayed(reset=True)
        response = self.get_response(request)
        if delivery_delayed(reset=True):
            response[DELAYED_HEADER] = "delayed"
            if not request.path.startswith("/api/") and hasattr(request, "_messages"):
                messages.warning(request, DELAYED_MESSAGE)
        return response


class NoStoreMiddleware:
    """Every page a signed-in user sees and every API answer may carry personal data (names,
    ID numbers, grades): ``Cache-Control: no-store`` keeps them out of the browser's cache and
    any proxy's, so they are not shown again from disk after logout or on a shared computer.
    Static files (whitenoise) and /healthz answer before this runs and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True)
        return response
