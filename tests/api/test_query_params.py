"""Query parameters that name an id, a year or a choice: one parser each (core.api), so every
endpoint answers a value out of range with the error shape's 400, never a 500 from the
database or from making a date, and names the choices by code and label."""

import pytest
from rest_framework.exceptions import ValidationError

from accounts.roles import Role
from cadres.models import CadreKind
from core.api import choice_message, choice_param, int_param, year_param

from .test_error_contract import _error

BIG = str(2**63)  # one above the largest key


@pytest.fixture
def api(users):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    return client


def test_int_param_takes_the_first_and_last_key_and_refuses_one_beyond():
    assert int_param(str(2**63 - 1), "x") == 2**63 - 1
    assert int_param(str(-(2**63)), "x") == -(2**63)
    for value in (BIG, str(-(2**63) - 1), "1.0", "abc", "", True):
        with pytest.raises(ValidationError) as exc:
            int_param(value, "cadre")
        assert exc.value.detail == {"cadre": "应为整数 id。"}


def test_year_param_takes_1900_and_2100_and_refuses_the_years_beside():
    assert year_param("1900") == 1900 and year_param(" 2100 ") == 2100
    for value in ("1899", "2101", "-1", "99999", "abc", BIG):
        with pytest.raises(ValidationError) as exc:
            year_param(value)
        assert exc.value.detail == {"year": "年度应为 1900 至 2100 之间的整数。"}


def test_choice_param_takes_a_code_or_a_label_and_names_both_when_refused():
    assert choice_param(CadreKind, "village", "kind") == "village"
    assert choice_param(CadreKind, " 村（社区）干部 ", "kind") == "village"
    with pytest.raises(ValidationError) as exc:
        choice_param(CadreKind, "VILLAGE", "kind")
    message = str(exc.value.detail["kind"])
    assert message == choice_message(CadreKind, "VILLAGE")
    assert message.startswith("无效的取值“VILLAGE”。可选值（代码或名称）：leader_chu（领导干部（处级））、")
    assert message.endswith("、village（村（社区）干部）")


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/assessments/?period={BIG}",
        f"/api/v1/assessments/?cadre={BIG}",
        f"/api/v1/imports/?period={BIG}",
        f"/api/v1/interviews/?cadre={BIG}",
        f"/api/v1/interviews/?unit={BIG}",
        f"/api/v1/recall-cases/?cadre={BIG}",
        f"/api/v1/recall-points/?cadre={BIG}",
        f"/api/v1/track-rankings/?unit={BIG}",
    ],
)
def test_an_id_beyond_any_key_is_a_400(api, url):
    body = _error(api.get(url), 400)
    assert body["fields"] and "应为整数 id。" in str(body["fields"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/care-records/?year=99999",
        "/api/v1/care-records/?year=-1",
        "/api/v1/exemptions/?year=99999",
        f"/api/v1/periods/?year={BIG}",
    ],
)
def test_a_year_no_date_can_have_is_a_400(api, url):
    body = _error(api.get(url), 400)
    assert body["fields"] == {"year": ["年度应为 1900 至 2100 之间的整数。"]}


@pytest.mark.parametrize("url", ["/api/v1/care-records/?year=2100", "/api/v1/periods/?year=1900"])
def test_the_last_and_first_year_are_answered(api, url):
    assert api.get(url).status_code == 200


def test_a_choice_is_refused_with_codes_and_labels(api):
    body = _error(api.get("/api/v1/cadres/?kind=zzz"), 400)
    assert "village（村（社区）干部）" in body["fields"]["kind"][0]


def test_the_care_reminders_open_in_the_browsable_api(client, users):
    # the browsable page asks the view for its rows a second time (its filter form)
    client.force_login(users[Role.STAFF])
    response = client.get("/api/v1/care-due/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "&quot;count&quot;" in response.content.decode()


def test_the_import_history_page_ignores_a_period_no_key_can_hold(client, users):
    client.force_login(users[Role.STAFF])
    assert client.get(f"/assessment/imports/?period={BIG}").status_code == 200
    assert client.get(f"/assessment/imports/?period={2**63 - 1}").status_code == 200
