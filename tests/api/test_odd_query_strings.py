"""API list URLs and pages, asked with query strings a hostile or careless client sends: ids no
key can hold, years no date can have, choices and dates that are not, a page beyond the last.
None may answer 500 (each endpoint used to parse its own parameters; six of those copies let
an id beyond bigint reach the database, and the import history page did too); an API 400 has
the error shape."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.permissions.test_permission_matrix import url_patterns

BIG = str(2**63)
ODD = [
    *(f"{name}={BIG}" for name in ("period", "unit", "cadre", "assessment", "case", "flag")),
    "period=-1&unit=-1&cadre=0",
    "year=99999",
    "year=-1&quarter=9",
    f"year={BIG}",
    "kind=zzz&status=zzz&grade=zzz&grade_code=zzz&channel=zzz",
    "updated_since=2026-02-30&since=abc&date=2026-13-01",
    "page=99999&page_size=0",
    "ordering=-zzz",
]
# a page's fewer: pages run slower than the API
ODD_ON_PAGES = [
    f"period={BIG}&unit={BIG}",
    f"cadre={BIG}&case={BIG}",
    "year=99999&quarter=9&month=13",
    "kind=zzz&status=zzz&grade=zzz&tab=zzz&sort=-zzz",
    "date=2026-02-30&from=abc&to=2026-13-01&updated_since=abc&page=abc",
]
# pages that answer with a file (or a redirect to one): their bytes are not a page's
FILE_WORDS = ("export", "xlsx", "pdf", "print", "download", "template", "logout", "healthz")


def _routes(api: bool) -> list[str]:
    """The URLs without a path argument: the API's (not the token endpoint, POST only) or the
    pages (not the admin site, static files and file downloads)."""
    routes = []
    for _, route in url_patterns():
        if "(?P<format>" in route or "<drf_format_suffix" in route:
            continue
        path = route.replace("^", "").replace("$", "").replace("\\Z", "")
        if "<" in path or "(" in path:
            continue
        if api and path.startswith("api/v1/") and not path.startswith("api/v1/auth/"):
            routes.append("/" + path)
        elif not api and not path.startswith(("api/", "admin/", "static/")):
            if not any(word in path for word in FILE_WORDS):
                routes.append("/" + path)
    return sorted(set(routes))


API_ROUTES = _routes(api=True)
PAGE_ROUTES = _routes(api=False)


def test_the_walk_finds_the_list_endpoints_and_pages():
    assert len(API_ROUTES) > 30 and len(PAGE_ROUTES) > 20
    for route in ("/api/v1/assessments/", "/api/v1/grade-reports/", "/api/v1/care-due/"):
        assert route in API_ROUTES
    for route in ("/assessment/imports/", "/cadres/", "/"):
        assert route in PAGE_ROUTES


@pytest.mark.parametrize("route", API_ROUTES)
def test_no_odd_query_string_is_a_500(route, users):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    for query in ODD:
        response = client.get(f"{route}?{query}")
        assert response.status_code < 500, (route, query, response.content[:300])
        if response.status_code == 400 and response["Content-Type"].startswith("application/json"):
            body = response.json()["error"]
            assert set(body) == {"code", "message", "fields"}
            assert re.search(r"[\u4e00-\u9fff]", body["message"]), (route, query, body)


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_no_odd_query_string_on_a_page_is_a_500(route, users):
    client = Client()
    client.force_login(users[Role.STAFF])
    for query in ODD_ON_PAGES:
        response = client.get(f"{route}?{query}")
        assert response.status_code < 500, (route, query)
