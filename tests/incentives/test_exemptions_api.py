"""``exemptions/`` of the API: the decisions in the caller's subtree (filters, a fixed number of
queries), a head's POST deciding a matter (201; staff 403; a matter outside 404; decided twice
409 ``already_decided``; bad input 400 with fields) and PATCH revising it."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from supervision.models import Exemption, MatterType, Sanction
from tests.factories import make_exemption
from tests.recall.flag_facts import case, talk

URL = "/api/v1/exemptions/"
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def head(users):
    return users[Role.HEAD]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def body(matter_type, matter, **changes) -> dict:
    return {
        "matter_type": matter_type,
        "matter_id": matter.pk,
        "intent": "过失",
        "motive": "因公",
        "nature": "探索试错",
        "verdict": "可容",
        "basis": "属探索性失误，未谋取私利。",
        "decided_on": "2026-04-01",
        **changes,
    }


def test_the_list_is_scoped_and_names_the_matters(users, head, cadre_a, cadre_b):
    mine = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    make_exemption(head, MatterType.INTERVIEW, talk(cadre_b, "yuetan", "2026-03-10"))
    rows = api(users[Role.API_READER]).get(URL).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    (row,) = rows
    assert row["matter_type"] == "谈话（约谈、诫勉等）" and row["matter_type_code"] == "interview"
    assert row["matter_label"] == "约谈（2026-03-10）：张三"
    assert (row["cadre_name"], row["verdict"], row["verdict_code"]) == ("张三", "可容", "tolerable")
    assert row["decided_by"] == str(head)


def test_the_list_filters(head, cadre_a, tree):
    yuetan = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    sanction = Sanction.objects.create(
        cadre=cadre_a, kind="warning", decided_on=datetime.date(2025, 5, 1), reason="x", created_by=head
    )
    refused = make_exemption(head, MatterType.SANCTION, sanction, verdict="intolerable")
    client = api(head)

    def ids(**params):
        return [r["id"] for r in client.get(URL, params).json()["results"]]

    assert ids(matter_type="处分") == [refused.pk]
    assert ids(verdict="tolerable") == [yuetan.pk]
    assert ids(year=2025) == [refused.pk]
    assert ids(cadre=cadre_a.pk) == [yuetan.pk, refused.pk]
    assert ids(unit=tree["county_b"].pk) == []  # outside: nothing, as for a unit with none
    assert error(client.get(URL, {"verdict": "maybe"}), 400)["fields"]["verdict"]
    assert error(client.get(URL, {"year": "x"}), 400)["fields"]["year"] == [
        "年度应为 1900 至 2100 之间的整数。"
    ]


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30(head, cadre_a, count, django_assert_num_queries):
    for n in range(count):
        matter = talk(cadre_a, "talk", "2026-03-01") if n % 2 else case(cadre_a)
        make_exemption(head, MatterType.INTERVIEW if n % 2 else MatterType.RECALL_CASE, matter, on=TODAY)
    client = api(head)
    # count, the page's decisions (cadre, unit, who decided), the talks and the recall cases on it
    with django_assert_num_queries(4):
        rows = client.get(URL).json()["results"]
    assert len(rows) == count


def test_a_head_decides_a_matter(head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    response = api(head).post(URL, body("interview", yuetan), format="json")
    assert response.status_code == 201, response.content.decode()
    decision = Exemption.objects.get()
    assert response.json()["id"] == decision.pk
    assert (decision.intent, decision.motive, decision.nature, decision.verdict) == (
        "negligent",
        "public",
        "trial",
        "tolerable",
    )


def test_staff_may_not_decide(users, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    assert error(api(users[Role.STAFF]).post(URL, body("interview", yuetan), format="json"), 403)
    assert not Exemption.objects.exists()


def test_a_matter_outside_or_missing_is_not_found(head, cadre_b):
    outside = talk(cadre_b, "yuetan", "2026-03-10")
    client = api(head)
    assert error(client.post(URL, body("interview", outside), format="json"), 404)["code"] == "not_found"
    missing = body("interview", outside) | {"matter_id": outside.pk + 100}
    assert error(client.post(URL, missing, format="json"), 404)
    assert not Exemption.objects.exists()


def test_a_matter_decided_twice_is_a_conflict(head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    first = make_exemption(head, MatterType.INTERVIEW, yuetan)
    refused = error(api(head).post(URL, body("interview", yuetan), format="json"), 409)
    assert refused["code"] == "already_decided"
    assert refused["message"] == f"该事项已有容错纠错认定（认定编号 {first.pk}），请修改原认定。"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"verdict": "也许"}, "verdict"),
        ({"basis": ""}, "basis"),
        ({"decided_on": "2026-03-09"}, "decided_on"),
        ({"decided_on": "2026-06-16"}, "decided_on"),
        ({"matter_type": "cadre"}, "matter_type"),
        ({"matter_id": 0}, "matter_id"),
    ],
)
def test_bad_input_is_a_400_with_the_field(head, cadre_a, changes, field):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    refused = error(api(head).post(URL, body("interview", yuetan) | changes, format="json"), 400)
    assert field in refused["fields"]
    assert not Exemption.objects.exists()


def test_a_head_revises_a_decision(users, head, cadre_a, cadre_b):
    decision = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    url = f"{URL}{decision.pk}/"
    assert error(api(users[Role.STAFF]).patch(url, {"verdict": "不容"}, format="json"), 403)
    assert error(api(head).patch(url, {}, format="json"), 400)
    response = api(head).patch(url, {"verdict": "不容", "reason": "复核"}, format="json")
    assert response.status_code == 200 and response.json()["verdict"] == "不容"
    outside = make_exemption(head, MatterType.INTERVIEW, talk(cadre_b, "yuetan", "2026-03-10"))
    assert error(api(head).patch(f"{URL}{outside.pk}/", {"verdict": "不容"}, format="json"), 404)
    assert error(api(head).get(f"{URL}{outside.pk}/"), 404)
