"""Reviewing flags and the adjustments decided on them (recall.services_flags): each step, each
step refused out of order, by role or out of scope, and the registry following an approval."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEntry
from cadres.models import CadreStatus, Rank
from recall.errors import StepError
from recall.flags import flags_evaluate
from recall.models import AdjustmentDecision, AdjustmentMethod, DecisionStatus, Flag, FlagStatus
from recall.services_flags import adjustment_approve, adjustment_propose, adjustment_reject, flag_dismiss

from .flag_facts import TODAY, grade


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def head(users):
    return users[Role.HEAD]


@pytest.fixture
def flag(cadre_a):
    """张三 (甲镇, 甲县) was 不称职 in 2025: an open flag."""
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    return Flag.objects.get(cadre=cadre_a)


def propose(actor, cadre, method=AdjustmentMethod.LATERAL, **extra):
    extra.setdefault("reason", "年度考核不称职，经研判不适宜担任现职")
    if method in (AdjustmentMethod.LATERAL, AdjustmentMethod.DEMOTION):
        extra.setdefault("new_post_title", "镇人大副主席")
    if method == AdjustmentMethod.DEMOTION:
        extra.setdefault("new_rank", Rank.FU_KE)
    return adjustment_propose(actor=actor, cadre=cadre, method=method, **extra)


# --------------------------------------------------------------------------- dismissing


def test_staff_dismiss_a_flag_with_a_reason(staff, flag):
    flag_dismiss(actor=staff, flag=flag, reason="系因病长期休假，客观原因")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert flag.reviewed_by == staff and flag.reviewed_at is not None
    assert flag.review_reason == "系因病长期休假，客观原因"
    entry = AuditEntry.objects.get(model="recall.flag", object_id=str(flag.pk), actor=staff)
    assert entry.changes["status"] == [FlagStatus.OPEN, FlagStatus.DISMISSED]
    assert entry.cadre_id == flag.cadre_id and entry.scope_path == flag.unit.path


def test_a_dismissed_flag_is_not_raised_again_by_the_job(staff, flag):
    flag_dismiss(actor=staff, flag=flag, reason="客观原因")
    flags_evaluate()
    assert list(Flag.objects.values_list("status", flat=True)) == [FlagStatus.DISMISSED]


def test_dismissing_needs_a_reason(staff, flag):
    with pytest.raises(ValidationError) as caught:
        flag_dismiss(actor=staff, flag=flag, reason="  ")
    assert caught.value.message_dict == {"reason": ["请填写排除预警的理由。"]}


def test_a_flag_cannot_be_dismissed_twice(staff, flag):
    flag_dismiss(actor=staff, flag=flag, reason="客观原因")
    with pytest.raises(StepError, match="该预警当前为“已排除”，不能排除。"):
        flag_dismiss(actor=staff, flag=flag, reason="客观原因")


def test_a_closed_flag_cannot_be_dismissed(staff, flag):
    Flag.objects.filter(pk=flag.pk).update(status=FlagStatus.CLOSED)
    with pytest.raises(StepError, match="已自动关闭"):
        flag_dismiss(actor=staff, flag=flag, reason="客观原因")


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER])
def test_roles_without_recall_work_cannot_dismiss(users, flag, role):
    with pytest.raises(PermissionDenied):
        flag_dismiss(actor=users[role], flag=flag, reason="客观原因")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


def test_a_flag_outside_the_actors_county_cannot_be_dismissed(staff, cadre_b):
    grade(cadre_b, 2025, "不称职")
    flags_evaluate()
    other = Flag.objects.get(cadre=cadre_b)
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        flag_dismiss(actor=staff, flag=other, reason="客观原因")


# --------------------------------------------------------------------------- proposing


def test_proposing_an_adjustment_marks_the_flag_decided(staff, flag, cadre_a):
    decision = propose(staff, cadre_a, flag=flag, effective_on=datetime.date(2026, 7, 1))
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DECIDED
    assert flag.reviewed_by == staff
    assert flag.review_reason.startswith(f"提出调整：平职调整（调整决定编号 {decision.pk}）")
    assert decision.status == DecisionStatus.PROPOSED
    assert (decision.flag, decision.unit, decision.proposed_on) == (flag, cadre_a.unit, TODAY)
    assert AuditEntry.objects.filter(model="recall.adjustmentdecision", object_id=str(decision.pk)).exists()


def test_a_lateral_move_needs_the_new_post(staff, cadre_a):
    with pytest.raises(ValidationError) as caught:
        propose(staff, cadre_a, new_post_title="")
    assert caught.value.message_dict == {"new_post_title": ["平职调整须填写新任职务。"]}


def test_a_demotion_needs_the_new_post_and_rank(staff, cadre_a):
    with pytest.raises(ValidationError) as caught:
        propose(staff, cadre_a, AdjustmentMethod.DEMOTION, new_post_title="", new_rank="")
    assert caught.value.message_dict == {
        "new_post_title": ["降职须填写新任职务。"],
        "new_rank": ["降职须填写新职级。"],
    }


def test_a_new_rank_must_fit_the_kind_of_cadre(staff, cadre_a):
    with pytest.raises(ValidationError) as caught:
        propose(staff, cadre_a, AdjustmentMethod.DEMOTION, new_rank=Rank.STAFF)
    assert caught.value.message_dict == {"new_rank": ["领导干部（科级）的职级应为：副科级、正科级。"]}


def test_a_method_and_a_reason_are_required(staff, cadre_a):
    with pytest.raises(ValidationError) as caught:
        adjustment_propose(actor=staff, cadre=cadre_a, method="promote", reason="")
    assert caught.value.message_dict == {"method": ["请选择调整方式。"], "reason": ["请填写调整理由。"]}


def test_a_reviewed_flag_cannot_be_decided_on_again(staff, flag, cadre_a):
    flag_dismiss(actor=staff, flag=flag, reason="客观原因")
    with pytest.raises(StepError, match="该预警当前为“已排除”，不能据此提出调整。"):
        propose(staff, cadre_a, flag=flag)
    assert not AdjustmentDecision.objects.exists()


def test_a_flag_about_another_cadre_is_refused(staff, flag, tree):
    from tests.factories import CadreFactory

    other = CadreFactory(unit=tree["town_a"])
    with pytest.raises(ValidationError) as caught:
        propose(staff, other, flag=flag)
    assert caught.value.message_dict == {"flag": ["该预警不是关于这名干部的。"]}


def test_a_second_proposal_waits_for_the_first(staff, cadre_a):
    propose(staff, cadre_a)
    with pytest.raises(StepError, match="已有待审批的调整决定"):
        propose(staff, cadre_a, AdjustmentMethod.REMOVAL)


def test_a_cadre_outside_the_actors_county_cannot_be_adjusted(staff, cadre_b):
    with pytest.raises(PermissionDenied):
        propose(staff, cadre_b)


# --------------------------------------------------------------------------- approving


def test_a_head_approves_a_lateral_move_and_the_registry_follows(staff, head, flag, cadre_a):
    decision = propose(staff, cadre_a, flag=flag, effective_on=datetime.date(2026, 6, 1))
    adjustment_approve(actor=head, decision=decision, note="同意")
    decision.refresh_from_db()
    cadre_a.refresh_from_db()
    assert (decision.status, decision.approved_by, decision.approved_on) == (
        DecisionStatus.APPROVED,
        head,
        TODAY,
    )
    assert decision.approval_note == "同意"
    assert cadre_a.post_title == "镇人大副主席"
    assert cadre_a.post_start_date == datetime.date(2026, 6, 1)
    assert cadre_a.status == CadreStatus.ON_POST
    registry = AuditEntry.objects.get(model="cadres.cadre", object_id=str(cadre_a.pk), actor=head)
    assert registry.changes["post_title"] == ["副镇长", "镇人大副主席"]
    assert registry.reason.startswith("调整决定（平职调整）：")


@pytest.mark.parametrize(
    ("method", "status"),
    [
        (AdjustmentMethod.NON_LEADING, CadreStatus.NON_LEADING),
        (AdjustmentMethod.SUSPENSION, CadreStatus.SUSPENDED),
        (AdjustmentMethod.REMOVAL, CadreStatus.REMOVED),
        (AdjustmentMethod.RESIGN_BLAME, CadreStatus.RESIGNED),
        (AdjustmentMethod.RESIGN_ORDERED, CadreStatus.RESIGNED),
        (AdjustmentMethod.RETIRE, CadreStatus.RETIRED),
    ],
)
def test_each_method_sets_the_cadres_status(staff, head, cadre_a, method, status):
    adjustment_approve(actor=head, decision=propose(staff, cadre_a, method))
    cadre_a.refresh_from_db()
    assert cadre_a.status == status
    assert cadre_a.post_title == "副镇长"


def test_a_demotion_changes_post_and_rank(staff, head, tree):
    from tests.factories import CadreFactory

    chief = CadreFactory(unit=tree["town_a"], rank=Rank.ZHENG_KE, post_title="镇长")
    adjustment_approve(actor=head, decision=propose(staff, chief, AdjustmentMethod.DEMOTION))
    chief.refresh_from_db()
    assert (chief.post_title, chief.rank, chief.status) == ("镇人大副主席", Rank.FU_KE, CadreStatus.ON_POST)


def test_staff_cannot_approve(staff, cadre_a):
    decision = propose(staff, cadre_a)
    with pytest.raises(PermissionDenied, match="只有部长（分管负责人）可以审批调整决定。"):
        adjustment_approve(actor=staff, decision=decision)
    cadre_a.refresh_from_db()
    assert cadre_a.post_title == "副镇长"


def test_a_decision_cannot_be_approved_twice(staff, head, cadre_a):
    decision = propose(staff, cadre_a)
    adjustment_approve(actor=head, decision=decision)
    with pytest.raises(StepError, match="该调整决定当前为“已批准”，不能批准。"):
        adjustment_approve(actor=head, decision=decision)


def test_a_rejected_decision_cannot_be_approved(staff, head, cadre_a):
    decision = propose(staff, cadre_a)
    adjustment_reject(actor=head, decision=decision, note="理由不充分，再研判")
    with pytest.raises(StepError, match="该调整决定当前为“未获批准”，不能批准。"):
        adjustment_approve(actor=head, decision=decision)
    cadre_a.refresh_from_db()
    assert cadre_a.post_title == "副镇长"


# --------------------------------------------------------------------------- rejecting


def test_a_head_rejects_with_a_note_and_the_registry_stays(staff, head, cadre_a):
    decision = propose(staff, cadre_a, AdjustmentMethod.REMOVAL)
    adjustment_reject(actor=head, decision=decision, note="理由不充分，再研判")
    decision.refresh_from_db()
    cadre_a.refresh_from_db()
    assert (decision.status, decision.approval_note) == (DecisionStatus.REJECTED, "理由不充分，再研判")
    assert cadre_a.status == CadreStatus.ON_POST
    entry = AuditEntry.objects.get(model="recall.adjustmentdecision", object_id=str(decision.pk), actor=head)
    assert entry.reason == "不予批准调整：免职；理由不充分，再研判"


def test_rejecting_needs_a_note(staff, head, cadre_a):
    decision = propose(staff, cadre_a)
    with pytest.raises(ValidationError) as caught:
        adjustment_reject(actor=head, decision=decision, note="")
    assert caught.value.message_dict == {"note": ["不予批准须填写审批意见。"]}


def test_an_approved_decision_cannot_be_rejected(staff, head, cadre_a):
    decision = propose(staff, cadre_a)
    adjustment_approve(actor=head, decision=decision)
    with pytest.raises(StepError, match="不能不予批准"):
        adjustment_reject(actor=head, decision=decision, note="撤回")


def test_staff_cannot_reject(staff, cadre_a):
    decision = propose(staff, cadre_a)
    with pytest.raises(PermissionDenied):
        adjustment_reject(actor=staff, decision=decision, note="不同意")
