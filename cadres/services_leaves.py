"""Every write of leave records (请假记录). Leave over more than the policy's share of a year keeps
the cadre's annual grade 不参加考核 (or 不定等次), so each change asks for a recomputation of the
open annual periods over the cadre's unit (``signals.grading_facts_changed``, after commit).

Each service checks the role (PermissionDenied → 403) and the scope, validates with Chinese
messages keyed by field (ValidationError), and writes the audit trail in the same transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from audit.models import AuditAction
from audit.services import audit_record, snapshot

from .models import Cadre, LeaveKind, LeaveRecord
from .selectors import unit_in_scope
from .signals import grading_facts_changed

# Leave of years this far back is accepted (older paper files are entered too).
EARLIEST_YEAR = 2000
NOTE_MAX = 200


def _require_edit(actor) -> None:
    if not actor.can("edit_registry"):
        raise PermissionDenied("您的角色无权登记请假记录。")


def _changed(actor, cadre: Cadre, reason: str) -> None:
    ids, paths = [cadre.pk], [cadre.unit.path]
    transaction.on_commit(
        lambda: grading_facts_changed.send(
            sender=LeaveRecord, cadre_ids=ids, unit_paths=paths, actor=actor, reason=reason
        )
    )


def span_text(kind_label: str, start: datetime.date, end: datetime.date | None) -> str:
    return f"{kind_label}（{start:%Y-%m-%d}至{f'{end:%Y-%m-%d}' if end else '今'}）"


def _validate(
    cadre: Cadre,
    kind: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    note: str,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if kind not in LeaveKind.values:
        errors["kind"] = "请选择请假类别。"
    if start_date is None:
        errors["start_date"] = "请填写开始日期。"
    elif start_date.year < EARLIEST_YEAR:
        errors["start_date"] = f"开始日期不能早于{EARLIEST_YEAR}年。"
    if start_date and end_date and end_date < start_date:
        errors["end_date"] = "结束日期不能早于开始日期。"
    if len(note) > NOTE_MAX:
        errors["note"] = f"说明不能超过{NOTE_MAX}个字。"
    if not errors and start_date is not None:
        # A day of leave is one kind of leave: a span overlapping another one is a mistake.
        others = LeaveRecord.objects.filter(cadre=cadre).exclude(pk=exclude_pk)
        if end_date is not None:
            others = others.filter(start_date__lte=end_date)
        others = others.filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
        clash = others.order_by("start_date", "pk").first()
        if clash is not None:
            errors["start_date"] = (
                f"与已登记的{span_text(clash.get_kind_display(), clash.start_date, clash.end_date)}"
                "时间重叠，请修改日期或修改原记录。"
            )
    if errors:
        raise ValidationError(errors)


def _locked_cadre(cadre: Cadre) -> Cadre:
    # Two people entering leave for one cadre at once: the second sees the first one's record.
    return Cadre.objects.select_for_update().select_related("unit").get(pk=cadre.pk)


@transaction.atomic
def leave_create(
    *,
    actor,
    cadre: Cadre,
    kind: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None = None,
    note: str = "",
) -> LeaveRecord:
    _require_edit(actor)
    if cadre is None:
        raise ValidationError({"cadre": "请选择干部。"})
    if not unit_in_scope(actor, cadre.unit):
        raise ValidationError({"cadre": "该干部不在您的管辖范围内。"})
    cadre = _locked_cadre(cadre)
    note = (note or "").strip()
    _validate(cadre, kind, start_date, end_date, note)
    leave = LeaveRecord.objects.create(
        cadre=cadre, kind=kind, start_date=start_date, end_date=end_date, note=note, created_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=leave,
        after=snapshot(leave),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
    )
    _changed(actor, cadre, "请假记录变化")
    return leave


def _locked_leave(actor, leave: LeaveRecord) -> LeaveRecord:
    _require_edit(actor)
    if not unit_in_scope(actor, leave.cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")
    _locked_cadre(leave.cadre)
    return LeaveRecord.objects.select_related("cadre", "cadre__unit").get(pk=leave.pk)


@transaction.atomic
def leave_update(
    *,
    actor,
    leave: LeaveRecord,
    kind: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    note: str = "",
) -> LeaveRecord:
    stored = _locked_leave(actor, leave)
    cadre = stored.cadre
    note = (note or "").strip()
    _validate(cadre, kind, start_date, end_date, note, exclude_pk=stored.pk)
    before = snapshot(stored)
    stored.kind, stored.start_date, stored.end_date, stored.note = kind, start_date, end_date, note
    stored.save(update_fields=["kind", "start_date", "end_date", "note"])
    entry = audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=stored,
        before=before,
        after=snapshot(stored),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
    )
    if entry is not None:
        _changed(actor, cadre, "请假记录变化")
    return stored


@transaction.atomic
def leave_delete(*, actor, leave: LeaveRecord) -> None:
    stored = _locked_leave(actor, leave)
    cadre = stored.cadre
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=stored,
        before=snapshot(stored),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
    )
    stored.delete()
    _changed(actor, cadre, "请假记录变化")
