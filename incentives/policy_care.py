"""The 基层服务年限 (GRASSROOTS) and 关爱标准 (CARE) kinds of ``assessment.PolicyRule``. One row per
unit each, inherited down the org tree like every other rule.

GRASSROOTS ([001] 铜川: 严格新录用乡镇干部在乡镇机关至少服务三年的规定，在乡镇锻炼不足两年的，不允许
借调上级机关或调离乡镇机关): ``incentives.grassroots`` reads it for the township service figures
and the check on moves out of a township.

CARE ([000] 村干部报酬 1.89 万元/年、社区干部 2.33 万元/年; [001][004] 走访慰问、年度体检、带薪休假;
[001] 旬阳 离任村干部生活补贴): ``incentives.care`` reads it for the 关爱提醒 list.
"""

from __future__ import annotations

from decimal import Decimal

from assessment.models import RuleKind
from assessment.services.policy import Param

from .policy_section import register_incentive_kind

SUBSIDY_CYCLES = {"monthly": "按月", "quarterly": "按季", "yearly": "按年"}

GRASSROOTS_PARAMS = [
    Param("recruit_min_years", "新录用人员在乡镇最低服务年限（年）", "int", min=1, max=10),
    Param(
        "move_min_years",
        "调出乡镇或借调前最低工作年限（年）",
        "int",
        min=0,
        max=10,
        help="到乡镇工作未满此年限的，不得调出乡镇或借调（部长审批同意的除外）；0 为不限制",
    ),
    Param(
        "recruit_window_months",
        "新录用认定：参加工作后几个月内到乡镇（月）",
        "int",
        min=0,
        max=36,
        help="到乡镇工作时间不晚于参加工作时间加此月数的，按新录用乡镇干部计",
    ),
]

CARE_PARAMS = [
    Param("village_pay", "村干部报酬（元/年）", "number", min=0, max=999999),
    Param("community_pay", "社区干部报酬（元/年）", "number", min=0, max=999999),
    Param(
        "health_checks_per_year",
        "每年体检次数不少于",
        "int",
        min=0,
        max=4,
        help="本年度体检次数少于此数的干部列入关爱提醒；0 为不提醒",
    ),
    Param(
        "hardship_visits_per_year",
        "艰苦边远岗位干部每年走访慰问次数不少于",
        "int",
        min=0,
        max=12,
        help="0 为不提醒",
    ),
    Param(
        "leave_min_days",
        "每年带薪休假天数不少于",
        "int",
        min=0,
        max=30,
        help="本年度休假天数少于此数的干部列入关爱提醒；0 为不提醒",
    ),
    Param("subsidy_cycle", "离任村干部生活补贴发放周期", "choice", tuple(SUBSIDY_CYCLES.items())),
]


def _money(value) -> str:
    """18900 → 1.89万元; 800 → 800元."""
    if value in (None, ""):
        return "—"
    amount = Decimal(str(value))
    if amount >= 10000:
        return f"{(amount / 10000).normalize():f}万元"
    return f"{amount.normalize():f}元"


def grassroots_text(p: dict) -> str:
    move = p.get("move_min_years")
    move_text = (
        f"到乡镇工作未满 {move} 年的，不得调出乡镇或借调（部长审批同意的除外）"
        if move
        else "调出乡镇或借调不限工作年限"
    )
    return (
        f"新录用人员在乡镇至少服务 {p.get('recruit_min_years')} 年"
        f"（参加工作 {p.get('recruit_window_months')} 个月内到乡镇的按新录用计）；{move_text}"
    )


def care_text(p: dict) -> str:
    def every_year(count, what):
        return f"{what}每年不少于 {count} 次" if count else f"{what}不提醒"

    leave = p.get("leave_min_days")
    return "；".join(
        [
            f"村干部报酬 {_money(p.get('village_pay'))}/年，社区干部报酬 {_money(p.get('community_pay'))}/年",
            every_year(p.get("health_checks_per_year"), "体检"),
            every_year(p.get("hardship_visits_per_year"), "艰苦边远岗位干部走访慰问"),
            f"带薪休假每年不少于 {leave} 天" if leave else "带薪休假不提醒",
            f"离任村干部生活补贴{SUBSIDY_CYCLES.get(p.get('subsidy_cycle'), '')}发放",
        ]
    )


def register() -> None:
    # shown in the policy page's 激励规则 section; a change needs no recomputation (the figures
    # and the care-due list are read when shown)
    register_incentive_kind(RuleKind.GRASSROOTS, GRASSROOTS_PARAMS, single=True, text=grassroots_text)
    register_incentive_kind(RuleKind.CARE, CARE_PARAMS, single=True, text=care_text)
