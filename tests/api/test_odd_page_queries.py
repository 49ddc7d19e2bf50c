"""Every page without a path argument, asked with query strings no form would send: ids no key
can hold, years no date can have, unknown choices, dates that do not exist, a page number that
is not one. A page may ignore them or say what is wrong; none may answer 500 (the import
history page once passed an id beyond bigint to the database)."""

import pytest
from django.test import Client

from accounts.roles import Role
from tests.permissions.test_permission_matrix import url_patterns

BIG = str(2**63)
ODD = [
    f"period={BIG}&unit={BIG}",
    f"cadre={BIG}&case={BIG}",
    "year=99999&quarter=9&month=13",
    "kind=zzz&status=zzz&grade=zzz&tab=zzz&sort=-zzz",
    "date=2026-02-30&from=abc&to=2026-13-01&updated_since=abc&page=abc",
]
# pages that answer with a file or a redirect to one: their bytes are not a page's
SKIP_WORDS = ("export", "xlsx", "pdf", "print", "download", "template", "logout", "healthz")


def _page_routes() -> list[str]:
    routes = []
    for _, route in url_patterns():
        if route.startswith(("api/", "admin/", "static/")) or "(?P<format>" in route:
            continue
        path = route.replace("^", "").replace("$", "").replace("\\Z", "")
        if "<" in path or "(" in path or any(word in path for word in SKIP_WORDS):
            continue
        routes.append("/" + path)
    return sorted(set(routes))


ROUTES = _page_routes()


def test_the_walk_finds_the_list_pages():
    assert len(ROUTES) > 20
    for route in ("/assessment/imports/", "/cadres/", "/"):
        assert route in ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_no_odd_query_string_on_a_page_is_a_500(route, users):
    client = Client()
    client.force_login(users[Role.STAFF])
    for query in ODD:
        response = client.get(f"{route}?{query}")
        assert response.status_code < 500, (route, query)
