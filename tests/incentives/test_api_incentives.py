"""``incentives/``, ``bonus-bases/`` and ``team-pools/`` of the API: scoped to the caller's subtree
(one level above sees more, one level below less, a cadre, unit or pool outside is a 404), writes
refused to read-only roles (403), bad input a 400 with fields, the lists at a fixed query cost."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import TeamAssessment
from audit.models import AuditAction, AuditEntry
from incentives.models import BonusBase, Decision, PoolShare, TeamPool
from incentives.services_decisions import decision_record
from incentives.services_pools import bonus_base_set, pool_create, pool_shares_set
from tests.factories import CadreFactory, IncentiveEntryFactory, make_period, make_user

ENTRIES = "/api/v1/incentives/"
BASES = "/api/v1/bonus-bases/"
POOLS = "/api/v1/team-pools/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def names(response) -> set[str]:
    assert response.status_code == 200, response.content.decode()[:500]
    return {row["cadre_name"] for row in response.json()["results"]}


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


@pytest.fixture
def entries(period, tree):
    """甲县 (county level): 县干部; 甲镇 (below): 镇干部 eligible, 镇落选 left out; 乙镇: 外县人."""
    made = {
        "county": IncentiveEntryFactory(
            period=period, cadre=CadreFactory(unit=tree["county_a"], name="县干部")
        ),
        "town": IncentiveEntryFactory(period=period, cadre=CadreFactory(unit=tree["town_a"], name="镇干部")),
        "left": IncentiveEntryFactory(
            period=period, cadre=CadreFactory(unit=tree["town_a"], name="镇落选"), eligible=False
        ),
        "other": IncentiveEntryFactory(period=period, cadre=CadreFactory(unit=tree["town_b"], name="外县人")),
    }
    made["bonus"] = IncentiveEntryFactory(
        period=period, cadre=made["town"].cadre, kind="bonus", coefficient=Decimal("1.2"),
        base=Decimal("10000.00"), withheld=Decimal("0.00"), amount=Decimal("12000.00"),
    )  # fmt: skip
    return made


@pytest.fixture
def town_staff(tree):
    return make_user("town_staff", Role.STAFF, tree["town_a"])


# --------------------------------------------------------------------------- incentives/ GET


def test_the_list_is_scoped_one_level_above_and_below(entries, users, town_staff):
    assert names(api(users["city_staff"]).get(ENTRIES)) == {"县干部", "镇干部", "镇落选", "外县人"}
    assert names(api(users[Role.STAFF]).get(ENTRIES)) == {"县干部", "镇干部", "镇落选"}
    assert names(api(town_staff).get(ENTRIES)) == {"镇干部", "镇落选"}


def test_an_entry_carries_its_reasons_figures_and_decision(entries, users):
    decision_record(
        actor=users[Role.STAFF], period=entries["bonus"].period, cadre=entries["bonus"].cadre,
        kind="bonus", verdict="granted", reason="按系数发放",
    )  # fmt: skip
    rows = api(users[Role.AUDITOR]).get(ENTRIES, {"kind": "bonus"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["kind_code"], row["eligible"]) == ("绩效奖金", "bonus", True)
    assert (row["coefficient"], row["base"], row["amount"]) == ("1.20", "10000.00", "12000.00")
    assert row["reasons"][0]["effect"] == "符合：年度考核为优秀"
    decision = row["decision"]
    assert (decision["verdict"], decision["verdict_code"], decision["reason"]) == (
        "同意",
        "granted",
        "按系数发放",
    )
    assert decision["amount"] == "12000.00" and decision["eligible_when_decided"] is True
    assert "*" in row["cadre_id_number"]  # the auditor sees it masked


def test_staff_see_full_id_numbers_and_the_view_is_recorded(entries, users):
    row = api(users[Role.STAFF]).get(ENTRIES, {"cadre": entries["town"].cadre_id, "kind": "评先选优"}).json()
    assert row["results"][0]["cadre_id_number"] == entries["town"].cadre.id_number
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, cadre_id=entries["town"].cadre_id).exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"eligible": "false"}, {"镇落选"}),
        ({"eligible": "true", "kind": "commendation"}, {"县干部", "镇干部", "外县人"}),
        ({"decided": "true"}, {"县干部"}),
        ({"decided": "false", "kind": "commendation"}, {"镇干部", "镇落选", "外县人"}),
        ({"verdict": "不同意"}, {"县干部"}),
        ({"verdict": "granted"}, set()),
    ],
)
def test_the_filters(entries, users, params, expected):
    e = entries["county"]
    decision_record(
        actor=users["city_staff"], period=e.period, cadre=e.cadre, kind=e.kind, verdict="declined", reason="x"
    )
    assert names(api(users["city_staff"]).get(ENTRIES, params)) == expected


def test_the_unit_filter_covers_the_subtree_and_a_unit_outside_gives_nothing(entries, users, tree):
    client = api(users[Role.STAFF])
    assert names(client.get(ENTRIES, {"unit": tree["town_a"].pk})) == {"镇干部", "镇落选"}
    assert names(client.get(ENTRIES, {"unit": tree["town_b"].pk})) == set()


def test_the_period_filter(entries, users, tree):
    older = make_period(year=2024, status="archived")
    IncentiveEntryFactory(period=older, cadre=CadreFactory(unit=tree["town_a"], name="前年的"))
    assert names(api(users[Role.STAFF]).get(ENTRIES, {"period": older.pk})) == {"前年的"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "勋章"}, "kind"),
        ({"eligible": "maybe"}, "eligible"),
        ({"period": "x"}, "period"),
        ({"unit": "x"}, "unit"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(entries, users, params, field):
    assert field in error(api(users[Role.STAFF]).get(ENTRIES, params), 400)["fields"]


def test_the_list_costs_the_same_queries_for_any_number_of_rows(
    entries, users, tree, django_assert_num_queries
):
    client = api(users[Role.AUDITOR])
    # 1 count, 2 the page of entries (cadre, unit, period joined, unit label), 3 their decisions
    with django_assert_num_queries(3):
        assert client.get(ENTRIES).json()["count"] == 4
    for n in range(10):
        e = IncentiveEntryFactory(
            period=entries["town"].period, cadre=CadreFactory(unit=tree["town_a"], name=f"人{n}")
        )
        decision_record(
            actor=users[Role.STAFF],
            period=e.period,
            cadre=e.cadre,
            kind=e.kind,
            verdict="granted",
            reason="好",
        )
    with django_assert_num_queries(3):
        assert len(client.get(ENTRIES).json()["results"]) == 14


# --------------------------------------------------------------------------- incentives/ POST


def post(user, url, **body):
    return api(user).post(url, body, format="json")


def test_recording_a_decision_answers_201_and_changing_it_200(entries, users):
    e = entries["town"]
    body = {
        "period": e.period_id,
        "cadre": e.cadre_id,
        "kind": "评先选优",
        "verdict": "granted",
        "reason": "表现突出",
    }
    response = post(users[Role.STAFF], ENTRIES, **body)
    assert response.status_code == 201, response.content
    assert response.json()["decision"]["verdict_code"] == "granted"
    response = post(users[Role.HEAD], ENTRIES, **{**body, "verdict": "不同意", "reason": "复议"})
    assert response.status_code == 200 and response.json()["decision"]["reason"] == "复议"
    decision = Decision.objects.get()
    assert (decision.verdict, decision.decided_by) == ("declined", users[Role.HEAD])


def test_a_cadre_outside_the_subtree_is_a_404_like_a_missing_one(entries, users, town_staff):
    e = entries["county"]  # 甲县 is one level above 甲镇's user
    body = {
        "period": e.period_id,
        "cadre": e.cadre_id,
        "kind": "commendation",
        "verdict": "granted",
        "reason": "好",
    }
    outside = error(post(town_staff, ENTRIES, **body), 404)
    missing = error(post(town_staff, ENTRIES, **{**body, "cadre": 987654}), 404)
    assert outside == missing
    assert not Decision.objects.exists()


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_a_read_only_role_gets_403(entries, users, role):
    e = entries["town"]
    body = {
        "period": e.period_id,
        "cadre": e.cadre_id,
        "kind": "commendation",
        "verdict": "granted",
        "reason": "好",
    }
    error(post(users[role], ENTRIES, **body), 403)
    assert not Decision.objects.exists()


def test_anonymous_gets_401(entries):
    error(APIClient().get(ENTRIES), 401)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"reason": ""}, "reason", "该干部符合“评先选优”的条件，不同意的须写明理由。"),
        ({"kind": "merit3"}, "kind", "不在2025年度“记三等功”名单上"),
        ({"verdict": "maybe"}, "verdict", ""),
        ({"period": 987654}, "period", "考核期不存在。"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_nothing_is_written(entries, users, body, field, message):
    e = entries["town"]
    base = {
        "period": e.period_id,
        "cadre": e.cadre_id,
        "kind": "commendation",
        "verdict": "declined",
        "reason": "x",
    }
    err = error(post(users[Role.STAFF], ENTRIES, **{**base, **body}), 400)
    assert field in err["fields"] and message in err["fields"][field][0]
    assert not Decision.objects.exists()


def test_granting_a_left_out_entry_needs_a_reason_saying_so(entries, users):
    e = entries["left"]
    body = {"period": e.period_id, "cadre": e.cadre_id, "kind": "commendation", "verdict": "granted"}
    err = error(post(users[Role.STAFF], ENTRIES, **body), 400)
    assert "不符合“评先选优”的条件" in err["message"]


# --------------------------------------------------------------------------- bonus-bases/


def test_bonus_bases_are_set_and_read_in_scope(period, users, tree, town_staff):
    response = post(
        users[Role.STAFF], BASES, period=period.pk, unit=tree["town_a"].pk, amount="30000", note="镇定"
    )
    assert response.status_code == 201 and response.json()["amount"] == "30000.00"
    response = post(users[Role.STAFF], BASES, period=period.pk, unit=tree["town_a"].pk, amount="31000")
    assert response.status_code == 200 and BonusBase.objects.get().amount == Decimal("31000.00")
    bonus_base_set(actor=users["city_staff"], period=period, unit=tree["town_b"], amount="1")
    assert {r["unit_name"] for r in api(users[Role.AUDITOR]).get(BASES).json()["results"]} == {"甲镇"}
    assert api(users["city_staff"]).get(BASES, {"unit": tree["town_b"].pk}).json()["count"] == 1
    # a unit above the caller is outside: 404 as a missing one
    outside = error(post(town_staff, BASES, period=period.pk, unit=tree["county_a"].pk, amount="1"), 404)
    assert outside == error(post(town_staff, BASES, period=period.pk, unit=987654, amount="1"), 404)


def test_a_bad_bonus_base_is_a_400_and_a_reader_gets_403(period, users, tree):
    err = error(post(users[Role.STAFF], BASES, period=period.pk, unit=tree["town_a"].pk, amount="-1"), 400)
    assert "不能为负数" in err["fields"]["amount"][0]
    error(post(users[Role.API_READER], BASES, period=period.pk, unit=tree["town_a"].pk, amount="1"), 403)
    assert not BonusBase.objects.exists()


def test_the_bonus_base_list_costs_two_queries(period, users, tree, django_assert_num_queries):
    for unit in (tree["county_a"], tree["town_a"]):
        bonus_base_set(actor=users[Role.STAFF], period=period, unit=unit, amount="1")
    # 1 count, 2 the page (period, unit, who set it joined)
    with django_assert_num_queries(2):
        assert api(users[Role.AUDITOR]).get(BASES).json()["count"] == 2


# --------------------------------------------------------------------------- team-pools/


@pytest.fixture
def graded(period, tree):
    return TeamAssessment.objects.create(period=period, unit=tree["town_a"], final_grade="优秀")


def test_a_pool_is_created_with_its_shares_to_the_fen(period, users, tree, graded):
    members = [CadreFactory(unit=tree["town_a"], name=n) for n in ("甲", "乙", "丙")]
    response = post(
        users[Role.STAFF], POOLS, period=period.pk, unit=tree["town_a"].pk, kind="单位团队", name="甲镇班子",
        base="8333.33", shares=[{"cadre": m.pk, "weight": "1"} for m in members],
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["tier"], body["total"], body["kind_code"]) == ("优秀", "10000.00", "unit")
    assert [(s["cadre_name"], s["amount"]) for s in body["shares"]] == [
        ("甲", "3333.34"),
        ("乙", "3333.33"),
        ("丙", "3333.33"),
    ]
    assert body["shares_total"] == "10000.00"
    assert [s["label"] for s in body["arithmetic"]] == [
        "团队年度等次",
        "等次系数",
        "奖金池基数",
        "奖金池总额",
        "分配",
    ]


def test_patching_the_base_shares_again_and_bad_weights_change_nothing(period, users, tree, graded):
    pool = pool_create(
        actor=users[Role.STAFF], period=period, unit=tree["town_a"], kind="unit", name="班子", base="100"
    )
    a, b = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["town_a"])
    pool_shares_set(actor=users[Role.STAFF], pool=pool, shares=[(a, 2), (b, 1)])
    response = api(users[Role.STAFF]).patch(f"{POOLS}{pool.pk}/", {"base": "50"}, format="json")
    assert response.status_code == 200 and response.json()["total"] == "60.00"
    assert [s["amount"] for s in response.json()["shares"]] == ["40.00", "20.00"]
    err = error(
        api(users[Role.STAFF]).patch(
            f"{POOLS}{pool.pk}/", {"base": "70", "shares": [{"cadre": a.pk, "weight": "0"}]}, format="json"
        ),
        400,
    )
    assert "不能全为零" in err["fields"]["shares"][0]
    pool.refresh_from_db()
    assert pool.total == Decimal("60.00") and PoolShare.objects.filter(pool=pool).count() == 2


def test_pools_are_scoped_and_written_only_by_staff(period, users, tree, graded, town_staff):
    pool = pool_create(
        actor=users["city_staff"],
        period=period,
        unit=tree["county_a"],
        kind="project",
        name="县项目",
        base="1",
        tier="良好",
    )
    error(api(town_staff).get(f"{POOLS}{pool.pk}/"), 404)
    assert api(users[Role.AUDITOR]).get(f"{POOLS}{pool.pk}/").status_code == 200
    error(api(users[Role.AUDITOR]).patch(f"{POOLS}{pool.pk}/", {"base": "2"}, format="json"), 403)
    member = CadreFactory(unit=tree["town_b"])
    err = error(
        api(users[Role.STAFF]).patch(
            f"{POOLS}{pool.pk}/", {"shares": [{"cadre": member.pk, "weight": "1"}]}, format="json"
        ),
        400,
    )
    assert "不在您的管辖范围内" in err["fields"]["shares"][0]
    error(
        post(
            town_staff,
            POOLS,
            period=period.pk,
            unit=tree["county_a"].pk,
            kind="project",
            name="x",
            base="1",
            tier="良好",
        ),
        404,
    )
    assert TeamPool.objects.count() == 1


def test_a_project_pool_needs_a_tier(period, users, tree):
    err = error(
        post(
            users[Role.STAFF],
            POOLS,
            period=period.pk,
            unit=tree["town_a"].pk,
            kind="project",
            name="项目",
            base="1",
        ),
        400,
    )
    assert "tier" in err["fields"]


def test_the_pool_list_costs_two_queries(period, users, tree, graded, django_assert_num_queries):
    for n in range(3):
        pool = pool_create(
            actor=users[Role.STAFF],
            period=period,
            unit=tree["town_a"],
            kind="project",
            name=f"组{n}",
            base="10",
            tier="良好",
        )
        pool_shares_set(actor=users[Role.STAFF], pool=pool, shares=[(CadreFactory(unit=tree["town_a"]), 1)])
    # 1 count, 2 the page (period, unit, creator joined), 3 the shares of the page with their cadres
    with django_assert_num_queries(3):
        body = api(users[Role.AUDITOR]).get(POOLS, {"kind": "project"}).json()
    assert body["count"] == 3 and all(len(p["shares"]) == 1 for p in body["results"])
