"""The API keeps its error shape under any input: NUL bytes, unknown paths, malformed ids,
non-integer page numbers, a session POST without its CSRF token."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from core.errors import CSRF_MESSAGE, NUL_MESSAGE


@pytest.fixture
def api(users):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    return client


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields"}
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cadres/?name=%00",
        "/api/v1/units/?code=%00",
        "/api/v1/cadres/?id_number=%00",
        "/api/v1/grade-reports/?period=1%00",
        "/api/v1/interviews/?x%00=1",
    ],
)
def test_a_nul_byte_in_a_parameter_is_a_400_in_the_error_shape(api, url):
    body = _error(api.get(url), 400)
    assert body["message"] == NUL_MESSAGE


def test_a_nul_byte_on_a_page_is_a_chinese_400_page(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get("/cadres/?name=%00")
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_parameter_without_nul_passes_through(api):
    assert api.get("/api/v1/cadres/?name=%E5%BC%A0").status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/nope/", "/api/v1/jobs/xyz/", "/api/v1/cadres/abc/", "/api/v2/cadres/"]
)
def test_unknown_api_paths_and_malformed_ids_answer_the_json_404(api, url):
    body = _error(api.get(url), 404)
    assert body["code"] == "not_found" and not body["message"].isascii()


def test_an_unknown_page_still_gets_the_chinese_404_page(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


@pytest.mark.parametrize(
    "param", ["page=abc", "page=0", "page=-1", "page_size=abc", "page_size=0", "page=１"]
)
def test_a_page_number_that_is_not_a_positive_integer_is_a_400(api, param):
    body = _error(api.get(f"/api/v1/cadres/?{param}"), 400)
    assert param.split("=")[0] in body["fields"]


@pytest.mark.parametrize("param", ["page=1", "page_size=1", "page=last", "page_size=500"])
def test_valid_page_parameters_are_accepted(api, param, cadre_a):
    assert api.get(f"/api/v1/cadres/?{param}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cadres/?unit=abc",
        "/api/v1/cadres/?unit=1.5",
        "/api/v1/units/?parent=x",
        "/api/v1/grade-reports/?period=abc",
        "/api/v1/assessments/?period=abc",
        "/api/v1/interviews/?cadre=abc",
    ],
)
def test_non_integer_id_filters_are_a_400(api, url):
    _error(api.get(url), 400)


def test_a_session_post_without_a_csrf_token_says_the_csrf_check_failed(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.STAFF])
    body = _error(client.post("/api/v1/units/", {"name": "x"}), 403)
    assert body["code"] == "csrf_failed" and body["message"] == CSRF_MESSAGE


def test_a_page_form_without_a_csrf_token_says_the_csrf_check_failed(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.STAFF])
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert "CSRF 校验失败" in response.content.decode()
