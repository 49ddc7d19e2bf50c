"""The 团队奖金池 kind of ``assessment.PolicyRule`` ([003] 舟山新区“三重”项目绩效奖励: 项目工作组的
奖励总额与项目工作组年度绩效考评等次相挂钩): the coefficient each annual team tier
(优秀 / 良好 / 一般 / 较差) multiplies a pool's base by. One row per unit, inherited down the org
tree like every other rule; ``incentives.services_pools`` reads it for the pool's unit."""

from __future__ import annotations

from decimal import Decimal

from assessment.models import TEAM_SCALE, RuleKind
from assessment.services.policy import Param

from .policy_section import register_incentive_kind

# tier (a leadership-team grade) -> the parameter holding its coefficient
TIER_PARAMS = {"优秀": "excellent", "良好": "good", "一般": "average", "较差": "poor"}
assert set(TIER_PARAMS) == {str(g) for g in TEAM_SCALE}

PARAMS = [
    Param(
        name, f"“{tier}”系数", "number", min=0, max=10, help=f"团队年度等次为{tier}时，奖金池 = 基数 × 此系数"
    )
    for tier, name in TIER_PARAMS.items()
]


def _number(value) -> str:
    return f"{Decimal(str(value)).normalize():f}" if value not in (None, "") else "—"


def pool_text(p: dict) -> str:
    parts = "，".join(f"{tier} × {_number(p.get(name))}" for tier, name in TIER_PARAMS.items())
    return f"团队奖金池总额 = 基数 × 团队年度等次系数（{parts}），由团队自主分配"


def _check(params: dict, errors: dict) -> None:
    # a better tier never gets a smaller pool: the pool follows the tier ([003])
    values = [params.get(name) for name in TIER_PARAMS.values()]
    if all(v not in (None, "") for v in values) and any(
        Decimal(str(a)) < Decimal(str(b)) for a, b in zip(values, values[1:], strict=False)
    ):
        errors["excellent"] = "系数须从高到低：优秀 ≥ 良好 ≥ 一般 ≥ 较差。"


def coefficient_for(params: dict, tier: str) -> Decimal | None:
    """The tier's coefficient in a TEAM_POOL rule's params, or None for an unknown tier."""
    name = TIER_PARAMS.get(tier)
    if name is None or params.get(name) in (None, ""):
        return None
    return Decimal(str(params[name]))


def register() -> None:
    register_incentive_kind(RuleKind.TEAM_POOL, PARAMS, single=True, text=pool_text, check=_check)
