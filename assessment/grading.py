"""The grading engine: pure functions from scores, facts and policy rows to grades with reasons.

Nothing here touches the database. ``services/recompute.py`` loads everything one query per
table, calls ``grade_period`` and writes back the rows that changed. Every decision appends an
``Explained`` entry (rule, effect, facts), so a grade always says what produced it.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from cadres.models import LeaveKind

from .models import GRADE_CODES, INDIVIDUAL_SCALE, QUARTER_SCALE, TEAM_SCALE, Grade, RuleKind

TWO_PLACES = Decimal("0.01")
SANCTION_LABELS = {
    "warning": "警告",
    "demerit": "记过",
    "major_demerit": "记大过",
    "demotion": "降级",
    "dismissal": "撤职",
}
ROUNDING_LABELS = {"floor": "向下取整", "round": "四舍五入", "ceil": "向上取整"}
# The rule an explanation names when a matter decided 可容 (容错纠错) does not count.
TOLERATED_RULE = "容错纠错"


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class RuleRow:
    unit_path: str  # "" for the defaults
    kind: str
    key: str
    params: dict
    enabled: bool
    rule_id: int | None = None
    note: str = ""
    unit_name: str = ""


class PolicyResolver:
    """Effective rules per unit: the defaults, overridden by each ancestor in turn (nearest wins).

    A disabled row switches its (kind, key) off for its subtree."""

    def __init__(self, rows: Iterable[RuleRow], steplen: int = 4):
        self.steplen = steplen
        self.by_path: dict[str, list[RuleRow]] = defaultdict(list)
        for row in rows:
            self.by_path[row.unit_path].append(row)
        self._cache: dict[str, dict[tuple[str, str], RuleRow]] = {}

    def effective_rows(self, unit_path: str) -> dict[tuple[str, str], RuleRow]:
        cached = self._cache.get(unit_path)
        if cached is not None:
            return cached
        if unit_path == "":
            merged: dict[tuple[str, str], RuleRow] = {}
        else:
            parent = unit_path[: -self.steplen] if len(unit_path) > self.steplen else ""
            merged = dict(self.effective_rows(parent))
        for row in self.by_path.get(unit_path, ()):
            merged[(row.kind, row.key)] = row
        self._cache[unit_path] = merged
        return merged

    def policy(self, unit_path: str) -> Policy:
        policy = self._policies.get(unit_path) if hasattr(self, "_policies") else None
        if policy is None:
            if not hasattr(self, "_policies"):
                self._policies: dict[str, Policy] = {}
            policy = Policy({k: r for k, r in self.effective_rows(unit_path).items() if r.enabled})
            self._policies[unit_path] = policy
        return policy


class Policy:
    """The enabled rules in force for one unit (cached per unit by the resolver)."""

    def __init__(self, rows: dict[tuple[str, str], RuleRow]):
        self.rows = rows
        self._many: dict[str, list[RuleRow]] = {}

    def one(self, kind: str) -> dict | None:
        row = self.rows.get((kind, ""))
        return row.params if row else None

    def many(self, kind: str) -> list[RuleRow]:
        found = self._many.get(kind)
        if found is None:
            found = sorted((r for (k, _), r in self.rows.items() if k == kind), key=lambda r: r.key)
            self._many[kind] = found
        return found


# --------------------------------------------------------------------------- inputs and outputs


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    weight: Decimal
    min_score: Decimal
    max_score: Decimal
    track: str = ""
    source: str = ""  # IndicatorSource: "" typed, "workorders" scored from the cadre's 民情工单


@dataclass
class Row:
    """One assessment as the engine sees it."""

    id: int
    cadre_id: int
    unit_id: int
    unit_path: str
    cadre_kind: str
    track: str
    scores: dict
    override_grade: str = ""
    appeal_grade: str = ""  # a 复核 decision's grade: final, and takes (or frees) its 优秀 place


class OrderTally(NamedTuple):
    """A cadre's 民情工单 rounds dispatched in the period. ``unsatisfied`` are the 不满意 not found
    to have an objective cause on follow-up; ``objective`` those that were (counted as 基本满意).
    A tuple: built and hashed (the mapping's memo) at C speed for 100,000 cadres."""

    count: int
    completed: int = 0
    on_time: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    objective: int = 0
    score_sum: int = 0
    scored: int = 0

    @property
    def rated(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied + self.objective


@dataclass
class Facts:
    """What rules read besides scores, each keyed for lookup without queries."""

    period_start: datetime.date
    period_end: datetime.date
    yuetan_cadre: dict[int, list[datetime.date]] = field(default_factory=dict)
    yuetan_team: dict[int, list[datetime.date]] = field(default_factory=dict)
    # 约谈 decided 可容 (容错纠错), not counted above: [(date, the decision's citation)]
    yuetan_cadre_tolerated: dict[int, list[tuple[datetime.date, str]]] = field(default_factory=dict)
    yuetan_team_tolerated: dict[int, list[tuple[datetime.date, str]]] = field(default_factory=dict)
    # unit id -> main leader's cadre id; and the team members of each unit
    main_leader_of: dict[int, int] = field(default_factory=dict)
    team_members: dict[int, list[int]] = field(default_factory=dict)
    # cadre id -> [(kind, decided_on, citation of the 可容 decision or "")]
    sanctions: dict[int, list[tuple[str, datetime.date, str]]] = field(default_factory=dict)
    # cadre id -> [(quarter, final grade)]
    quarter_grades: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    unit_paths: dict[int, str] = field(default_factory=dict)
    # cadre id -> 试用期满日期 (only cadres that have one)
    probation_end: dict[int, datetime.date] = field(default_factory=dict)
    # cadre id -> {leave kind: days of leave within the period}
    leave_days: dict[int, dict[str, int]] = field(default_factory=dict)
    # cadre id -> [(立案日期, 立案机关)] of investigations still open
    investigations: dict[int, list[tuple[datetime.date, str]]] = field(default_factory=dict)
    # unit id -> (reason, approver, approved_on) of a 优秀比例上调 for the period
    quota_raises: dict[int, tuple[str, str, datetime.date]] = field(default_factory=dict)
    # cadre id -> the cadre's 民情工单 rounds dispatched in the period (indicators of source "workorders")
    order_tallies: dict[int, OrderTally] = field(default_factory=dict)

    def led_units(self) -> dict[int, list[int]]:
        """cadre id -> units whose team the cadre leads as main leader (computed once)."""
        if not hasattr(self, "_led"):
            led: dict[int, list[int]] = defaultdict(list)
            for unit_id, cadre_id in self.main_leader_of.items():
                led[cadre_id].append(unit_id)
            self._led = led
        return self._led


@dataclass
class Result:
    total: Decimal | None = None
    rank: int | None = None
    computed: str = ""
    final: str = ""
    code: int | None = None
    explanation: list[dict] = field(default_factory=list)
    review: bool = False

    def explain(self, rule: str, effect: str, facts: str) -> None:
        self.explanation.append({"rule": rule, "effect": effect, "facts": facts})


@dataclass
class QuotaResult:
    """A unit's 优秀 quota: the exact value beside the places it gives."""

    unit_id: int
    assessed: int
    excluded: dict[str, int]
    ratio: Decimal
    raised: bool
    raise_note: str
    exact: Decimal
    rounding: str
    places: int
    fixed: int = 0
    awarded: int = 0


@dataclass
class TeamResult:
    unit_id: int
    total: Decimal | None = None
    computed: str = ""
    explanation: list[dict] = field(default_factory=list)

    def explain(self, rule: str, effect: str, facts: str) -> None:
        self.explanation.append({"rule": rule, "effect": effect, "facts": facts})


# --------------------------------------------------------------------------- helpers


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def fmt_dates(dates: list[datetime.date]) -> str:
    return "、".join(d.isoformat() for d in dates)


def worse(scale: list[str], a: str, b: str) -> str:
    """The worse of two grades on a scale."""
    return a if scale.index(a) >= scale.index(b) else b


def at_least_as_bad(scale: list[str], grade: str, than: str) -> bool:
    return scale.index(grade) >= scale.index(than)


def to_decimal(value) -> Decimal | None:
    if type(value) is int:
        return Decimal(value)
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def applicable(indicators: list[IndicatorDef], track: str) -> list[IndicatorDef]:
    return [i for i in indicators if not i.track or i.track == track]


def factors(inds: list[IndicatorDef]) -> list[tuple[str, Decimal, float]]:
    """(code, weight / max × 100 / Σ weights, the same as float) per indicator: a total is
    Σ score × factor."""
    weights = sum((i.weight for i in inds), Decimal(0))
    if not weights:
        return []
    out = []
    for i in inds:
        factor = i.weight * 100 / (i.max_score * weights)
        out.append((i.code, factor, float(factor)))
    return out


def weighted_total(scores: dict, pairs: list[tuple[str, Decimal, float]]) -> tuple[Decimal | None, list[str]]:
    """Σ score/max × weight over the indicators that apply, scaled to 100 by their weights,
    rounded half up to two places. ``pairs`` comes from ``factors``.

    Floats make it fast; a float total within a hair of a rounding boundary (x.xx5) is
    recomputed in Decimal, so the rounding is always that of exact arithmetic.
    Returns (total, missing indicator codes)."""
    if not pairs:
        return None, []
    acc = 0.0
    missing = None
    for code, _, ffactor in pairs:
        value = scores.get(code)
        kind = type(value)
        if kind is not int and kind is not float:
            value = to_decimal(value)
            if value is None:
                missing = [*(missing or []), code]
                continue
            value = float(value)
        acc += value * ffactor
    if missing:
        return None, missing
    hundredths = acc * 100
    fraction = hundredths - math.floor(hundredths)
    if abs(fraction - 0.5) > 1e-6:
        return Decimal(math.floor(hundredths + 0.5)).scaleb(-2), []
    exact = sum((to_decimal(scores.get(code)) * factor for code, factor, _ in pairs), Decimal(0))
    return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP), []


def quota_size(count: int, ratio: float, rounding: str) -> int:
    """Slots for ``count`` assessed at ``ratio``, rounded as the policy says.

    In Decimal from the ratio as entered (0.7, not its binary neighbour): 45 × 70% is 31.5,
    which rounds half up to 32, while the float product 31.499999999999996 would give 31."""
    raw = count * Decimal(str(ratio))
    mode = {"ceil": ROUND_CEILING, "round": ROUND_HALF_UP}.get(rounding, ROUND_FLOOR)
    return int(raw.to_integral_value(rounding=mode))


def competition_ranks(totals: list[tuple[int, Decimal]]) -> dict[int, int]:
    """1224 ranking by total, highest first: equal totals share a rank."""
    ranks: dict[int, int] = {}
    previous = None
    rank = 0
    for position, (row_id, total) in enumerate(sorted(totals, key=lambda t: -t[1]), start=1):
        if total != previous:
            rank = position
            previous = total
        ranks[row_id] = rank
    return ranks


_DEC_CACHE: dict = {}


def _dec_param(params: dict, name: str, default) -> Decimal:
    raw = params.get(name, default)
    value = _DEC_CACHE.get(raw)
    if value is None:
        value = _DEC_CACHE[raw] = Decimal(str(raw))
    return value


def _overlaps(start: datetime.date, end: datetime.date, period_start, period_end) -> bool:
    return start <= period_end and end >= period_start


def influence_reaches(
    params: dict, kind: str, decided_on: datetime.date, period_start: datetime.date, period_end: datetime.date
) -> tuple[bool, str]:
    """Whether a sanction of ``kind`` decided on ``decided_on`` falls under an INFLUENCE rule
    (its ``params``) for the period ``period_start``–``period_end``, and the fact that says so.
    The grade caps and the incentive lists (``incentives.lists``) both decide influence here."""
    if params.get("sanction") != kind:
        return False, ""
    months = int(params.get("months", 0))
    end = decided_on + relativedelta(months=months)
    label = SANCTION_LABELS.get(kind, kind)
    if params.get("basis") == "decided_in_period":
        return (
            period_start <= decided_on <= period_end,
            f"{decided_on.isoformat()} 受{label}处分（考核年度内）",
        )
    fact = f"{decided_on.isoformat()} 受{label}处分，影响期 {months} 个月至 {end.isoformat()}"
    return _overlaps(decided_on, end, period_start, period_end), fact


# --------------------------------------------------------------------------- the engine


def grade_period(
    *,
    annual: bool,
    rows: list[Row],
    indicators_for: dict[str, list[IndicatorDef]],
    resolver: PolicyResolver,
    facts: Facts,
    quotas: dict[int, QuotaResult] | None = None,
) -> tuple[dict[int, Result], list[TeamResult]]:
    """Grades every row; rows are grouped by unit for the quota and the rank.

    ``indicators_for`` maps a cadre category ("" for the base scheme) to its indicators.
    ``quotas``, when given, receives each unit's 优秀 quota of an annual period."""
    results: dict[int, Result] = {}
    by_unit: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row)

    sourced = any(i.source == WORKORDERS for inds in indicators_for.values() for i in inds)
    memo: dict = {}
    for unit_rows in by_unit.values():
        policy = resolver.policy(unit_rows[0].unit_path)
        if sourced:
            _order_scores(unit_rows, indicators_for, policy, facts, results, memo)
        if annual:
            quota = _grade_annual_unit(unit_rows, policy, indicators_for, resolver, facts, results)
            if quotas is not None:
                quotas[unit_rows[0].unit_id] = quota
        else:
            _grade_quarter_unit(unit_rows, policy, indicators_for, results)

    teams = _grade_teams(rows, results, resolver, facts) if annual else []
    return results, teams


WORKORDERS = "workorders"  # IndicatorSource.WORKORDERS
ONE_PLACE = Decimal("0.1")


def order_score(tally: OrderTally, rule: dict, max_score: Decimal) -> tuple[Decimal | None, str]:
    """The indicator score a cadre's 民情工单 earn under the WORKORDER_SCORE rule, and how.

    Each component is on a 0–100 scale: the share handled by the promised deadline, the
    satisfaction (满意 100, 基本满意 and 不满意 of objective cause ``basic_points``, 不满意 0, over the
    rated rounds) and the average 0–100 score where the locality uses one. Components without
    data (nothing rated, no score) are left out and the weights of the others re-normalised.
    The weighted mean is scaled to the indicator's full mark and rounded half up to 0.1."""
    basic_points = Decimal(str(rule.get("basic_points", 80)))
    parts: list[tuple[Decimal, Decimal, str]] = []
    on_time = Decimal(tally.on_time * 100) / tally.count
    parts.append((on_time, Decimal(str(rule.get("on_time_weight", 0.5))), f"按期办结率 {on_time:.2f}%"))
    if tally.rated:
        satisfaction = (
            Decimal(tally.satisfied * 100) + basic_points * (tally.basic + tally.objective)
        ) / tally.rated
        parts.append(
            (satisfaction, Decimal(str(rule.get("satisfaction_weight", 0.5))), f"满意度 {satisfaction:.2f}")
        )
    if tally.scored:
        average = Decimal(tally.score_sum) / tally.scored
        parts.append((average, Decimal(str(rule.get("score_weight", 0))), f"评价平均分 {average:.2f}"))
    parts = [p for p in parts if p[1] > 0]
    weights = sum((w for _, w, _ in parts), Decimal(0))
    if not weights:
        return None, "计分规则所用各项均无数据（如尚无百分制评价）"
    value = sum((v * w for v, w, _ in parts), Decimal(0)) / weights * max_score / 100
    score = value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    how = " + ".join(f"{label}×{fmt_percent(w / weights)}" for _, w, label in parts)
    if max_score != 100:
        how += f"，折算为满分 {_plain(max_score)}"
    return score, how


def _plain(value: Decimal) -> int | float:
    """A computed score as typed ones are stored (JSON numbers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def fmt_percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP).normalize():f}%"


def order_facts(tally: OrderTally) -> str:
    text = f"民情工单 {tally.count} 件，按期办结 {tally.on_time} 件，满意 {tally.satisfied} 件"
    if tally.basic:
        text += f"、基本满意 {tally.basic} 件"
    if tally.unsatisfied:
        text += f"、不满意 {tally.unsatisfied} 件"
    if tally.objective:
        text += f"、不满意经回访属客观原因 {tally.objective} 件（按基本满意计）"
    unrated = tally.count - tally.rated
    if unrated:
        text += f"，尚未评价 {unrated} 件"
    if tally.scored:
        text += f"，百分制评价 {tally.scored} 件"
    return text


def _order_scores(unit_rows, indicators_for, policy: Policy, facts: Facts, results, memo: dict) -> None:
    """Put the 民情工单 indicators' scores into the rows (typed values there are replaced): from
    the cadre's tally under the WORKORDER_SCORE rule, or for a cadre with too few orders what the
    rule says (no score, or the unit's average of the cadres scored from their orders).

    ``memo`` lives for one ``grade_period``: most cadres have a handful of orders, so few
    distinct tallies exist, and each (rule, tally, indicator) is mapped and worded once."""
    rule = policy.one(RuleKind.WORKORDER_SCORE)
    min_orders = int((rule or {}).get("min_orders") or 1)
    no_orders = (rule or {}).get("no_orders", "none")
    averaged = no_orders == "unit_average"
    pending: list[tuple[Row, IndicatorDef, Result]] = []
    scored: dict[str, list[Decimal]] = defaultdict(list)
    tallies = facts.order_tallies
    rule_id = id(rule)
    for row in unit_rows:
        key = (row.cadre_kind, row.track)
        inds = memo.get(key)
        if inds is None:
            every = indicators_for.get(row.cadre_kind) or indicators_for.get("", [])
            inds = memo[key] = [i for i in applicable(every, row.track) if i.source == WORKORDERS]
        if not inds:
            continue
        res = results.get(row.id)
        if res is None:
            res = results[row.id] = Result()
        tally = tallies.get(row.cadre_id)
        for ind in inds:
            code = ind.code
            if code in row.scores:
                row.scores = {k: v for k, v in row.scores.items() if k != code}
            if rule is None:
                res.explain("民情工单计分", f"{code}不计分", "民情工单计分规则未启用")
                continue
            if tally is None or tally.count < min_orders:
                pending.append((row, ind, res))
                continue
            mapped = memo.get((rule_id, id(ind), tally))
            if mapped is None:
                score, how = order_score(tally, rule, ind.max_score)
                if score is None:
                    mapped = (None, None, f"{code}不计分", f"{order_facts(tally)}；{how}")
                else:
                    mapped = (
                        score,
                        _plain(score),
                        f"{code} {score:.1f}",
                        f"{order_facts(tally)} → {code} {score:.1f}（{how}）",
                    )
                memo[(rule_id, id(ind), tally)] = mapped
            score, plain, effect, text = mapped
            if score is not None:
                scores = dict(row.scores)
                scores[code] = plain
                row.scores = scores
                if averaged:
                    scored[code].append(score)
            res.explanation.append({"rule": "民情工单计分", "effect": effect, "facts": text})
    for row, ind, res in pending:
        code = ind.code
        tally = tallies.get(row.cadre_id)
        had = f"本期民情工单 {tally.count} 件，不足 {min_orders} 件" if tally else "本期无民情工单"
        values = scored.get(code)
        if averaged and values:
            average = (sum(values, Decimal(0)) / len(values)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
            row.scores = {**row.scores, code: _plain(average)}
            res.explain(
                "民情工单计分",
                f"{code} {average:.1f}",
                f"{had}，取本单位 {len(values)} 名有工单干部的平均分 {average:.1f}",
            )
        elif averaged:
            res.explain("民情工单计分", f"{code}不计分", f"{had}，本单位无人有工单得分，无法取平均分")
        else:
            res.explanation.append(
                {"rule": "民情工单计分", "effect": f"{code}不计分", "facts": f"{had}，按规则不计分"}
            )


def _totals(unit_rows, indicators_for, results, policy: Policy) -> None:
    cache: dict[tuple[str, str], tuple[list[IndicatorDef], list[tuple[str, Decimal, float]]]] = {}
    averages: dict[str, Decimal | None] = {}
    for row in unit_rows:
        res = results.setdefault(row.id, Result())
        entry = cache.get((row.cadre_kind, row.track))
        if entry is None:
            indicators = applicable(
                indicators_for.get(row.cadre_kind) or indicators_for.get("", []), row.track
            )
            entry = cache[(row.cadre_kind, row.track)] = (indicators, factors(indicators))
        pairs = entry[1]
        scores = row.scores
        total, missing = weighted_total(scores, pairs)
        if total is None and missing:
            total, pairs, scores, why = _fill_missing(
                row, res, entry[0], missing, policy, unit_rows, averages
            )
        else:
            why = ""
        res.total = total
        if total is None:
            res.explain(
                "评分完整性", "不评定等次", f"缺少指标得分：{'、'.join(missing) or '方案无适用指标'}{why}"
            )
        else:
            parts = "、".join([f"{code}{scores.get(code)}" for code, _, _ in pairs])
            res.explain("加权总分", f"{total:.2f}", f"{parts}；按方案权重折算为百分制")
    ranks = competition_ranks(
        [(r.id, results[r.id].total) for r in unit_rows if results[r.id].total is not None]
    )
    for row in unit_rows:
        results[row.id].rank = ranks.get(row.id)


def _fill_missing(row: Row, res: Result, indicators, missing: list[str], policy: Policy, unit_rows, averages):
    """(total, pairs, scores, why not) for a row lacking ``missing`` scores, as the policy's
    MISSING_SCORES rule says: re-normalised over the indicators present, the unit's average
    put in, or (the default) no total."""
    rule = policy.one(RuleKind.MISSING_SCORES) or {}
    mode = rule.get("mode", "ungraded")
    codes = rule.get("codes") or []
    names = "、".join(missing)
    if mode == "ungraded" or (codes and not set(missing) <= set(codes)):
        return None, [], row.scores, ""
    if mode == "renormalise":
        present = [i for i in indicators if i.code not in missing]
        pairs = factors(present)
        if not pairs:
            return None, [], row.scores, "（无其余指标可折算）"
        total, _ = weighted_total(row.scores, pairs)
        res.explain("缺项得分处理", "按其余指标权重折算", f"缺{names}，按其余指标权重折算")
        return total, pairs, row.scores, ""
    filled = dict(row.scores)
    notes = []
    for code in missing:
        if code not in averages:
            values = [to_decimal(r.scores.get(code)) for r in unit_rows]
            values = [v for v in values if v is not None]
            averages[code] = (
                (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
                if values
                else None
            )
        average = averages[code]
        if average is None:
            return None, [], row.scores, f"（本单位无人有{code}得分，无法取平均分）"
        filled[code] = average
        notes.append(f"{code}取本单位平均分 {average:.2f}")
    indicators_pairs = factors(indicators)
    total, _ = weighted_total(filled, indicators_pairs)
    res.explain("缺项得分处理", "取本单位平均分", f"缺{names}，{'，'.join(notes)}")
    return total, indicators_pairs, filled, ""


def _finish(row: Row, res: Result, annual: bool) -> None:
    res.final = row.override_grade or res.computed
    if row.override_grade and row.override_grade != res.computed:
        res.explain("人工调整", row.override_grade, f"计算等次为{res.computed or '未评定'}，经调整并说明理由")
    if annual and row.appeal_grade:
        res.final = row.appeal_grade
        res.explain(
            "复核决定",
            row.appeal_grade,
            f"计算等次为{res.computed or '未评定'}，经复核确定为{row.appeal_grade}",
        )
    res.code = GRADE_CODES.get(res.final) if annual else None


LEAVE_LABELS = dict(LeaveKind.choices)
UNGRADED_LABELS = {"undetermined": Grade.UNDETERMINED, "not_assessed": Grade.NOT_ASSESSED}


def _not_graded(row: Row, res: Result, policy: Policy, facts: Facts) -> tuple[str, bool, str] | None:
    """(grade, counted in the quota base?, rule) when a rule keeps the cadre ungraded this year
    (long leave, an open investigation, probation); each rule that fires is explained, the
    first decides."""
    cadre_id = row.cadre_id
    fired: list[tuple[str, bool, str]] = []
    leave = facts.leave_days.get(cadre_id)
    p = policy.one(RuleKind.LONG_LEAVE) if leave else None
    if p:
        kinds = p.get("leave_kinds") or []
        counted = [(k, leave[k]) for k in LEAVE_LABELS if k in kinds and leave.get(k)]
        days = sum(d for _, d in counted)
        year_days = (facts.period_end - facts.period_start).days + 1
        share = Fraction(str(p.get("share", "1/2")))
        if counted and days > share * year_days:
            grade = UNGRADED_LABELS.get(p.get("effect"), Grade.NOT_ASSESSED)
            detail = "、".join(f"{LEAVE_LABELS.get(k, k)} {d} 天" for k, d in counted)
            res.explain(
                "长期请假",
                grade,
                f"考核年度内请假累计 {days} 天（{detail}），超过全年 {year_days} 天的 {share.numerator}/{share.denominator}",
            )
            fired.append((grade, p.get("in_quota_base") == "yes", "长期请假"))
    opened = facts.investigations.get(cadre_id)
    p = policy.one(RuleKind.INVESTIGATION) if opened else None
    if p:
        grade = UNGRADED_LABELS.get(p.get("effect"), Grade.UNDETERMINED)
        what = "；".join(f"{day.isoformat()} 被{who or ''}立案审查，尚未结案" for day, who in opened)
        res.explain("立案审查", grade, what)
        fired.append((grade, p.get("in_quota_base") == "yes", "立案审查"))
    end = facts.probation_end.get(cadre_id)
    p = policy.one(RuleKind.PROBATION) if end is not None and end >= facts.period_end else None
    if p:
        grade = UNGRADED_LABELS.get(p.get("effect"), Grade.UNDETERMINED)
        res.explain(
            "试用期",
            grade,
            f"试用期至 {end.isoformat()}，考核年度末（{facts.period_end.isoformat()}）仍在试用期内，只写评语",
        )
        fired.append((grade, p.get("in_quota_base") == "yes", "试用期"))
    return fired[0] if fired else None


def _grade_quarter_unit(unit_rows, policy: Policy, indicators_for, results) -> None:
    _totals(unit_rows, indicators_for, results, policy)
    th = policy.one(RuleKind.QUARTER_THRESHOLDS) or {}
    for row in unit_rows:
        res = results[row.id]
        if res.total is not None:
            grade, line = quarter_grade(res.total, th)
            relation = "≥" if grade != Grade.POOR else "<"
            res.computed = grade
            res.explain("季度等次分数线", grade, f"得分 {fmt(res.total)} {relation} {fmt(line)} 分")
        _finish(row, res, annual=False)


def quarter_grade(total: Decimal, th: dict) -> tuple[str, object]:
    """The quarterly grade a total earns under the thresholds ``th``, and the line it met."""
    if total >= Decimal(str(th.get("good_min", 90))):
        return Grade.GOOD, th.get("good_min", 90)
    if total >= Decimal(str(th.get("fair_min", 80))):
        return Grade.FAIR, th.get("fair_min", 80)
    if total >= Decimal(str(th.get("average_min", 60))):
        return Grade.AVERAGE, th.get("average_min", 60)
    return Grade.POOR, th.get("average_min", 60)


def _base_grade(res: Result, th: dict) -> str:
    competent = _dec_param(th, "competent_min", 70)
    basic = _dec_param(th, "basic_min", 60)
    if res.total >= competent:
        res.explain(
            "年度等次分数线",
            Grade.COMPETENT,
            f"总分 {fmt(res.total)} ≥ 称职线 {fmt(th.get('competent_min', 70))}",
        )
        return Grade.COMPETENT
    if res.total >= basic:
        res.explain(
            "年度等次分数线",
            Grade.BASIC,
            f"总分 {fmt(res.total)} 低于称职线 {fmt(th.get('competent_min', 70))}，≥ 基本称职线 {fmt(th.get('basic_min', 60))}",
        )
        return Grade.BASIC
    res.explain(
        "年度等次分数线",
        Grade.INCOMPETENT,
        f"总分 {fmt(res.total)} 低于基本称职线 {fmt(th.get('basic_min', 60))}",
    )
    return Grade.INCOMPETENT


def _individual_caps(row: Row, res: Result, policy: Policy, resolver: PolicyResolver, facts: Facts):
    """Returns (caps [(grade, rule label)], undetermined?) and explains each rule that fired."""
    caps: list[str] = []
    undetermined = False
    cadre_id = row.cadre_id
    if (
        cadre_id not in facts.sanctions
        and cadre_id not in facts.yuetan_cadre
        and cadre_id not in facts.yuetan_cadre_tolerated
        and cadre_id not in facts.quarter_grades
        and cadre_id not in facts.led_units()
    ):
        return caps, undetermined

    # 影响期 from sanctions.
    for kind, decided_on, tolerated in facts.sanctions.get(row.cadre_id, ()):
        for rule in policy.many(RuleKind.INFLUENCE):
            p = rule.params
            fires, fact = influence_reaches(p, kind, decided_on, facts.period_start, facts.period_end)
            if not fires:
                continue
            if tolerated:
                res.explain(TOLERATED_RULE, "不限制等次", f"{fact}，{tolerated}")
                continue
            if p.get("effect") == "undetermined":
                undetermined = True
                res.explain("处分影响期", Grade.UNDETERMINED, fact)
            else:
                caps.append(p.get("cap", Grade.COMPETENT))
                res.explain("处分影响期", f"至多{p.get('cap', Grade.COMPETENT)}", fact)

    # 约谈 of the cadre: the strictest rule that fires is the one reported; one decided 可容 is
    # not counted, and the explanation says so and by which decision.
    for day, cited in facts.yuetan_cadre_tolerated.get(row.cadre_id, ()):
        res.explain(TOLERATED_RULE, "不计入约谈次数", f"{day.isoformat()} 约谈{cited}，不因此限制等次")
    dates = facts.yuetan_cadre.get(row.cadre_id, [])
    fired = [
        r
        for r in policy.many(RuleKind.YUETAN_CADRE)
        if len(dates) >= int(r.params.get("min_count", 1))
        and (not r.params.get("kinds") or row.cadre_kind in r.params["kinds"])
    ]
    if fired:
        strictest = max(fired, key=lambda r: INDIVIDUAL_SCALE.index(r.params.get("cap", Grade.COMPETENT)))
        cap = strictest.params.get("cap", Grade.COMPETENT)
        caps.append(cap)
        res.explain("约谈限制等次", f"至多{cap}", f"约谈 {len(dates)} 次（{fmt_dates(dates)}）→ 至多{cap}")

    # The team this cadre leads as main leader.
    for unit_id in facts.led_units().get(row.cadre_id, ()):
        for day, cited in facts.yuetan_team_tolerated.get(unit_id, ()):
            res.explain(
                TOLERATED_RULE,
                "不计入班子约谈次数",
                f"{day.isoformat()} 所在领导班子约谈{cited}，不因此限制等次",
            )
        team_dates = facts.yuetan_team.get(unit_id, [])
        team_policy = resolver.policy(facts.unit_paths.get(unit_id, row.unit_path))
        fired = [
            r
            for r in team_policy.many(RuleKind.YUETAN_TEAM)
            if r.params.get("main_leader_cap") and len(team_dates) >= int(r.params.get("min_count", 2))
        ]
        if fired:
            strictest = max(fired, key=lambda r: INDIVIDUAL_SCALE.index(r.params["main_leader_cap"]))
            cap = strictest.params["main_leader_cap"]
            caps.append(cap)
            res.explain(
                "班子约谈限制主要负责人等次",
                f"至多{cap}",
                f"所在领导班子约谈 {len(team_dates)} 次（{fmt_dates(team_dates)}），本人为主要负责人 → 至多{cap}",
            )

    # Quarterly results feeding the annual grade.
    quarters = facts.quarter_grades.get(row.cadre_id, [])
    fired = []
    for r in policy.many(RuleKind.QUARTER_FEED):
        grade = r.params.get("grade", Grade.POOR)
        hits = sorted(
            q for q, g in quarters if g in QUARTER_SCALE and at_least_as_bad(QUARTER_SCALE, g, grade)
        )
        if hits and len(hits) >= int(r.params.get("min_count", 1)):
            fired.append((r, hits, grade))
    if fired:
        r, hits, grade = max(
            fired, key=lambda f: INDIVIDUAL_SCALE.index(f[0].params.get("cap", Grade.COMPETENT))
        )
        cap = r.params.get("cap", Grade.COMPETENT)
        caps.append(cap)
        quarters_text = "、".join(f"第{q}季度" for q in hits)
        res.explain("季度考核结果", f"至多{cap}", f"{quarters_text}平时考核为{grade}或更差 → 至多{cap}")
    return caps, undetermined


def _grade_annual_unit(unit_rows, policy: Policy, indicators_for, resolver, facts, results) -> QuotaResult:
    _totals(unit_rows, indicators_for, results, policy)
    th = policy.one(RuleKind.THRESHOLDS) or {}
    quota = policy.one(RuleKind.QUOTA) or {}
    excellent_min = Decimal(str(th.get("excellent_min", 90)))
    candidates: list[Row] = []
    assessed = 0
    excluded: dict[str, int] = {}
    fixed = 0
    for row in unit_rows:
        res = results[row.id]
        if row.appeal_grade == Grade.EXCELLENT:
            fixed += 1
        ungraded = (
            _not_graded(row, res, policy, facts)
            if facts.probation_end or facts.leave_days or facts.investigations
            else None
        )
        if ungraded is not None:
            res.computed, in_base, rule = ungraded
            if in_base:
                assessed += 1
            else:
                excluded[rule] = excluded.get(rule, 0) + 1
            continue
        if res.total is None:
            excluded["缺少指标得分"] = excluded.get("缺少指标得分", 0) + 1
            # Facts still bear on an incomplete row (a sanction makes it 不定等次 regardless).
            caps, undetermined = _individual_caps(row, res, policy, resolver, facts)
            if undetermined:
                res.computed = Grade.UNDETERMINED
            continue
        assessed += 1
        grade = _base_grade(res, th)
        caps, undetermined = _individual_caps(row, res, policy, resolver, facts)
        if undetermined:
            res.computed = Grade.UNDETERMINED
            continue
        for cap in caps:
            grade = worse(INDIVIDUAL_SCALE, grade, cap)
        res.computed = grade
        barred = any(INDIVIDUAL_SCALE.index(cap) > 0 for cap in caps)
        if row.appeal_grade:
            # the 复核 decision is the grade; a 优秀 one already holds its place (``fixed``)
            continue
        if grade == Grade.COMPETENT and not barred and res.total >= excellent_min:
            candidates.append(row)
        elif grade == Grade.COMPETENT and barred and res.total >= excellent_min:
            res.explain("优秀比例", "不占优秀名额", "等次受限的干部不参与优秀名额分配")

    unit_quota = _quota(unit_rows[0].unit_id, assessed, excluded, fixed, quota, facts)
    _allocate_excellent(candidates, unit_quota, quota, th, results)
    for row in unit_rows:
        _finish(row, results[row.id], annual=True)
    unit_quota.awarded = sum(1 for row in unit_rows if results[row.id].final == Grade.EXCELLENT)
    return unit_quota


def _quota(unit_id: int, assessed: int, excluded: dict, fixed: int, quota: dict, facts: Facts) -> QuotaResult:
    ratio = quota.get("ratio", 0.2)
    rounding = quota.get("rounding", "floor")
    raise_ = facts.quota_raises.get(unit_id)
    raised_ratio = quota.get("raised_ratio")
    raised = raise_ is not None and raised_ratio not in (None, "")
    note = ""
    if raised:
        ratio = raised_ratio
        reason, approver, day = raise_
        note = (
            f"完成重大任务（{reason}），经{approver}于 {day.isoformat()} 批准，优秀比例按 {float(ratio):.0%}"
        )
    elif raise_ is not None:
        note = "已登记完成重大任务，但评定规则未设上调比例，按一般比例"
    exact = (assessed * Decimal(str(ratio))).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return QuotaResult(
        unit_id=unit_id,
        assessed=assessed,
        excluded=excluded,
        ratio=Decimal(str(ratio)),
        raised=raised,
        raise_note=note,
        exact=exact,
        rounding=rounding,
        places=quota_size(assessed, float(ratio), rounding),
        fixed=fixed,
    )


def _allocate_excellent(
    candidates: list[Row], unit_quota: QuotaResult, quota: dict, th: dict, results
) -> None:
    if not candidates:
        return
    assessed = unit_quota.assessed
    ratio = float(unit_quota.ratio)
    rounding = unit_quota.rounding
    tie_codes = list(quota.get("tie_break", []))
    slots = max(unit_quota.places - unit_quota.fixed, 0)
    quota_fact = (
        f"本单位参加考核 {assessed} 人 × {ratio:.0%} = {assessed * ratio:g}，"
        f"{ROUNDING_LABELS.get(rounding, rounding)}为 {unit_quota.places} 名"
    )
    if unit_quota.raised:
        quota_fact += f"（{unit_quota.raise_note}）"
    if unit_quota.fixed:
        quota_fact += f"，经复核确定为优秀 {unit_quota.fixed} 名，余 {slots} 名"

    def key(row: Row):
        tail: list = []
        for code in tie_codes:
            value = to_decimal(row.scores.get(code))
            # A missing score ranks after every real one, negative scores (扣分项) included.
            tail += (1, 0) if value is None else (0, -value)
        return (-results[row.id].total, *tail, row.cadre_id)

    ordered = sorted(candidates, key=key)
    boundary_total = None
    if 0 < slots < len(ordered) and results[ordered[slots - 1].id].total == results[ordered[slots].id].total:
        boundary_total = results[ordered[slots - 1].id].total
    tie_rule = "、".join(f"“{c}”得分" for c in tie_codes)
    tie_rule = f"依次比较{tie_rule}，仍相同按干部登记顺序" if tie_rule else "按干部登记顺序"
    for position, row in enumerate(ordered, start=1):
        res = results[row.id]
        within = position <= slots
        fact = f"{quota_fact}；总分 {fmt(res.total)} ≥ 优秀线 {fmt(th.get('excellent_min', 90))}，在候选中列第 {position} 位"
        if boundary_total is not None and res.total == boundary_total:
            res.review = True
            tied = sum(1 for r in ordered if results[r.id].total == boundary_total)
            res.explain(
                "名额边界同分",
                "待复核",
                f"总分 {fmt(res.total)} 共 {tied} 人同分，跨越名额边界；{tie_rule}确定，结果须人工复核",
            )
        if within:
            res.computed = Grade.EXCELLENT
            res.explain("优秀比例", Grade.EXCELLENT, fact)
        else:
            res.explain("优秀比例", "未获优秀名额", fact)


def _grade_teams(rows: list[Row], results, resolver: PolicyResolver, facts: Facts) -> list[TeamResult]:
    totals_by_cadre = {row.cadre_id: results[row.id].total for row in rows}
    teams = []
    for unit_id, members in facts.team_members.items():
        policy = resolver.policy(facts.unit_paths.get(unit_id, ""))
        team = TeamResult(unit_id=unit_id)
        scored = [totals_by_cadre[c] for c in members if totals_by_cadre.get(c) is not None]
        if not scored:
            team.explain("班子得分", "不评定等次", f"班子成员 {len(members)} 人均无年度总分")
            teams.append(team)
            continue
        team.total = (sum(scored) / len(scored)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        team.explain("班子得分", fmt(team.total), f"{len(scored)} 名班子成员年度总分的平均分")
        th = policy.one(RuleKind.TEAM_THRESHOLDS) or {}
        for grade, key, default in (
            (Grade.EXCELLENT, "excellent_min", 90),
            (Grade.TEAM_GOOD, "good_min", 80),
            (Grade.AVERAGE, "average_min", 60),
        ):
            if team.total >= Decimal(str(th.get(key, default))):
                team.computed = grade
                team.explain("班子等次分数线", grade, f"得分 {fmt(team.total)} ≥ {fmt(th.get(key, default))}")
                break
        else:
            team.computed = Grade.POOR
            team.explain(
                "班子等次分数线", Grade.POOR, f"得分 {fmt(team.total)} 低于 {fmt(th.get('average_min', 60))}"
            )
        for day, cited in facts.yuetan_team_tolerated.get(unit_id, ()):
            team.explain(
                TOLERATED_RULE, "不计入约谈次数", f"{day.isoformat()} 领导班子约谈{cited}，不因此限制等次"
            )
        dates = facts.yuetan_team.get(unit_id, [])
        fired = [
            r
            for r in policy.many(RuleKind.YUETAN_TEAM)
            if r.params.get("team_cap") and len(dates) >= int(r.params.get("min_count", 2))
        ]
        if fired:
            strictest = max(fired, key=lambda r: TEAM_SCALE.index(r.params["team_cap"]))
            cap = strictest.params["team_cap"]
            team.computed = worse(TEAM_SCALE, team.computed, cap)
            team.explain(
                "约谈限制班子等次",
                f"至多{cap}",
                f"领导班子约谈 {len(dates)} 次（{fmt_dates(dates)}）→ 至多{cap}",
            )
        teams.append(team)
    return teams
