"""Bonus bases and team bonus pools (团队奖金池).

A unit sets the bonus base per cadre for an annual period (its subtree inherits it unless a unit
below sets its own); the 绩效奖金 list multiplies it by the grade's coefficient.

A team's pool follows the team's annual tier ([003]: 总额管理和自主分配相结合): the total is the
pool's base × the tier's coefficient (the ``TEAM_POOL`` rule of the pool's unit), and the team
shares it out by weights. A unit team's tier is its leadership team's final grade of the period; a
project team's tier is entered. Shares are worked out by the largest-remainder method, so the
amounts add up to the total exactly, to the fen; the steps are kept in ``TeamPool.arithmetic``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from assessment.models import TEAM_SCALE, Period, PeriodStatus, RuleKind, TeamAssessment
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, Unit
from cadres.selectors import cadres_visible_to, unit_in_scope
from recall.services import policy_params

from .models import BonusBase, PoolKind, PoolShare, TeamPool
from .policy_pools import coefficient_for

FEN = Decimal("0.01")
MONEY_MAX = Decimal("9999999999.99")  # max_digits=12 (a base per cadre); a pool's base likewise
WEIGHT_MAX = Decimal("999999.99")  # max_digits=8
NOTE_MAX = 200
TIERS = [str(g) for g in TEAM_SCALE]
DECIDED_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)

# How a fen left over after rounding down is given out; shown on the pool's page and kept in
# its arithmetic.
TIE_RULE = "舍去部分相同的，先补给权重大的成员；权重也相同的，按成员列出的先后顺序"
SHARE_RULE = (
    "每人金额 = 奖金池总额 × 本人权重 ÷ 权重合计，先舍到分；舍去后剩余的若干分，"
    "按各人舍去部分从大到小逐人补 1 分（最大余数法），" + TIE_RULE + "。各人金额合计恰好等于奖金池总额。"
)


def require_manage(actor) -> None:
    if not actor.can("manage_incentives"):
        raise PermissionDenied("您的角色只能查阅奖金基数和团队奖金池，不能修改。")


def _require(actor, unit: Unit) -> None:
    require_manage(actor)
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def money_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def number_text(value: Decimal) -> str:
    """1.20 → 1.2, 3.00 → 3: a coefficient or a weight as people write it."""
    text = f"{Decimal(value).normalize():f}"
    return text


def _decimal(value, field: str, label: str, *, maximum: Decimal, places: int = 2) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"“{label}”须为数字。"}) from None
    if not number.is_finite():
        raise ValidationError({field: f"“{label}”须为数字。"})
    if number < 0:
        raise ValidationError({field: f"“{label}”不能为负数。"})
    if number > maximum:
        raise ValidationError({field: f"“{label}”不能超过 {maximum:,.2f}。"})
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError({field: f"“{label}”最多保留 {places} 位小数。"})
    return number.quantize(Decimal(1).scaleb(-places))


def _money(value, field: str, label: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: f"请填写{label}。"})
    return _decimal(value, field, label, maximum=MONEY_MAX)


def _annual_period(period: Period, *, decided: bool = False) -> None:
    if not period.is_annual:
        raise ValidationError({"period": "奖金基数和团队奖金池按年度考核期设置，请选择年度考核期。"})
    if decided and period.status not in DECIDED_STATUSES:
        raise ValidationError(
            {
                "period": f"{period.name}尚未公布：团队奖金池按公布后的团队年度等次确定，请在考核结果公布后设置。"
            }
        )


# --------------------------------------------------------------------------- bonus bases


@transaction.atomic
def bonus_base_set(*, actor, period: Period, unit: Unit, amount, note: str = "") -> BonusBase:
    """Set the unit's bonus base per cadre for the period (its subtree inherits it)."""
    _require(actor, unit)
    _annual_period(period)
    amount = _money(amount, "amount", "人均奖金基数")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"说明不能超过 {NOTE_MAX} 个字。"})
    base = BonusBase.objects.select_for_update().filter(period=period, unit=unit).first()
    before = snapshot(base) if base else None
    if base is None:
        base = BonusBase(period=period, unit=unit)
    base.amount, base.note, base.set_by = amount, note, actor
    base.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=base,
        before=before,
        after=snapshot(base),
        scope_path=unit.path,
        reason=f"{period.name}{unit.name}人均奖金基数 {money_text(amount)} 元",
    )
    _lists_follow(actor, period, unit)
    return base


def _lists_follow(actor, period: Period, unit: Unit) -> None:
    """The 绩效奖金 list of a published period reads the bases: compute the unit's subtree again
    (after commit; decisions are kept)."""
    if period.status != PeriodStatus.PUBLISHED:
        return
    from .lists.tasks import queue_lists_job

    with contextlib.suppress(ValidationError):  # the period has no lists (reopened meanwhile)
        queue_lists_job(period_id=period.pk, unit_id=unit.pk, reason="奖金基数变化", actor=actor)


@transaction.atomic
def bonus_base_remove(*, actor, base: BonusBase) -> None:
    """Remove a unit's own base: the unit inherits its nearest ancestor's again."""
    _require(actor, base.unit)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=base,
        before=snapshot(base),
        after=None,
        scope_path=base.unit.path,
        reason=f"{base.unit.name}不再单独设置奖金基数，改为继承上级",
    )
    base.delete()
    _lists_follow(actor, base.period, base.unit)


# --------------------------------------------------------------------------- shares


@dataclasses.dataclass(frozen=True)
class ShareStep:
    """One member's share: the exact quotient, the amount rounded down, whether a fen was added."""

    weight: Decimal
    exact: Fraction  # in fen
    floor: int  # in fen
    extra: bool

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.floor + int(self.extra)) / 100).quantize(FEN)

    @property
    def exact_text(self) -> str:
        """The exact amount to four decimals, with … if it goes on (3333.3333…)."""
        yuan = self.exact / 100
        shown = Decimal(yuan.numerator) / Decimal(yuan.denominator)
        rounded = shown.quantize(Decimal("0.0001"), rounding="ROUND_DOWN")
        return f"{rounded}" + ("…" if Fraction(rounded) != yuan else "")


def largest_remainder(total: Decimal, weights: Sequence[Decimal]) -> list[ShareStep]:
    """Share ``total`` (yuan, to the fen) by ``weights``: each gets total × w ÷ Σw rounded down
    to the fen, and the fen left over go one each to the largest remainders; ties go to the larger
    weight, then to the one listed first (``TIE_RULE``). The amounts add up to ``total``."""
    fen = int((total * 100).to_integral_value())
    whole = sum((Fraction(w) for w in weights), Fraction(0))
    if whole <= 0:
        raise ValueError("the weights add up to zero")
    exact = [Fraction(fen) * Fraction(w) / whole for w in weights]
    floors = [q.numerator // q.denominator for q in exact]
    left = fen - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), -weights[i], i))
    extra = set(order[:left])
    return [ShareStep(Decimal(w), exact[i], floors[i], i in extra) for i, w in enumerate(weights)]


def _shares_list(shares: Iterable[PoolShare], names: dict[int, str]) -> list[str]:
    return [
        f"{names.get(s.cadre_id, s.cadre_id)}：权重 {number_text(s.weight)}，{money_text(s.amount)} 元"
        for s in shares
    ]


def _share_step(
    pool: TeamPool, shares: list[PoolShare], steps: list[ShareStep], names: dict[int, str]
) -> dict:
    whole = sum((s.weight for s in shares), Decimal(0))
    extra = [
        names.get(s.cadre_id, str(s.cadre_id)) for s, step in zip(shares, steps, strict=True) if step.extra
    ]
    left = len(extra)
    note = f"权重合计 {number_text(whole)}；" + (
        f"舍到分后剩余 {left} 分，补给：{'、'.join(extra)}" if left else "按权重恰好分尽，无剩余"
    )
    return {
        "label": "分配",
        "value": f"{len(shares)} 人，合计 {money_text(sum((s.amount for s in shares), Decimal(0)))} 元",
        "note": f"{note}。{SHARE_RULE}",
    }


def _allocate(pool: TeamPool, shares: list[PoolShare], names: dict[int, str]) -> None:
    """Amounts for ``shares`` (in their listed order) and the pool's share step."""
    if not shares or pool.total is None:
        return
    steps = largest_remainder(pool.total, [s.weight for s in shares])
    for share, step in zip(shares, steps, strict=True):
        share.amount = step.amount
    pool.arithmetic = [a for a in pool.arithmetic if a.get("label") != "分配"]
    pool.arithmetic.append(_share_step(pool, shares, steps, names))


def _parse_shares(actor, pool: TeamPool, shares) -> list[tuple[Cadre, Decimal]]:
    """``shares``: (cadre or cadre id, weight) pairs, in the order listed."""
    shares = list(shares or [])
    if not shares:
        raise ValidationError({"shares": "请至少填写一名成员及其分配权重。"})
    ids = []
    for number, (member, _) in enumerate(shares, start=1):
        pk = member.pk if isinstance(member, Cadre) else member
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            raise ValidationError({"shares": f"第 {number} 位成员的 id 无效。"}) from None
    found = {c.pk: c for c in cadres_visible_to(actor).select_related("unit").filter(pk__in=ids)}
    seen: set[int] = set()
    out = []
    for number, ((_, weight), pk) in enumerate(zip(shares, ids, strict=True), start=1):
        cadre = found.get(pk)
        if cadre is None:
            raise ValidationError({"shares": f"第 {number} 位成员不存在或不在您的管辖范围内。"})
        if pk in seen:
            raise ValidationError({"shares": f"成员重复：{cadre.name}。"})
        seen.add(pk)
        if pool.kind == PoolKind.UNIT and not cadre.unit.path.startswith(pool.unit.path):
            raise ValidationError(
                {"shares": f"单位团队的成员须为{pool.unit.name}（含下级单位）的干部：{cadre.name}不是。"}
            )
        if weight is None or (isinstance(weight, str) and not weight.strip()):
            raise ValidationError({"shares": f"请填写{cadre.name}的分配权重。"})
        try:
            value = _decimal(weight, "shares", f"{cadre.name}的分配权重", maximum=WEIGHT_MAX)
        except ValidationError as exc:
            raise ValidationError({"shares": exc.message_dict["shares"]}) from None
        out.append((cadre, value))
    if all(w == 0 for _, w in out):
        raise ValidationError({"shares": "分配权重不能全为零：至少一名成员的权重须大于零。"})
    return out


@transaction.atomic
def pool_shares_set(*, actor, pool: TeamPool, shares) -> list[PoolShare]:
    """Replace the pool's members and weights; the amounts follow (largest remainder)."""
    _require(actor, pool.unit)
    pool = TeamPool.objects.select_for_update().select_related("unit", "period").get(pk=pool.pk)
    if pool.total is None:
        raise ValidationError({"shares": "奖金池总额尚未确定，不能分配。"})
    members = _parse_shares(actor, pool, shares)
    old = list(pool.shares.select_related("cadre").order_by("id"))
    names = {s.cadre_id: s.cadre.name for s in old} | {c.pk: c.name for c, _ in members}
    before = {**snapshot(pool), "shares": _shares_list(old, names)}
    pool.shares.all().delete()
    new = [PoolShare(pool=pool, cadre=cadre, weight=weight) for cadre, weight in members]
    _allocate(pool, new, names)
    PoolShare.objects.bulk_create(new)  # listed order = id order, which the tie rule reads
    pool.save(update_fields=["arithmetic", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=pool,
        before=before,
        after={**snapshot(pool), "shares": _shares_list(new, names)},
        scope_path=pool.unit.path,
        reason=f"{pool.name}奖金池分配：{len(new)} 人，合计 {money_text(pool.total)} 元",
    )
    return new


# --------------------------------------------------------------------------- pools


def team_tier(period: Period, unit: Unit) -> str:
    """The unit's leadership team's final grade in the period ('' if none)."""
    grade = (
        TeamAssessment.objects.filter(period=period, unit=unit).values_list("final_grade", flat=True).first()
    )
    return grade or ""


def _tier(period: Period, unit: Unit, kind: str, tier: str | None) -> tuple[str, str]:
    """(tier, where it comes from)."""
    tier = (tier or "").strip()
    if kind == PoolKind.UNIT:
        grade = team_tier(period, unit)
        if grade not in TIERS:
            raise ValidationError(
                {
                    "tier": f"{unit.name}领导班子在{period.name}尚无年度考核等次，不能按等次确定单位团队奖金池。"
                }
            )
        if tier and tier != grade:
            raise ValidationError(
                {"tier": f"单位团队的等次取自领导班子年度考核结果（{grade}），不能另行填写。"}
            )
        return grade, f"{unit.name}领导班子{period.name}最终等次"
    if not tier:
        raise ValidationError({"tier": "请填写项目团队的年度绩效考评等次（优秀、良好、一般、较差）。"})
    if tier not in TIERS:
        raise ValidationError({"tier": "团队年度等次须为优秀、良好、一般或较差。"})
    return tier, "项目团队年度绩效考评等次（登记）"


def _compute(pool: TeamPool, tier_source: str) -> None:
    """The pool's total and its arithmetic from its base and tier."""
    params = policy_params(pool.unit, RuleKind.TEAM_POOL)
    coefficient = coefficient_for(params, pool.tier)
    if coefficient is None:
        raise ValidationError(
            {
                "tier": f"{pool.unit.name}没有适用的团队奖金池系数规则（考核评定规则·激励规则），不能计算奖金池。"
            }
        )
    total = (pool.base * coefficient).quantize(FEN, rounding=ROUND_HALF_UP)
    pool.total = total
    pool.arithmetic = [
        {"label": "团队年度等次", "value": pool.tier, "note": tier_source},
        {
            "label": "等次系数",
            "value": number_text(coefficient),
            "note": f"{pool.unit.name}适用的团队奖金池系数：{pool.tier} × {number_text(coefficient)}",
        },
        {"label": "奖金池基数", "value": f"{money_text(pool.base)} 元", "note": "团队登记"},
        {
            "label": "奖金池总额",
            "value": f"{money_text(total)} 元",
            "note": f"{money_text(pool.base)} × {number_text(coefficient)} = {money_text(total)}（四舍五入到分）",
        },
    ]


def _name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写团队名称。"})
    if len(name) > 100:
        raise ValidationError({"name": "团队名称不能超过 100 个字。"})
    return name


def _kind(kind) -> str:
    if kind in PoolKind.values:
        return kind
    by_label = {label: code for code, label in PoolKind.choices}
    if kind in by_label:
        return by_label[kind]
    raise ValidationError({"kind": "团队类型须为单位团队（unit）或项目团队（project）。"})


def _save(pool: TeamPool) -> None:
    try:
        with transaction.atomic():
            pool.save()
    except IntegrityError:
        raise ValidationError(
            {"name": f"{pool.unit.name}在{pool.period.name}已有同名团队“{pool.name}”。"}
        ) from None


@transaction.atomic
def pool_create(
    *, actor, period: Period, unit: Unit, kind: str, name: str, base, tier: str = "", shares=None
) -> TeamPool:
    """A team's pool for an annual period; ``shares`` (optional) shares it out at once."""
    _require(actor, unit)
    _annual_period(period, decided=True)
    kind = _kind(kind)
    pool = TeamPool(period=period, unit=unit, kind=kind, name=_name(name), created_by=actor)
    pool.base = _money(base, "base", "奖金池基数")
    pool.tier, source = _tier(period, unit, kind, tier)
    _compute(pool, source)
    _save(pool)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=pool,
        after=snapshot(pool),
        scope_path=unit.path,
        reason=f"{pool.get_kind_display()}“{pool.name}”奖金池 {money_text(pool.total)} 元（{pool.tier}）",
    )
    if shares:
        pool_shares_set(actor=actor, pool=pool, shares=shares)
        pool.refresh_from_db()
    return pool


@transaction.atomic
def pool_update(
    *, actor, pool: TeamPool, name: str | None = None, base=None, tier: str | None = None
) -> TeamPool:
    """Change a pool's name, base or (project team) tier; a unit team's tier is read again from
    its leadership team's grade. The total and the members' amounts follow."""
    _require(actor, pool.unit)
    pool = TeamPool.objects.select_for_update().select_related("unit", "period").get(pk=pool.pk)
    _annual_period(pool.period, decided=True)
    shares = list(pool.shares.select_related("cadre").order_by("id"))
    names = {s.cadre_id: s.cadre.name for s in shares}
    before = {**snapshot(pool), "shares": _shares_list(shares, names)}
    if name is not None:
        pool.name = _name(name)
    if base is not None:
        pool.base = _money(base, "base", "奖金池基数")
    if pool.kind == PoolKind.PROJECT and tier is None:
        tier = pool.tier
    pool.tier, source = _tier(pool.period, pool.unit, pool.kind, tier)
    _compute(pool, source)
    _allocate(pool, shares, names)
    _save(pool)
    PoolShare.objects.bulk_update(shares, ["amount"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=pool,
        before=before,
        after={**snapshot(pool), "shares": _shares_list(shares, names)},
        scope_path=pool.unit.path,
        reason=f"{pool.name}奖金池 {money_text(pool.total)} 元（{pool.tier}）",
    )
    return pool


@transaction.atomic
def pool_delete(*, actor, pool: TeamPool) -> None:
    _require(actor, pool.unit)
    shares = list(pool.shares.select_related("cadre").order_by("id"))
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=pool,
        before={**snapshot(pool), "shares": _shares_list(shares, {s.cadre_id: s.cadre.name for s in shares})},
        after=None,
        scope_path=pool.unit.path,
        reason=f"删除团队奖金池“{pool.name}”",
    )
    pool.delete()
