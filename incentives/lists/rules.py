"""The lists' rules: pure functions from the facts and the rules in force for each unit to entries
with their reasons. Nothing here touches the database.

Each reason is ``{"rule": ..., "effect": ..., "facts": {label: value}}`` (labels and values in
Chinese, values as text), the shape of a grade's explanation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from assessment.grading import PolicyResolver, influence_reaches
from assessment.models import INDIVIDUAL_SCALE, Grade, RuleKind
from cadres.models import CadreStatus, Identity, PostKind, Rank
from recall.flags.context import GONE_STATUSES
from supervision.models import ClueSource, InterviewKind, MatterType

from ..models import ListKind
from ..policy_lists import CRITERIA, GRADE_PARAMS, POSITIVE_CRITERIA, criterion_text
from .facts import (
    FRONTLINE_KINDS,
    GRASSROOTS_KINDS,
    Assessed,
    Facts,
    experience_months,
    full_years,
    months_between,
    principal_run,
)

FEN = Decimal("0.01")
RANK_LABELS = dict(Rank.choices)
IDENTITY_LABELS = dict(Identity.choices)
TALK_LABELS = dict(InterviewKind.choices)
CLUE_SOURCES = dict(ClueSource.choices)
STATUS_LABELS = dict(CadreStatus.choices)
GRADE_ORDER = {str(g): i for i, g in enumerate(INDIVIDUAL_SCALE)}
# Lists whose eligible entries are ranked (``position``): by score, then the year's total score.
RANKED = (ListKind.COMMENDATION, ListKind.PRIORITY, ListKind.RESERVED_POST, ListKind.YOUNG_SELECTION)
# The grade that proposes a one-level drop (公务员法: 年度考核不称职的，降低一个职务或者职级层次任职).
DROP_GRADE = Grade.INCOMPETENT

K_BONUS, K_COMMEND, K_AWARDS = RuleKind.BONUS_COEFFICIENTS, RuleKind.COMMENDATION, RuleKind.CS_AWARDS
K_PRIORITY, K_RESERVED, K_YOUNG = RuleKind.PRIORITY_USE, RuleKind.RESERVED_POST, RuleKind.YOUNG_SELECTION
K_TENURE = RuleKind.RANK_TENURE


def reason(rule: str, effect: str, facts: dict | None = None) -> dict:
    return {"rule": rule, "effect": effect, "facts": facts or {}}


def money(value: Decimal) -> str:
    return f"{value.quantize(FEN, ROUND_HALF_UP)}"


def number(value) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    return text


@dataclass(slots=True)
class Out:
    """One computed entry (a row of ``incentives.Entry`` before it is written)."""

    cadre_id: int
    unit_id: int
    kind: str
    eligible: bool
    reasons: list[dict]
    score: Decimal | None = None
    coefficient: Decimal | None = None
    base: Decimal | None = None
    withheld: Decimal | None = None
    amount: Decimal | None = None
    due_date: datetime.date | None = None
    total: Decimal | None = None  # the year's total score: ties in a ranking
    position: int | None = None


@dataclass
class UnitRules:
    """The enabled list rules in force for one unit (worked out once per unit)."""

    bonus: dict | None
    commendation: dict | None
    awards: dict | None
    priority: list[dict]
    reserved: dict | None
    young: dict | None
    tenure: dict[str, dict]  # from rank -> params (the first by key when several name it)
    lower: dict[str, str]  # rank -> the rank one level below (the tenure rows read backwards)
    influence: list[dict]


def unit_rules(resolver: PolicyResolver, path: str) -> UnitRules:
    policy = resolver.policy(path)
    tenure: dict[str, dict] = {}
    lower: dict[str, str] = {}
    for row in policy.many(K_TENURE):
        p = row.params
        tenure.setdefault(p.get("from_rank"), p)
        lower.setdefault(p.get("to_rank"), p.get("from_rank"))
    return UnitRules(
        bonus=policy.one(K_BONUS),
        commendation=policy.one(K_COMMEND),
        awards=policy.one(K_AWARDS),
        priority=[r.params for r in policy.many(K_PRIORITY)],
        reserved=policy.one(K_RESERVED),
        young=policy.one(K_YOUNG),
        tenure=tenure,
        lower=lower,
        influence=[r.params for r in policy.many(RuleKind.INFLUENCE)],
    )


@dataclass
class Checks:
    """A cadre's record as the eligibility conditions read it (worked out once per cadre): what
    blocks (matters that count) and what was exempted (matters decided 可容), per condition."""

    blocking: dict[str, list[dict]] = field(default_factory=dict)
    exempted: list[dict] = field(default_factory=list)


class Evaluator:
    def __init__(self, facts: Facts, resolver: PolicyResolver):
        self.facts = facts
        self.resolver = resolver
        self.year = facts.period.year
        self._rules: dict[str, UnitRules] = {}
        self._bases: dict[int, tuple[Decimal, int] | None] = {}
        self.out: list[Out] = []

    # ------------------------------------------------------------------ shared facts

    def rules(self, path: str) -> UnitRules:
        found = self._rules.get(path)
        if found is None:
            found = self._rules[path] = unit_rules(self.resolver, path)
        return found

    def base_for(self, unit_id: int) -> tuple[Decimal, int] | None:
        """The bonus base of the nearest unit (itself or an ancestor) that set one for the period."""
        if unit_id in self._bases:
            return self._bases[unit_id]
        facts = self.facts
        path = facts.unit_paths.get(unit_id, "")
        found = None
        while path:
            owner = facts.path_units.get(path)
            if owner is not None and owner in facts.bases:
                found = (facts.bases[owner], owner)
                break
            path = path[:-4]
        self._bases[unit_id] = found
        return found

    def record(self, a: Assessed, rules: UnitRules, kinds: tuple[str, ...]) -> Checks:
        """Talks of ``kinds`` in the year, unverified clues, influence periods and open flags."""
        facts = self.facts
        checks = Checks()
        cid = a.cadre_id
        for pk, kind, day in facts.talks.get(cid, ()):
            if kind not in kinds:
                continue
            label = TALK_LABELS.get(kind, kind)
            cited = facts.citation(MatterType.INTERVIEW, pk)
            if cited:
                checks.exempted.append({label: day.isoformat(), "容错纠错": cited})
            else:
                checks.blocking.setdefault("talks", []).append({label: day.isoformat()})
        for _pk, source, day in facts.clues.get(cid, ()):
            checks.blocking.setdefault("clue", []).append(
                {"问题线索": f"{day.isoformat()} 收到（{CLUE_SOURCES.get(source, source)}），待核实"}
            )
        for pk, kind, day in facts.sanctions.get(cid, ()):
            for params in rules.influence:
                fires, fact = influence_reaches(params, kind, day, facts.start, facts.end)
                if not fires:
                    continue
                cited = facts.citation(MatterType.SANCTION, pk)
                if cited:
                    checks.exempted.append({"处分": fact, "容错纠错": cited})
                else:
                    checks.blocking.setdefault("influence", []).append({"处分影响期": fact})
                break
        for pk, name, day in facts.flags.get(cid, ()):
            cited = facts.citation(MatterType.FLAG, pk)
            if cited:
                checks.exempted.append({"预警": f"{name}（{day.isoformat()}）", "容错纠错": cited})
            else:
                checks.blocking.setdefault("flag", []).append({"待研判预警": f"{name}（{day.isoformat()}）"})
        return checks

    # ------------------------------------------------------------------ the lists

    def run(self) -> list[Out]:
        facts = self.facts
        for a in facts.assessed:
            rules = self.rules(a.unit_path)
            if rules.bonus is not None:
                self.bonus(a, rules)
            run = None
            if a.grade == Grade.EXCELLENT:
                run = facts.excellent_run(a.cadre_id, a.grade)
            if rules.commendation is not None and a.grade in (rules.commendation.get("grades") or ()):
                self.commendation(a, rules)
            if rules.awards is not None:
                self.awards(a, rules, run)
            if rules.priority:
                self.priority(a, rules, run)
            if rules.reserved is not None:
                self.reserved(a, rules)
            if rules.young is not None and a.rank in (rules.young.get("ranks") or ()):
                self.young(a, rules)
            if a.rank in rules.tenure:
                self.promotion(a, rules)
            if a.grade == DROP_GRADE:
                self.drop(a, rules)
        return self.out

    def add(self, a: Assessed, kind: str, eligible: bool, reasons: list[dict], **values) -> Out:
        out = Out(a.cadre_id, a.unit_id, kind, eligible, reasons, total=a.total, **values)
        self.out.append(out)
        return out

    def gone(self, a: Assessed) -> dict | None:
        """Left out of the lists of use and promotion: the cadre no longer holds a post."""
        if a.status in GONE_STATUSES:
            return reason("干部状态", "不列入", {"状态": STATUS_LABELS.get(a.status, a.status)})
        return None

    # 绩效奖金 ------------------------------------------------------------------

    def bonus(self, a: Assessed, rules: UnitRules) -> None:
        name = GRADE_PARAMS.get(a.grade)
        if name is None:
            return
        p = rules.bonus
        # to the fen, as stored: the amount is worked out with the coefficient the list shows
        coefficient = Decimal(str(p.get(name, 0))).quantize(FEN, ROUND_HALF_UP)
        reasons = [reason("绩效奖金系数", f"系数 {number(coefficient)}", {"年度考核": a.grade})]
        found = self.base_for(a.unit_id)
        if found is None:
            reasons.append(reason("奖金基数", "未设定", {"考核期": self.facts.period.name}))
            self.add(a, ListKind.BONUS, False, reasons, coefficient=coefficient)
            return
        base, owner = found
        reasons.append(
            reason("奖金基数", f"{money(base)} 元", {"设定单位": self.facts.unit_names.get(owner, "")})
        )
        withheld = Decimal(0)
        full = False
        for case_id, amount, in_full, day in self.facts.withheld.get(a.cadre_id, ()):
            case = {"召回案件": f"编号 {case_id}", "扣发登记日期": day.isoformat()}
            cited = self.facts.citation(MatterType.RECALL_CASE, case_id)
            if cited:
                reasons.append(reason("容错纠错", "不扣发绩效奖金", {**case, "容错纠错": cited}))
                continue
            if in_full:
                full = True
                reasons.append(reason("召回扣发绩效奖励", "扣发全年绩效奖金", case))
            else:
                withheld += amount
                reasons.append(reason("召回扣发绩效奖励", f"扣发 {money(amount)} 元", case))
        gross = base * coefficient
        if full:
            amount = Decimal("0.00")
            sum_text = "全年绩效奖金扣发，金额为 0"
            withheld = gross.quantize(FEN, ROUND_HALF_UP)
        else:
            amount = max(gross - withheld, Decimal(0)).quantize(FEN, ROUND_HALF_UP)
            sum_text = f"{money(base)} × {number(coefficient)}" + (
                f" − {money(withheld)}" if withheld else ""
            )
            sum_text += f" = {money(amount)}"
        reasons.append(reason("绩效奖金", f"{money(amount)} 元", {"计算": sum_text}))
        self.add(
            a,
            ListKind.BONUS,
            amount > 0,
            reasons,
            coefficient=coefficient,
            base=base,
            withheld=withheld.quantize(FEN, ROUND_HALF_UP),
            amount=amount,
        )

    # 评先选优 ------------------------------------------------------------------

    def commendation(self, a: Assessed, rules: UnitRules) -> None:
        p = rules.commendation
        rule = "评先选优条件"
        kinds = tuple(p.get("interview_kinds") or ())
        checks = self.record(a, rules, kinds)
        conditions = [("talks", bool(kinds), f"年度内未被{'、'.join(TALK_LABELS.get(k, k) for k in kinds)}")]
        conditions += [
            ("clue", p.get("no_clue") == "yes", "无未核实的问题线索"),
            ("influence", p.get("no_influence") == "yes", "不在处分影响期内"),
            ("flag", p.get("no_flag") == "yes", "无待研判的不适宜担任现职预警"),
        ]
        failed = []
        met = [f"本年度考核为{a.grade}"]
        for key, applies, text in conditions:
            if not applies:
                continue
            found = checks.blocking.get(key)
            if found:
                failed.append(reason(f"{rule}：{text}", "不符合", merge(found)))
            else:
                met.append(text)
        reasons = failed or [reason(rule, "符合", {"条件": "；".join(met)})]
        reasons += [reason("容错纠错", "可容事项不影响评先选优", e) for e in checks.exempted]
        self.add(a, ListKind.COMMENDATION, not failed, reasons, score=a.total)

    # 公务员奖励 ----------------------------------------------------------------

    def awards(self, a: Assessed, rules: UnitRules, run: list[int] | None) -> None:
        p = rules.awards
        identities = p.get("identities") or ()
        identity_ok = a.identity in identities
        not_applicable = reason(
            "公务员奖励：适用身份",
            "不适用",
            {"身份": IDENTITY_LABELS.get(a.identity, a.identity)},
        )
        if a.grade == p.get("jiajiang_grade"):
            reasons = [
                reason("公务员奖励：嘉奖", "符合", {"年度考核": a.grade}) if identity_ok else not_applicable
            ]
            self.add(a, ListKind.JIAJIANG, identity_ok, reasons)
        if run:
            need = int(p.get("merit_years") or 3)
            years = "、".join(f"{y}" for y in sorted(run))
            facts = {"连续优秀年度": f"{years}（{len(run)} 年）"}
            if not identity_ok:
                self.add(a, ListKind.MERIT3, False, [not_applicable])
            elif len(run) % need == 0:
                self.add(
                    a,
                    ListKind.MERIT3,
                    True,
                    [reason(f"公务员奖励：连续 {need} 年优秀记三等功", "符合", facts)],
                )
            else:
                if len(run) > need:
                    facts["说明"] = f"已于 {sorted(run)[need - 1]}年度满 {need} 年，连续优秀重新计算"
                short = need - len(run) % need
                effect = f"不符合：还需连续优秀 {short} 年"
                self.add(
                    a,
                    ListKind.MERIT3,
                    False,
                    [reason(f"公务员奖励：连续 {need} 年优秀记三等功", effect, facts)],
                )

    # 优先使用 ------------------------------------------------------------------

    def priority(self, a: Assessed, rules: UnitRules, run: list[int] | None) -> None:
        posts = self.facts.posts.get(a.cadre_id, ())
        as_of = self.facts.end
        run_years = len(run or ())
        measured: dict[str, tuple[int, str]] = {}

        def measure(criterion: str) -> tuple[int, str]:
            if criterion not in measured:
                if criterion == "excellent_run":
                    years = "、".join(str(y) for y in sorted(run or ()))
                    measured[criterion] = (
                        run_years,
                        f"连续优秀 {run_years} 年" + (f"（{years}）" if years else ""),
                    )
                elif criterion == "frontline":
                    months = experience_months(posts, FRONTLINE_KINDS, as_of)
                    measured[criterion] = (months, f"一线经历 {months} 个月")
                else:
                    months = experience_months(posts, (PostKind.FIRST_SECRETARY,), as_of)
                    measured[criterion] = (months, f"第一书记经历 {months} 个月")
            return measured[criterion]

        # 优秀 this year, or the experience a criterion asks for, puts a cadre on the list
        positive = False
        for p in rules.priority:
            criterion = p.get("criterion")
            if criterion in POSITIVE_CRITERIA:
                value, _ = measure(criterion)
                if value >= int(p.get("value") or 0) or (criterion == "excellent_run" and value >= 1):
                    positive = True
                    break
        if not positive:
            return
        hard_failed: list[dict] = []
        hard_met: list[str] = []
        soft: list[dict] = []
        score = Decimal(0)
        checks = None
        for p in rules.priority:
            criterion = p.get("criterion")
            if criterion in POSITIVE_CRITERIA:
                value, text = measure(criterion)
                met = value >= int(p.get("value") or 0)
            else:
                if checks is None:
                    checks = self.record(a, rules, ())
                key = {"no_clue": "clue", "no_influence": "influence", "no_flag": "flag"}.get(criterion)
                found = checks.blocking.get(key) if key else None
                met = not found
                text = merge(found) if found else CRITERIA.get(criterion, "")
            if p.get("mode") == "soft":
                if met:
                    weight = Decimal(str(p.get("weight") or 0))
                    score += weight
                    soft.append(
                        reason(
                            f"优先使用加分条件：{criterion_text(p)}",
                            f"加 {number(weight)} 分",
                            {"事实": text},
                        )
                    )
            elif met:
                hard_met.append(criterion_text(p))
            else:
                facts = text if isinstance(text, dict) else {"事实": text}
                hard_failed.append(reason(f"优先使用硬性条件：{criterion_text(p)}", "不符合", facts))
        gone = self.gone(a)
        reasons = [gone] if gone else []
        reasons += hard_failed
        if not reasons:
            reasons.append(reason("优先使用硬性条件", "符合", {"条件": "；".join(hard_met) or "无"}))
        reasons += soft
        if checks is not None:
            reasons += [reason("容错纠错", "可容事项不影响优先使用", e) for e in checks.exempted]
        eligible = not gone and not hard_failed
        self.add(a, ListKind.PRIORITY, eligible, reasons, score=score)

    # 定向选拔（乡镇党政正职） ------------------------------------------------------

    def reserved(self, a: Assessed, rules: UnitRules) -> None:
        p = rules.reserved
        as_of = self.facts.end
        run = principal_run(self.facts.posts.get(a.cadre_id, ()), as_of)
        if run is None:
            return  # not a township 党政正职 at the end of the year
        first, _ = run
        years = full_years(first, as_of)
        need = int(p.get("years") or 8)
        rule = f"定向选拔：在乡镇连续任党政正职 {need} 年以上"
        facts = {"连续任乡镇党政正职": f"自 {first.isoformat()} 起，至 {as_of.isoformat()} 满 {years} 年"}
        reasons = []
        gone = self.gone(a)
        if gone:
            reasons.append(gone)
        reasons.append(reason(rule, "符合" if years >= need else "不符合", facts))
        min_grade = p.get("min_grade") or Grade.COMPETENT
        grade_ok = GRADE_ORDER.get(a.grade, 99) <= GRADE_ORDER.get(min_grade, 1)
        if not grade_ok:
            reasons.append(reason(f"定向选拔：本年度考核{min_grade}以上", "不符合", {"年度考核": a.grade}))
        eligible = not gone and years >= need and grade_ok
        months = months_between(first, as_of + datetime.timedelta(days=1))
        score = (Decimal(months) / 12).quantize(FEN, ROUND_HALF_UP)
        self.add(a, ListKind.RESERVED_POST, eligible, reasons, score=score)

    # 80后比选 -------------------------------------------------------------------

    def young(self, a: Assessed, rules: UnitRules) -> None:
        p = rules.young
        born_from = datetime.date(int(p.get("born_from_year") or 1980), 1, 1)
        need = int(p.get("grassroots_months") or 0)
        hard = p.get("grassroots_hard") == "yes"
        months = experience_months(self.facts.posts.get(a.cadre_id, ()), GRASSROOTS_KINDS, self.facts.end)
        reasons = []
        gone = self.gone(a)
        if gone:
            reasons.append(gone)
        age_ok = a.birth >= born_from
        reasons.append(
            reason(
                f"年轻干部比选：{born_from.year}年及以后出生",
                "符合" if age_ok else "不符合",
                {"出生日期": a.birth.isoformat()},
            )
        )
        reasons.append(reason("年轻干部比选：现任职级", "符合", {"职级": RANK_LABELS.get(a.rank, a.rank)}))
        experience = {"基层一线经历": f"{months} 个月（乡镇一线、重大项目一线、驻村第一书记、乡镇党政正职）"}
        grassroots_ok = months >= need
        rule = f"年轻干部比选：基层一线经历满 {need} 个月"
        if hard:
            reasons.append(reason(rule, "符合" if grassroots_ok else "不符合", experience))
        else:
            reasons.append(reason(rule, "优先" if grassroots_ok else "经历较短，排序靠后", experience))
        eligible = not gone and age_ok and (grassroots_ok or not hard)
        score = (Decimal(months) / 12).quantize(FEN, ROUND_HALF_UP)
        self.add(a, ListKind.YOUNG_SELECTION, eligible, reasons, score=score)

    # 职级晋升 ------------------------------------------------------------------

    def promotion(self, a: Assessed, rules: UnitRules) -> None:
        p = rules.tenure[a.rank]
        to_rank = RANK_LABELS.get(p.get("to_rank"), p.get("to_rank"))
        rule = f"职级晋升：{RANK_LABELS.get(a.rank, a.rank)}→{to_rank}"
        gone = self.gone(a)
        if a.rank_start is None:
            reasons = [gone] if gone else []
            reasons.append(
                reason(rule, "不列入：未登记任现职级时间", {"职级": RANK_LABELS.get(a.rank, a.rank)})
            )
            self.add(a, ListKind.RANK_PROMOTION, False, reasons)
            return
        due, steps = tenure_due(
            a.rank_start,
            years=int(p.get("years") or 0),
            excellent_months=int(p.get("excellent_months") or 0),
            not_counted=set(p.get("not_counted") or ()),
            grade_of=lambda year: self.facts.grade_in(a.cadre_id, year, a.grade),
            last_year=self.year,
        )
        facts = {
            "任现职级时间": a.rank_start.isoformat(),
            "任职年限": f"{p.get('years')} 年",
            **steps,
            "可晋升日期": due.isoformat(),
        }
        reasons = [gone] if gone else []
        due_ok = due <= self.facts.end
        reasons.append(
            reason(
                rule,
                f"{due.isoformat()} 任职年限届满" + ("" if due_ok else f"，{self.year}年底前未届满"),
                facts,
            )
        )
        if a.grade == DROP_GRADE:
            reasons.append(reason("职级晋升：本年度考核不称职", "不予晋升", {"年度考核": a.grade}))
        eligible = not gone and due_ok and a.grade != DROP_GRADE
        self.add(a, ListKind.RANK_PROMOTION, eligible, reasons, due_date=due)

    def drop(self, a: Assessed, rules: UnitRules) -> None:
        lower = rules.lower.get(a.rank)
        current = RANK_LABELS.get(a.rank, a.rank)
        if lower:
            effect = f"提议降低一个职级：{current}→{RANK_LABELS.get(lower, lower)}"
        else:
            effect = (
                f"提议降低一个职务或职级层次（{current}以下的职级未在职级晋升年限中设定，由组织部门研究确定）"
            )
        reasons = [reason("年度考核不称职，降低一个职务或者职级层次任职", effect, {"年度考核": a.grade})]
        self.add(a, ListKind.RANK_DROP, True, reasons)


def merge(found: list[dict] | None) -> dict:
    """Facts of several matters under one condition: 约谈 2025-03-01、2025-06-01."""
    out: dict[str, str] = {}
    for item in found or ():
        for key, value in item.items():
            out[key] = f"{out[key]}、{value}" if key in out else value
    return out


def tenure_due(
    start: datetime.date,
    *,
    years: int,
    excellent_months: int,
    not_counted: set[str],
    grade_of,
    last_year: int,
) -> tuple[datetime.date, dict[str, str]]:
    """The day the tenure in a rank is complete, and the years that moved it.

    The base is ``start`` plus ``years``. The annual grades of the years held in the rank (from
    the year after ``start``, or ``start``'s year when it is 1 January) up to ``last_year`` move
    it, year by year in order, while the tenure is not yet complete at the year's start: an
    优秀 year brings it ``excellent_months`` earlier, a year graded one of ``not_counted`` does not
    count (twelve months later)."""
    due = start + relativedelta(years=years)
    first = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    shortened, extended = [], []
    for year in range(first, last_year + 1):
        if datetime.date(year, 1, 1) >= due:
            break
        grade = grade_of(year)
        if grade == Grade.EXCELLENT and excellent_months:
            due -= relativedelta(months=excellent_months)
            shortened.append(str(year))
        elif grade and grade in not_counted:
            due += relativedelta(months=12)
            extended.append(f"{year}（{grade}）")
    steps = {}
    if shortened:
        steps["优秀年度"] = f"{'、'.join(shortened)}，每年缩短 {excellent_months} 个月"
    if extended:
        steps["不计算任职年限的年度"] = f"{'、'.join(extended)}，每年延后 12 个月"
    return due, steps


def rank(out: list[Out]) -> None:
    """Positions of the eligible entries of each ranked list: the higher score first, then the
    higher total score of the year, then the registry order."""
    ranked: dict[str, list[Out]] = {}
    for entry in out:
        if entry.kind in RANKED and entry.eligible:
            ranked.setdefault(entry.kind, []).append(entry)
    for entries in ranked.values():
        entries.sort(key=rank_key)
        for position, entry in enumerate(entries, start=1):
            entry.position = position


def rank_key(entry) -> tuple:
    score = entry.score if entry.score is not None else Decimal("-1")
    total = entry.total if entry.total is not None else Decimal("-1")
    return (-score, -total, entry.cadre_id)
