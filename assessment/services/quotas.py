"""The 优秀 quota of each unit (``UnitQuota``, written by every annual recomputation) as the
results page and the API read it, and 优秀比例上调 (``QuotaRaise``): a unit that completed major
tasks may use the policy's higher ratio (``QUOTA.raised_ratio``) once the raise is recorded.

Every write of a raise goes through here: ``manage_assessment``, the unit in the actor's scope,
annual periods only and not archived, one raise per unit and period, an audit entry, and the
unit regraded: at once for a published period (an audited correction of published results),
queued for an open one, not at all for a draft (nothing is graded yet)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Unit
from cadres.selectors import scope_q, unit_in_scope, unit_label

from ..grading import ROUNDING_LABELS
from ..models import (
    OPEN_STATUSES,
    UNGRADED,
    Assessment,
    Period,
    PeriodStatus,
    QuotaRaise,
    RuleKind,
    UnitQuota,
)
from .recompute import period_recompute, policy_resolver, recompute_queue

# The engine's note (``grading._quota``) quotes the reason and the approver into
# ``UnitQuota.raise_note`` (300 characters): these limits keep the whole note within it.
REASON_MAX = 200
APPROVER_MAX = 50
# The engine's names of the rules that keep a cadre out of the base, and their policy kinds.
UNGRADED_RULE_KINDS = {
    "长期请假": RuleKind.LONG_LEAVE,
    "立案审查": RuleKind.INVESTIGATION,
    "试用期": RuleKind.PROBATION,
}
MISSING_REASON = "缺少指标得分"
# the results page lists at most this many units of a subtree, and names at most this many
# cadres left out of a unit's base
PANEL_UNITS = 10
EXCLUDED_NAMES = 50


# --------------------------------------------------------------------------- reads


def unit_quotas_visible_to(user) -> QuerySet[UnitQuota]:
    return UnitQuota.objects.filter(scope_q(user))


def quota_raises_visible_to(user) -> QuerySet[QuotaRaise]:
    return QuotaRaise.objects.filter(scope_q(user))


def unit_quota_rows(user, *, period: Period, unit: Unit | None = None) -> QuerySet[UnitQuota]:
    """The quotas of a period in the user's scope (``unit``: its subtree), in tree order, each
    with ``unit_label``."""
    qs = unit_quotas_visible_to(user).filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.select_related("unit").annotate(unit_label=unit_label("unit__")).order_by("unit__path")


def quota_raise_rows(user, *, period: Period | None = None, unit: Unit | None = None) -> QuerySet[QuotaRaise]:
    qs = quota_raises_visible_to(user)
    if period is not None:
        qs = qs.filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return (
        qs.select_related("period", "unit", "created_by")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("-period__year", "unit__path", "id")
    )


def percent(value) -> str:
    """0.25 → 25%, 0.125 → 12.5%."""
    if value in (None, ""):
        return ""
    number = (Decimal(str(value)) * 100).normalize()
    return f"{number:f}%"


def decorate(quota: UnitQuota) -> UnitQuota:
    """What pages show of a quota beside its fields: ``ratio_text`` (25%), ``rounding_label``
    (向下取整) and ``excluded_items`` [(reason, count)]."""
    quota.ratio_text = percent(quota.ratio)
    quota.rounding_label = ROUNDING_LABELS.get(quota.rounding, quota.rounding)
    quota.excluded_items = sorted((quota.excluded or {}).items())
    return quota


@dataclass(frozen=True)
class Ratios:
    """The QUOTA rule in force for a unit: the ratio, the raised ratio (None: the policy sets
    none) and the rounding."""

    enabled: bool
    ratio: Decimal
    raised: Decimal | None
    rounding: str

    @property
    def ratio_text(self) -> str:
        return percent(self.ratio)

    @property
    def raised_text(self) -> str:
        return percent(self.raised) if self.raised is not None else ""

    @property
    def rounding_label(self) -> str:
        return ROUNDING_LABELS.get(self.rounding, self.rounding)


def ratios_for(unit: Unit, resolver=None) -> Ratios:
    """What the engine would apply to ``unit`` (``grading._quota`` has the same defaults)."""
    resolver = resolver or policy_resolver(unit.path)
    quota = resolver.policy(unit.path).one(RuleKind.QUOTA)
    params = quota or {}
    raised = params.get("raised_ratio")
    return Ratios(
        enabled=quota is not None,
        ratio=Decimal(str(params.get("ratio", 0.2))),
        raised=None if raised in (None, "") else Decimal(str(raised)),
        rounding=params.get("rounding", "floor"),
    )


def raise_effect(ratios: Ratios) -> str:
    """What a raise does for a unit under its policy, in words."""
    if ratios.raised is None:
        return (
            f"评定规则未设“完成重大任务单位的优秀比例”，登记上调后仍按一般比例 {ratios.ratio_text} 计算名额；"
            "须由管理员在评定规则页面设置该比例后才生效。"
        )
    return f"登记上调后，本单位优秀名额按 {ratios.raised_text} 计算（一般比例为 {ratios.ratio_text}）。"


def regrade_effect(period: Period) -> str:
    """What saving or deleting a raise does to the unit's grades in ``period``."""
    if period.status == PeriodStatus.PUBLISHED:
        return (
            "该考核期已公布：保存后将立即按新的比例重新评定该单位的等次（不含下级单位），结果变化记入留痕。"
        )
    if period.status in OPEN_STATUSES:
        return "保存后系统将重新计算该单位的等次。"
    if period.status == PeriodStatus.DRAFT:
        return "考核期尚未开始采集评分，开始评定等次时即按登记的上调计算。"
    return "考核期已归档，不能再登记或修改。"


@dataclass
class ExcludedCadre:
    assessment_id: int
    name: str
    reason: str


@dataclass
class QuotaPanel:
    """What the results page shows about the quotas of the unit it is about and its subtree."""

    unit: Unit
    own: UnitQuota | None
    raise_: QuotaRaise | None
    ratios: Ratios
    excluded: list[ExcludedCadre] = field(default_factory=list)
    excluded_more: int = 0
    others: list[UnitQuota] = field(default_factory=list)
    others_total: int = 0

    @property
    def excluded_counts(self) -> list[tuple[str, int]]:
        return sorted((self.own.excluded or {}).items()) if self.own else []

    @property
    def excluded_total(self) -> int:
        return sum(self.own.excluded.values()) if self.own and self.own.excluded else 0

    @property
    def free_places(self) -> int:
        return max(self.own.places - self.own.fixed, 0) if self.own else 0


def quota_panel(user, *, period: Period, unit: Unit, resolver=None) -> QuotaPanel:
    """The unit's own quota (with who is left out of its base and why, and its raise), and up to
    ``PANEL_UNITS`` quotas of the units below it. Two queries, three with a long subtree, one
    more when cadres are left out of the unit's base."""
    resolver = resolver or policy_resolver(unit.path)
    # own first (the shortest path of the subtree), then the units below in tree order
    rows = [decorate(q) for q in unit_quota_rows(user, period=period, unit=unit)[: PANEL_UNITS + 2]]
    own = rows.pop(0) if rows and rows[0].unit_id == unit.pk else None
    others = rows[:PANEL_UNITS]
    total = len(rows)
    if total > PANEL_UNITS:
        total = unit_quota_rows(user, period=period, unit=unit).exclude(unit_id=unit.pk).count()
    panel = QuotaPanel(
        unit=unit,
        own=own,
        raise_=QuotaRaise.objects.filter(period=period, unit=unit).first(),
        ratios=ratios_for(unit, resolver),
        others=others,
        others_total=total,
    )
    if own is not None and own.excluded:
        panel.excluded, panel.excluded_more = excluded_cadres(period=period, unit=unit, resolver=resolver)
    return panel


def excluded_cadres(*, period: Period, unit: Unit, resolver=None) -> tuple[list[ExcludedCadre], int]:
    """The cadres of ``unit`` (itself, not its subtree) the last grading left out of the quota
    base, and why: read back from their stored outcome as the engine decides it
    (``grading._grade_annual_unit``): the first of 长期请假、立案审查、试用期 that made them
    ungraded, unless the policy counts that rule in the base, else no total (缺少指标得分).
    Returns (up to ``EXCLUDED_NAMES`` of them, how many more)."""
    resolver = resolver or policy_resolver(unit.path)
    policy = resolver.policy(unit.path)
    rows = (
        Assessment.objects.filter(period=period, unit=unit)
        .filter(Q(computed_grade__in=UNGRADED) | Q(total_score__isnull=True))
        .order_by("cadre_id")
        .values_list("pk", "cadre__name", "total_score", "explanation")
    )
    found: list[ExcludedCadre] = []
    for pk, name, total, explanation in rows.iterator(chunk_size=500):
        rule = next(
            (
                e.get("rule")
                for e in explanation or []
                if isinstance(e, dict) and e.get("rule") in UNGRADED_RULE_KINDS
            ),
            None,
        )
        if rule is not None:
            params = policy.one(UNGRADED_RULE_KINDS[rule]) or {}
            if params.get("in_quota_base") == "yes":
                continue
            found.append(ExcludedCadre(pk, name, rule))
        elif total is None:
            found.append(ExcludedCadre(pk, name, MISSING_REASON))
    return found[:EXCLUDED_NAMES], max(len(found) - EXCLUDED_NAMES, 0)


# --------------------------------------------------------------------------- writes


def _require_manage(actor) -> None:
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权登记优秀比例上调。")


def _require_unit(actor, unit: Unit) -> None:
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def _locked_period(period: Period) -> Period:
    """The period, locked (a recomputation of it waits), and refused if a raise cannot apply."""
    current = Period.objects.select_for_update().get(pk=period.pk)
    if current.quarter is not None:
        raise ValidationError({"period": "季度平时考核不设优秀名额，只有年度考核可以上调优秀比例。"})
    if current.status == PeriodStatus.ARCHIVED:
        raise ValidationError(
            {"period": f"考核期“{current.name}”已归档，不能再登记、修改或删除优秀比例上调。"}
        )
    return current


def _clean(period: Period, reason, approved_by, approved_on) -> tuple[str, str, datetime.date | None]:
    reason = (reason or "").strip()
    approved_by = (approved_by or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请填写理由：本单位完成的重大任务。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = (
            f"理由不能超过 {REASON_MAX} 字（现为 {len(reason)} 字），请简要写明完成的重大任务。"
        )
    if not approved_by:
        errors["approved_by"] = "请填写批准人。"
    elif len(approved_by) > APPROVER_MAX:
        errors["approved_by"] = f"批准人不能超过 {APPROVER_MAX} 字。"
    if approved_on is None:
        errors["approved_on"] = "请填写批准日期。"
    elif not isinstance(approved_on, datetime.date) or isinstance(approved_on, datetime.datetime):
        errors["approved_on"] = "批准日期应为日期，如 2026-01-15。"
    elif approved_on > timezone.localdate():
        errors["approved_on"] = f"批准日期不能晚于今天（{timezone.localdate().isoformat()}）。"
    elif approved_on.year < period.year:
        errors["approved_on"] = f"批准日期不能早于考核年度（{period.year}年1月1日）。"
    if errors:
        raise ValidationError(errors)
    return reason, approved_by, approved_on


def _regrade(period: Period, unit: Unit, actor, why: str) -> None:
    if period.status == PeriodStatus.PUBLISHED:
        # an audited correction of published results: this unit alone, now
        period_recompute(period_id=period.pk, unit_path=unit.path, force=True, unit_only=True)
    elif period.status in OPEN_STATUSES:
        recompute_queue(period=period, unit_path=unit.path, actor=actor, reason=why)


def _audit(actor, action, raise_: QuotaRaise, unit: Unit, period: Period, before, after, what: str) -> None:
    reason = f"{unit.name}{period.name}{what}"
    if period.status == PeriodStatus.PUBLISHED:
        reason += "；考核期已公布，已重新评定该单位等次"
    audit_record(
        actor=actor,
        action=action,
        instance=raise_,
        before=before,
        after=after,
        scope_path=unit.path,
        reason=reason,
    )


@transaction.atomic
def quota_raise_create(
    *,
    actor,
    period: Period,
    unit: Unit,
    reason: str,
    approved_by: str,
    approved_on: datetime.date | None,
) -> QuotaRaise:
    """Record that ``unit`` may use the higher 优秀 ratio in ``period``, and regrade it."""
    _require_manage(actor)
    _require_unit(actor, unit)
    period = _locked_period(period)
    reason, approved_by, approved_on = _clean(period, reason, approved_by, approved_on)
    if QuotaRaise.objects.filter(period=period, unit=unit).exists():
        raise ValidationError({"unit": f"{unit.name}在{period.name}已登记优秀比例上调，请修改原登记。"})
    try:
        with transaction.atomic():
            raise_ = QuotaRaise.objects.create(
                period=period,
                unit=unit,
                reason=reason,
                approved_by=approved_by,
                approved_on=approved_on,
                created_by=actor,
            )
    except IntegrityError:  # the same unit recorded a moment ago by someone else
        raise ValidationError(
            {"unit": f"{unit.name}在{period.name}已登记优秀比例上调，请修改原登记。"}
        ) from None
    _audit(actor, AuditAction.CREATE, raise_, unit, period, None, snapshot(raise_), "登记优秀比例上调")
    _regrade(period, unit, actor, "登记优秀比例上调")
    return raise_


@transaction.atomic
def quota_raise_update(
    *,
    actor,
    raise_: QuotaRaise,
    reason: str | None = None,
    approved_by: str | None = None,
    approved_on: datetime.date | None = None,
) -> QuotaRaise:
    """Change the reason, approver or date of a raise (None: unchanged). A change of nothing
    writes nothing."""
    _require_manage(actor)
    obj = QuotaRaise.objects.select_for_update().select_related("unit").get(pk=raise_.pk)
    unit = obj.unit
    _require_unit(actor, unit)
    period = _locked_period(obj.period)
    reason, approved_by, approved_on = _clean(
        period,
        obj.reason if reason is None else reason,
        obj.approved_by if approved_by is None else approved_by,
        obj.approved_on if approved_on is None else approved_on,
    )
    if (reason, approved_by, approved_on) == (obj.reason, obj.approved_by, obj.approved_on):
        return obj
    before = snapshot(obj)
    obj.reason, obj.approved_by, obj.approved_on = reason, approved_by, approved_on
    obj.save(update_fields=["reason", "approved_by", "approved_on"])
    _audit(actor, AuditAction.UPDATE, obj, unit, period, before, snapshot(obj), "修改优秀比例上调")
    # the note in the unit's explanations quotes the reason, approver and date
    _regrade(period, unit, actor, "修改优秀比例上调")
    return obj


@transaction.atomic
def quota_raise_delete(*, actor, raise_: QuotaRaise) -> None:
    """Withdraw a raise: the unit is graded at the ordinary ratio again."""
    _require_manage(actor)
    obj = QuotaRaise.objects.select_for_update().select_related("unit").get(pk=raise_.pk)
    unit = obj.unit
    _require_unit(actor, unit)
    period = _locked_period(obj.period)
    _audit(actor, AuditAction.DELETE, obj, unit, period, snapshot(obj), None, "撤销优秀比例上调")
    obj.delete()
    _regrade(period, unit, actor, "撤销优秀比例上调")
