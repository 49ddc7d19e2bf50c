"""The recall kinds of ``assessment.PolicyRule``: the points system, the limits of a case's steps
and the 不适宜担任现职 flag rules. Stored and inherited down the org tree like the grading policy
(``assessment.services.policy``); this module gives each kind its parameters and its sentence.
"""

from assessment.models import INDIVIDUAL_SCALE, RuleKind
from assessment.services.policy import Param, fraction_text, policy_section, register_kind
from supervision.models import InterviewKind

FOLLOWUP_MODES = {"followup_failed": "召回后跟踪考察不合格", "recalled_times": "一定年限内被召回"}

PARAMS = {
    RuleKind.RECALL_POINTS: [
        Param("window_months", "记分周期（月）", "int", min=1, max=60, help="按最近多少个月累计记分"),
        Param("threshold", "召回分值", "int", min=1, max=100, help="周期内累计记分达到此分值即提议召回"),
    ],
    RuleKind.RECALL_LIMITS: [
        Param("study_min_days", "学习班最短天数", "int", min=1, max=30),
        Param("study_max_days", "学习班最长天数", "int", min=1, max=30),
        Param("frontline_min_months", "一线锻炼最短月数", "int", min=1, max=24),
        Param("frontline_max_months", "一线锻炼最长月数", "int", min=1, max=24),
    ],
    RuleKind.FLAG_GRADE: [
        Param(
            "grade", "年度等次（含更差）", "choice", tuple((g.value, g.label) for g in INDIVIDUAL_SCALE[1:])
        ),
        Param("years", "连续年数", "int", min=1, max=5, help="最近连续几个已公布年度"),
    ],
    RuleKind.FLAG_INTERVIEWS: [
        Param("kinds", "谈话类别", "multichoice", tuple(InterviewKind.choices)),
        Param("min_count", "一年内次数不少于", "int", min=1, max=20),
        Param("years_back", "往前查看年数", "int", min=0, max=5, help="0 为只看本年，1 为本年和上一年"),
    ],
    RuleKind.FLAG_RECALL: [
        Param("mode", "情形", "choice", tuple(FOLLOWUP_MODES.items())),
        Param("min_count", "次数不少于", "int", min=1, max=10),
        Param("years", "年限（年）", "int", min=1, max=10),
    ],
    RuleKind.FLAG_VOTES: [
        Param("share", "不称职票比例超过", "fraction", help="如 1/3 或 20%；弃权票计入总票数"),
        Param("years", "连续年数", "int", min=1, max=5),
    ],
    RuleKind.FLAG_TRACK: [
        Param("bottom", "倒数名次（含）", "int", min=1, max=50, help="1 为末位"),
        Param("periods", "连续年度考核期数", "int", min=1, max=5),
    ],
    RuleKind.FLAG_INACTION: [
        Param("days", "召回提议搁置天数超过", "int", min=1, max=365),
    ],
}
FLAG_KINDS = [
    RuleKind.FLAG_GRADE,
    RuleKind.FLAG_INTERVIEWS,
    RuleKind.FLAG_RECALL,
    RuleKind.FLAG_VOTES,
    RuleKind.FLAG_TRACK,
    RuleKind.FLAG_INACTION,
]
RECALL_KINDS = [RuleKind.RECALL_POINTS, RuleKind.RECALL_LIMITS, *FLAG_KINDS]


def _kinds_text(kinds) -> str:
    labels = dict(InterviewKind.choices)
    return "或".join(labels.get(k, k) for k in kinds or [])


TEXTS = {
    RuleKind.RECALL_POINTS: lambda p: (
        f"最近 {p.get('window_months')} 个月内累计记分达到 {p.get('threshold')} 分的，提议召回"
    ),
    RuleKind.RECALL_LIMITS: lambda p: (
        f"召回学习班 {p.get('study_min_days')}–{p.get('study_max_days')} 天；"
        f"一线岗位或重点项目锻炼 {p.get('frontline_min_months')}–{p.get('frontline_max_months')} 个月"
    ),
    RuleKind.FLAG_GRADE: lambda p: (
        f"最近一个年度考核为{p.get('grade')}或更差"
        if p.get("years") == 1
        else f"连续 {p.get('years')} 个年度考核为{p.get('grade')}或更差"
    ),
    RuleKind.FLAG_INTERVIEWS: lambda p: (
        f"同一年度内被{_kinds_text(p.get('kinds'))}累计 {p.get('min_count')} 次及以上"
    ),
    RuleKind.FLAG_RECALL: lambda p: (
        f"{p.get('years')} 年内召回后跟踪考察不合格 {p.get('min_count')} 次及以上"
        if p.get("mode") == "followup_failed"
        else f"{p.get('years')} 年内被召回 {p.get('min_count')} 次及以上"
    ),
    RuleKind.FLAG_VOTES: lambda p: (
        f"民主测评不称职票超过总票数的 {fraction_text(p.get('share', '0'))}"
        + ("" if p.get("years") == 1 else f"，连续 {p.get('years')} 年")
    ),
    RuleKind.FLAG_TRACK: lambda p: (
        f"赛马排名倒数第 {p.get('bottom')} 名以内，连续 {p.get('periods')} 个年度考核期"
        if p.get("bottom") != 1
        else f"赛马排名末位，连续 {p.get('periods')} 个年度考核期"
    ),
    RuleKind.FLAG_INACTION: lambda p: f"本单位干部召回提议搁置超过 {p.get('days')} 天未办理，预警主要负责人",
}


def _check_limits(params: dict, errors: dict) -> None:
    if params.get("study_min_days", 0) > params.get("study_max_days", 0):
        errors["study_min_days"] = "学习班最短天数不能大于最长天数。"
    if params.get("frontline_min_months", 0) > params.get("frontline_max_months", 0):
        errors["frontline_min_months"] = "一线锻炼最短月数不能大于最长月数。"


def _queue_flags(*, actor, unit) -> None:
    from .tasks import queue_flag_job

    queue_flag_job(reason="预警规则变化")


def _tag(kind):
    def tag(p: dict) -> str:
        if kind == RuleKind.FLAG_GRADE:
            return f"{p.get('grade')}{p.get('years')}年"
        if kind == RuleKind.FLAG_INTERVIEWS:
            return f"{p.get('min_count')}次"
        if kind == RuleKind.FLAG_RECALL:
            return FOLLOWUP_MODES.get(p.get("mode"), "")
        if kind == RuleKind.FLAG_VOTES:
            return f"{fraction_text(p.get('share', '0'))}·{p.get('years')}年"
        if kind == RuleKind.FLAG_TRACK:
            return f"{p.get('periods')}期"
        return ""

    return tag


SECTION = "recall-rules"


def register() -> None:
    policy_section(
        SECTION,
        title="召回与预警规则",
        about="召回记分制、召回办理期限，以及“不适宜担任现职”预警规则",
        note="预警规则只提示可能不适宜担任现职的干部及其依据的事实，由组织部门在“预警研判”中逐一研判；"
        "修改预警规则后，系统重新检查全部干部。",
    )
    for kind in RECALL_KINDS:
        register_kind(
            kind,
            PARAMS[kind],
            section=SECTION,
            single=kind in (RuleKind.RECALL_POINTS, RuleKind.RECALL_LIMITS, RuleKind.FLAG_INACTION),
            text=TEXTS[kind],
            tag=_tag(kind) if kind in FLAG_KINDS else None,
            check=_check_limits if kind == RuleKind.RECALL_LIMITS else None,
            on_change=_queue_flags if kind in FLAG_KINDS or kind == RuleKind.RECALL_POINTS else None,
        )


# (kind, key, params, note): written by migration 0002; administrators change the stored rows.
DEFAULT_RULES = [
    (
        "recall_points",
        "",
        {"window_months": 12, "threshold": 12},
        "记分制：按情形记分，最近 12 个月内累计达到 12 分的，提议召回（州环保局“记分制”考评）。",
    ),
    (
        "recall_limits",
        "",
        {"study_min_days": 2, "study_max_days": 5, "frontline_min_months": 1, "frontline_max_months": 6},
        "离岗集中学习 2 至 5 天；能力尚有不足的，选派到一线岗位或重点项目锻炼 1 至 6 个月（黔西南）。",
    ),
    ("flag_grade", "incompetent", {"grade": "不称职", "years": 1}, "最近一个年度考核为不称职。"),
    ("flag_grade", "basic_2", {"grade": "基本称职", "years": 2}, "连续两年年度考核为基本称职。"),
    (
        "flag_interviews",
        "2",
        {"kinds": ["yuetan", "admonish"], "min_count": 2, "years_back": 1},
        "一年内被约谈或诫勉两次及以上。",
    ),
    (
        "flag_recall",
        "followup_failed",
        {"mode": "followup_failed", "min_count": 1, "years": 3},
        "召回学习后跟踪考察不合格。",
    ),
    (
        "flag_recall",
        "recalled_2",
        {"mode": "recalled_times", "min_count": 2, "years": 3},
        "三年内被召回两次及以上。",
    ),
    ("flag_votes", "third", {"share": "1/3", "years": 1}, "民主测评不称职票超过三分之一。"),
    ("flag_votes", "fifth_2", {"share": "1/5", "years": 2}, "民主测评不称职票连续两年超过 20%。"),
    ("flag_track", "bottom_2", {"bottom": 1, "periods": 2}, "赛马排名连续两个年度考核期末位。"),
    (
        "flag_inaction",
        "",
        {"days": 15},
        "召回提议送达单位后超过 15 天未办理的，预警单位主要负责人（拒不执行、隐瞒不报的，召回主要负责人）。",
    ),
]
