"""``recall-cases/``, ``recall-situations/`` and ``recall-points/`` of the API: proposing, each step
by PATCH, the 409 of a step out of order with its message, the 400 with fields, the 403 for roles,
the 404 for cases outside the caller's subtree, pagination, filters and the queries a list costs."""

import datetime

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditAction, AuditEntry
from cadres.models import CadreKind, CadreStatus, Rank
from recall import services
from recall.models import CaseSource, RecallCase, RecallStep, Situation, Stage
from tests.factories import CadreFactory, make_user

CASES = "/api/v1/recall-cases/"


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


def propose(user, cadre, code="C01", **extra):
    return api(user).post(
        CASES,
        {
            "cadre": cadre.pk,
            "source": "situation",
            "situation": code,
            "reason": "业务不熟，完不成目标任务",
            **extra,
        },
        format="json",
    )


def make_case(staff, cadre, code="C01", on="2026-06-01") -> RecallCase:
    return services.case_propose(
        actor=staff,
        cadre=cadre,
        source=CaseSource.SITUATION,
        situation=Situation.objects.get(code=code),
        reason="业务不熟",
        on=on,
    )


def step(user, case, action, **fields):
    return api(user).patch(f"{CASES}{case.pk}/", {"action": action, **fields}, format="json")


# --------------------------------------------------------------------------- proposing


def test_staff_proposes_a_case_by_situation_code_and_gets_the_suggested_treatment(day, users, cadre_a):
    response = propose(users[Role.STAFF], cadre_a, "C01", facts=[{"label": "目标任务", "value": "完成 40%"}])
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["stage"] == "已提议" and body["stage_code"] == "proposed"
    assert body["cadre_name"] == "张三" and body["unit_name"] == "甲镇"
    assert body["situation_code"] == "C01" and body["cause_code"] == "ability"
    assert body["treatment"]["title"] == "集中教育培训"
    assert "能力不够" in body["treatment"]["why"]
    assert [f["label"] for f in body["facts"]] == ["不会干", "目标任务"]
    assert body["next_step"] == "部长（分管负责人）审批"
    assert [(s["step"], s["actor"], s["on"]) for s in body["steps"]] == [("propose", "staff_a", "2026-06-15")]
    assert RecallCase.objects.get(pk=body["id"]).proposed_by == users[Role.STAFF]


def test_a_situation_may_be_named_by_its_id(day, users, cadre_a):
    situation = Situation.objects.get(code="U02")
    response = propose(users[Role.STAFF], cadre_a, str(situation.pk))
    assert response.status_code == 201
    assert response.json()["situation_name"] == situation.name


def test_a_second_proposal_while_one_runs_is_a_409_step_out_of_order(day, users, cadre_a):
    assert propose(users[Role.STAFF], cadre_a).status_code == 201
    body = error(propose(users[Role.STAFF], cadre_a), 409)
    assert body["code"] == "step_out_of_order"
    assert body["message"] == "该干部已有正在办理的召回案件，请在该案件中继续办理。"
    assert RecallCase.objects.count() == 1


def test_a_proposal_without_a_reason_is_a_400_naming_the_field(day, users, cadre_a):
    body = error(propose(users[Role.STAFF], cadre_a, reason=""), 400)
    assert body["fields"] == {"reason": ["请填写召回理由。"]}
    assert RecallCase.objects.count() == 0


def test_a_proposal_with_an_unknown_situation_is_a_400(day, users, cadre_a):
    body = error(propose(users[Role.STAFF], cadre_a, "Z99"), 400)
    assert "Z99" in body["fields"]["situation"][0]


def test_a_grade_proposal_without_a_period_is_a_400_on_period(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(
        CASES, {"cadre": cadre_a.pk, "source": "考核等次", "reason": "连续基本称职"}, format="json"
    )
    assert error(response, 400)["fields"] == {"period": ["依据考核等次提议召回时，请选择考核期。"]}


def test_facts_must_be_label_and_value(day, users, cadre_a):
    body = error(propose(users[Role.STAFF], cadre_a, facts=[{"label": "只有标签"}]), 400)
    assert body["fields"]["facts"] == ["第 1 条须有文字 label 和 value。"]


def test_a_cadre_outside_the_subtree_cannot_be_proposed(day, users, cadre_b):
    body = error(propose(users[Role.STAFF], cadre_b), 400)
    assert body["fields"] == {"cadre": ["干部不存在或不在您的管辖范围内。"]}
    assert RecallCase.objects.count() == 0


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_read_only_roles_cannot_propose(day, users, cadre_a, role):
    body = error(propose(users[role], cadre_a), 403)
    assert body["message"] == "您的角色无权办理干部召回。"
    assert RecallCase.objects.count() == 0


# --------------------------------------------------------------------------- the steps


def test_every_step_by_patch_in_order_records_who_and_when(day, users, cadre_a):
    staff, head = users[Role.STAFF], users[Role.HEAD]
    case = make_case(staff, cadre_a)
    calls = [
        (head, "approve", {"note": "同意召回", "approved_on": "2026-06-02"}, "approved"),
        (staff, "publicize", {"where": "本单位公示栏", "publicized_on": "2026-06-03"}, "publicized"),
        (
            staff,
            "study",
            {
                "study_start": "2026-06-04",
                "study_end": "2026-06-06",
                "study_content": "业务培训",
                "attendance": "全勤",
                "study_fee": "300.00",
            },
            "studied",
        ),
        (
            staff,
            "penalize",
            {"bonus_withheld": "1500.50", "penalty_note": "扣发部分绩效", "penalized_on": "2026-06-08"},
            "penalized",
        ),
        (
            staff,
            "follow_up",
            {
                "result": "合格",
                "discipline_officer": "王纪检",
                "org_officer": "李组织",
                "followup_on": "2026-06-12",
            },
            "followed_up",
        ),
        (staff, "outcome", {"outcome": "back_to_post", "outcome_on": "2026-06-14"}, "closed"),
    ]
    for user, action, fields, stage in calls:
        response = step(user, case, action, **fields)
        assert response.status_code == 200, (action, response.content.decode())
        assert response.json()["stage_code"] == stage
    body = response.json()
    assert body["study_days"] == 3 and body["bonus_withheld"] == "1500.50"
    assert body["followup_discipline_officer"] == "王纪检" and body["outcome"] == "回原岗位"
    assert [(s["step"], s["actor"], s["on"]) for s in body["steps"]] == [
        ("propose", "staff_a", "2026-06-01"),
        ("approve", "head_a", "2026-06-02"),
        ("publicize", "staff_a", "2026-06-03"),
        ("study", "staff_a", "2026-06-06"),
        ("penalize", "staff_a", "2026-06-08"),
        ("follow_up", "staff_a", "2026-06-12"),
        ("outcome", "staff_a", "2026-06-14"),
    ]
    assert body["steps"][3]["data"] == {"days": 3, "attendance": "full", "fee": "300.00"}
    cadre_a.refresh_from_db()
    assert cadre_a.status == CadreStatus.ON_POST


def test_a_head_rejects_with_a_reason(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    response = step(users[Role.HEAD], case, "reject", note="事实不清")
    assert response.status_code == 200
    assert response.json()["stage_code"] == "rejected" and response.json()["approval_note"] == "事实不清"


def test_rejecting_without_a_reason_is_a_400_on_note(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    assert error(step(users[Role.HEAD], case, "reject"), 400)["fields"] == {
        "note": ["请填写不予批准的理由。"]
    }
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


def test_a_step_out_of_order_is_a_409_saying_what_the_case_waits_for(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    body = error(step(users[Role.STAFF], case, "publicize", where="公示栏"), 409)
    assert body["code"] == "step_out_of_order"
    assert body["message"] == "案件当前环节为“已提议”，不能公开召回信息；下一步应为：部长（分管负责人）审批。"
    assert RecallStep.objects.filter(case=case).count() == 1


def test_approving_twice_is_a_409(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    assert step(users[Role.HEAD], case, "approve").status_code == 200
    body = error(step(users[Role.HEAD], case, "approve"), 409)
    assert body["message"] == "案件当前环节为“已批准召回”，不能审批召回；下一步应为：公开召回信息。"


def test_a_study_class_too_long_is_a_400_on_study_end(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    step(users[Role.HEAD], case, "approve", approved_on="2026-06-02")
    step(users[Role.STAFF], case, "publicize", where="公示栏", publicized_on="2026-06-03")
    body = error(
        step(
            users[Role.STAFF],
            case,
            "study",
            study_start="2026-06-04",
            study_end="2026-06-10",
            study_content="培训",
            attendance="full",
            study_fee=0,
        ),
        400,
    )
    assert body["fields"] == {"study_end": ["学习班为期 7 天，不符合规定：离岗集中学习应为 2 至 5 天。"]}
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PUBLICIZED


def test_missing_fields_of_a_step_are_named(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    step(users[Role.HEAD], case, "approve")
    step(users[Role.STAFF], case, "publicize", where="公示栏")
    body = error(step(users[Role.STAFF], case, "study"), 400)
    assert body["fields"] == {"study_start": ["请填写学习班开始日期。"]}


def test_a_field_of_another_step_is_a_400(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    body = error(step(users[Role.HEAD], case, "approve", where="公示栏"), 400)
    assert body["fields"] == {"where": ["该字段不属于“批准召回（部长）”（approve）步骤。"]}
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


def test_an_unknown_or_missing_action_is_a_400(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    assert "action" in error(step(users[Role.STAFF], case, "close"), 400)["fields"]
    response = api(users[Role.STAFF]).patch(f"{CASES}{case.pk}/", {}, format="json")
    assert "action" in error(response, 400)["fields"]


def test_a_demotion_outcome_without_a_rank_is_a_400_on_new_rank(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    step(users[Role.HEAD], case, "approve", approved_on="2026-06-02")
    step(users[Role.STAFF], case, "publicize", where="公示栏", publicized_on="2026-06-03")
    step(users[Role.STAFF], case, "study", study_start="2026-06-04", study_end="2026-06-05",
         study_content="培训", attendance="full", study_fee=0)  # fmt: skip
    step(users[Role.STAFF], case, "follow_up", result="failed", discipline_officer="王", org_officer="李")
    body = error(step(users[Role.STAFF], case, "outcome", outcome="降职", new_post_title="科员"), 400)
    assert body["fields"] == {"new_rank": ["请选择调整后的职级。"]}
    response = step(
        users[Role.STAFF], case, "outcome", outcome="降职", new_post_title="科员", new_rank=Rank.LEVEL_1_CLERK
    )
    assert response.status_code == 200, response.content.decode()
    cadre_a.refresh_from_db()
    assert cadre_a.rank == Rank.LEVEL_1_CLERK and cadre_a.kind == CadreKind.GENERAL


def test_staff_cannot_approve_and_is_told_who_may(day, users, cadre_a):
    case = make_case(users[Role.STAFF], cadre_a)
    body = error(step(users[Role.STAFF], case, "approve"), 403)
    assert body["message"] == "只有部长（分管负责人）可以审批召回。"
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_read_only_roles_cannot_take_a_step(day, users, cadre_a, role):
    case = make_case(users[Role.STAFF], cadre_a)
    error(step(users[role], case, "approve"), 403)
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


# --------------------------------------------------------------------------- scope


@pytest.fixture
def town_staff(tree):
    """A user one level below the county: 甲镇's staff."""
    return make_user("town_staff", Role.STAFF, tree["town_a"])


@pytest.fixture
def county_case(day, users, tree):
    """A case of a cadre of 甲县 itself: above 甲镇."""
    return make_case(users[Role.STAFF], CadreFactory(unit=tree["county_a"], name="赵局长"))


@pytest.fixture
def other_county_case(day, tree, cadre_b):
    return make_case(make_user("staff_b", Role.STAFF, tree["county_b"]), cadre_b)


def test_a_case_above_the_callers_unit_is_a_404_like_a_missing_one(county_case, town_staff):
    missing = error(api(town_staff).get(f"{CASES}987654/"), 404)
    assert error(api(town_staff).get(f"{CASES}{county_case.pk}/"), 404) == missing
    assert error(step(town_staff, county_case, "publicize", where="x"), 404) == missing
    assert "赵局长" not in api(town_staff).get(CASES).content.decode()


def test_a_case_of_another_county_is_a_404_for_reading_and_for_steps(other_county_case, users):
    for role in (Role.STAFF, Role.HEAD, Role.API_READER):
        assert api(users[role]).get(f"{CASES}{other_county_case.pk}/").status_code == 404
    error(step(users[Role.HEAD], other_county_case, "approve"), 404)
    assert RecallCase.objects.get(pk=other_county_case.pk).stage == Stage.PROPOSED


def test_the_county_sees_the_case_of_its_own_unit(county_case, users):
    assert api(users[Role.API_READER]).get(f"{CASES}{county_case.pk}/").status_code == 200


# --------------------------------------------------------------------------- lists


@pytest.fixture
def several(day, users, tree):
    """Five cases in 甲县: three in 甲镇 (one approved), two in the county's own unit; one in 乙县."""
    staff = users[Role.STAFF]
    town = [CadreFactory(unit=tree["town_a"], name=f"镇干部{i}") for i in range(3)]
    county = [
        CadreFactory(unit=tree["county_a"], name="县处长", kind=CadreKind.LEADER_CHU, rank=Rank.FU_CHU),
        CadreFactory(unit=tree["county_a"], name="县科员", kind=CadreKind.GENERAL, rank=Rank.STAFF),
    ]
    cases = [
        make_case(staff, c, code)
        for c, code in zip(town + county, ["C01", "U01", "S09", "U03", "C02"], strict=True)
    ]
    services.case_approve(actor=users[Role.HEAD], case=cases[0])
    other = make_case(make_user("staff_b", Role.STAFF, tree["county_b"]), CadreFactory(unit=tree["town_b"]))
    return {"cases": cases, "town": town, "county": county, "other": other}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content.decode()
    return {row["cadre_name"] for row in response.json()["results"]}


def test_the_list_holds_only_the_subtree_and_is_paginated(several, users):
    client = api(users[Role.API_READER])
    body = client.get(CASES, {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    rest = client.get(CASES, {"page_size": 2, "page": 3}).json()
    assert len(rest["results"]) == 1 and rest["next"] is None


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"stage": "approved"}, {"镇干部0"}),
        ({"stage": "已提议"}, {"镇干部1", "镇干部2", "县处长", "县科员"}),
        ({"level": "chu"}, {"县处长"}),
        ({"level": "一般干部"}, {"县科员"}),
        ({"cause": "absenteeism"}, {"镇干部2"}),
        ({"cause": "闹不团结、群众反映大"}, {"县处长"}),
        ({"source": "situation"}, {"镇干部0", "镇干部1", "镇干部2", "县处长", "县科员"}),
        ({"source": "points"}, set()),
    ],
)
def test_filters_by_stage_level_cause_and_source(several, users, params, expected):
    assert names(api(users[Role.STAFF]).get(CASES, params)) == expected


def test_the_unit_filter_covers_the_whole_subtree(several, users, tree):
    client = api(users[Role.STAFF])
    assert names(client.get(CASES, {"unit": tree["town_a"].pk})) == {"镇干部0", "镇干部1", "镇干部2"}
    assert len(names(client.get(CASES, {"unit": tree["county_a"].pk}))) == 5
    assert names(client.get(CASES, {"unit": tree["town_b"].pk})) == set()


def test_the_cadre_filter(several, users):
    assert names(api(users[Role.STAFF]).get(CASES, {"cadre": several["town"][1].pk})) == {"镇干部1"}


@pytest.mark.parametrize("params", [{"stage": "done"}, {"unit": "x"}, {"cadre": "x"}, {"level": "厅级"}])
def test_bad_filter_values_are_a_400(several, users, params):
    body = error(api(users[Role.STAFF]).get(CASES, params), 400)
    assert set(body["fields"]) == set(params)


def test_id_numbers_are_masked_for_roles_that_may_not_see_them(several, users):
    town0 = several["town"][0]
    row = api(users[Role.API_READER]).get(CASES, {"cadre": town0.pk}).json()["results"][0]
    assert row["cadre_id_number"] == town0.masked_id_number != town0.id_number
    before = AuditEntry.objects.filter(action=AuditAction.VIEW).count()
    row = api(users[Role.STAFF]).get(CASES, {"cadre": town0.pk}).json()["results"][0]
    assert row["cadre_id_number"] == town0.id_number
    # the full numbers shown are on the record
    assert AuditEntry.objects.filter(action=AuditAction.VIEW).count() == before + 1


def test_the_case_list_costs_the_same_queries_for_any_number_of_rows(
    several, users, tree, django_assert_num_queries
):
    client = api(users[Role.API_READER])
    # 1 count, 2 the page of cases with cadre, unit, situation, proposer and approver joined
    with django_assert_num_queries(2):
        assert client.get(CASES).json()["count"] == 5
    for i in range(20):
        make_case(users[Role.STAFF], CadreFactory(unit=tree["town_a"], name=f"又一干部{i}"))
    with django_assert_num_queries(2):
        assert len(client.get(CASES).json()["results"]) == 25


def test_the_case_list_for_a_role_seeing_full_id_numbers_adds_only_the_audit_entry(
    several, users, django_assert_num_queries
):
    client = api(users[Role.STAFF])
    # 1 count, 2 the page of cases, 3 the audit entry of the ID numbers shown
    with django_assert_num_queries(3):
        assert client.get(CASES).json()["count"] == 5


def test_the_case_detail_costs_two_queries(several, users, django_assert_num_queries):
    case = several["cases"][0]
    client = api(users[Role.API_READER])
    # 1 the case with cadre, unit, situation, proposer and approver, 2 its steps with their actors
    with django_assert_num_queries(2):
        assert len(client.get(f"{CASES}{case.pk}/").json()["steps"]) == 2


# --------------------------------------------------------------------------- situations


def test_the_catalogue_lists_the_situations_by_group(db, users):
    client = api(users[Role.API_READER])
    body = client.get("/api/v1/recall-situations/", {"page_size": 100}).json()
    assert body["count"] == Situation.objects.count()
    political = client.get("/api/v1/recall-situations/", {"group": "political", "page_size": 100}).json()
    assert {row["group"] for row in political["results"]} == {"违反政治纪律“十严禁”"}
    assert len(political["results"]) == 10
    by_label = client.get("/api/v1/recall-situations/", {"group": "不会干"}).json()
    assert [row["code"] for row in by_label["results"]] == ["C01", "C02", "C03"]
    error(client.get("/api/v1/recall-situations/", {"group": "不存在"}), 400)


def test_the_catalogue_costs_two_queries(db, users, django_assert_num_queries):
    client = api(users[Role.API_READER])
    # 1 count, 2 the page of situations (the catalogue is not scoped: no unit lookup)
    with django_assert_num_queries(2):
        client.get("/api/v1/recall-situations/")


# --------------------------------------------------------------------------- points


POINTS = "/api/v1/recall-points/"


def test_recording_points_below_the_threshold_proposes_nothing(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(
        POINTS, {"cadre": cadre_a.pk, "situation": "S01", "detail": "三次迟到"}, format="json"
    )
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["points"] == 2 and body["situation_code"] == "S01"
    assert body["case_proposed"] is False and body["case"] is None


def test_reaching_the_threshold_says_a_case_was_proposed(day, users, cadre_a):
    client = api(users[Role.STAFF])
    client.post(POINTS, {"cadre": cadre_a.pk, "situation": "S06", "detail": "公款吃喝"}, format="json")
    response = client.post(
        POINTS, {"cadre": cadre_a.pk, "situation": "S06", "detail": "再次公款吃喝"}, format="json"
    )
    body = response.json()
    assert body["case_proposed"] is True
    case = RecallCase.objects.get(pk=body["case"])
    assert case.source == CaseSource.POINTS and case.cadre == cadre_a


def test_points_without_the_detail_are_a_400(day, users, cadre_a):
    response = api(users[Role.STAFF]).post(POINTS, {"cadre": cadre_a.pk, "situation": "S01"}, format="json")
    assert error(response, 400)["fields"] == {"detail": ["请填写具体事实。"]}


def test_points_in_the_future_are_a_400(day, users, cadre_a):
    tomorrow = (day + datetime.timedelta(days=1)).isoformat()
    response = api(users[Role.STAFF]).post(
        POINTS,
        {"cadre": cadre_a.pk, "situation": "S01", "detail": "x", "occurred_on": tomorrow},
        format="json",
    )
    assert error(response, 400)["fields"] == {"occurred_on": ["发生日期不能晚于今天。"]}


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_read_only_roles_cannot_record_points(day, users, cadre_a, role):
    response = api(users[role]).post(
        POINTS, {"cadre": cadre_a.pk, "situation": "S01", "detail": "x"}, format="json"
    )
    error(response, 403)


def test_the_points_list_is_scoped_and_filtered(
    day, users, tree, cadre_a, cadre_b, django_assert_num_queries
):
    staff_b = make_user("staff_b", Role.STAFF, tree["county_b"])
    for cadre, actor in ((cadre_a, users[Role.STAFF]), (cadre_a, users[Role.STAFF]), (cadre_b, staff_b)):
        services.points_record(
            actor=actor, cadre=cadre, situation=Situation.objects.get(code="S01"), detail="x"
        )
    client = api(users[Role.API_READER])
    # 1 count, 2 the page of records with cadre, unit, situation and recorder
    with django_assert_num_queries(2):
        body = client.get(POINTS).json()
    assert body["count"] == 2 and {r["cadre_name"] for r in body["results"]} == {"张三"}
    assert client.get(POINTS, {"unit": tree["town_b"].pk}).json()["count"] == 0
    assert client.get(POINTS, {"cadre": cadre_a.pk}).json()["count"] == 2
