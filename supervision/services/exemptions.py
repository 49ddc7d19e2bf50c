"""容错纠错 ("三个区分开来", [004]): the one way to exempt a matter, be it a talk or 约谈, a
sanction, a "不适宜担任现职" flag or a recall cause.

A department head (capability ``approve``), within scope, classifies the matter by the three
distinctions (故意 / 过失, 因私 / 因公, 违规 / 探索试错) and decides it 可容 or 不容, with the basis in
writing and the date of the decision (not in the future, not before the matter). One decision per
matter: it is revised or revoked afterwards, each change audited with before and after.

A 可容 matter stops counting: grading no longer caps a grade for it, the flag rules no longer
count it and a flag decided 可容 closes, the incentive lists no longer hold it against the cadre.
Every change is announced after commit (``signals.exemptions_changed``); grading, recall and
incentives listen, so supervision imports none of them. Grading recomputes only the open annual
periods: a published result changes only through its correction procedure.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot

from ..models import Exemption, ExemptionVerdict, Intent, MatterType, Motive, Nature
from ..selectors.exemptions import Matter, matter_get
from ..signals import exemptions_changed

FIELDS = ("intent", "motive", "nature", "verdict", "basis", "decided_on")
CHOICES = {
    "intent": (Intent, "请选择故意或过失。"),
    "motive": (Motive, "请选择因私或因公。"),
    "nature": (Nature, "请选择违规或探索试错。"),
    "verdict": (ExemptionVerdict, "请选择认定结论（可容或不容）。"),
}
# What a user reads after a change: open periods follow by themselves, published ones do not.
PUBLISHED_NOTE = "已公布的考核结果需经更正程序"


class ExemptionExists(Exception):
    """The matter already has a decision: it is revised, not decided twice (the API answers 409)."""

    def __init__(self, exemption: Exemption):
        self.exemption = exemption
        super().__init__(f"该事项已有容错纠错认定（认定编号 {exemption.pk}），请修改原认定。")


def _require_head(actor) -> None:
    if not actor.can("approve"):
        raise PermissionDenied("只有部长（分管负责人）可以作出容错纠错认定。")


def _clean(values: dict, matter: Matter) -> dict:
    """The decision's fields checked, with a Chinese message per field."""
    errors: dict[str, str] = {}
    cleaned = dict(values)
    for field, (enum, message) in CHOICES.items():
        if values.get(field) not in enum.values:
            errors[field] = message
    basis = (values.get("basis") or "").strip()
    cleaned["basis"] = basis
    if not basis:
        errors["basis"] = "请写明认定依据。"
    on = values.get("decided_on")
    if on is None:
        errors["decided_on"] = "请填写认定日期。"
    elif not isinstance(on, datetime.date):
        errors["decided_on"] = "请填写正确的日期。"
    elif on > timezone.localdate():
        errors["decided_on"] = f"认定日期（{on:%Y-%m-%d}）不能晚于今天。"
    elif on < matter.on:
        errors["decided_on"] = f"认定日期（{on:%Y-%m-%d}）不能早于事项发生日期（{matter.on:%Y-%m-%d}）。"
    if errors:
        raise ValidationError(errors)
    return cleaned


def _audit(actor, action, exemption: Exemption, before, reason: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=exemption,
        before=before,
        after=snapshot(exemption) if action != AuditAction.DELETE else None,
        cadre_id=exemption.cadre_id,
        scope_path=exemption.unit.path,
        reason=reason,
    )


def _changed(actor, matter: Matter) -> None:
    """After commit: grading, the flag job and the incentive lists follow (their receivers)."""
    payload = {
        "matter_type": matter.matter_type,
        "matter_ids": [matter.id],
        "cadre_ids": [matter.cadre.pk] if matter.cadre is not None else [],
        "unit_paths": [matter.unit.path],
        "years": [matter.year],
        "actor": actor,
    }
    transaction.on_commit(lambda: exemptions_changed.send(sender=Exemption, **payload))


def _matter_of(actor, exemption: Exemption) -> Matter:
    return matter_get(actor, exemption.matter_type, exemption.matter_id)


@transaction.atomic
def exemption_decide(
    *,
    actor,
    matter_type: str,
    matter_id: int,
    intent: str,
    motive: str,
    nature: str,
    verdict: str,
    basis: str,
    decided_on: datetime.date | None,
) -> Exemption:
    """Decide a matter 可容 or 不容. A role other than a head is refused (PermissionDenied); a
    matter that does not exist or lies outside the head's subtree is not found (Http404); a
    matter already decided raises ``ExemptionExists``."""
    _require_head(actor)
    if matter_type not in MatterType.values:
        raise ValidationError({"matter_type": "事项类型无效。"})
    matter = matter_get(actor, matter_type, matter_id)
    existing = Exemption.objects.filter(matter_type=matter_type, matter_id=matter.id).first()
    if existing is not None:
        raise ExemptionExists(existing)
    values = _clean(
        {
            "intent": intent,
            "motive": motive,
            "nature": nature,
            "verdict": verdict,
            "basis": basis,
            "decided_on": decided_on,
        },
        matter,
    )
    try:
        with transaction.atomic():
            exemption = Exemption.objects.create(
                matter_type=matter_type,
                matter_id=matter.id,
                cadre=matter.cadre,
                unit=matter.unit,
                decided_by=actor,
                **values,
            )
    except IntegrityError:  # decided at the same moment by someone else
        raise ExemptionExists(Exemption.objects.get(matter_type=matter_type, matter_id=matter.id)) from None
    _audit(
        actor,
        AuditAction.CREATE,
        exemption,
        None,
        f"容错纠错认定：{matter.label}，{exemption.get_verdict_display()}",
    )
    _changed(actor, matter)
    return exemption


def _locked(exemption: Exemption) -> Exemption:
    return Exemption.objects.select_for_update(of=("self",)).select_related("unit").get(pk=exemption.pk)


@transaction.atomic
def exemption_revise(*, actor, exemption: Exemption, reason: str = "", **fields) -> Exemption:
    """Change a decision's classification, verdict, basis or date (any of ``FIELDS``): the head
    who may decide the matter now, with the change audited (before and after)."""
    _require_head(actor)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "该字段不能修改。"))
    current = _locked(exemption)
    matter = _matter_of(actor, current)
    before = snapshot(current)
    values = _clean({**{f: getattr(current, f) for f in FIELDS}, **fields}, matter)
    for field, value in values.items():
        setattr(current, field, value)
    current.decided_by = actor
    current.save()
    _audit(actor, AuditAction.UPDATE, current, before, (reason or "").strip() or "修改容错纠错认定")
    _changed(actor, matter)
    return current


@transaction.atomic
def exemption_revoke(*, actor, exemption: Exemption, reason: str) -> None:
    """Withdraw a decision (with the reason): the matter counts again as it did before."""
    _require_head(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明撤销认定的理由。"})
    current = _locked(exemption)
    matter = _matter_of(actor, current)
    before = snapshot(current)
    _audit(actor, AuditAction.DELETE, current, before, f"撤销容错纠错认定：{reason}")
    current.delete()
    _changed(actor, matter)
