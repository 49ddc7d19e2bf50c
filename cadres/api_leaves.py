"""REST API (issue 17): filled in by the leave/investigation work. register(router) adds
viewsets; urlpatterns holds plain API views (mounted under /api/v1/ before the router's)."""

urlpatterns: list = []


def register(router) -> None:
    return None
