"""Every API list URL, asked with query strings a hostile or careless client sends: ids no key
can hold, years no date can have, choices and dates that are not, a page beyond the last.
None may answer 500 (each endpoint used to parse its own parameters; six of those copies let
an id beyond bigint reach the database); a 400 has the error shape."""

import re

import pytest
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


def _list_routes() -> list[str]:
    routes = []
    for _, route in url_patterns():
        if not route.startswith("api/v1/") or "(?P<format>" in route or "<drf_format_suffix" in route:
            continue
        path = route.replace("^", "").replace("$", "")
        if "<" in path or "(" in path or path.startswith("api/v1/auth/"):
            continue  # a URL with an argument, or the token endpoint (POST only)
        routes.append("/" + path)
    return sorted(set(routes))


ROUTES = _list_routes()


def test_the_walk_finds_the_list_endpoints():
    assert len(ROUTES) > 30
    for route in ("/api/v1/assessments/", "/api/v1/grade-reports/", "/api/v1/care-due/"):
        assert route in ROUTES


@pytest.mark.parametrize("route", ROUTES)
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
