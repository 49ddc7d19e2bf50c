"""Tells the user when background work a request queued could not reach the broker."""

from django.contrib import messages

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
