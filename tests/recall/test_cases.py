"""The recall case workflow: each step in order, each step refused out of order or out of bounds,
and the registry following the outcome."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessment.models import PolicyRule, RuleKind
from audit.models import AuditEntry
from cadres.models import CadreStatus, Rank
from recall import services
from recall.errors import StepError
from recall.models import CaseSource, Cause, Outcome, RecallCase, RecallStep, Situation, Stage
from tests.factories import CadreFactory


@pytest.fixture
def day(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def staff(users):
    return users["staff"]


@pytest.fixture
def head(users):
    return users["head"]


@pytest.fixture
def situation(db):
    return Situation.objects.get(code="C01")


def propose(staff, cadre, situation, on="2026-06-01"):
    return services.case_propose(
        actor=staff,
        cadre=cadre,
        source=CaseSource.SITUATION,
        situation=situation,
        reason="业务不熟，连续两个月未完成目标任务",
        on=on,
    )


def to_studied(staff, head, cadre, situation, *, days=5):
    case = propose(staff, cadre, situation)
    services.case_approve(actor=head, case=case, on="2026-06-02")
    services.case_publicize(actor=staff, case=case, where="本单位公示栏、县电视台", on="2026-06-03")
    start = datetime.date(2026, 6, 4)
    return services.case_study(
        actor=staff,
        case=case,
        start=start,
        end=start + datetime.timedelta(days=days - 1),
        content="业务培训、作风教育",
        attendance="full",
        fee="300",
    )


def follow_up(staff, case, result="passed", on="2026-06-12"):
    return services.case_follow_up(
        actor=staff,
        case=case,
        result=result,
        discipline_officer="王纪检",
        org_officer="李组织",
        note="思想认识有较大转变",
        on=on,
    )


def test_a_case_runs_every_step_in_order_and_records_who_and_when(day, staff, head, cadre_a, situation):
    case = to_studied(staff, head, cadre_a, situation)
    services.case_penalize(actor=staff, case=case, amount="2000.50", note="扣发部分绩效", on="2026-06-10")
    follow_up(staff, case)
    case = services.case_outcome(actor=staff, case=case, outcome=Outcome.BACK_TO_POST, on="2026-06-14")
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert case.bonus_withheld == Decimal("2000.50")
    assert case.study_days == 5
    steps = list(RecallStep.objects.filter(case=case).values_list("step", "actor__username", "on"))
    assert steps == [
        ("propose", "staff_a", datetime.date(2026, 6, 1)),
        ("approve", "head_a", datetime.date(2026, 6, 2)),
        ("publicize", "staff_a", datetime.date(2026, 6, 3)),
        ("study", "staff_a", datetime.date(2026, 6, 8)),
        ("penalize", "staff_a", datetime.date(2026, 6, 10)),
        ("follow_up", "staff_a", datetime.date(2026, 6, 12)),
        ("outcome", "staff_a", datetime.date(2026, 6, 14)),
    ]
    assert AuditEntry.objects.filter(model="recall.recallcase", object_id=str(case.pk)).count() == 7
    cadre_a.refresh_from_db()
    assert cadre_a.status == CadreStatus.ON_POST


def test_approval_makes_the_cadre_recalled_in_the_registry(day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    services.case_approve(actor=head, case=case)
    cadre_a.refresh_from_db()
    assert cadre_a.status == CadreStatus.RECALLED
    assert AuditEntry.objects.filter(
        model="cadres.cadre", object_id=str(cadre_a.pk), reason="召回学习"
    ).exists()


@pytest.mark.parametrize("role", ["staff", "county_admin", "auditor", "api_reader"])
def test_only_a_department_head_approves(day, users, cadre_a, situation, role):
    case = propose(users["staff"], cadre_a, situation)
    with pytest.raises(PermissionDenied, match="部长"):
        services.case_approve(actor=users[role], case=case)
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED


def test_a_head_of_another_county_cannot_approve(day, users, tree, cadre_a, situation):
    from accounts.roles import Role
    from tests.factories import make_user

    other_head = make_user("head_b", Role.HEAD, tree["county_b"])
    case = propose(users["staff"], cadre_a, situation)
    with pytest.raises(PermissionDenied, match="管辖范围"):
        services.case_approve(actor=other_head, case=case)


def test_a_city_head_one_level_above_approves(day, users, tree, cadre_a, situation):
    from accounts.roles import Role
    from tests.factories import make_user

    city_head = make_user("head_city", Role.HEAD, tree["city"])
    case = propose(users["staff"], cadre_a, situation)
    assert services.case_approve(actor=city_head, case=case).stage == Stage.APPROVED


@pytest.mark.parametrize(
    "step, call",
    [
        ("publicize", lambda s, c: services.case_publicize(actor=s, case=c, where="公示栏")),
        (
            "study",
            lambda s, c: services.case_study(
                actor=s, case=c, start="2026-06-04", end="2026-06-05", content="x", attendance="full", fee=0
            ),
        ),
        ("penalize", lambda s, c: services.case_penalize(actor=s, case=c, amount=100)),
        ("follow_up", lambda s, c: follow_up(s, c)),
        ("outcome", lambda s, c: services.case_outcome(actor=s, case=c, outcome=Outcome.BACK_TO_POST)),
    ],
)
def test_a_step_before_approval_is_refused_and_says_what_comes_next(
    day, staff, cadre_a, situation, step, call
):
    case = propose(staff, cadre_a, situation)
    with pytest.raises(StepError, match="下一步应为：部长（分管负责人）审批"):
        call(staff, case)
    assert RecallCase.objects.get(pk=case.pk).stage == Stage.PROPOSED
    assert RecallStep.objects.filter(case=case).count() == 1


def test_approving_twice_is_refused(day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    services.case_approve(actor=head, case=case)
    with pytest.raises(StepError, match="已批准召回"):
        services.case_approve(actor=head, case=case)


def test_a_stale_instance_cannot_skip_a_stage(day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    stale = RecallCase.objects.get(pk=case.pk)
    services.case_approve(actor=head, case=case)
    with pytest.raises(StepError):
        services.case_approve(actor=head, case=stale)


@pytest.mark.parametrize("days, ok", [(1, False), (2, True), (5, True), (6, False)])
def test_the_study_class_lasts_two_to_five_days(day, staff, head, cadre_a, situation, days, ok):
    if ok:
        case = to_studied(staff, head, cadre_a, situation, days=days)
        assert case.study_days == days
        return
    with pytest.raises(ValidationError) as err:
        to_studied(staff, head, cadre_a, situation, days=days)
    assert f"为期 {days} 天" in str(err.value) and "2 至 5 天" in str(err.value)
    assert RecallCase.objects.get(cadre=cadre_a).stage == Stage.PUBLICIZED


def test_a_unit_policy_can_lengthen_the_study_class(day, staff, head, tree, cadre_a, situation):
    PolicyRule.objects.create(
        unit=tree["county_a"],
        kind=RuleKind.RECALL_LIMITS,
        params={
            "study_min_days": 2,
            "study_max_days": 7,
            "frontline_min_months": 1,
            "frontline_max_months": 6,
        },
    )
    assert to_studied(staff, head, cadre_a, situation, days=7).study_days == 7


@pytest.mark.parametrize("fee", ["-1", "abc", "1.005"])
def test_a_bad_fee_is_refused(day, staff, head, cadre_a, situation, fee):
    case = propose(staff, cadre_a, situation)
    services.case_approve(actor=head, case=case, on="2026-06-02")
    services.case_publicize(actor=staff, case=case, where="公示栏", on="2026-06-03")
    with pytest.raises(ValidationError) as err:
        services.case_study(
            actor=staff,
            case=case,
            start="2026-06-04",
            end="2026-06-05",
            content="x",
            attendance="full",
            fee=fee,
        )
    assert "study_fee" in err.value.message_dict


def test_follow_up_needs_two_different_officers(day, staff, head, cadre_a, situation):
    case = to_studied(staff, head, cadre_a, situation)
    with pytest.raises(ValidationError) as err:
        services.case_follow_up(
            actor=staff, case=case, result="passed", discipline_officer="王五", org_officer="王五"
        )
    assert "不同的人" in str(err.value)
    with pytest.raises(ValidationError):
        services.case_follow_up(
            actor=staff, case=case, result="passed", discipline_officer="", org_officer="李四"
        )


def test_a_failed_follow_up_cannot_send_the_cadre_back_to_post(day, staff, head, cadre_a, situation):
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation), result="failed")
    with pytest.raises(ValidationError, match="不能回原岗位"):
        services.case_outcome(actor=staff, case=case, outcome=Outcome.BACK_TO_POST)
    with pytest.raises(ValidationError, match="一线锻炼"):
        services.case_outcome(
            actor=staff, case=case, outcome=Outcome.FRONTLINE, frontline_post="重点项目", frontline_months=3
        )


@pytest.mark.parametrize("months, ok", [(0, False), (1, True), (6, True), (7, False)])
def test_a_frontline_stint_lasts_one_to_six_months(day, staff, head, cadre_a, situation, months, ok):
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation))
    call = lambda: services.case_outcome(  # noqa: E731
        actor=staff,
        case=case,
        outcome=Outcome.FRONTLINE,
        on="2026-06-13",
        frontline_post="县工业园区重点项目",
        frontline_start="2026-06-13",
        frontline_months=months,
    )
    if ok:
        assert call().stage == Stage.FRONTLINE
        cadre_a.refresh_from_db()
        assert cadre_a.status == CadreStatus.FRONTLINE
    else:
        with pytest.raises(ValidationError, match="1 至 6 个月"):
            call()


def test_a_frontline_stint_ends_in_its_own_follow_up_then_an_outcome(clock, staff, head, cadre_a, situation):
    clock.set("2026-06-15")
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation))
    services.case_outcome(
        actor=staff,
        case=case,
        outcome=Outcome.FRONTLINE,
        on="2026-06-13",
        frontline_post="县工业园区重点项目",
        frontline_start="2026-06-13",
        frontline_months=2,
    )
    clock.set("2026-08-11")
    with pytest.raises(ValidationError, match="期满"):
        follow_up(staff, case, on="2026-08-11")
    clock.set("2026-08-12")
    case = follow_up(staff, case, result="failed", on="2026-08-12")
    assert case.stage == Stage.FOLLOWED_UP and case.frontline_result == "failed"
    assert case.followup_result == "passed"
    with pytest.raises(ValidationError, match="已经过一线锻炼"):
        services.case_outcome(
            actor=staff, case=case, outcome=Outcome.FRONTLINE, frontline_post="x", frontline_months=2
        )
    case = services.case_outcome(
        actor=staff, case=case, outcome=Outcome.TRANSFER, new_post_title="县档案馆科员"
    )
    cadre_a.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert (cadre_a.status, cadre_a.post_title) == (CadreStatus.ON_POST, "县档案馆科员")


@pytest.mark.parametrize(
    "outcome, status",
    [
        (Outcome.REMOVAL, CadreStatus.REMOVED),
        (Outcome.AWAITING, CadreStatus.AWAITING),
        (Outcome.DISMISSAL, CadreStatus.DISMISSED),
        (Outcome.TERMINATION, CadreStatus.DISMISSED),
        (Outcome.STEP_BACK_REMOVAL, CadreStatus.REMOVED),
        (Outcome.STEP_BACK_NON_LEADING, CadreStatus.NON_LEADING),
        (Outcome.STEP_BACK_RETIRE, CadreStatus.RETIRED),
    ],
)
def test_the_registry_follows_the_outcome(day, staff, head, cadre_a, situation, outcome, status):
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation), result="failed")
    case = services.case_outcome(actor=staff, case=case, outcome=outcome)
    cadre_a.refresh_from_db()
    assert cadre_a.status == status
    assert case.basic_salary_only == (outcome == Outcome.AWAITING)
    assert AuditEntry.objects.filter(
        model="cadres.cadre", object_id=str(cadre_a.pk), reason__contains="召回处理"
    ).exists()


def test_a_demotion_needs_a_new_post_and_a_lower_rank(day, staff, head, cadre_a, situation):
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation), result="failed")
    with pytest.raises(ValidationError) as err:
        services.case_outcome(actor=staff, case=case, outcome=Outcome.DEMOTION, new_post_title="")
    assert "new_post_title" in err.value.message_dict
    with pytest.raises(ValidationError, match="相同"):
        services.case_outcome(
            actor=staff, case=case, outcome=Outcome.DEMOTION, new_post_title="科员", new_rank=Rank.FU_KE
        )
    services.case_outcome(
        actor=staff,
        case=case,
        outcome=Outcome.DEMOTION,
        new_post_title="镇党政办科员",
        new_rank=Rank.LEVEL_1_STAFF,
    )
    cadre_a.refresh_from_db()
    assert (cadre_a.rank, cadre_a.kind, cadre_a.post_title) == (Rank.LEVEL_1_STAFF, "general", "镇党政办科员")


def test_one_open_case_per_cadre(day, staff, cadre_a, situation):
    propose(staff, cadre_a, situation)
    with pytest.raises(StepError, match="已有正在办理"):
        propose(staff, cadre_a, situation)


def test_a_rejected_case_frees_the_cadre_for_a_new_proposal(day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation)
    services.case_reject(actor=head, case=case, note="事实不清")
    with pytest.raises(StepError, match="未获批准"):
        services.case_publicize(actor=staff, case=case, where="x")
    assert propose(staff, cadre_a, situation).stage == Stage.PROPOSED


def test_a_step_dated_before_the_previous_one_is_refused(day, staff, head, cadre_a, situation):
    case = propose(staff, cadre_a, situation, on="2026-06-10")
    with pytest.raises(ValidationError, match="不能早于上一环节"):
        services.case_approve(actor=head, case=case, on="2026-06-09")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.case_approve(actor=head, case=case, on="2026-06-16")


def test_staff_outside_the_subtree_cannot_propose(day, users, cadre_b, situation):
    with pytest.raises(PermissionDenied):
        propose(users["staff"], cadre_b, situation)


@pytest.mark.parametrize("role", ["county_admin", "auditor", "api_reader"])
def test_roles_without_recall_rights_cannot_propose(day, users, cadre_a, situation, role):
    with pytest.raises(PermissionDenied):
        propose(users[role], cadre_a, situation)


def test_a_grade_proposal_needs_a_published_basic_or_incompetent_grade(day, staff, cadre_a):
    from assessment.models import Assessment
    from tests.factories import make_period

    period = make_period(year=2025, status="published")
    Assessment.objects.create(period=period, cadre=cadre_a, unit=cadre_a.unit, final_grade="称职")
    kwargs = {
        "actor": staff,
        "cadre": cadre_a,
        "source": CaseSource.GRADE,
        "period": period,
        "reason": "x",
        "cause": Cause.LAX,
    }
    with pytest.raises(ValidationError, match="等次为称职"):
        services.case_propose(**kwargs)
    Assessment.objects.filter(cadre=cadre_a).update(final_grade="基本称职")
    case = services.case_propose(**kwargs)
    assert case.facts[0]["value"] == "基本称职"


def test_the_case_suggests_the_treatment_that_fits_the_cause(day, staff, cadre_a):
    for code, expected in [("C01", "集中教育培训"), ("U03", "转岗"), ("L03", "降职"), ("U01", "传帮带")]:
        cadre = CadreFactory(unit=cadre_a.unit)
        case = propose(staff, cadre, Situation.objects.get(code=code))
        title, why = services.treatment_for(case)
        assert expected in title and why


# --------------------------------------------------------------------------- points (记分制)


def test_points_reaching_the_threshold_propose_a_recall(clock, staff, cadre_a):
    clock.set("2026-06-15")
    six = Situation.objects.get(code="S06")  # 6 points
    five = Situation.objects.get(code="S05")  # 4 points
    services.points_record(
        actor=staff, cadre=cadre_a, situation=six, detail="违规接受宴请", occurred_on="2026-01-10"
    )
    _, case = services.points_record(
        actor=staff, cadre=cadre_a, situation=five, detail="态度生硬", occurred_on="2026-03-01"
    )
    assert case is None  # 10 of 12
    _, case = services.points_record(
        actor=staff,
        cadre=cadre_a,
        situation=Situation.objects.get(code="S01"),
        detail="迟到",
        occurred_on="2026-06-01",
    )
    assert case is not None and case.source == CaseSource.POINTS  # exactly 12
    assert "12 分" in case.reason
    assert len([f for f in case.facts if f.get("ref")]) == 3


def test_points_older_than_the_window_do_not_count(clock, staff, cadre_a):
    clock.set("2026-06-15")
    six = Situation.objects.get(code="S06")
    # 2025-06-15 is exactly twelve months back: outside the window; 2025-06-16 is inside.
    services.points_record(actor=staff, cadre=cadre_a, situation=six, detail="a", occurred_on="2025-06-15")
    _, case = services.points_record(
        actor=staff, cadre=cadre_a, situation=six, detail="b", occurred_on="2026-06-01"
    )
    assert case is None
    _, case = services.points_record(
        actor=staff, cadre=cadre_a, situation=six, detail="c", occurred_on="2025-06-16"
    )
    assert case is not None


def test_a_disabled_points_rule_proposes_nothing(clock, staff, tree, cadre_a):
    clock.set("2026-06-15")
    PolicyRule.objects.create(
        unit=tree["town_a"],
        kind=RuleKind.RECALL_POINTS,
        key="",
        params={"window_months": 12, "threshold": 12},
        enabled=False,
    )
    p12 = Situation.objects.get(code="P01")
    _, case = services.points_record(actor=staff, cadre=cadre_a, situation=p12, detail="x")
    assert case is None


def test_a_transfer_moves_the_post_history_too(day, staff, head, cadre_a, situation):
    from cadres.models import PostRecord

    PostRecord.objects.create(
        cadre=cadre_a,
        unit=cadre_a.unit,
        unit_name="甲镇",
        title="副镇长",
        start_date=datetime.date(2020, 3, 1),
    )
    case = follow_up(staff, to_studied(staff, head, cadre_a, situation), result="failed")
    services.case_outcome(
        actor=staff, case=case, outcome=Outcome.TRANSFER, new_post_title="县档案馆科员", on="2026-06-14"
    )
    posts = list(PostRecord.objects.filter(cadre=cadre_a).values_list("title", "start_date", "end_date"))
    assert posts == [
        ("副镇长", datetime.date(2020, 3, 1), datetime.date(2026, 6, 13)),
        ("县档案馆科员", datetime.date(2026, 6, 14), None),
    ]
    cadre_a.refresh_from_db()
    assert (cadre_a.post_title, cadre_a.post_start_date) == ("县档案馆科员", datetime.date(2026, 6, 14))
