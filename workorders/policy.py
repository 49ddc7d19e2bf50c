"""The 民情工单 rules of ``assessment.PolicyRule``, one row per unit each, inherited down the org
tree like every other rule, shown in the policy page's 民情工单规则 section.

WORKORDER ([001] 千阳县: 党小组 "在三天内对居民点单内容进行派单"): how many days a recorded need may
wait for its dispatch, and how the public board (民心墙晾晒) names the cadres.

WORKORDER_SCORE: how a cadre's orders in a period become the score of a scheme indicator whose
source is 民情工单 (``assessment.grading`` evaluates it; DOMAIN.md: ratings are a source for
群众评价).
"""

from __future__ import annotations

import datetime

from assessment.models import RuleKind
from assessment.services.policy import Param, params_for, policy_section, register_kind
from cadres.models import Unit

SECTION = "workorder-rules"

BOARD_NAMES = {
    "full": "公示干部姓名",
    "surname": "只公示姓氏（如“张同志”）",
    "none": "不公示干部姓名",
}
NO_ORDERS = {
    "none": "不计分（按“缺项得分处理”规则处理）",
    "unit_average": "取本单位有工单干部的平均分",
}

WORKORDER_PARAMS = [
    Param("dispatch_days", "点单后派单期限（天）", "int", min=1, max=30, help="超过期限未派单的列入待办提醒"),
    Param("board_names", "民心墙公示干部姓名", "choice", tuple(BOARD_NAMES.items())),
]

WORKORDER_SCORE_PARAMS = [
    Param("on_time_weight", "按期办结率权重（%）", "percent", min=0, max=100),
    Param("satisfaction_weight", "群众满意度权重（%）", "percent", min=0, max=100),
    Param(
        "score_weight",
        "百分制评价平均分权重（%）",
        "percent",
        min=0,
        max=100,
        help="实行百分制评价的地方使用；三项权重之和应为 100%",
    ),
    Param(
        "basic_points",
        "“基本满意”折算分",
        "number",
        min=0,
        max=100,
        help="满意计 100 分、不满意计 0 分；经回访属客观原因的不满意按基本满意计",
    ),
    Param("min_orders", "计分最少工单数（件）", "int", min=1, max=100, help="本期工单少于此数的按无工单处理"),
    Param("no_orders", "无工单的干部", "choice", tuple(NO_ORDERS.items())),
]

DEFAULT_RULES = [
    (
        RuleKind.WORKORDER,
        "",
        {"dispatch_days": 3, "board_names": "surname"},
        "千阳县民心墙：党小组三天内派单",
    ),
    (
        RuleKind.WORKORDER_SCORE,
        "",
        {
            "on_time_weight": 0.5,
            "satisfaction_weight": 0.5,
            "score_weight": 0,
            "basic_points": 80,
            "min_orders": 1,
            "no_orders": "none",
        },
        "民情工单折算群众评价",
    ),
]
DEFAULT_DISPATCH_DAYS = 3


def _percent(value) -> str:
    return f"{float(value or 0) * 100:g}%"


def workorder_text(p: dict) -> str:
    return f"点单后 {p.get('dispatch_days')} 天内派单；民心墙{BOARD_NAMES.get(p.get('board_names'), '')}"


def score_text(p: dict) -> str:
    parts = [
        f"按期办结率×{_percent(p.get('on_time_weight'))}",
        f"满意度×{_percent(p.get('satisfaction_weight'))}",
    ]
    if p.get("score_weight"):
        parts.append(f"百分制平均分×{_percent(p.get('score_weight'))}")
    return (
        f"{' + '.join(parts)}（基本满意计 {p.get('basic_points')} 分）；"
        f"本期工单不足 {p.get('min_orders')} 件的{NO_ORDERS.get(p.get('no_orders'), '')}"
    )


def _check_score(params: dict, errors: dict) -> None:
    weights = [params.get(n) for n in ("on_time_weight", "satisfaction_weight", "score_weight")]
    if any(w is None for w in weights):
        return
    if abs(sum(float(w) for w in weights) - 1) > 1e-9:
        errors["score_weight"] = "三项权重之和应为 100%。"


def _after_score_change(*, actor, unit) -> None:
    # the indicator's scores follow the rule: recompute the open periods of the subtree
    from assessment.services.recompute import recompute_open_periods

    recompute_open_periods(unit_paths=[unit.path if unit else ""], actor=actor, reason="修改民情工单计分规则")


def register() -> None:
    policy_section(
        SECTION,
        title="民情工单规则",
        about="居民点单后的派单期限、民心墙公示方式，以及“民情工单”指标按群众评价折算得分的方法",
        note="“民情工单”来源的考核指标在计算等次时按本节的计分规则折算，每名干部的等次依据列出工单件数、"
        "按期办结、满意件数和折算结果。",
    )
    register_kind(RuleKind.WORKORDER, WORKORDER_PARAMS, single=True, section=SECTION, text=workorder_text)
    register_kind(
        RuleKind.WORKORDER_SCORE,
        WORKORDER_SCORE_PARAMS,
        single=True,
        section=SECTION,
        text=score_text,
        check=_check_score,
        on_change=_after_score_change,
    )


def limits_for(unit: Unit) -> dict:
    """The WORKORDER rule in force for ``unit`` (the defaults where it is switched off)."""
    return params_for(RuleKind.WORKORDER, unit) or dict(DEFAULT_RULES[0][2])


def dispatch_due(unit: Unit, recorded_on: datetime.date) -> datetime.date:
    """The last day a need recorded on ``recorded_on`` may be dispatched."""
    days = int(limits_for(unit).get("dispatch_days") or DEFAULT_DISPATCH_DAYS)
    return recorded_on + datetime.timedelta(days=days)


def board_name(full_name: str, unit: Unit | None = None, *, mode: str | None = None) -> str:
    """A cadre's name as the public board may show it."""
    mode = mode or (limits_for(unit).get("board_names") if unit is not None else "surname")
    if mode == "full":
        return full_name
    if mode == "none" or not full_name:
        return "在职党员"
    return f"{full_name[0]}同志"
