from django.db import connection
from django.http import HttpResponse


class HealthCheckMiddleware:
    """Answers ``/healthz`` before host validation and the HTTPS redirect, so a container
    healthcheck on 127.0.0.1 works behind a TLS-terminating proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except Exception:
                return HttpResponse("database unavailable", status=503, content_type="text/plain")
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
