"""Reviewing "不适宜担任现职" flags and the adjustments people decide on them (能上能下).

The system flags; people decide. Staff (or a head) dismiss a flag with a reason, or propose an
adjustment of the cadre (平职调整, 改任职级/非领导职务, 停职, 免职, 引咎辞职, 责令辞职, 降职, 退休),
which marks the flag decided; a department head approves the adjustment, and the cadre's post and
status then change through ``cadres.services.cadre_update`` (audited, on the profile), or rejects
it. A step out of order raises ``StepError``; bad input a ``ValidationError`` keyed by field; a
role or a unit outside the actor's scope ``PermissionDenied``. Every write is audited.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import RANKS_BY_KIND, Cadre, CadreKind, CadreStatus, Rank, Unit
from cadres.selectors import unit_in_scope
from cadres.services import cadre_post_change, cadre_update

from .errors import StepError
from .models import AdjustmentDecision, AdjustmentMethod, DecisionStatus, Flag, FlagStatus

# What an approved adjustment makes of the cadre's status.
STATUS_AFTER = {
    AdjustmentMethod.LATERAL: CadreStatus.ON_POST,
    AdjustmentMethod.NON_LEADING: CadreStatus.NON_LEADING,
    AdjustmentMethod.SUSPENSION: CadreStatus.SUSPENDED,
    AdjustmentMethod.REMOVAL: CadreStatus.REMOVED,
    AdjustmentMethod.RESIGN_BLAME: CadreStatus.RESIGNED,
    AdjustmentMethod.RESIGN_ORDERED: CadreStatus.RESIGNED,
    AdjustmentMethod.DEMOTION: CadreStatus.ON_POST,
    AdjustmentMethod.RETIRE: CadreStatus.RETIRED,
}
# Methods that need the new post (and for 降职 the new rank) written in the proposal.
NEEDS_POST = {AdjustmentMethod.LATERAL, AdjustmentMethod.DEMOTION}
NEEDS_RANK = {AdjustmentMethod.DEMOTION}
# Methods whose new post title and rank, if given, are written to the registry.
TAKES_POST = {AdjustmentMethod.LATERAL, AdjustmentMethod.NON_LEADING, AdjustmentMethod.DEMOTION}


def _require(actor, unit: Unit, capability: str = "manage_recall") -> None:
    if not actor.can(capability):
        if capability == "approve":
            raise PermissionDenied("只有部长（分管负责人）可以审批调整决定。")
        raise PermissionDenied("您的角色无权研判预警或提出调整。")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")


def _audit(actor, instance, action, before, *, cadre_id: int, unit: Unit, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=snapshot(instance),
        cadre_id=cadre_id,
        scope_path=unit.path,
        reason=reason,
    )


def _locked_flag(flag: Flag) -> Flag:
    return Flag.objects.select_for_update(of=("self",)).select_related("cadre", "unit").get(pk=flag.pk)


def _require_open(flag: Flag, step: str) -> None:
    if flag.status != FlagStatus.OPEN:
        raise StepError(f"该预警当前为“{flag.get_status_display()}”，不能{step}。")


def _review(actor, flag: Flag, status: str, reason: str) -> None:
    before = snapshot(flag)
    flag.status, flag.reviewed_by, flag.reviewed_at, flag.review_reason = (
        status,
        actor,
        timezone.now(),
        reason,
    )
    flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    _audit(actor, flag, AuditAction.UPDATE, before, cadre_id=flag.cadre_id, unit=flag.unit, reason=reason)


@transaction.atomic
def flag_dismiss(*, actor, flag: Flag, reason: str) -> Flag:
    """排除: the flag was looked at and the cadre found fit for the post, with the reason. The same
    rule on the same facts raises nothing again."""
    flag = _locked_flag(flag)
    _require(actor, flag.unit)
    _require_open(flag, "排除")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写排除预警的理由。"})
    _review(actor, flag, FlagStatus.DISMISSED, reason)
    return flag


def _clean_proposal(cadre: Cadre, method: str, reason: str, new_post_title: str, new_rank: str) -> None:
    errors: dict[str, str] = {}
    if method not in AdjustmentMethod.values:
        errors["method"] = "请选择调整方式。"
    if not reason:
        errors["reason"] = "请填写调整理由。"
    if method in NEEDS_POST and not new_post_title:
        errors["new_post_title"] = f"{AdjustmentMethod(method).label}须填写新任职务。"
    if method in NEEDS_RANK and not new_rank:
        errors["new_rank"] = "降职须填写新职级。"
    if new_rank:
        allowed = RANKS_BY_KIND.get(CadreKind(cadre.kind), set()) if cadre.kind in CadreKind.values else set()
        if new_rank not in Rank.values:
            errors["new_rank"] = "新职级无效。"
        elif new_rank not in allowed:
            names = "、".join(Rank(r).label for r in sorted(allowed))
            errors["new_rank"] = f"{cadre.get_kind_display()}的职级应为：{names}。"
        elif method == AdjustmentMethod.DEMOTION and new_rank == cadre.rank:
            errors["new_rank"] = f"降职后的职级不能与现职级（{cadre.get_rank_display()}）相同。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def adjustment_propose(
    *,
    actor,
    cadre: Cadre,
    method: str,
    reason: str,
    flag: Flag | None = None,
    new_post_title: str = "",
    new_rank: str = "",
    effective_on: datetime.date | None = None,
    step_back: bool = False,
) -> AdjustmentDecision:
    """Propose an adjustment of ``cadre`` (from a flag or not), for a department head to approve.
    A flag it answers is marked decided, with who and when."""
    cadre = Cadre.objects.select_related("unit").get(pk=cadre.pk)
    _require(actor, cadre.unit)
    reason = (reason or "").strip()
    new_post_title = (new_post_title or "").strip()
    new_rank = (new_rank or "").strip()
    _clean_proposal(cadre, method, reason, new_post_title, new_rank)
    if flag is not None:
        flag = _locked_flag(flag)
        if flag.cadre_id != cadre.pk:
            raise ValidationError({"flag": "该预警不是关于这名干部的。"})
        _require_open(flag, "据此提出调整")
    if AdjustmentDecision.objects.filter(cadre=cadre, status=DecisionStatus.PROPOSED).exists():
        raise StepError("该干部已有待审批的调整决定，请先审批该决定。")
    decision = AdjustmentDecision.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        flag=flag,
        method=method,
        step_back=bool(step_back),
        reason=reason,
        new_post_title=new_post_title,
        new_rank=new_rank,
        effective_on=effective_on,
        proposed_by=actor,
        proposed_on=timezone.localdate(),
    )
    label = AdjustmentMethod(method).label
    _audit(actor, decision, AuditAction.CREATE, None, cadre_id=cadre.pk, unit=cadre.unit, reason=reason)
    if flag is not None:
        _review(actor, flag, FlagStatus.DECIDED, f"提出调整：{label}（调整决定编号 {decision.pk}）；{reason}")
    return decision


def _locked_decision(decision: AdjustmentDecision) -> AdjustmentDecision:
    return (
        AdjustmentDecision.objects.select_for_update(of=("self",))
        .select_related("cadre", "unit")
        .get(pk=decision.pk)
    )


def _require_proposed(decision: AdjustmentDecision, step: str) -> None:
    if decision.status != DecisionStatus.PROPOSED:
        raise StepError(f"该调整决定当前为“{decision.get_status_display()}”，不能{step}。")


def _registry_changes(decision: AdjustmentDecision, today: datetime.date) -> dict:
    method = decision.method
    changes: dict = {"status": STATUS_AFTER[AdjustmentMethod(method)]}
    if method in TAKES_POST:
        if decision.new_post_title:
            changes["post_title"] = decision.new_post_title
            start = decision.effective_on or today
            if start <= today:  # a date to come is not yet 任现职时间
                changes["post_start_date"] = start
        if decision.new_rank:
            changes["rank"] = decision.new_rank
    return changes


@transaction.atomic
def adjustment_approve(*, actor, decision: AdjustmentDecision, note: str = "") -> AdjustmentDecision:
    """A department head approves: the cadre's status (and post, rank) change in the registry."""
    decision = _locked_decision(decision)
    _require(actor, decision.unit, "approve")
    _require_proposed(decision, "批准")
    before = snapshot(decision)
    today = timezone.localdate()
    cadre = Cadre.objects.select_related("unit").get(pk=decision.cadre_id)
    changes = {k: v for k, v in _registry_changes(decision, today).items() if getattr(cadre, k) != v}
    label = decision.get_method_display()
    if changes:
        try:
            reason = f"调整决定（{label}）：{decision.reason}"
            if "post_title" in changes:
                changes.pop("post_start_date", None)
                on = decision.effective_on or today
                cadre_post_change(actor=actor, cadre=cadre, reason=reason, on=on, **changes)
            else:
                cadre_update(actor=actor, cadre=cadre, reason=reason, **changes)
        except ValidationError as exc:
            fields = getattr(exc, "message_dict", {})
            text = "；".join(m for messages in fields.values() for m in messages) or "；".join(exc.messages)
            raise ValidationError({"method": f"干部信息无法按调整决定更新：{text}"}) from exc
    decision.status = DecisionStatus.APPROVED
    decision.approved_by, decision.approved_on = actor, today
    decision.approval_note = (note or "").strip()
    decision.save(update_fields=["status", "approved_by", "approved_on", "approval_note"])
    _audit(
        actor,
        decision,
        AuditAction.UPDATE,
        before,
        cadre_id=decision.cadre_id,
        unit=decision.unit,
        reason=f"批准调整：{label}" + (f"；{decision.approval_note}" if decision.approval_note else ""),
    )
    return decision


@transaction.atomic
def adjustment_reject(*, actor, decision: AdjustmentDecision, note: str) -> AdjustmentDecision:
    """A department head does not approve, with the reason; the registry is left as it is."""
    decision = _locked_decision(decision)
    _require(actor, decision.unit, "approve")
    _require_proposed(decision, "不予批准")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "不予批准须填写审批意见。"})
    before = snapshot(decision)
    decision.status = DecisionStatus.REJECTED
    decision.approved_by, decision.approved_on = actor, timezone.localdate()
    decision.approval_note = note
    decision.save(update_fields=["status", "approved_by", "approved_on", "approval_note"])
    _audit(
        actor,
        decision,
        AuditAction.UPDATE,
        before,
        cadre_id=decision.cadre_id,
        unit=decision.unit,
        reason=f"不予批准调整：{decision.get_method_display()}；{note}",
    )
    return decision
