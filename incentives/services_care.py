"""Every write of 关爱 (care): care records, hardship posts (艰苦边远岗位) and departed village cadres
(离任村干部, [001] 旬阳) with their living subsidy. Each write is audited in the same transaction.

A role without ``manage_incentives`` or an object outside the actor's subtree raises
PermissionDenied; bad input raises ValidationError keyed by field, in Chinese.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessment.models import RuleKind
from assessment.services.policy import params_for
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, CadreKind, Unit
from cadres.selectors import unit_in_scope

from .models import CareKind, CareRecord, DepartedVillageCadre, HardshipPost, VisitOccasion
from .subsidy import cycle_end, month_end, months_between, subsidy_start

VISIT_KINDS = {CareKind.VISIT, CareKind.DEPARTED_VISIT}
DEPARTED_KINDS = {CareKind.DEPARTED_VISIT, CareKind.DEPARTED_SUBSIDY}
EARLIEST = datetime.date(1950, 1, 1)
MAX_AMOUNT = Decimal("10000000")


def _today() -> datetime.date:
    return timezone.localdate()


def _require(actor, unit: Unit) -> None:
    if not actor.can("manage_incentives"):
        raise PermissionDenied("您的角色无权登记关爱记录。")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def _require_cadre(actor, cadre) -> Cadre:
    if not actor.can("manage_incentives"):
        raise PermissionDenied("您的角色无权登记关爱记录。")
    if not isinstance(cadre, Cadre) or not unit_in_scope(actor, cadre.unit):
        raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
    return cadre


def _day(value, field: str, label: str, *, not_before: datetime.date | None = None) -> datetime.date:
    if value in (None, ""):
        raise ValidationError({field: f"请填写{label}。"})
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError({field: f"{label}格式不正确，应为 YYYY-MM-DD。"}) from None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        raise ValidationError({field: f"{label}格式不正确，应为 YYYY-MM-DD。"})
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天。"})
    floor = not_before or EARLIEST
    if value < floor:
        raise ValidationError({field: f"{label}不能早于{floor:%Y-%m-%d}。"})
    return value


def _money(value, field: str, label: str, *, required: bool = False) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: f"请填写{label}（元，可填 0）。"})
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为金额数字（元）。"}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: f"{label}不能为负数。"})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: f"{label}最多保留两位小数（分）。"})
    if amount >= MAX_AMOUNT:
        raise ValidationError({field: f"{label}过大，请核对。"})
    return amount


def _whole(value, field: str, label: str, *, low: int, high: int) -> int:
    if value in (None, ""):
        raise ValidationError({field: f"请填写{label}。"})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为整数。"}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError({field: f"{label}须为整数。"})
    if not low <= number <= high:
        raise ValidationError({field: f"{label}须在 {low} 到 {high} 之间。"})
    return int(number)


def _text(value, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过 {max_length} 个字。"})
    if "\x00" in text:
        raise ValidationError({field: f"{label}含有不允许的字符。"})
    return text


# --------------------------------------------------------------------------- care records


def _clean_record(cadre: Cadre, data: dict) -> dict:
    """The record's fields, validated together (the rules depend on the kind)."""
    kind = data.get("kind")
    if kind not in CareKind.values:
        raise ValidationError({"kind": "请选择关爱类别。"})
    if kind == CareKind.DEPARTED_SUBSIDY:
        raise ValidationError(
            {"kind": "离任村干部生活补贴请在“离任村干部”页面登记发放（补贴发放至哪个月随之更新）。"}
        )
    departure = getattr(cadre, "departure", None) if hasattr(cadre, "departure") else None
    if kind in DEPARTED_KINDS and departure is None:
        raise ValidationError({"kind": "该干部未登记为离任村干部，请先在“离任村干部”页面登记离任。"})
    not_before = departure.left_on if kind in DEPARTED_KINDS and departure else None
    day = _day(data.get("date"), "date", "日期", not_before=not_before)
    occasion = data.get("occasion") or ""
    if kind in VISIT_KINDS:
        if occasion not in VisitOccasion.values:
            raise ValidationError({"occasion": "走访慰问请选择时机（七一、春节或其他）。"})
    elif occasion:
        raise ValidationError({"occasion": "只有走访慰问填写时机。"})
    days = data.get("days")
    if kind == CareKind.LEAVE:
        days = _whole(days, "days", "休假天数", low=1, high=366)
    elif days not in (None, ""):
        raise ValidationError({"days": "只有带薪休假填写天数。"})
    else:
        days = None
    return {
        "kind": kind,
        "occasion": occasion if kind in VISIT_KINDS else "",
        "date": day,
        "days": days,
        "amount": _money(data.get("amount"), "amount", "金额"),
        "content": _text(data.get("content"), "content", "内容", max_length=2000),
        "by_whom": _text(data.get("by_whom"), "by_whom", "经办人或慰问人", max_length=100, required=False),
    }


RECORD_FIELDS = ("kind", "occasion", "date", "days", "amount", "content", "by_whom")


@transaction.atomic
def care_record_create(*, actor, cadre: Cadre, **data) -> CareRecord:
    """Record an act of care for ``cadre`` (kind, date, and what the kind needs: a visit its
    occasion, leave its days)."""
    unknown = set(data) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    cadre = _require_cadre(actor, cadre)
    record = CareRecord.objects.create(
        cadre=cadre, unit=cadre.unit, created_by=actor, **_clean_record(cadre, data)
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=record,
        after=snapshot(record),
        cadre_id=cadre.pk,
        scope_path=record.unit.path,
        reason=f"关爱：{record.get_kind_display()}",
    )
    return record


def _locked_record(actor, record: CareRecord) -> CareRecord:
    stored = (
        CareRecord.objects.select_for_update()
        .select_related("unit", "cadre", "cadre__unit")
        .get(pk=record.pk)
    )
    _require(actor, stored.unit)
    if stored.kind == CareKind.DEPARTED_SUBSIDY:
        raise ValidationError(
            {"kind": "生活补贴发放记录不能修改或删除；发放有误的，请在“离任村干部”页面更正“补贴已发放至”。"}
        )
    return stored


@transaction.atomic
def care_record_update(*, actor, record: CareRecord, **data) -> CareRecord:
    """Change a care record; fields not given keep their value."""
    unknown = set(data) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    stored = _locked_record(actor, record)
    before = snapshot(stored)
    merged = {name: getattr(stored, name) for name in RECORD_FIELDS}
    merged.update(data)
    if "kind" in data and data["kind"] != stored.kind:
        # what belongs to the old kind only goes with it
        if data["kind"] not in VISIT_KINDS and "occasion" not in data:
            merged["occasion"] = ""
        if data["kind"] != CareKind.LEAVE and "days" not in data:
            merged["days"] = None
    for name, value in _clean_record(stored.cadre, merged).items():
        setattr(stored, name, value)
    stored.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=stored,
        before=before,
        after=snapshot(stored),
        cadre_id=stored.cadre_id,
        scope_path=stored.unit.path,
        reason=f"关爱：{stored.get_kind_display()}",
    )
    return stored


@transaction.atomic
def care_record_delete(*, actor, record: CareRecord, reason: str = "") -> None:
    stored = _locked_record(actor, record)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=stored,
        before=snapshot(stored),
        cadre_id=stored.cadre_id,
        scope_path=stored.unit.path,
        reason=_text(reason, "reason", "删除原因", max_length=500, required=False),
    )
    stored.delete()


# --------------------------------------------------------------------------- hardship posts


@transaction.atomic
def hardship_post_designate(*, actor, unit: Unit, since=None, note: str = "") -> HardshipPost:
    """Mark a unit (and its subtree) as hardship posts (艰苦边远): its cadres are due a visit
    every year (CARE rule)."""
    _require(actor, unit)
    if HardshipPost.objects.filter(unit=unit).exists():
        raise ValidationError({"unit": f"“{unit.name}”已认定为艰苦边远岗位。"})
    post = HardshipPost(
        unit=unit,
        since=_day(since or _today(), "since", "认定日期"),
        note=_text(note, "note", "说明", max_length=200, required=False),
    )
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError:
        raise ValidationError({"unit": f"“{unit.name}”已认定为艰苦边远岗位。"}) from None
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=post,
        after=snapshot(post),
        scope_path=unit.path,
        reason=f"认定艰苦边远岗位：{unit.name}",
    )
    return post


@transaction.atomic
def hardship_post_undesignate(*, actor, post: HardshipPost, reason: str = "") -> None:
    post = HardshipPost.objects.select_for_update().select_related("unit").get(pk=post.pk)
    _require(actor, post.unit)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=post,
        before=snapshot(post),
        scope_path=post.unit.path,
        reason=_text(reason, "reason", "原因", max_length=500, required=False)
        or f"取消艰苦边远岗位认定：{post.unit.name}",
    )
    post.delete()


# --------------------------------------------------------------------------- departed village cadres


@transaction.atomic
def departure_register(
    *,
    actor,
    cadre: Cadre,
    left_on,
    years_served,
    monthly_subsidy,
    role_after: str = "",
    note: str = "",
) -> DepartedVillageCadre:
    """Register a village (community) cadre's departure from office: the living subsidy starts
    the month after ``left_on``."""
    cadre = _require_cadre(actor, cadre)
    if cadre.kind != CadreKind.VILLAGE:
        raise ValidationError({"cadre": f"“{cadre.name}”不是村（社区）干部，只有村（社区）干部登记离任。"})
    if DepartedVillageCadre.objects.filter(cadre=cadre).exists():
        raise ValidationError({"cadre": f"“{cadre.name}”已登记离任。"})
    departure = DepartedVillageCadre(
        cadre=cadre,
        unit=cadre.unit,
        left_on=_day(left_on, "left_on", "离任日期", not_before=cadre.work_start_date),
        years_served=_whole(years_served, "years_served", "任职年限", low=0, high=70),
        monthly_subsidy=_money(monthly_subsidy, "monthly_subsidy", "生活补贴", required=True),
        role_after=_text(role_after, "role_after", "离任后发挥作用", max_length=100, required=False),
        note=_text(note, "note", "备注", max_length=2000, required=False),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            departure.save()
    except IntegrityError:
        raise ValidationError({"cadre": f"“{cadre.name}”已登记离任。"}) from None
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=departure,
        after=snapshot(departure),
        cadre_id=cadre.pk,
        scope_path=departure.unit.path,
        reason="登记离任村干部",
    )
    return departure


def _locked_departure(actor, departure: DepartedVillageCadre) -> DepartedVillageCadre:
    stored = (
        DepartedVillageCadre.objects.select_for_update().select_related("unit", "cadre").get(pk=departure.pk)
    )
    _require(actor, stored.unit)
    return stored


@transaction.atomic
def departure_update(*, actor, departure: DepartedVillageCadre, **data) -> DepartedVillageCadre:
    """Change the subsidy, the role after leaving, the note, the years served, or correct how
    far the subsidy is paid (``paid_through``, a month end; None: nothing paid yet)."""
    allowed = {"monthly_subsidy", "role_after", "note", "years_served", "paid_through"}
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    stored = _locked_departure(actor, departure)
    before = snapshot(stored)
    if "monthly_subsidy" in data:
        stored.monthly_subsidy = _money(data["monthly_subsidy"], "monthly_subsidy", "生活补贴", required=True)
    if "role_after" in data:
        stored.role_after = _text(
            data["role_after"], "role_after", "离任后发挥作用", max_length=100, required=False
        )
    if "note" in data:
        stored.note = _text(data["note"], "note", "备注", max_length=2000, required=False)
    if "years_served" in data:
        stored.years_served = _whole(data["years_served"], "years_served", "任职年限", low=0, high=70)
    if "paid_through" in data:
        through = data["paid_through"]
        if through in (None, ""):
            stored.paid_through = None
        else:
            through = month_end(_month(through, "paid_through", "补贴已发放至"))
            if through < month_end(stored.left_on):
                raise ValidationError({"paid_through": "补贴已发放至不能早于离任当月。"})
            stored.paid_through = through
    stored.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=stored,
        before=before,
        after=snapshot(stored),
        cadre_id=stored.cadre_id,
        scope_path=stored.unit.path,
        reason="修改离任村干部信息",
    )
    return stored


def _month(value, field: str, label: str) -> datetime.date:
    """A month as YYYY-MM (or a date in it) → its first day."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = (value or "").strip() if isinstance(value, str) else ""
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError({field: f"{label}格式不正确，应为 YYYY-MM。"}) from None


@transaction.atomic
def departure_subsidy_pay(
    *, actor, departure: DepartedVillageCadre, through, paid_on=None, by_whom: str = ""
) -> CareRecord:
    """Pay the living subsidy from the first unpaid month through ``through`` (a month): a care
    record of kind 离任村干部生活补贴 with the amount (months × monthly subsidy), and
    ``paid_through`` moves on. Paying ahead is allowed up to the end of the current payment
    cycle (CARE rule: monthly by default)."""
    stored = _locked_departure(actor, departure)
    paid_on = _day(paid_on or _today(), "paid_on", "发放日期", not_before=stored.left_on)
    last = month_end(_month(through, "through", "发放至"))
    first = subsidy_start(stored)
    rule = params_for(RuleKind.CARE, stored.unit) or {}
    limit = cycle_end(paid_on, rule.get("subsidy_cycle") or "monthly")
    if last < first:
        raise ValidationError(
            {
                "through": f"{first:%Y年%m月}之前的补贴已发放（或离任当月不发），请选择{first:%Y年%m月}或以后的月份。"
            }
        )
    if last > limit:
        raise ValidationError({"through": f"最多发放至本发放周期末（{limit:%Y年%m月}）。"})
    months = months_between(first, last)
    amount = stored.monthly_subsidy * months
    span = f"{first:%Y年%m月}" if months == 1 else f"{first:%Y年%m月}至{last:%Y年%m月}"
    record = CareRecord.objects.create(
        cadre_id=stored.cadre_id,
        unit=stored.unit,
        kind=CareKind.DEPARTED_SUBSIDY,
        date=paid_on,
        amount=amount,
        content=f"发放{span}生活补贴（{months}个月 × {stored.monthly_subsidy}元）",
        by_whom=_text(by_whom, "by_whom", "经办人", max_length=100, required=False),
        created_by=actor,
    )
    before = snapshot(stored)
    stored.paid_through = last
    stored.save(update_fields=["paid_through"])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=record,
        after=snapshot(record),
        cadre_id=stored.cadre_id,
        scope_path=stored.unit.path,
        reason=record.content,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=stored,
        before=before,
        after=snapshot(stored),
        cadre_id=stored.cadre_id,
        scope_path=stored.unit.path,
        reason=record.content,
    )
    return record


__all__ = [
    "care_record_create",
    "care_record_delete",
    "care_record_update",
    "departure_register",
    "departure_subsidy_pay",
    "departure_update",
    "hardship_post_designate",
    "hardship_post_undesignate",
]
