"""The 召回管理 pages: the case list with its filters, 提议召回, and the case page whose one form
moves the case a step at a time; refused steps show the service's message; scope and roles."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, Grade
from cadres.models import CadreKind, CadreStatus, Rank
from recall import services
from recall.models import CaseSource, Cause, Outcome, RecallCase, RecallStep, Situation, Stage
from tests.factories import CadreFactory, make_period


@pytest.fixture
def day(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def head(users):
    return users[Role.HEAD]


@pytest.fixture
def situation(db):
    return Situation.objects.get(code="C01")


def propose(staff, cadre, situation, on="2026-06-01", **kw):
    return services.case_propose(
        actor=staff,
        cadre=cadre,
        source=CaseSource.SITUATION,
        situation=situation,
        reason="业务不熟，连续两个月未完成目标任务",
        on=on,
        **kw,
    )


def to_stage(staff, head, cadre, situation, stage: str) -> RecallCase:
    """A case of ``cadre`` walked through the services up to ``stage``."""
    case = propose(staff, cadre, situation)
    if stage == Stage.PROPOSED:
        return case
    if stage == Stage.REJECTED:
        return services.case_reject(actor=head, case=case, note="事实不清", on="2026-06-02")
    services.case_approve(actor=head, case=case, on="2026-06-02")
    if stage == Stage.APPROVED:
        return case
    services.case_publicize(actor=staff, case=case, where="本单位公示栏", on="2026-06-03")
    if stage == Stage.PUBLICIZED:
        return case
    services.case_study(
        actor=staff,
        case=case,
        start="2026-06-04",
        end="2026-06-06",
        content="业务培训",
        attendance="full",
        fee=300,
    )
    if stage == Stage.STUDIED:
        return case
    services.case_penalize(actor=staff, case=case, amount=1000, on="2026-06-08")
    if stage == Stage.PENALIZED:
        return case
    services.case_follow_up(
        actor=staff,
        case=case,
        result="passed",
        discipline_officer="王纪检",
        org_officer="李组织",
        on="2026-06-10",
    )
    if stage == Stage.FOLLOWED_UP:
        return case
    if stage == Stage.FRONTLINE:
        return services.case_outcome(
            actor=staff,
            case=case,
            outcome=Outcome.FRONTLINE,
            on="2026-06-11",
            frontline_post="重点项目指挥部",
            frontline_months=3,
        )
    return services.case_outcome(actor=staff, case=case, outcome=Outcome.BACK_TO_POST, on="2026-06-11")


def step_url(case, step):
    return reverse("recall:case_step", args=[case.pk, step])


def detail(client, case):
    return client.get(reverse("recall:case_detail", args=[case.pk]))


# ---------------------------------------------------------------- the list


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.AUDITOR])
def test_the_case_list_shows_cases_in_scope_only(
    client, day, users, staff, cadre_a, cadre_b, situation, role
):
    propose(staff, cadre_a, situation)
    propose(users["city_staff"], cadre_b, situation)
    client.force_login(users[role])
    page = client.get(reverse("recall:cases")).content.decode()
    assert "张三" in page and "李四" not in page
    assert "已提议" in page


def test_the_case_list_filters_by_stage_unit_level_cause_source_and_name(
    client, day, staff, head, tree, situation
):
    leader = CadreFactory(unit=tree["town_a"], name="王科长")
    clerk = CadreFactory(unit=tree["county_a"], name="赵科员", kind=CadreKind.GENERAL, rank=Rank.STAFF)
    to_stage(staff, head, leader, situation, Stage.APPROVED)
    propose(staff, clerk, Situation.objects.get(code="S09"))
    client.force_login(staff)
    url = reverse("recall:cases")

    def names(query):
        return sorted(c.cadre.name for c in client.get(url, query).context["page"])

    assert names({}) == ["王科长", "赵科员"]
    assert names({"stage": Stage.APPROVED}) == ["王科长"]
    assert names({"stage": "open"}) == ["王科长", "赵科员"]
    assert names({"unit": tree["town_a"].pk}) == ["王科长"]
    assert names({"level": "ke"}) == ["王科长"]
    assert names({"cause": Cause.ABSENTEEISM}) == ["赵科员"]
    assert names({"source": CaseSource.GRADE}) == []
    assert names({"name": "赵"}) == ["赵科员"]


def test_the_case_list_pages_by_fifty(client, day, staff, tree, situation):
    for n in range(51):
        propose(staff, CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}"), situation)
    client.force_login(staff)
    first = client.get(reverse("recall:cases"))
    assert len(first.context["page"].object_list) == 50
    assert len(client.get(reverse("recall:cases"), {"page": 2}).context["page"].object_list) == 1


@pytest.mark.parametrize("count", [3, 30])
def test_the_case_list_costs_the_same_queries_for_3_or_30_cases(
    client, day, staff, tree, situation, count, django_assert_num_queries
):
    for n in range(count):
        propose(staff, CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}"), situation)
    client.force_login(staff)
    # session, user, the user's unit (scope), units for the filter select, COUNT for the paginator,
    # the page of cases (with cadre, situation and the unit label), the counts by stage
    with django_assert_num_queries(7):
        response = client.get(reverse("recall:cases"))
    assert response.context["page"].paginator.count == count


# ---------------------------------------------------------------- 提议召回


def test_staff_propose_a_recall_through_the_cadre_picker(client, day, staff, cadre_a, situation):
    client.force_login(staff)
    assert client.get(reverse("recall:case_propose")).status_code == 200
    response = client.post(
        reverse("recall:case_propose"),
        {
            "cadre_query": "张三",
            "source": "situation",
            "situation": situation.pk,
            "reason": "连续两月未完成任务",
        },
    )
    case = RecallCase.objects.get(cadre=cadre_a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "recall:case_detail", args=[case.pk]
    )
    assert case.stage == Stage.PROPOSED and case.cause == Cause.ABILITY and case.proposed_by == staff


def test_a_grade_proposal_picks_a_published_period(client, day, staff, cadre_a):
    period = make_period(year=2025, status="published")
    Assessment.objects.create(period=period, cadre=cadre_a, unit=cadre_a.unit, final_grade=Grade.BASIC)
    client.force_login(staff)
    form = client.get(reverse("recall:case_propose"), {"cadre": cadre_a.pk}).context["form"]
    assert list(form.fields["period"].queryset) == [period]
    client.post(
        reverse("recall:case_propose") + f"?cadre={cadre_a.pk}",
        {
            "cadre": cadre_a.pk,
            "source": "grade",
            "period": period.pk,
            "cause": Cause.ABILITY,
            "reason": "基本称职",
        },
    )
    case = RecallCase.objects.get(cadre=cadre_a)
    assert case.source == CaseSource.GRADE and case.period == period
    assert case.facts[0]["value"] == Grade.BASIC


def test_a_proposal_refused_by_the_service_shows_its_message_on_the_field(client, day, staff, cadre_a):
    period = make_period(year=2025, status="published")
    Assessment.objects.create(period=period, cadre=cadre_a, unit=cadre_a.unit, final_grade=Grade.COMPETENT)
    client.force_login(staff)
    response = client.post(
        reverse("recall:case_propose"),
        {"cadre": cadre_a.pk, "source": "grade", "period": period.pk, "cause": Cause.ABILITY, "reason": "x"},
    )
    assert response.status_code == 200
    assert "只有基本称职或不称职可作为召回依据" in response.context["form"].errors["period"][0]
    assert not RecallCase.objects.exists()


def test_a_second_proposal_for_a_cadre_links_to_the_open_case(client, day, staff, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(staff)
    response = client.post(
        reverse("recall:case_propose"),
        {"cadre": cadre_a.pk, "source": "situation", "situation": situation.pk, "reason": "又一次"},
    )
    page = response.content.decode()
    assert "该干部已有正在办理的召回案件" in page
    assert reverse("recall:case_detail", args=[case.pk]) in page
    assert RecallCase.objects.count() == 1


def test_a_cadre_outside_the_scope_cannot_be_preset(client, day, staff, cadre_b):
    client.force_login(staff)
    assert client.get(reverse("recall:case_propose"), {"cadre": cadre_b.pk}).status_code == 404


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COUNTY_ADMIN, Role.API_READER])
def test_roles_without_recall_rights_cannot_propose(client, day, users, cadre_a, situation, role):
    client.force_login(users[role])
    assert client.get(reverse("recall:case_propose")).status_code == 403
    response = client.post(
        reverse("recall:case_propose"),
        {"cadre": cadre_a.pk, "source": "situation", "situation": situation.pk, "reason": "x"},
    )
    assert response.status_code == 403 and not RecallCase.objects.exists()


# ---------------------------------------------------------------- the case page


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.AUDITOR])
def test_the_case_page_renders_for_every_reader(client, day, users, staff, head, cadre_a, situation, role):
    case = to_stage(staff, head, cadre_a, situation, Stage.STUDIED)
    client.force_login(users[role])
    response = detail(client, case)
    assert response.status_code == 200
    page = response.content.decode()
    assert "集中教育培训" in page  # the treatment suggested for weak ability, with why
    assert "能力不够、素质不高" in page


def test_the_stepper_shows_every_stage_with_who_and_when(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.STUDIED)
    client.force_login(staff)
    stepper = detail(client, case).context["stepper"]
    assert [(s["label"], s["state"]) for s in stepper] == [
        ("提议召回", "done"),
        ("部长审批", "done"),
        ("公开召回", "done"),
        ("召回学习", "done"),
        ("扣发绩效", "current"),
        ("跟踪考察", "todo"),
        ("处理结果", "todo"),
    ]
    approve = stepper[1]["step"]
    assert (approve.actor, approve.on) == (head, datetime.date(2026, 6, 2))
    assert stepper[3]["note"] == "3天 · 全勤"


def test_a_skipped_penalty_shows_as_skipped(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.STUDIED)
    services.case_follow_up(
        actor=staff,
        case=case,
        result="passed",
        discipline_officer="王纪检",
        org_officer="李组织",
        on="2026-06-10",
    )
    client.force_login(staff)
    states = {s["key"]: s["state"] for s in detail(client, case).context["stepper"]}
    assert states["penalize"] == "skipped" and states["outcome"] == "current"


def test_a_front_line_case_adds_the_stint_and_its_check(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.FRONTLINE)
    client.force_login(staff)
    response = detail(client, case)
    labels = [(s["label"], s["state"]) for s in response.context["stepper"]]
    assert labels[-3:] == [("处理结果", "done"), ("锻炼期满考察", "current"), ("最终处理", "todo")]
    assert response.context["shown"]["title"] == "登记一线锻炼期满考察"
    assert "2026-09-11 期满" in response.content.decode()


def test_a_rejected_case_shows_the_refusal_and_no_step(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.REJECTED)
    client.force_login(head)
    response = detail(client, case)
    assert response.context["stepper"][1]["state"] == "rejected"
    assert response.context["shown"] is None


def test_staff_see_that_the_case_waits_for_a_head(client, day, staff, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(staff)
    response = detail(client, case)
    assert response.context["shown"] is None
    assert "待部长审批" in response.content.decode()
    assert step_url(case, "approve") not in response.content.decode()


def test_a_head_sees_the_approval_form(client, day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(head)
    response = detail(client, case)
    assert response.context["shown"]["step"] == "approve"
    assert "批准召回" in response.content.decode() and "不予批准" in response.content.decode()


def _post(client, case, step, data):
    return client.post(step_url(case, step), data)


STEP_POSTS = [
    ("approve", "head", {"decision": "approve", "note": "同意召回"}, Stage.PROPOSED, Stage.APPROVED),
    ("publicize", "staff", {"where": "县电视台"}, Stage.APPROVED, Stage.PUBLICIZED),
    (
        "study",
        "staff",
        {
            "study_start": "2026-06-04",
            "study_end": "2026-06-08",
            "study_content": "作风教育",
            "attendance": "full",
            "study_fee": "350",
        },
        Stage.PUBLICIZED,
        Stage.STUDIED,
    ),
    (
        "penalize",
        "staff",
        {"bonus_withheld": "2,000.50", "penalty_note": "扣发部分"},
        Stage.STUDIED,
        Stage.PENALIZED,
    ),
    (
        "follow_up",
        "staff",
        {"result": "passed", "discipline_officer": "王纪检", "org_officer": "李组织"},
        Stage.PENALIZED,
        Stage.FOLLOWED_UP,
    ),
    ("outcome", "staff", {"outcome": "back_to_post", "note": "回原岗位"}, Stage.FOLLOWED_UP, Stage.CLOSED),
]


@pytest.mark.parametrize("step, who, data, before, after", STEP_POSTS)
def test_each_step_form_moves_the_case(
    client, day, staff, head, cadre_a, situation, step, who, data, before, after
):
    case = to_stage(staff, head, cadre_a, situation, before)
    client.force_login({"head": head, "staff": staff}[who])
    assert detail(client, case).context["shown"]["step"] == step
    response = _post(client, case, step, data)
    assert response.status_code == 302, response.context and response.context["shown"]["form"].errors
    case.refresh_from_db()
    assert case.stage == after
    assert RecallStep.objects.filter(case=case).last().actor == {"head": head, "staff": staff}[who]


def test_the_follow_up_may_come_straight_after_the_study_class(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.STUDIED)
    client.force_login(staff)
    shown = client.get(reverse("recall:case_detail", args=[case.pk]), {"step": "follow_up"}).context["shown"]
    assert shown["step"] == "follow_up" and shown["alternative"] == "penalize"
    _post(
        client,
        case,
        "follow_up",
        {"result": "failed", "discipline_officer": "王纪检", "org_officer": "李组织"},
    )
    case.refresh_from_db()
    assert case.stage == Stage.FOLLOWED_UP and case.bonus_withheld is None


def test_a_head_rejects_with_a_reason(client, day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(head)
    response = _post(client, case, "approve", {"decision": "reject", "note": ""})
    assert response.status_code == 200
    assert response.context["shown"]["form"].errors["note"] == ["请填写不予批准的理由。"]
    _post(client, case, "approve", {"decision": "reject", "note": "事实不清，退回补充"})
    case.refresh_from_db()
    assert case.stage == Stage.REJECTED and case.approval_note == "事实不清，退回补充"


def test_a_six_day_study_class_is_refused_with_the_policy_limits(
    client, day, staff, head, cadre_a, situation
):
    case = to_stage(staff, head, cadre_a, situation, Stage.PUBLICIZED)
    client.force_login(staff)
    response = _post(
        client,
        case,
        "study",
        {
            "study_start": "2026-06-04",
            "study_end": "2026-06-09",
            "study_content": "作风教育",
            "attendance": "full",
            "study_fee": "300",
        },
    )
    assert response.status_code == 200
    errors = response.context["shown"]["form"].errors["study_end"]
    assert errors == ["学习班为期 6 天，不符合规定：离岗集中学习应为 2 至 5 天。"]
    assert "2 至 5 天" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.PUBLICIZED


def test_a_front_line_outcome_outside_the_months_is_refused(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.FOLLOWED_UP)
    client.force_login(staff)
    response = _post(
        client, case, "outcome", {"outcome": "frontline", "frontline_post": "项目部", "frontline_months": "8"}
    )
    assert response.context["shown"]["form"].errors["frontline_months"] == [
        "锻炼期限为 8 个月，不符合规定：应为 1 至 6 个月。"
    ]
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.FOLLOWED_UP


def test_a_step_out_of_order_shows_what_the_case_waits_for(client, day, staff, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(staff)
    response = _post(client, case, "publicize", {"where": "公示栏"})
    assert response.status_code == 409
    assert "下一步应为：部长（分管负责人）审批" in response.content.decode()
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


def test_a_replayed_approval_shows_the_step_error_not_a_500(client, day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(head)
    _post(client, case, "approve", {"decision": "approve"})
    response = _post(client, case, "approve", {"decision": "approve"})
    assert response.status_code == 409
    assert "不能审批召回" in response.content.decode()


def test_an_outcome_the_registry_refuses_shows_on_the_form(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.FOLLOWED_UP)
    client.force_login(staff)
    response = _post(client, case, "outcome", {"outcome": "demotion", "new_post_title": "科员"})
    assert response.status_code == 200
    assert response.context["shown"]["form"].errors["new_rank"] == ["请选择调整后的职级。"]


def test_closing_a_case_puts_the_cadre_back_on_post(client, day, staff, head, cadre_a, situation):
    case = to_stage(staff, head, cadre_a, situation, Stage.FOLLOWED_UP)
    cadre_a.refresh_from_db()
    assert cadre_a.status == CadreStatus.RECALLED
    client.force_login(staff)
    _post(client, case, "outcome", {"outcome": "back_to_post"})
    cadre_a.refresh_from_db()
    assert cadre_a.status == CadreStatus.ON_POST


def test_staff_cannot_approve(client, day, staff, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(staff)
    assert _post(client, case, "approve", {"decision": "approve"}).status_code == 403
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COUNTY_ADMIN, Role.API_READER])
def test_roles_without_recall_rights_cannot_take_a_step(
    client, day, users, staff, head, cadre_a, situation, role
):
    case = to_stage(staff, head, cadre_a, situation, Stage.APPROVED)
    client.force_login(users[role])
    assert detail(client, case).context["shown"] is None
    assert _post(client, case, "publicize", {"where": "公示栏"}).status_code == 403
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.APPROVED


def test_a_case_outside_the_scope_is_not_found(client, day, users, cadre_b, situation):
    case = propose(users["city_staff"], cadre_b, situation)
    for role in (Role.STAFF, Role.HEAD):
        client.force_login(users[role])
        assert detail(client, case).status_code == 404
        assert _post(client, case, "approve", {"decision": "approve"}).status_code == 404
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


def test_an_unknown_step_is_not_found(client, day, staff, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    client.force_login(staff)
    assert _post(client, case, "teleport", {}).status_code == 404
