"""The 三挂钩 list kinds of ``assessment.PolicyRule`` ([000] 考核结果与奖励、评先选优、干部管理使用
“三挂钩”): bonus coefficients, 评先选优, 公务员奖励, 优先使用, the reserved posts of [002], the 80后
比选 of [003] and the tenure per rank of 职级晋升. Stored and inherited down the org tree like the
grading policy; ``incentives.lists`` evaluates them. A change queues the lists of the published
annual periods over the unit's subtree.
"""

from __future__ import annotations

from assessment.models import INDIVIDUAL_SCALE, Grade, RuleKind
from assessment.services.policy import Param
from cadres.models import Identity, Rank
from supervision.models import InterviewKind

from .policy_section import register_incentive_kind

YES_NO = (("yes", "是"), ("no", "否"))
ALL_GRADES = tuple((g.value, g.label) for g in [*INDIVIDUAL_SCALE, Grade.UNDETERMINED])
RANK_LABELS = dict(Rank.choices)
GRADE_PARAMS = {
    Grade.EXCELLENT: "excellent",
    Grade.COMPETENT: "competent",
    Grade.BASIC: "basic",
    Grade.INCOMPETENT: "incompetent",
    Grade.UNDETERMINED: "undetermined",
}

# 优先使用: one row per criterion. Positive criteria put a cadre on the list (hard: required;
# soft: points that rank); negative ones (no clue, no influence, no flag) only ever exclude.
CRITERIA = {
    "excellent_run": "年度考核连续优秀（年）",
    "frontline": "乡镇或重大项目一线经历（月）",
    "first_secretary": "驻村第一书记经历（月）",
    "no_clue": "无未核实的问题线索",
    "no_influence": "不在处分影响期内",
    "no_flag": "无待研判的不适宜担任现职预警",
}
POSITIVE_CRITERIA = ("excellent_run", "frontline", "first_secretary")
MODES = {"hard": "硬性条件（不符合的不列入）", "soft": "加分条件（符合的排序靠前）"}

PARAMS = {
    RuleKind.BONUS_COEFFICIENTS: [
        Param(name, f"{grade.label}系数", "number", min=0, max=5) for grade, name in GRADE_PARAMS.items()
    ],
    RuleKind.COMMENDATION: [
        Param("grades", "本年度考核等次须为", "multichoice", ALL_GRADES),
        Param(
            "interview_kinds",
            "年度内有下列谈话的不得参评",
            "multichoice",
            tuple(InterviewKind.choices),
            required=False,
            help="按谈话日期计入年度；经容错纠错认定为可容的不计",
        ),
        Param("no_clue", "有未核实问题线索的不得参评", "choice", YES_NO),
        Param("no_influence", "处于处分影响期内的不得参评", "choice", YES_NO),
        Param("no_flag", "有待研判的不适宜担任现职预警的不得参评", "choice", YES_NO),
    ],
    RuleKind.CS_AWARDS: [
        Param("identities", "适用身份", "multichoice", tuple(Identity.choices)),
        Param("jiajiang_grade", "嘉奖：年度考核等次", "choice", ALL_GRADES),
        Param("merit_years", "记三等功：连续优秀年数", "int", min=2, max=10),
    ],
    RuleKind.PRIORITY_USE: [
        Param("criterion", "条件", "choice", tuple(CRITERIA.items())),
        Param(
            "value",
            "年数或月数",
            "int",
            min=0,
            max=600,
            required=False,
            help="连续优秀填年数，一线或第一书记经历填月数；其余条件不填",
        ),
        Param("mode", "性质", "choice", tuple(MODES.items())),
        Param("weight", "加分", "number", min=0, max=100, required=False, help="加分条件符合时计入排序得分"),
    ],
    RuleKind.RESERVED_POST: [
        Param("years", "连续任乡镇党政正职不少于（年）", "int", min=1, max=30),
        Param(
            "min_grade", "本年度考核等次不低于", "choice", tuple((g.value, g.label) for g in INDIVIDUAL_SCALE)
        ),
    ],
    RuleKind.YOUNG_SELECTION: [
        Param("born_from_year", "出生年份不早于", "int", min=1940, max=2010, help="如 1980 即“80后”"),
        Param("ranks", "现任职级（副科以上）", "multichoice", tuple(Rank.choices)),
        Param(
            "grassroots_months",
            "基层一线经历（月）",
            "int",
            min=0,
            max=600,
            help="乡镇一线、重大项目一线、驻村第一书记、乡镇党政正职经历合计",
        ),
        Param(
            "grassroots_hard",
            "基层一线经历为硬性条件",
            "choice",
            YES_NO,
            help="否：经历不足的也列入，按经历长短排序",
        ),
    ],
    RuleKind.RANK_TENURE: [
        Param("from_rank", "现任职级", "choice", tuple(Rank.choices)),
        Param("to_rank", "晋升至", "choice", tuple(Rank.choices)),
        Param("years", "任职年限（年）", "int", min=1, max=20),
        Param("excellent_months", "每个优秀年度缩短（月）", "int", min=0, max=12),
        Param(
            "not_counted",
            "不计算任职年限的等次",
            "multichoice",
            ALL_GRADES,
            required=False,
            help="该年度不计入任职年限（晋升日期延后一年）",
        ),
    ],
}


def _grades_text(grades) -> str:
    return "或".join(grades or []) or "—"


def _kinds_text(kinds) -> str:
    labels = dict(InterviewKind.choices)
    return "、".join(labels.get(k, k) for k in kinds or [])


def _commendation_text(p: dict) -> str:
    parts = [f"本年度考核为{_grades_text(p.get('grades'))}"]
    if p.get("interview_kinds"):
        parts.append(f"年度内未被{_kinds_text(p['interview_kinds'])}")
    if p.get("no_clue") == "yes":
        parts.append("无未核实的问题线索")
    if p.get("no_influence") == "yes":
        parts.append("不在处分影响期内")
    if p.get("no_flag") == "yes":
        parts.append("无待研判的不适宜担任现职预警")
    return "评先选优：" + "；".join(parts)


def criterion_text(p: dict) -> str:
    """One 优先使用 criterion in Chinese: 近 2 年年度考核连续优秀."""
    criterion, value = p.get("criterion"), p.get("value")
    if criterion == "excellent_run":
        return f"年度考核连续 {value} 年优秀"
    if criterion == "frontline":
        return f"乡镇或重大项目一线经历满 {value} 个月"
    if criterion == "first_secretary":
        return f"驻村第一书记经历满 {value} 个月"
    return CRITERIA.get(criterion, str(criterion))


def _priority_text(p: dict) -> str:
    if p.get("mode") == "soft":
        return f"优先使用加分条件：{criterion_text(p)}，加 {p.get('weight') or 0} 分"
    return f"优先使用硬性条件：{criterion_text(p)}"


def _coefficients_text(p: dict) -> str:
    parts = "、".join(f"{grade.label} {p.get(name)}" for grade, name in GRADE_PARAMS.items())
    return f"绩效奖金 = 奖金基数 × 等次系数（{parts}）− 召回扣发，精确到分"


TEXTS = {
    RuleKind.BONUS_COEFFICIENTS: _coefficients_text,
    RuleKind.COMMENDATION: _commendation_text,
    RuleKind.CS_AWARDS: lambda p: (
        f"{'、'.join(dict(Identity.choices).get(i, i) for i in p.get('identities') or [])}"
        f"年度考核为{p.get('jiajiang_grade')}的，列为嘉奖人选；连续 {p.get('merit_years')} 年优秀的，列为记三等功人选"
    ),
    RuleKind.PRIORITY_USE: _priority_text,
    RuleKind.RESERVED_POST: lambda p: (
        f"在乡镇连续任党政正职 {p.get('years')} 年以上的现任乡镇党政正职，本年度考核{p.get('min_grade')}以上，"
        "列入定向选拔人选，按任职年限排序"
    ),
    RuleKind.YOUNG_SELECTION: lambda p: (
        f"{p.get('born_from_year')}年及以后出生、现任"
        f"{'、'.join(RANK_LABELS.get(r, r) for r in p.get('ranks') or [])}的干部列入比选人选；"
        f"基层一线经历满 {p.get('grassroots_months')} 个月"
        + ("为硬性条件" if p.get("grassroots_hard") == "yes" else "的优先，按经历长短排序")
    ),
    RuleKind.RANK_TENURE: lambda p: (
        f"任{RANK_LABELS.get(p.get('from_rank'), p.get('from_rank'))}满 {p.get('years')} 年可晋升"
        f"{RANK_LABELS.get(p.get('to_rank'), p.get('to_rank'))}；每个优秀年度缩短 {p.get('excellent_months')} 个月"
        + (f"，{_grades_text(p.get('not_counted'))}年度不计算任职年限" if p.get("not_counted") else "")
    ),
}


def _tag(kind):
    def tag(p: dict) -> str:
        if kind == RuleKind.PRIORITY_USE:
            return CRITERIA.get(p.get("criterion"), "").split("（")[0]
        if kind == RuleKind.RANK_TENURE:
            return f"{RANK_LABELS.get(p.get('from_rank'), '')}→{RANK_LABELS.get(p.get('to_rank'), '')}"
        return ""

    return tag


def _check_priority(params: dict, errors: dict) -> None:
    criterion = params.get("criterion")
    if criterion in POSITIVE_CRITERIA and params.get("value") in (None, ""):
        errors["value"] = "该条件须填写年数或月数。"
    if criterion == "excellent_run" and params.get("value") == 0:
        errors["value"] = "连续优秀年数至少为 1。"
    if criterion not in POSITIVE_CRITERIA:
        params["value"] = ""
        if params.get("mode") == "soft":
            errors["mode"] = "该条件只能作为硬性条件。"
    if params.get("mode") == "soft" and params.get("weight") in (None, ""):
        errors["weight"] = "加分条件须填写加分。"


def _check_tenure(params: dict, errors: dict) -> None:
    if params.get("from_rank") and params.get("from_rank") == params.get("to_rank"):
        errors["to_rank"] = "晋升后的职级不能与现任职级相同。"


def _check_young(params: dict, errors: dict) -> None:
    if not params.get("ranks"):
        errors["ranks"] = "请至少选择一个职级。"


def _queue_lists(*, actor, unit) -> None:
    from .lists.tasks import queue_lists_for_published

    queue_lists_for_published(actor=actor, unit=unit, reason="激励规则变化")


LIST_KINDS = [
    RuleKind.BONUS_COEFFICIENTS,
    RuleKind.COMMENDATION,
    RuleKind.CS_AWARDS,
    RuleKind.PRIORITY_USE,
    RuleKind.RESERVED_POST,
    RuleKind.YOUNG_SELECTION,
    RuleKind.RANK_TENURE,
]
CHECKS = {
    RuleKind.PRIORITY_USE: _check_priority,
    RuleKind.RANK_TENURE: _check_tenure,
    RuleKind.YOUNG_SELECTION: _check_young,
}


def register() -> None:
    for kind in LIST_KINDS:
        register_incentive_kind(
            kind,
            PARAMS[kind],
            single=kind not in (RuleKind.PRIORITY_USE, RuleKind.RANK_TENURE),
            text=TEXTS[kind],
            tag=_tag(kind) if kind in (RuleKind.PRIORITY_USE, RuleKind.RANK_TENURE) else None,
            check=CHECKS.get(kind),
            on_change=_queue_lists,
        )
    from .lists import receivers, tasks  # noqa: F401  (the job kind; grades published or corrected)
    from .lists.demo import register as register_demo

    register_demo()
