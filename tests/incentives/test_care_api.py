"""``care-records/`` and ``care-due/`` of the API, and the township rule on ``cadres/`` PATCH:
scoped lists with filters and their query counts, POST and PATCH through the services (400 with
fields, 403 for roles, 404 outside the subtree), and the move refused with its message unless a
head passes ``approval_reason``."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditEntry
from cadres.models import Cadre
from incentives import services_care as services
from incentives.models import CareKind, CareRecord
from tests.factories import CadreFactory

RECORDS = "/api/v1/care-records/"
DUE = "/api/v1/care-due/"


@pytest.fixture
def day(clock):
    return clock.set("2026-06-15")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def talk(staff, cadre, day="2026-05-01", kind=CareKind.TALK, **extra):
    return services.care_record_create(actor=staff, cadre=cadre, kind=kind, date=day, content="谈心", **extra)


# --------------------------------------------------------------------------- care-records/


def test_staff_post_a_visit_by_label_or_code(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(
        RECORDS,
        {
            "cadre": cadre_a.pk,
            "kind": "走访慰问",
            "occasion": "春节",
            "date": "2026-01-25",
            "content": "慰问",
            "amount": "500",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["kind_code"], body["occasion"], body["amount"]) == (
        "走访慰问",
        "visit",
        "春节",
        "500.00",
    )
    assert (body["unit"], body["cadre_name"]) == (cadre_a.unit_id, "张三")


def test_a_visit_without_an_occasion_is_400_on_its_field(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(
        RECORDS,
        {"cadre": cadre_a.pk, "kind": "visit", "date": "2026-01-25", "content": "慰问"},
        format="json",
    )
    assert "occasion" in error(response, 400)["fields"]
    assert not CareRecord.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"kind": "leave"}, "days"),
        ({"date": "2026-06-16"}, "date"),
        ({"amount": "-1"}, "amount"),
        ({"content": ""}, "content"),
        ({"kind": "departed_subsidy"}, "kind"),
        ({"kind": "nonsense"}, "kind"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(day, users, cadre_a, extra, field):
    data = {"cadre": cadre_a.pk, "kind": "talk", "date": "2026-06-01", "content": "谈心", **extra}
    assert field in error(api(users[Role.STAFF]).post(RECORDS, data, format="json"), 400)["fields"]
    assert not CareRecord.objects.exists()


def test_a_cadre_outside_the_scope_is_400_and_readers_are_403(day, users, cadre_a, cadre_b):
    data = {"cadre": cadre_b.pk, "kind": "talk", "date": "2026-06-01", "content": "谈心"}
    assert "cadre" in error(api(users[Role.STAFF]).post(RECORDS, data, format="json"), 400)["fields"]
    data["cadre"] = cadre_a.pk
    error(api(users[Role.AUDITOR]).post(RECORDS, data, format="json"), 403)


def test_a_patch_changes_what_it_names(day, users, cadre_a):
    made = talk(users[Role.STAFF], cadre_a, kind=CareKind.LEAVE, days=3)
    response = api(users[Role.STAFF]).patch(f"{RECORDS}{made.pk}/", {"days": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["days"] == 5
    made.refresh_from_db()
    assert made.days == 5


def test_a_blank_occasion_is_no_occasion(day, users, cadre_a):
    data = {"cadre": cadre_a.pk, "kind": "talk", "occasion": "", "date": "2026-06-01", "content": "谈心"}
    response = api(users[Role.STAFF]).post(RECORDS, data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["occasion"] == ""


def test_a_record_outside_the_scope_is_404(day, users, cadre_b):
    made = talk(users["city_staff"], cadre_b)
    client = api(users[Role.STAFF])
    error(client.get(f"{RECORDS}{made.pk}/"), 404)
    error(client.patch(f"{RECORDS}{made.pk}/", {"content": "x"}, format="json"), 404)


def test_the_list_is_scoped_and_filtered(day, users, tree, cadre_a, cadre_b):
    staff = users[Role.STAFF]
    talk(staff, cadre_a)
    talk(staff, cadre_a, "2025-05-01", kind=CareKind.HEALTH_CHECK)
    talk(users["city_staff"], cadre_b)
    client = api(staff)

    def ids(**query):
        return [r["id"] for r in client.get(RECORDS, query).json()["results"]]

    assert len(ids()) == 2
    assert len(ids(kind="年度体检")) == 1
    assert len(ids(year=2026)) == 1
    assert len(ids(cadre=cadre_a.pk)) == 2
    assert ids(cadre=cadre_b.pk) == []
    assert ids(unit=tree["county_b"].pk) == []
    error(client.get(RECORDS, {"kind": "x"}), 400)


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30(day, users, tree, count, django_assert_num_queries):
    staff = users[Role.STAFF]
    for n in range(count):
        talk(staff, CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}"))
    client = api(staff)
    # COUNT for the paginator, the page (cadre, unit, creator); the user arrives with the unit of
    # their scope (force_authenticate)
    with django_assert_num_queries(2):
        response = client.get(RECORDS)
    assert response.json()["count"] == count


# --------------------------------------------------------------------------- care-due/


def test_care_due_lists_reasons_and_filters_by_kind(day, users, tree, cadre_a):
    client = api(users[Role.AUDITOR])
    body = client.get(DUE).json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["kind"] == "health_check")
    assert (row["cadre"], row["kind_label"], row["owed_months"]) == (cadre_a.pk, "本年度未体检", None)
    assert row["reasons"][0]["rule"].startswith("关爱标准：")
    assert client.get(DUE, {"kind": "带薪休假不足"}).json()["count"] == 1
    assert client.get(DUE, {"unit": tree["county_b"].pk}).json()["count"] == 0
    error(client.get(DUE, {"kind": "x"}), 400)


@pytest.mark.parametrize("count", [3, 30])
def test_care_due_costs_the_same_queries_for_3_or_30(day, users, tree, count, django_assert_num_queries):
    for n in range(count):
        CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}")
    client = api(users[Role.STAFF])
    # CARE rules, hardship posts, the cadres with this year's counts, the departures (the user
    # arrives with the unit of their scope)
    with django_assert_num_queries(4):
        response = client.get(DUE)
    assert response.json()["count"] == 2 * count


# --------------------------------------------------------------------------- cadres/ PATCH and the township rule


def test_a_patch_moving_a_recent_township_cadre_out_is_400_with_the_message(day, users, tree):
    cadre = CadreFactory(
        unit=tree["town_a"], name="新同志", township_service_start=datetime.date(2024, 6, 16)
    )
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/cadres/{cadre.pk}/", {"unit": tree["county_a"].pk}, format="json"
    )
    body = error(response, 400)
    assert "新同志到乡镇工作 1 年 11 个月，未满 2 年，不得调出或借调" in body["message"]
    assert "未满 2 年" in body["fields"]["unit"][0]
    assert Cadre.objects.get(pk=cadre.pk).unit_id == tree["town_a"].pk


def test_a_head_passes_an_approval_reason_and_it_is_audited(day, users, tree):
    cadre = CadreFactory(unit=tree["town_a"], township_service_start=datetime.date(2024, 6, 16))
    response = api(users[Role.HEAD]).patch(
        f"/api/v1/cadres/{cadre.pk}/",
        {"unit": tree["county_a"].pk, "approval_reason": "重点项目需要"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert "approval_reason" not in response.json()
    entry = AuditEntry.objects.filter(model="cadres.cadre", object_id=str(cadre.pk)).latest("id")
    assert "审批理由：重点项目需要" in entry.reason


def test_a_staff_approval_reason_is_403_with_the_reason(day, users, tree):
    cadre = CadreFactory(unit=tree["town_a"], township_service_start=datetime.date(2024, 6, 16))
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/cadres/{cadre.pk}/", {"unit": tree["county_a"].pk, "approval_reason": "同意"}, format="json"
    )
    assert "只有部长" in error(response, 403)["message"]
    assert Cadre.objects.get(pk=cadre.pk).unit_id == tree["town_a"].pk


def test_the_schema_documents_the_approval_reason(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    field = schema["components"]["schemas"]["PatchedCadreRequest"]["properties"]["approval_reason"]
    assert "审批理由" in field["description"] and field["writeOnly"] is True
    assert "/api/v1/care-records/" in schema["paths"] and "/api/v1/care-due/" in schema["paths"]
