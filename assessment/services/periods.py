"""Every write of periods and indicator schemes: creating a period from the template scheme,
its steps (草稿 → 采集评分 → 评定等次 → 已公布 → 已归档), and editing its schemes.

Each service checks the capability (PermissionDenied → 403), validates with Chinese messages
(ValidationError, nothing written on error) and records the audit trail in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, CadreKind, CadreStatus
from core.bulk import bulk_insert

from ..models import (
    Assessment,
    Dimension,
    Indicator,
    IndicatorGroup,
    IndicatorSource,
    Period,
    PeriodStatus,
    Scheme,
)
from ..tracks import TrackTable
from .recompute import announce_grades, period_recompute, recompute_queue

# Cadres who are assessed in a period; others (免职, 退休 …) get no row when the period opens.
ASSESSED_STATUSES = (
    CadreStatus.ON_POST,
    CadreStatus.RECALLED,
    CadreStatus.FRONTLINE,
    CadreStatus.AWAITING,
)

# Which step may follow which; grading may go back to collecting to correct scores.
PERIOD_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PeriodStatus.DRAFT: (PeriodStatus.COLLECTING,),
    PeriodStatus.COLLECTING: (PeriodStatus.GRADING,),
    PeriodStatus.GRADING: (PeriodStatus.COLLECTING, PeriodStatus.PUBLISHED),
    PeriodStatus.PUBLISHED: (PeriodStatus.ARCHIVED,),
    PeriodStatus.ARCHIVED: (),
}
# Steps that decide what becomes official need the head's approval.
APPROVAL_STEPS = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
# The scheme of a period can change only before grades are settled.
SCHEME_EDITABLE = (PeriodStatus.DRAFT, PeriodStatus.COLLECTING)

INDICATOR_FIELDS = (
    "code",
    "name",
    "group",
    "track",
    "dimension",
    "source",
    "weight",
    "min_score",
    "max_score",
    "order",
)
HUNDRED = Decimal(100)
MAX_SCORE_LIMIT = Decimal("9999.99")


def _require(actor, capability: str, message: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def transition_capability(to: str) -> str:
    return "approve" if to in APPROVAL_STEPS else "manage_assessment"


def allowed_transitions(user, period: Period) -> list[str]:
    """The steps ``user`` may take from the period's current state (for the page's buttons)."""
    return [to for to in PERIOD_TRANSITIONS.get(period.status, ()) if user.can(transition_capability(to))]


def scheme_is_editable(user, scheme: Scheme) -> bool:
    if scheme.period_id is None:
        return bool(user.is_superuser)
    return user.can("manage_assessment") and scheme.period.status in SCHEME_EDITABLE


# ---------------------------------------------------------------- periods


def _copy_scheme(source: Scheme, *, period: Period, category: str, name: str) -> Scheme:
    scheme = Scheme.objects.create(
        name=name,
        period=period,
        category=category,
        quarterly=source.quarterly,
        description=source.description,
    )
    Indicator.objects.bulk_create(
        Indicator(scheme=scheme, **{f: getattr(ind, f) for f in INDICATOR_FIELDS})
        for ind in source.indicators.all()
    )
    return scheme


@transaction.atomic
def period_create(*, actor, name: str, year: int, quarter: int | None = None) -> Period:
    """A new period in draft, with a copy of the template scheme (annual or quarterly)."""
    _require(actor, "manage_assessment", "您的角色无权创建考核期。")
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "请填写考核期名称。"
    elif len(name) > 100:
        errors["name"] = "考核期名称不能超过100个字。"
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors["year"] = "请填写正确的年度。"
    else:
        if not 2000 <= year <= 2100:
            errors["year"] = "年度应在2000至2100之间。"
    if quarter in ("", None):
        quarter = None
    else:
        try:
            quarter = int(quarter)
        except (TypeError, ValueError):
            quarter = 0
        if not 1 <= quarter <= 4:
            errors["quarter"] = "季度只能是1至4；年度考核请留空。"
    if not errors:
        same = Period.objects.filter(year=year)
        same = same.filter(quarter__isnull=True) if quarter is None else same.filter(quarter=quarter)
        existing = same.first()
        if existing is not None:
            kind = "年度考核" if quarter is None else f"第{quarter}季度平时考核"
            errors["year" if quarter is None else "quarter"] = (
                f"{year}年{kind}已存在（“{existing.name}”），不能重复创建。"
            )
    template = None
    if not errors:
        template = (
            Scheme.objects.filter(period__isnull=True, quarterly=quarter is not None).order_by("pk").first()
        )
        if template is None:
            errors["name"] = "没有可用的考核方案模板，请先由系统管理员设置默认方案。"
    if errors:
        raise ValidationError(errors)

    period = Period.objects.create(name=name, year=year, quarter=quarter, created_by=actor)
    period.scheme = _copy_scheme(template, period=period, category="", name=template.name)
    period.save(update_fields=["scheme"])
    audit_record(actor=actor, action=AuditAction.CREATE, instance=period, after=snapshot(period))
    return period


def _open_assessments(period: Period) -> int:
    """One Assessment per assessed cadre without one: one read, one bulk insert."""
    has_row = Assessment.objects.filter(period=period, cadre=OuterRef("pk"))
    missing = (
        Cadre.objects.filter(status__in=ASSESSED_STATUSES)
        .exclude(Exists(has_row))
        .order_by("pk")
        .values_list("pk", "unit_id")
    )
    # Read in full before writing: COPY holds the connection, so no cursor may stream meanwhile.
    rows = [(period.pk, cadre_id, unit_id) for cadre_id, unit_id in missing]
    return bulk_insert(Assessment, rows, fields=["period_id", "cadre_id", "unit_id"])


@transaction.atomic
def period_transition(*, actor, period: Period, to: str) -> Period:
    """Move a period one step. Opening it (→ 采集评分) creates the missing assessment rows;
    publishing recomputes every grade first, so what is published is up to date."""
    if to not in PeriodStatus.values:
        raise ValidationError({"to": "未知的考核期状态。"})
    capability = transition_capability(to)
    if capability == "approve":
        _require(actor, capability, "公布或归档考核结果须由部长/分管负责人审批。")
    else:
        _require(actor, capability, "您的角色无权变更考核期状态。")
    # Row lock: two people pressing buttons at once act one after the other, on fresh state.
    current = Period.objects.select_for_update().get(pk=period.pk)
    if to not in PERIOD_TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "to": f"考核期“{current.name}”当前为“{current.get_status_display()}”，"
                f"不能改为“{PeriodStatus(to).label}”。"
            }
        )
    before = snapshot(current)
    reason = f"{current.get_status_display()} → {PeriodStatus(to).label}"
    if to == PeriodStatus.COLLECTING:
        opened = _open_assessments(current)
        if opened:
            reason += f"，新建考核记录 {opened} 条"
    if to == PeriodStatus.PUBLISHED:
        # Synchronously: published grades must reflect every change up to this moment.
        period_recompute(period_id=current.pk, force=True)
        current.refresh_from_db(fields=["computed_at"])
        current.published_at = timezone.now()
    current.status = to
    current.save(update_fields=["status", "published_at"])
    if to == PeriodStatus.PUBLISHED:
        announce_grades(current)  # the grades are now published results
    if to == PeriodStatus.GRADING:
        recompute_queue(period=current, actor=actor, reason="进入评定等次")
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=current,
        before=before,
        after=snapshot(current),
        reason=reason,
    )
    return current


# ---------------------------------------------------------------- schemes


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _clean_indicators(
    indicators: list[dict], *, kept: set[str] = frozenset()
) -> tuple[list[dict], dict[str, list[str]]]:
    """Parsed rows and errors keyed by row number ("0", "1" …) or "__all__" for the scheme.
    A track must be active, unless the scheme already used it (``kept``): a scheme that names a
    track deactivated since can still be saved."""
    tracks = TrackTable()
    errors: dict[str, list[str]] = {}
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(indicators):
        problems: list[str] = []
        code = str(raw.get("code") or "").strip()
        name = str(raw.get("name") or "").strip()
        label = f"指标“{code}”" if code else f"第{index + 1}行"
        group = raw.get("group") or IndicatorGroup.COMMON
        track = raw.get("track") or ""
        dimension = raw.get("dimension") or ""
        source = raw.get("source") or ""
        weight = _decimal(raw.get("weight"))
        min_score = _decimal(raw.get("min_score") if raw.get("min_score") not in (None, "") else 0)
        max_score = _decimal(raw.get("max_score") if raw.get("max_score") not in (None, "") else 100)
        if not code:
            problems.append(f"{label}：请填写列名。")
        elif len(code) > 30:
            problems.append(f"{label}：列名不能超过30个字。")
        elif code in seen:
            problems.append(f"{label}：列名与第{seen[code] + 1}行重复，同一方案内列名必须唯一。")
        else:
            seen[code] = index
        if not name:
            problems.append(f"{label}：请填写指标名称。")
        elif len(name) > 100:
            problems.append(f"{label}：指标名称不能超过100个字。")
        if group not in IndicatorGroup.values:
            problems.append(f"{label}：类别只能是共性指标或个性指标。")
        if track and not tracks.known(track):
            problems.append(f"{label}：未知的赛道。")
        elif track and track not in kept and not tracks.active(track):
            problems.append(f"{label}：赛道“{tracks.name(track)}”已停用，不能再用于新的指标。")
        if group == IndicatorGroup.INDIVIDUAL and not track:
            problems.append(f"{label}：个性指标必须选择适用赛道。")
        if group == IndicatorGroup.COMMON and track:
            problems.append(f"{label}：共性指标适用于全部干部，不能选择赛道。")
        if source not in IndicatorSource.values:
            problems.append(f"{label}：得分来源只能是录入或民情工单。")
        if dimension not in Dimension.values:
            problems.append(f"{label}：请选择维度（德、能、勤、绩、廉或综合）。")
        if weight is None:
            problems.append(f"{label}：权重必须是数字。")
        elif weight <= 0 or weight > HUNDRED:
            problems.append(f"{label}：权重应大于0且不超过100。")
        elif weight != weight.quantize(Decimal("0.01")):
            problems.append(f"{label}：权重最多保留两位小数。")
        if min_score is None or max_score is None:
            problems.append(f"{label}：最低分和满分必须是数字。")
        elif max_score < 1 or max_score > MAX_SCORE_LIMIT or min_score < -MAX_SCORE_LIMIT:
            problems.append(f"{label}：满分应在1至9999.99之间。")
        elif min_score >= max_score:
            problems.append(f"{label}：最低分必须小于满分。")
        try:
            order = int(raw.get("order") if raw.get("order") not in (None, "") else index)
        except (TypeError, ValueError):
            order = -1
        if not 0 <= order <= 32767:
            problems.append(f"{label}：排序必须是0至32767之间的整数。")
        if problems:
            errors[str(index)] = problems
            continue
        rows.append(
            {
                "code": code,
                "name": name,
                "group": group,
                "track": track,
                "dimension": dimension,
                "source": source,
                "weight": weight,
                "min_score": min_score,
                "max_score": max_score,
                "order": order,
            }
        )
    if not indicators:
        errors["__all__"] = ["方案至少需要一个指标。"]
    elif not errors:
        errors.update(_weight_errors(rows, tracks))
    return rows, errors


def weight_sums(rows: list[dict]) -> tuple[Decimal, dict[str, Decimal]]:
    """(common weights, common + individual weights per track that has individual indicators)."""
    common = sum((r["weight"] for r in rows if r["group"] == IndicatorGroup.COMMON), Decimal(0))
    per_track: dict[str, Decimal] = {}
    for r in rows:
        if r["group"] == IndicatorGroup.INDIVIDUAL:
            per_track[r["track"]] = per_track.get(r["track"], common) + r["weight"]
    return common, per_track


def _weight_errors(rows: list[dict], tracks: TrackTable) -> dict[str, list[str]]:
    common, per_track = weight_sums(rows)
    messages = []
    if not per_track:
        if common != HUNDRED:
            messages.append(f"共性指标权重合计为 {common.normalize():f}，应为 100。")
    else:
        for track, total in per_track.items():
            if total != HUNDRED:
                messages.append(
                    f"共性指标与{tracks.quoted(track)}赛道个性指标权重合计为 {total.normalize():f}，应为 100。"
                )
    return {"__all__": messages} if messages else {}


def _indicator_list(scheme: Scheme) -> list[dict]:
    return [
        {f: (str(v) if isinstance(v, Decimal) else v) for f, v in row.items()}
        for row in scheme.indicators.order_by("order", "id").values(*INDICATOR_FIELDS)
    ]


def _require_scheme_editable(actor, scheme: Scheme) -> None:
    if scheme.period_id is None:
        if not actor.is_superuser:
            raise PermissionDenied("方案模板只能由系统管理员修改。")
        return
    _require(actor, "manage_assessment", "您的角色无权修改考核方案。")
    if scheme.period.status not in SCHEME_EDITABLE:
        raise ValidationError(f"考核期已进入“{scheme.period.get_status_display()}”阶段，考核方案不能再修改。")


@transaction.atomic
def scheme_save(*, actor, scheme: Scheme, indicators: list[dict]) -> Scheme:
    """Replace the scheme's indicators after checking every row and the weights per track."""
    scheme = Scheme.objects.select_related("period").get(pk=scheme.pk)
    if scheme.period_id:
        # The period's state is read under a lock, so it cannot be published meanwhile.
        scheme.period = Period.objects.select_for_update().get(pk=scheme.period_id)
    _require_scheme_editable(actor, scheme)
    before = _indicator_list(scheme)
    rows, errors = _clean_indicators(indicators, kept={i["track"] for i in before if i["track"]})
    if errors:
        raise ValidationError(errors)
    scheme.indicators.all().delete()
    Indicator.objects.bulk_create(Indicator(scheme=scheme, **row) for row in rows)
    scheme.save(update_fields=["updated_at"])
    after = _indicator_list(scheme)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=scheme,
        before={"indicators": before},
        after={"indicators": after},
        reason=f"修改考核方案“{scheme.name}”的指标",
    )
    if scheme.period_id:
        recompute_queue(period=scheme.period, actor=actor, reason="考核方案已修改")
    return scheme


@transaction.atomic
def scheme_add_category(*, actor, period: Period, category: str) -> Scheme:
    """A scheme for one cadre category, copied from the base scheme (then edited on its own)."""
    _require(actor, "manage_assessment", "您的角色无权修改考核方案。")
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status not in SCHEME_EDITABLE:
        raise ValidationError(
            {"category": f"考核期已进入“{period.get_status_display()}”阶段，不能再增加分类方案。"}
        )
    if category not in CadreKind.values:
        raise ValidationError({"category": "请选择干部类别。"})
    label = CadreKind(category).label
    if Scheme.objects.filter(period=period, category=category).exists():
        raise ValidationError({"category": f"“{label}”的分类方案已存在。"})
    if period.scheme is None:
        raise ValidationError({"category": "该考核期没有基础方案，无法复制。"})
    scheme = _copy_scheme(
        period.scheme, period=period, category=category, name=f"{period.scheme.name}（{label}）"
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=scheme,
        after={**snapshot(scheme), "indicators": _indicator_list(scheme)},
        reason=f"为{label}复制基础方案",
    )
    recompute_queue(period=period, actor=actor, reason=f"新增{label}分类方案")
    return scheme
