"""``flags/`` and ``adjustments/`` of the API: the review queue (the longest waiting first), dismissing
a flag or deciding on it by PATCH, proposing and approving adjustments, with the 409 of a step out
of order, the 400 with fields, the 403 for roles and the 404 outside the caller's subtree."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from cadres.models import CadreStatus, Rank
from recall.models import AdjustmentDecision, AdjustmentMethod, DecisionStatus, Flag, FlagStatus
from recall.services_flags import adjustment_propose
from tests.factories import CadreFactory, make_user

FLAGS = "/api/v1/flags/"
ADJUSTMENTS = "/api/v1/adjustments/"


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


def raise_flag(
    cadre, *, days_ago=0, rule_key="grade", rule_name="连续 2 个年度考核为基本称职或更差", **extra
):
    return Flag.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        rule_key=rule_key,
        rule_name=rule_name,
        anchor=extra.pop("anchor", "2025"),
        facts=[{"label": "2025年度考核", "value": "基本称职"}, {"label": "2024年度考核", "value": "不称职"}],
        raised_at=timezone.now() - datetime.timedelta(days=days_ago),
        **extra,
    )


def patch(user, url, **body):
    return api(user).patch(url, body, format="json")


# --------------------------------------------------------------------------- the review queue


@pytest.fixture
def queue(day, tree):
    """Flags in 甲县: 甲镇 waiting 30 and 3 days, the county's own unit 10 days, one dismissed long
    ago; and one in 乙县."""
    a1, a2 = (
        CadreFactory(unit=tree["town_a"], name="等三十天"),
        CadreFactory(unit=tree["town_a"], name="等三天"),
    )
    county = CadreFactory(unit=tree["county_a"], name="等十天")
    done = CadreFactory(unit=tree["town_a"], name="已排除")
    flags = {
        "a30": raise_flag(a1, days_ago=30),
        "a3": raise_flag(a2, days_ago=3, rule_key="interviews", rule_name="一年内约谈 2 次以上"),
        "c10": raise_flag(county, days_ago=10),
        "done": raise_flag(
            done,
            days_ago=60,
            status=FlagStatus.DISMISSED,
            reviewed_at=timezone.now() - datetime.timedelta(days=55),
            review_reason="客观原因",
        ),
        "b": raise_flag(CadreFactory(unit=tree["town_b"], name="乙县干部"), days_ago=90),
    }
    return flags


def names(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [row["cadre_name"] for row in response.json()["results"]]


def test_the_queue_shows_open_flags_longest_waiting_first(queue, users):
    response = api(users[Role.API_READER]).get(FLAGS)
    assert names(response) == ["等三十天", "等十天", "等三天", "已排除"]
    first = response.json()["results"][0]
    assert first["waited_days"] == 30 and first["status"] == "待研判" and first["status_code"] == "open"
    assert first["rule_key"] == "grade" and first["facts"][0] == {
        "label": "2025年度考核",
        "value": "基本称职",
    }
    assert first["decision"] is None and first["reviewed_by"] is None
    # a reviewed flag waited from its raising to its review
    assert response.json()["results"][3]["waited_days"] == 5


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "open"}, ["等三十天", "等十天", "等三天"]),
        ({"status": "已排除"}, ["已排除"]),
        ({"rule": "interviews"}, ["等三天"]),
        ({"unit": "town_a"}, ["等三十天", "等三天", "已排除"]),
        ({"unit": "county_a"}, ["等三十天", "等十天", "等三天", "已排除"]),
        ({"unit": "town_b"}, []),
    ],
)
def test_flag_filters(queue, users, tree, params, expected):
    if "unit" in params:
        params = {"unit": tree[params["unit"]].pk}
    assert names(api(users[Role.STAFF]).get(FLAGS, params)) == expected


def test_a_bad_status_filter_is_a_400(queue, users):
    assert set(error(api(users[Role.STAFF]).get(FLAGS, {"status": "closed?"}), 400)["fields"]) == {"status"}


def test_the_queue_is_paginated(queue, users):
    body = api(users[Role.STAFF]).get(FLAGS, {"page_size": 3}).json()
    assert body["count"] == 4 and len(body["results"]) == 3 and body["next"]


def test_the_flag_list_costs_the_same_queries_for_any_number_of_rows(
    queue, users, tree, django_assert_num_queries
):
    client = api(users[Role.API_READER])
    # 1 count, 2 the page of flags with cadre, unit and reviewer joined, 3 their adjustment decisions
    with django_assert_num_queries(3):
        assert client.get(FLAGS).json()["count"] == 4
    for i in range(10):
        raise_flag(CadreFactory(unit=tree["town_a"]), days_ago=i)
    with django_assert_num_queries(3):
        assert len(client.get(FLAGS).json()["results"]) == 14


def test_a_flag_outside_the_subtree_is_a_404_like_a_missing_one(queue, users, tree):
    town_staff = make_user("town_staff", Role.STAFF, tree["town_a"])
    missing = error(api(town_staff).get(f"{FLAGS}987654/"), 404)
    # 甲县's own unit is above 甲镇; 乙县 is another county
    for flag in (queue["c10"], queue["b"]):
        assert error(api(town_staff).get(f"{FLAGS}{flag.pk}/"), 404) == missing
        assert error(patch(town_staff, f"{FLAGS}{flag.pk}/", action="dismiss", reason="x"), 404) == missing
    assert Flag.objects.get(pk=queue["c10"].pk).status == FlagStatus.OPEN


def test_id_numbers_in_flags_are_masked_for_an_api_reader(queue, users):
    row = api(users[Role.API_READER]).get(f"{FLAGS}{queue['a30'].pk}/").json()
    assert row["cadre_id_number"] == queue["a30"].cadre.masked_id_number


# --------------------------------------------------------------------------- reviewing a flag


def test_staff_dismiss_a_flag_with_a_reason(queue, users):
    response = patch(
        users[Role.STAFF], f"{FLAGS}{queue['a30'].pk}/", action="dismiss", reason="因病休假，客观原因"
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["status_code"] == "dismissed" and body["review_reason"] == "因病休假，客观原因"
    assert body["reviewed_by"] == "staff_a" and body["waited_days"] == 30


def test_dismissing_without_a_reason_is_a_400_on_reason(queue, users):
    body = error(patch(users[Role.STAFF], f"{FLAGS}{queue['a30'].pk}/", action="dismiss"), 400)
    assert body["fields"] == {"reason": ["请填写排除预警的理由。"]}
    assert Flag.objects.get(pk=queue["a30"].pk).status == FlagStatus.OPEN


def test_reviewing_a_flag_twice_is_a_409(queue, users):
    body = error(
        patch(users[Role.STAFF], f"{FLAGS}{queue['done'].pk}/", action="dismiss", reason="再排除"), 409
    )
    assert body["code"] == "step_out_of_order" and body["message"] == "该预警当前为“已排除”，不能排除。"


def test_a_field_of_the_other_action_is_a_400(queue, users):
    body = error(
        patch(
            users[Role.STAFF], f"{FLAGS}{queue['a30'].pk}/", action="dismiss", reason="x", method="removal"
        ),
        400,
    )
    assert body["fields"] == {"method": ["该字段不属于“排除预警”（dismiss）操作。"]}


def test_deciding_on_a_flag_opens_an_adjustment_for_the_head(queue, users):
    flag = queue["a30"]
    response = patch(
        users[Role.STAFF],
        f"{FLAGS}{flag.pk}/",
        action="decide",
        method="平职调整",
        reason="连续两年基本称职以下",
        new_post_title="镇人大副主席",
        effective_on="2026-07-01",
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["status_code"] == "decided"
    assert body["decision"]["method_code"] == "lateral" and body["decision"]["status_code"] == "proposed"
    decision = AdjustmentDecision.objects.get(pk=body["decision"]["id"])
    assert decision.flag == flag and decision.new_post_title == "镇人大副主席"
    assert decision.effective_on == datetime.date(2026, 7, 1)


def test_deciding_without_the_method_and_the_new_post_names_the_fields(queue, users):
    body = error(patch(users[Role.STAFF], f"{FLAGS}{queue['a30'].pk}/", action="decide"), 400)
    assert body["fields"] == {"method": ["请选择调整方式。"], "reason": ["请填写调整理由。"]}
    body = error(
        patch(users[Role.STAFF], f"{FLAGS}{queue['a30'].pk}/", action="decide", method="降职", reason="x"),
        400,
    )
    assert set(body["fields"]) == {"new_post_title", "new_rank"}
    assert AdjustmentDecision.objects.count() == 0


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_read_only_roles_cannot_review_flags(queue, users, role):
    error(patch(users[role], f"{FLAGS}{queue['a30'].pk}/", action="dismiss", reason="x"), 403)
    assert Flag.objects.get(pk=queue["a30"].pk).status == FlagStatus.OPEN


# --------------------------------------------------------------------------- adjustments


def test_staff_propose_an_adjustment_without_a_flag(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(
        ADJUSTMENTS,
        {"cadre": cadre_a.pk, "method": "non_leading", "reason": "年龄原因改任", "step_back": True},
        format="json",
    )
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["method"] == "改任职级/非领导职务" and body["status_code"] == "proposed"
    assert body["step_back"] is True and body["proposed_by"] == "staff_a" and body["flag"] is None


def test_a_second_proposal_while_one_waits_is_a_409(day, users, cadre_a):
    payload = {"cadre": cadre_a.pk, "method": "removal", "reason": "不胜任"}
    assert api(users[Role.STAFF]).post(ADJUSTMENTS, payload, format="json").status_code == 201
    body = error(api(users[Role.STAFF]).post(ADJUSTMENTS, payload, format="json"), 409)
    assert body == {
        "code": "step_out_of_order",
        "message": "该干部已有待审批的调整决定，请先审批该决定。",
        "fields": {},
    }


def test_a_proposal_for_a_cadre_or_flag_outside_is_a_400(day, users, cadre_a, cadre_b):
    client = api(users[Role.STAFF])
    body = error(client.post(ADJUSTMENTS, {"cadre": cadre_b.pk, "method": "removal", "reason": "x"}), 400)
    assert body["fields"] == {"cadre": ["干部不存在或不在您的管辖范围内。"]}
    other = raise_flag(cadre_b)
    payload = {"cadre": cadre_a.pk, "method": "removal", "reason": "x", "flag": other.pk}
    assert error(client.post(ADJUSTMENTS, payload, format="json"), 400)["fields"] == {
        "flag": ["预警不存在或不在您的管辖范围内。"]
    }


def test_a_post_title_too_long_is_a_400(day, users, cadre_a):
    payload = {"cadre": cadre_a.pk, "method": "lateral", "reason": "x", "new_post_title": "长" * 101}
    assert (
        "new_post_title"
        in error(api(users[Role.STAFF]).post(ADJUSTMENTS, payload, format="json"), 400)["fields"]
    )


@pytest.fixture
def demoted(tree):
    return CadreFactory(unit=tree["town_a"], name="郑镇长", rank=Rank.ZHENG_KE, post_title="镇长")


@pytest.fixture
def proposed(day, users, demoted):
    return adjustment_propose(
        actor=users[Role.STAFF],
        cadre=demoted,
        method=AdjustmentMethod.DEMOTION,
        reason="长期不作为",
        new_post_title="副镇长",
        new_rank=Rank.FU_KE,
    )


def test_the_head_approves_and_the_registry_follows(proposed, users, demoted):
    response = patch(users[Role.HEAD], f"{ADJUSTMENTS}{proposed.pk}/", action="approve", note="同意")
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["status"] == "已批准" and body["approved_by"] == "head_a" and body["approval_note"] == "同意"
    assert body["method"] == "降职" and body["new_rank"] == "副科级"
    demoted.refresh_from_db()
    assert (demoted.post_title, demoted.rank, demoted.status) == ("副镇长", Rank.FU_KE, CadreStatus.ON_POST)


def test_the_head_rejects_with_a_note(proposed, users):
    response = patch(users[Role.HEAD], f"{ADJUSTMENTS}{proposed.pk}/", action="reject", note="事实不清")
    assert response.status_code == 200 and response.json()["status_code"] == "rejected"


def test_rejecting_without_a_note_is_a_400_on_note(proposed, users):
    body = error(patch(users[Role.HEAD], f"{ADJUSTMENTS}{proposed.pk}/", action="reject"), 400)
    assert body["fields"] == {"note": ["不予批准须填写审批意见。"]}


def test_approving_twice_is_a_409(proposed, users):
    patch(users[Role.HEAD], f"{ADJUSTMENTS}{proposed.pk}/", action="approve")
    body = error(patch(users[Role.HEAD], f"{ADJUSTMENTS}{proposed.pk}/", action="approve"), 409)
    assert body["code"] == "step_out_of_order" and body["message"] == "该调整决定当前为“已批准”，不能批准。"


def test_staff_cannot_approve_and_are_told_who_may(proposed, users):
    body = error(patch(users[Role.STAFF], f"{ADJUSTMENTS}{proposed.pk}/", action="approve"), 403)
    assert body["message"] == "只有部长（分管负责人）可以审批调整决定。"
    assert AdjustmentDecision.objects.get(pk=proposed.pk).status == DecisionStatus.PROPOSED


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_read_only_roles_cannot_propose_or_approve(proposed, users, cadre_a, role):
    error(patch(users[role], f"{ADJUSTMENTS}{proposed.pk}/", action="approve"), 403)
    error(api(users[role]).post(ADJUSTMENTS, {"cadre": cadre_a.pk, "method": "removal", "reason": "x"}), 403)


def test_an_adjustment_in_another_county_is_a_404(day, users, tree, cadre_b):
    other = adjustment_propose(
        actor=make_user("staff_b", Role.STAFF, tree["county_b"]), cadre=cadre_b, method="removal", reason="x"
    )
    missing = error(api(users[Role.HEAD]).get(f"{ADJUSTMENTS}987654/"), 404)
    assert error(api(users[Role.HEAD]).get(f"{ADJUSTMENTS}{other.pk}/"), 404) == missing
    assert error(patch(users[Role.HEAD], f"{ADJUSTMENTS}{other.pk}/", action="approve"), 404) == missing
    assert AdjustmentDecision.objects.get(pk=other.pk).status == DecisionStatus.PROPOSED


@pytest.fixture
def decisions(day, users, tree):
    staff, head = users[Role.STAFF], users[Role.HEAD]
    made = {}
    for name, unit, method in (
        ("镇甲", "town_a", "removal"),
        ("镇乙", "town_a", "suspension"),
        ("县甲", "county_a", "removal"),
    ):
        made[name] = adjustment_propose(
            actor=staff, cadre=CadreFactory(unit=tree[unit], name=name), method=method, reason="x"
        )
    from recall.services_flags import adjustment_approve

    adjustment_approve(actor=head, decision=made["镇乙"])
    adjustment_propose(
        actor=make_user("staff_b", Role.STAFF, tree["county_b"]),
        cadre=CadreFactory(unit=tree["town_b"], name="乙县的"),
        method="removal",
        reason="x",
    )
    return made


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, {"镇甲", "镇乙", "县甲"}),
        ({"status": "已批准"}, {"镇乙"}),
        ({"status": "proposed"}, {"镇甲", "县甲"}),
        ({"method": "免职"}, {"镇甲", "县甲"}),
        ({"unit": "town_a"}, {"镇甲", "镇乙"}),
        ({"unit": "town_b"}, set()),
    ],
)
def test_adjustment_filters(decisions, users, tree, params, expected):
    if "unit" in params:
        params = {"unit": tree[params["unit"]].pk}
    assert set(names(api(users[Role.AUDITOR]).get(ADJUSTMENTS, params))) == expected


def test_the_adjustment_list_is_paginated_and_costs_two_queries(decisions, users, django_assert_num_queries):
    client = api(users[Role.AUDITOR])
    # 1 count, 2 the page of decisions with cadre, unit, proposer and approver joined
    with django_assert_num_queries(2):
        body = client.get(ADJUSTMENTS, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
