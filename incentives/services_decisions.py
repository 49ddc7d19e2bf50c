"""Decisions on the 三挂钩 lists: staff grant or decline each entry, with a reason, and may
withdraw a decision. The system computes the lists with their reasons; people decide.

A decision is keyed like its entry (period, cadre, list) and keeps a snapshot of the entry as it
was when decided, so a recomputation of the lists neither loses the decision nor changes what it
was based on. Every write is audited (a re-decision with its before and after).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessment.models import Period
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre
from cadres.selectors import unit_in_scope

from .models import Decision, Entry, ListKind, Verdict

REASON_MAX = 2000


def require_manage(actor) -> None:
    if not actor.can("manage_incentives"):
        raise PermissionDenied("您的角色只能查阅激励名单和决定，不能办理。")


def _require(actor, unit) -> None:
    require_manage(actor)
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")


def entry_snapshot(entry: Entry) -> dict:
    """What the decision was based on: the entry's eligibility, reasons, rank and amounts."""

    def money(value):
        return None if value is None else str(value)

    return {
        "eligible": entry.eligible,
        "reasons": entry.reasons,
        "unit": entry.unit_id,
        "score": money(entry.score),
        "position": entry.position,
        "coefficient": money(entry.coefficient),
        "base": money(entry.base),
        "withheld": money(entry.withheld),
        "amount": money(entry.amount),
        "due_date": entry.due_date.isoformat() if entry.due_date else None,
        "computed_at": timezone.localtime(entry.computed_at).isoformat() if entry.computed_at else None,
    }


def first_effect(entry: Entry) -> str:
    """The first reason's effect, for a message (``不符合：年度考核为基本称职``)."""
    for reason in entry.reasons or []:
        if isinstance(reason, dict) and reason.get("effect"):
            return str(reason["effect"])
    return ""


def _reason(reason, *, entry: Entry, verdict: str, label: str) -> str:
    text = (reason or "").strip()
    if not text:
        if verdict == Verdict.GRANTED and not entry.eligible:
            why = first_effect(entry)
            raise ValidationError(
                {
                    "reason": f"该干部不符合“{label}”的条件"
                    + (f"（{why}）" if why else "")
                    + "，仍要同意的，须写明理由。"
                }
            )
        if verdict == Verdict.DECLINED and entry.eligible:
            raise ValidationError({"reason": f"该干部符合“{label}”的条件，不同意的须写明理由。"})
        raise ValidationError({"reason": "请填写理由。"})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": f"理由不能超过 {REASON_MAX} 个字。"})
    return text


def _verdict(value) -> str:
    if value in Verdict.values:
        return value
    by_label = {label: code for code, label in Verdict.choices}
    if value in by_label:
        return by_label[value]
    raise ValidationError({"verdict": "决定须为“同意”（granted）或“不同意”（declined）。"})


def _kind(value) -> str:
    if value in ListKind.values:
        return value
    by_label = {label: code for code, label in ListKind.choices}
    if value in by_label:
        return by_label[value]
    raise ValidationError({"kind": "未知的名单类别。可选：" + "、".join(ListKind.labels)})


@transaction.atomic
def decision_record(
    *,
    actor,
    period: Period,
    cadre: Cadre,
    kind: str,
    verdict: str,
    reason: str,
    decided_on: datetime.date | None = None,
) -> Decision:
    """Grant or decline the cadre's entry on a list; deciding again replaces the decision (the
    audit trail keeps the one before). Only an entry that exists can be decided on."""
    require_manage(actor)
    kind, verdict = _kind(kind), _verdict(verdict)
    label = ListKind(kind).label
    entry = Entry.objects.select_related("unit").filter(period=period, cadre=cadre, kind=kind).first()
    if entry is None:
        raise ValidationError(
            {
                "kind": f"{cadre.name}不在{period.name}“{label}”名单上（名单尚未计算，或未列入），不能登记决定。"
            }
        )
    _require(actor, entry.unit)
    text = _reason(reason, entry=entry, verdict=verdict, label=label)
    today = timezone.localdate()
    decided_on = decided_on or today
    if decided_on > today:
        raise ValidationError({"decided_on": "决定日期不能晚于今天。"})
    decision = Decision.objects.select_for_update().filter(period=period, cadre=cadre, kind=kind).first()
    before = snapshot(decision) if decision else None
    if decision is None:
        decision = Decision(period=period, cadre=cadre, kind=kind)
    decision.unit = entry.unit
    decision.verdict = verdict
    decision.reason = text
    decision.amount = entry.amount if verdict == Verdict.GRANTED else None
    decision.snapshot = entry_snapshot(entry)
    decision.decided_by = actor
    decision.decided_on = decided_on
    decision.save()
    against = "（不符合条件，经研究同意）" if verdict == Verdict.GRANTED and not entry.eligible else ""
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=decision,
        before=before,
        after=snapshot(decision),
        cadre_id=cadre.pk,
        scope_path=entry.unit.path,
        reason=f"{period.name}“{label}”：{Verdict(verdict).label}{against}。{text}",
    )
    return decision


@transaction.atomic
def decision_withdraw(*, actor, decision: Decision, reason: str) -> None:
    """Take a decision back (the entry is undecided again); the trail keeps what it was."""
    unit = decision.unit
    _require(actor, unit)
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": "请填写撤回决定的理由。"})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": f"理由不能超过 {REASON_MAX} 个字。"})
    before = snapshot(decision)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=decision,
        before=before,
        after=None,
        cadre_id=decision.cadre_id,
        scope_path=unit.path,
        reason=f"撤回“{decision.get_kind_display()}”决定（原为{decision.get_verdict_display()}）。{text}",
    )
    decision.delete()
