"""Editing the grading policy: a unit overrides a rule for its subtree, or goes back to inheriting.

Each rule kind has a parameter spec (``PARAM_SPECS``) that both validates what is saved and
builds the edit form, so the page and the service cannot disagree. A change queues the
recomputation of the open periods over the unit's subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import CadreKind, LeaveKind, Unit
from cadres.selectors import unit_in_scope
from supervision.models import SanctionKind

from ..grading import ROUNDING_LABELS, SANCTION_LABELS, PolicyResolver, RuleRow
from ..models import INDIVIDUAL_SCALE, QUARTER_SCALE, TEAM_SCALE, PolicyRule, RuleKind
from .recompute import recompute_open_periods

UNGRADED_EFFECTS = {"undetermined": "不定等次", "not_assessed": "不参加考核"}
QUOTA_BASE_LABELS = {"no": "不计入优秀名额基数", "yes": "计入优秀名额基数"}
MISSING_MODES = {
    "ungraded": "不评定等次",
    "renormalise": "按其余指标权重折算",
    "unit_average": "取本单位该指标平均分",
}
BASIS_LABELS = {"decided_in_period": "处分决定在考核期内", "overlaps_period": "影响期与考核期有重叠"}
EFFECT_LABELS = {"cap": "限制最高等次", "undetermined": "不定等次"}


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    type: str  # number | int | percent | fraction | choice | multichoice | codes
    choices: tuple = ()
    min: float | None = None
    max: float | None = None
    required: bool = True
    help: str = ""


SCORE = {"min": 0, "max": 100}
PARAM_SPECS: dict[str, list[Param]] = {
    RuleKind.THRESHOLDS: [
        Param("excellent_min", "优秀线（分）", "number", help="达到此分数方可参与优秀名额分配", **SCORE),
        Param("competent_min", "称职线（分）", "number", **SCORE),
        Param("basic_min", "基本称职线（分）", "number", help="低于此分数为不称职", **SCORE),
    ],
    RuleKind.QUOTA: [
        Param("ratio", "优秀比例（%）", "percent", min=0, max=100),
        Param("rounding", "名额取整", "choice", tuple(ROUNDING_LABELS.items())),
        Param(
            "tie_break",
            "同分比较的指标",
            "codes",
            required=False,
            help="名额边界同分时依次比较这些指标的得分（用顿号或逗号分隔，如：绩、德），仍相同按干部登记顺序；同分者均标记待复核",
        ),
        Param(
            "raised_ratio",
            "完成重大任务单位的优秀比例（%）",
            "percent",
            min=0,
            max=100,
            required=False,
            help="留空表示不上调；单位经批准登记“优秀比例上调”后按此比例计算名额",
        ),
    ],
    RuleKind.QUARTER_THRESHOLDS: [
        Param("good_min", "“好”分数线", "number", **SCORE),
        Param("fair_min", "“较好”分数线", "number", **SCORE),
        Param("average_min", "“一般”分数线", "number", help="低于此分数为较差", **SCORE),
    ],
    RuleKind.TEAM_THRESHOLDS: [
        Param("excellent_min", "“优秀”分数线", "number", **SCORE),
        Param("good_min", "“良好”分数线", "number", **SCORE),
        Param("average_min", "“一般”分数线", "number", help="低于此分数为较差", **SCORE),
    ],
    RuleKind.QUARTER_FEED: [
        Param("grade", "季度等次（含更差）", "choice", tuple((g.value, g.label) for g in QUARTER_SCALE)),
        Param("min_count", "季度数不少于", "int", min=1, max=4),
        Param("cap", "年度至多", "choice", tuple((g.value, g.label) for g in INDIVIDUAL_SCALE[1:])),
    ],
    RuleKind.YUETAN_CADRE: [
        Param("min_count", "年度内约谈次数不少于", "int", min=1, max=20),
        Param("cap", "等次至多", "choice", tuple((g.value, g.label) for g in INDIVIDUAL_SCALE[1:])),
        Param(
            "kinds",
            "适用干部类别",
            "multichoice",
            tuple(CadreKind.choices),
            required=False,
            help="不选则适用于全部干部",
        ),
    ],
    RuleKind.YUETAN_TEAM: [
        Param("min_count", "班子年度内约谈次数不少于", "int", min=1, max=20),
        Param("team_cap", "班子等次至多", "choice", tuple((g.value, g.label) for g in TEAM_SCALE[1:])),
        Param(
            "main_leader_cap",
            "主要负责人等次至多",
            "choice",
            (("", "不限制"), *((g.value, g.label) for g in INDIVIDUAL_SCALE[1:])),
            required=False,
        ),
    ],
    RuleKind.INFLUENCE: [
        Param("sanction", "处分类型", "choice", tuple(SanctionKind.choices)),
        Param("months", "影响期（月）", "int", min=1, max=120),
        Param("basis", "适用条件", "choice", tuple(BASIS_LABELS.items())),
        Param("effect", "影响", "choice", tuple(EFFECT_LABELS.items())),
        Param(
            "cap",
            "等次至多",
            "choice",
            (("", "—"), *((g.value, g.label) for g in INDIVIDUAL_SCALE[1:])),
            required=False,
            help="影响为“限制最高等次”时填写",
        ),
    ],
    RuleKind.PROBATION: [
        Param("effect", "结果", "choice", tuple(UNGRADED_EFFECTS.items())),
        Param("in_quota_base", "优秀名额基数", "choice", tuple(QUOTA_BASE_LABELS.items())),
    ],
    RuleKind.LONG_LEAVE: [
        Param("share", "请假天数超过考核年度的比例", "fraction", help="如 1/2：恰好一半不算超过"),
        Param("leave_kinds", "计入的请假类别", "multichoice", tuple(LeaveKind.choices)),
        Param("effect", "结果", "choice", tuple(UNGRADED_EFFECTS.items())),
        Param("in_quota_base", "优秀名额基数", "choice", tuple(QUOTA_BASE_LABELS.items())),
    ],
    RuleKind.INVESTIGATION: [
        Param("effect", "结果", "choice", tuple(UNGRADED_EFFECTS.items())),
        Param("in_quota_base", "优秀名额基数", "choice", tuple(QUOTA_BASE_LABELS.items())),
    ],
    RuleKind.MISSING_SCORES: [
        Param("mode", "缺少指标得分时", "choice", tuple(MISSING_MODES.items())),
        Param(
            "codes",
            "适用的指标",
            "codes",
            required=False,
            help="只对这些指标缺分时适用（用顿号或逗号分隔，如：民主测评）；留空表示全部指标",
        ),
    ],
    RuleKind.APPEAL: [
        Param("days", "公布后可申请复核的天数", "int", min=1, max=365),
    ],
}
# Kinds with one row per unit; the others may have several rows told apart by key.
SINGLE_KINDS = {
    RuleKind.THRESHOLDS,
    RuleKind.QUOTA,
    RuleKind.QUARTER_THRESHOLDS,
    RuleKind.TEAM_THRESHOLDS,
    RuleKind.PROBATION,
    RuleKind.LONG_LEAVE,
    RuleKind.INVESTIGATION,
    RuleKind.MISSING_SCORES,
    RuleKind.APPEAL,
}


@dataclass(frozen=True)
class KindHooks:
    text: Callable[[dict], str]
    tag: Callable[[dict], str] | None = None
    check: Callable[[dict, dict], None] | None = None  # (params, errors): cross-parameter checks
    on_change: Callable[..., None] | None = None  # (actor=, unit=) after a save or a reset


# Rule kinds another app evaluates (recall/: the points system and the flag rules) plug into the
# same rows, inheritance, page and audit trail through ``register_kind`` from their AppConfig.
KIND_HOOKS: dict[str, KindHooks] = {}


@dataclass
class PolicySection:
    """A section of the policy page: its anchor, title, one line on what it holds and a note
    shown under its table. The kinds in it are those registered with ``section=anchor``."""

    anchor: str
    title: str
    about: str
    note: str = ""


GRADING_SECTION = "grading-rules"
# The policy page's sections in order; the grading rules hold every kind no other section claims.
POLICY_SECTIONS: dict[str, PolicySection] = {
    GRADING_SECTION: PolicySection(
        GRADING_SECTION, "考核评定规则", "等次分数线、优秀比例、季度结果、约谈与处分对等次的限制"
    )
}
KIND_SECTIONS: dict[str, str] = {}


def policy_section(anchor: str, *, title: str, about: str, note: str = "") -> PolicySection:
    """Add (or replace) a section of the policy page; apps above register theirs from their
    AppConfig, and their kinds join it through ``register_kind(..., section=anchor)``."""
    POLICY_SECTIONS[anchor] = PolicySection(anchor, title, about, note)
    return POLICY_SECTIONS[anchor]


def section_of(kind: str) -> str:
    """The anchor of the section a kind is shown in (a section not registered: the grading one)."""
    anchor = KIND_SECTIONS.get(kind, GRADING_SECTION)
    return anchor if anchor in POLICY_SECTIONS else GRADING_SECTION


def register_kind(
    kind: str, params: list[Param], *, single: bool = False, section: str | None = None, **hooks
) -> None:
    PARAM_SPECS[kind] = params
    if single:
        SINGLE_KINDS.add(kind)
    if section:
        KIND_SECTIONS[kind] = section
    KIND_HOOKS[kind] = KindHooks(**hooks)


def parse_fraction(value) -> Fraction:
    """``1/3``, ``20%``, ``0.2`` → an exact fraction (a share compared without rounding)."""
    text = str(value).strip().replace("％", "%").replace("／", "/")
    if text.endswith("%"):
        return Fraction(Decimal(text[:-1].strip())) / 100
    return Fraction(text)


def fraction_text(value) -> str:
    share = parse_fraction(value)
    if share.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100):
        return f"{float(share * 100):g}%"
    return f"{share.numerator}/{share.denominator}"


def _number(value, label, errors, name, *, integer=False):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[name] = f"“{label}”须为数字。"
        return None
    if integer and number != number.to_integral_value():
        errors[name] = f"“{label}”须为整数。"
        return None
    return number


def clean_params(kind: str, raw: dict) -> dict:
    """Validate and normalise parameters of a rule kind; Chinese messages keyed by parameter."""
    if kind not in PARAM_SPECS:
        raise ValidationError({"kind": "未知的规则类型。"})
    errors: dict[str, str] = {}
    out: dict = {}
    for p in PARAM_SPECS[kind]:
        value = raw.get(p.name)
        empty = value is None or value == "" or value == []
        if empty:
            if p.required:
                errors[p.name] = f"请填写“{p.label}”。"
            out[p.name] = [] if p.type in ("multichoice", "codes") else ""
            continue
        if p.type in ("number", "int", "percent"):
            number = _number(value, p.label, errors, p.name, integer=p.type == "int")
            if number is None:
                continue
            if (p.min is not None and number < p.min) or (p.max is not None and number > p.max):
                errors[p.name] = f"“{p.label}”须在 {p.min:g} 到 {p.max:g} 之间。"
                continue
            if p.type == "int":
                out[p.name] = int(number)
            elif p.type == "percent":
                out[p.name] = float(number / 100)
            else:
                out[p.name] = int(number) if number == number.to_integral_value() else float(number)
        elif p.type == "fraction":
            try:
                share = parse_fraction(value)
            except (ValueError, ZeroDivisionError, InvalidOperation):
                errors[p.name] = f"“{p.label}”须为比例，如 1/3 或 20%。"
                continue
            if not 0 <= share <= 1:
                errors[p.name] = f"“{p.label}”须在 0 到 100% 之间。"
                continue
            out[p.name] = f"{share.numerator}/{share.denominator}"
        elif p.type == "choice":
            if value not in dict(p.choices):
                errors[p.name] = f"“{p.label}”的取值无效。"
                continue
            out[p.name] = value
        elif p.type == "multichoice":
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            bad = [v for v in values if v not in dict(p.choices)]
            if bad:
                errors[p.name] = f"“{p.label}”的取值无效：{'、'.join(map(str, bad))}。"
                continue
            out[p.name] = values
        elif p.type == "codes":
            if isinstance(value, str):
                for sep in ("，", "、", ";", "；"):
                    value = value.replace(sep, ",")
                value = [v.strip() for v in value.split(",")]
            out[p.name] = [str(v).strip() for v in value if str(v).strip()]
    if not errors:
        _check_order(kind, out, errors)
    if errors:
        raise ValidationError(errors)
    return out


def _check_order(kind, params, errors) -> None:
    ordered = {
        RuleKind.THRESHOLDS: ("excellent_min", "competent_min", "basic_min"),
        RuleKind.QUARTER_THRESHOLDS: ("good_min", "fair_min", "average_min"),
        RuleKind.TEAM_THRESHOLDS: ("excellent_min", "good_min", "average_min"),
    }.get(kind)
    if ordered:
        values = [params[n] for n in ordered]
        if any(a < b for a, b in zip(values, values[1:], strict=False)):
            labels = [p.label for p in PARAM_SPECS[kind] if p.name in ordered]
            errors[ordered[0]] = f"分数线须从高到低：{' ≥ '.join(labels)}。"
    if kind == RuleKind.INFLUENCE:
        if params.get("effect") == "cap" and not params.get("cap"):
            errors["cap"] = "影响为“限制最高等次”时，请选择“等次至多”。"
        if params.get("effect") == "undetermined":
            params["cap"] = ""
    if kind == RuleKind.YUETAN_TEAM and params.get("main_leader_cap") == "":
        params.pop("main_leader_cap")
    if kind == RuleKind.QUOTA and params.get("raised_ratio") == "":
        params.pop("raised_ratio")
    hooks = KIND_HOOKS.get(kind)
    if hooks and hooks.check:
        hooks.check(params, errors)


def rule_text(kind: str, params: dict) -> str:
    """The rule in one Chinese sentence, for the policy page and the audit trail."""
    p = params
    if kind in KIND_HOOKS:
        return KIND_HOOKS[kind].text(params or {})
    if kind == RuleKind.THRESHOLDS:
        return (
            f"总分 ≥ {p.get('competent_min')} 称职，≥ {p.get('basic_min')} 基本称职，其余不称职；"
            f"≥ {p.get('excellent_min')} 方可参与优秀名额分配"
        )
    if kind == RuleKind.QUOTA:
        ties = "、".join(p.get("tie_break") or [])
        tie_text = f"边界同分依次比较{ties}，仍相同按登记顺序" if ties else "边界同分按登记顺序"
        ratio = float(p.get("ratio", 0))
        raised = p.get("raised_ratio")
        raised_text = (
            f"；完成重大任务并经批准的单位按 {float(raised):.0%}" if raised not in (None, "") else ""
        )
        return (
            f"优秀名额 = 本单位参加考核人数 × {ratio:.0%}，{ROUNDING_LABELS.get(p.get('rounding'), '')}；"
            f"{tie_text}，同分者标记待复核{raised_text}"
        )
    if kind == RuleKind.QUARTER_THRESHOLDS:
        return (
            f"≥ {p.get('good_min')} 好，≥ {p.get('fair_min')} 较好，≥ {p.get('average_min')} 一般，其余较差"
        )
    if kind == RuleKind.TEAM_THRESHOLDS:
        return (
            f"班子成员平均分 ≥ {p.get('excellent_min')} 优秀，≥ {p.get('good_min')} 良好，"
            f"≥ {p.get('average_min')} 一般，其余较差"
        )
    if kind == RuleKind.QUARTER_FEED:
        return f"年度内 {p.get('min_count')} 个及以上季度为“{p.get('grade')}”或更差 → 年度至多{p.get('cap')}"
    if kind == RuleKind.YUETAN_CADRE:
        kinds = "、".join(CadreKind(k).label for k in p.get("kinds") or []) or "全部干部"
        return f"{kinds}年度内被约谈 ≥ {p.get('min_count')} 次 → 至多{p.get('cap')}"
    if kind == RuleKind.YUETAN_TEAM:
        leader = f"，主要负责人至多{p['main_leader_cap']}" if p.get("main_leader_cap") else ""
        return f"领导班子年度内被约谈 ≥ {p.get('min_count')} 次 → 班子至多{p.get('team_cap')}{leader}"
    if kind == RuleKind.INFLUENCE:
        label = SANCTION_LABELS.get(p.get("sanction"), p.get("sanction"))
        effect = "不定等次" if p.get("effect") == "undetermined" else f"至多{p.get('cap')}"
        return f"{label}：影响期 {p.get('months')} 个月；{BASIS_LABELS.get(p.get('basis'), '')} → {effect}"
    if kind in (RuleKind.PROBATION, RuleKind.LONG_LEAVE, RuleKind.INVESTIGATION):
        effect = UNGRADED_EFFECTS.get(p.get("effect"), "")
        base = QUOTA_BASE_LABELS.get(p.get("in_quota_base"), "")
        if kind == RuleKind.PROBATION:
            return f"考核年度末仍在试用期内 → {effect}，{base}"
        if kind == RuleKind.INVESTIGATION:
            return f"立案审查尚未结案 → {effect}，{base}；结案后未受处分的正常评定"
        kinds = "、".join(str(dict(LeaveKind.choices).get(k, k)) for k in p.get("leave_kinds") or [])
        return f"考核年度内{kinds}累计超过 {fraction_text(p.get('share', '1/2'))} → {effect}，{base}"
    if kind == RuleKind.MISSING_SCORES:
        codes = "、".join(p.get("codes") or []) or "任一指标"
        return f"缺少{codes}得分 → {MISSING_MODES.get(p.get('mode'), '')}"
    if kind == RuleKind.APPEAL:
        return f"考核结果公布之日起 {p.get('days')} 日内可申请复核，逾期不予受理"
    return str(params)


def rule_tag(kind: str, params: dict) -> str:
    """What tells rules of one kind apart, in Chinese (the stored key is for machines)."""
    p = params or {}
    if kind in KIND_HOOKS:
        tag = KIND_HOOKS[kind].tag
        return tag(p) if tag else ""
    if kind == RuleKind.QUARTER_FEED:
        return f"{p.get('min_count')}个季度{p.get('grade')}"
    if kind in (RuleKind.YUETAN_CADRE, RuleKind.YUETAN_TEAM):
        return f"约谈{p.get('min_count')}次"
    if kind == RuleKind.INFLUENCE:
        return SANCTION_LABELS.get(p.get("sanction"), "")
    return ""


def rule_name(kind: str, params: dict) -> str:
    """The rule's name for pages and the audit trail: 处分影响期（记过）."""
    label = RuleKind(kind).label if kind in RuleKind.values else kind
    tag = rule_tag(kind, params)
    return f"{label}（{tag}）" if tag else label


SANCTION_ORDER = list(SanctionKind.values)  # by severity: 警告 < 记过 < 记大过 < 降级 < 撤职


def rule_order(kind: str, key: str, params: dict) -> tuple:
    """Rules of one kind in a reading order: sanctions by severity, counts from low to high."""
    p = params or {}
    if kind == RuleKind.INFLUENCE and p.get("sanction") in SANCTION_ORDER:
        return (SANCTION_ORDER.index(p["sanction"]), key)
    count = p.get("min_count")
    return (count if isinstance(count, int) else 0, key)


def kind_of_params(params: dict) -> str | None:
    """The kind whose parameters these are (an audit entry of an update stores only params)."""
    names = set(params or {})
    for kind, spec in PARAM_SPECS.items():
        required = {p.name for p in spec if p.required}
        if names and required <= names <= {p.name for p in spec}:
            return kind
    return None


def param_text(param: Param, value) -> str:
    from audit.formatting import number_text

    if value is None or value == "" or value == []:
        return "（空）"
    if param.type == "percent":
        return f"{number_text(Decimal(str(value)) * 100)}%"
    if param.type == "fraction":
        return fraction_text(value)
    if param.type in ("number", "int"):
        return number_text(value)
    if param.type in ("choice", "multichoice"):
        labels = dict(param.choices)
        values = value if isinstance(value, list) else [value]
        return "、".join(str(labels.get(v, v)) for v in values)
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def params_change_rows(old: dict | None, new: dict | None) -> list[tuple[str, str, str]] | None:
    """A rule's parameters, one changed parameter a row: (label, old, new); None if unknown."""
    old, new = old or {}, new or {}
    kind = kind_of_params(new) or kind_of_params(old)
    if kind is None:
        return None
    rows = []
    for param in PARAM_SPECS[kind]:
        if param.name not in old and param.name not in new:
            continue
        before, after = param_text(param, old.get(param.name)), param_text(param, new.get(param.name))
        if before != after:
            rows.append((param.label, before, after))
    return rows


def _require(actor, unit: Unit | None) -> None:
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权修改评定规则。")
    if unit is None:
        if actor.scope_path != "":
            raise PermissionDenied("默认规则只能由全市（全部范围）的管理员修改；请选择本单位设置覆盖规则。")
    elif not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def _key_for(kind: str, key: str) -> str:
    key = (key or "").strip()
    if kind in SINGLE_KINDS:
        return ""
    if not key:
        raise ValidationError({"key": "请填写规则标识（同类规则之间用以区分，如“2”）。"})
    if len(key) > 30:
        raise ValidationError({"key": "规则标识不能超过30个字符。"})
    return key


@transaction.atomic
def policy_rule_save(
    *, actor, unit: Unit | None, kind: str, key: str = "", params: dict, enabled: bool = True, note: str = ""
) -> PolicyRule:
    """Set a rule for ``unit`` and its subtree (``unit=None``: the default for everyone)."""
    _require(actor, unit)
    if kind not in RuleKind.values:
        raise ValidationError({"kind": "未知的规则类型。"})
    key = _key_for(kind, key)
    cleaned = clean_params(kind, params)
    note = (note or "").strip()[:200]
    rule = PolicyRule.objects.select_for_update().filter(unit=unit, kind=kind, key=key).first()
    before = snapshot(rule) if rule else None
    if rule is None:
        rule = PolicyRule(unit=unit, kind=kind, key=key)
    rule.params, rule.enabled, rule.note = cleaned, bool(enabled), note
    rule.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=rule,
        before=before,
        after=snapshot(rule),
        scope_path=unit.path if unit else "",
        reason=rule_text(kind, cleaned),
    )
    _after_change(actor, unit, kind)
    return rule


@transaction.atomic
def policy_rule_reset(*, actor, unit: Unit, kind: str, key: str = "") -> bool:
    """Remove the unit's own rule, so it inherits again. Returns False if it had none."""
    if unit is None:
        raise ValidationError({"unit": "默认规则不能删除，只能修改。"})
    _require(actor, unit)
    rule = PolicyRule.objects.select_for_update().filter(unit=unit, kind=kind, key=key or "").first()
    if rule is None:
        return False
    before = snapshot(rule)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=rule,
        before=before,
        after=None,
        scope_path=unit.path,
        reason="恢复继承上级规则",
    )
    rule.delete()
    _after_change(actor, unit, kind)
    return True


def _after_change(actor, unit: Unit | None, kind: str) -> None:
    hooks = KIND_HOOKS.get(kind)
    if hooks is not None:
        if hooks.on_change:
            hooks.on_change(actor=actor, unit=unit)
        return
    recompute_open_periods(unit_paths=[unit.path if unit else ""], actor=actor, reason="评定规则变化")


# --------------------------------------------------------------------------- reading one kind


class KindPolicy:
    """The rule of one kind in force for any unit: every row of the kind is read once (a few
    rows: the default and the units' overrides), then each unit path resolves in memory, the
    nearest unit winning. None where the rule is switched off. The apps that evaluate a kind
    outside the grading engine (recall's limits, incentives' care, work orders') read it here."""

    def __init__(self, kind: str, *, unit_path: str | None = None):
        self.kind = kind
        rows = PolicyRule.objects.filter(kind=kind)
        if unit_path is not None:
            # only the rows that can bear on this unit: the default and its ancestors' own
            step = Unit.steplen
            ancestors = [unit_path[:end] for end in range(step, len(unit_path) + 1, step)]
            rows = rows.filter(Q(unit__isnull=True) | Q(unit__path__in=ancestors))
        self.resolver = PolicyResolver(
            RuleRow(path or "", kind, key, params, enabled)
            for path, key, params, enabled in rows.values_list("unit__path", "key", "params", "enabled")
        )

    def params(self, unit_path: str) -> dict | None:
        return self.resolver.policy(unit_path).one(self.kind)


def params_for(kind: str, unit: Unit) -> dict | None:
    """The rule of ``kind`` in force for ``unit`` (one query), None where it is switched off."""
    return KindPolicy(kind, unit_path=unit.path).params(unit.path)
