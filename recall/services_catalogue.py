"""Writes of the 惰政 catalogue and of units' negative lists (负面清单).

The catalogue is one for the whole tree, so only a user whose scope covers every unit changes it;
a unit's negative list is changed by whoever runs recall for that unit. Both are audited.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Unit
from cadres.selectors import unit_in_scope

from .models import Cause, NegativeListEntry, Situation, SituationGroup
from .selectors_pages import catalogue_editable


def audited(
    *, actor, instance: models.Model, action: str, before: dict | None, reason: str, scope_path: str = ""
):
    """One audit entry for a catalogue or negative-list change (the instance as it is now)."""
    after = None if action == AuditAction.DELETE else snapshot(instance)
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=after,
        scope_path=scope_path,
        reason=reason,
    )


def _text(value, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}个字。"})
    return text


@transaction.atomic
def situation_save(
    *,
    actor,
    situation: Situation | None = None,
    group: str,
    code: str,
    name: str,
    points: int,
    cause: str,
    order: int | None = None,
    active: bool = True,
) -> Situation:
    """Add a situation to the catalogue, or change one. Records already made keep their points."""
    if not catalogue_editable(actor):
        raise PermissionDenied("惰政情形目录适用于全部单位，只有管理范围为全部单位的用户可以修改。")
    if group not in SituationGroup.values:
        raise ValidationError({"group": "请选择类别。"})
    if cause not in Cause.values:
        raise ValidationError({"cause": "请选择问题性质。"})
    code = _text(code, "code", "编号", 20).upper()
    name = _text(name, "name", "情形", 200)
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise ValidationError({"points": "记分须为整数。"}) from None
    if not 1 <= points <= 100:
        raise ValidationError({"points": "记分应在 1 至 100 分之间。"})
    clash = Situation.objects.filter(code=code)
    if situation is not None:
        clash = clash.exclude(pk=situation.pk)
    if clash.exists():
        raise ValidationError({"code": f"编号 {code} 已被其他情形使用。"})
    before = snapshot(situation) if situation is not None else None
    if situation is None:
        situation = Situation()
        if order is None:
            last = Situation.objects.filter(group=group).aggregate(m=models.Max("order"))["m"]
            order = (last or 0) + 1
    situation.group, situation.code, situation.name = group, code, name
    situation.points, situation.cause, situation.active = points, cause, bool(active)
    if order is not None:
        situation.order = order
    situation.save()
    audited(
        actor=actor,
        instance=situation,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        before=before,
        reason=f"惰政情形目录：{situation.code} {situation.name}",
        # filed where the editor's scope (the whole tree) starts, so those who read it see it
        scope_path=actor.scope_path or "",
    )
    return situation


def _require_unit(actor, unit: Unit) -> None:
    if not actor.can("manage_recall"):
        raise PermissionDenied("您的角色无权修改负面清单。")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


@transaction.atomic
def negative_list_add(*, actor, unit: Unit, situation: Situation, note: str = "") -> NegativeListEntry:
    """Name a situation in the unit's 负面清单 (it applies to the unit and everything below it)."""
    _require_unit(actor, unit)
    if not situation.active:
        raise ValidationError({"situation": "该情形已停用。"})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": "具体表现不能超过200个字。"})
    if NegativeListEntry.objects.filter(unit=unit, situation=situation).exists():
        raise ValidationError({"situation": "该情形已在本单位负面清单中。"})
    try:
        with transaction.atomic():
            entry = NegativeListEntry.objects.create(unit=unit, situation=situation, note=note)
    except IntegrityError:  # added at the same moment by someone else
        raise ValidationError({"situation": "该情形已在本单位负面清单中。"}) from None
    audited(
        actor=actor,
        instance=entry,
        action=AuditAction.CREATE,
        before=None,
        reason=f"{unit.name}负面清单列入：{situation.name}",
        scope_path=unit.path,
    )
    return entry


@transaction.atomic
def negative_list_remove(*, actor, entry: NegativeListEntry) -> None:
    _require_unit(actor, entry.unit)
    before = snapshot(entry)
    unit, name = entry.unit, entry.situation.name
    audited(
        actor=actor,
        instance=entry,
        action=AuditAction.DELETE,
        before=before,
        reason=f"{unit.name}负面清单移出：{name}",
        scope_path=unit.path,
    )
    entry.delete()
