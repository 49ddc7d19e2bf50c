"""The lists' rules: pure functions from the facts and the rules in force for each unit to entries
with their reasons. Nothing here touches the database.

Each reason is ``{"rule": ..., "effect": ..., "facts": {label: value}}`` (labels and values in
Chinese, values as text), the shape of a grade's explanation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from assessment.grading import PolicyResolver, influence_reaches
from assessment.models import INDIVIDUAL_SCALE, Grade, RuleKind
from cadres.models import CadreStatus, Identity, PostKind, Rank
from recall.flags.context import GONE_STATUSES
from supervision.models import ClueSource, InterviewKind, MatterType

from ..models import ListKind
from ..policy_lists import CRITERIA, GRADE_PARAMS, criterion_text
from .facts import (
    FRONTLINE_KINDS,
    GRASSROOTS_KINDS,
    Assessed,
    Facts,
    experience_months,
    full_years,
    months_between,
    principal_run,
    township_months,
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
SECRETARY_KINDS = (PostKind.FIRST_SECRETARY,)
NEGATIVE_KEYS = {"no_clue": "clue", "no_influence": "influence", "no_flag": "flag"}


def reason(rule: str, effect: str, facts: dict | None = None) -> dict:
    return {"rule": rule, "effect": effect, "facts": facts or {}}


def money(value: Decimal) -> str:
    return f"{value.quantize(FEN, ROUND_HALF_UP)}"


_NUMBERS: dict = {}


def number(value) -> str:
    """1.20 → 1.2, 10 → 10 (a coefficient or points as a rule states them)."""
    text = _NUMBERS.get(value)
    if text is None:
        text = _NUMBERS[value] = f"{Decimal(str(value)).normalize():f}"
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
    reserved: dict | None
    young: dict | None
    tenure: dict[str, Tenure]  # from rank -> its rule (the first by key when several name it)
    lower: dict[str, str]  # rank -> the rank one level below (the tenure rows read backwards)
    influence: list[dict]
    # worked out once per unit for the loops over every cadre
    coefficients: dict[str, Decimal] = field(default_factory=dict)  # grade -> coefficient
    criteria: list[Criterion] = field(default_factory=list)  # 优先使用, in key order
    # 优先使用: whether any cadre without a grassroots post may be on the list (a criterion
    # asking for 0 months of experience)
    experience_free: bool = False
    positive_hard: tuple = ()  # 优先使用's hard criteria of record (runs, experience)
    min_run: int = 0  # the run of 优秀 years 优先使用's hard criteria ask for
    jiajiang_grade: str | None = None
    commendation_grades: frozenset = frozenset()
    young_ranks: frozenset = frozenset()


@dataclass(frozen=True)
class Tenure:
    """One 职级晋升 rule, ready for the loop."""

    rule: str
    years: int
    years_text: str
    excellent_months: int
    not_counted: frozenset


@dataclass(frozen=True)
class Criterion:
    """One 优先使用 rule, ready for the loop."""

    criterion: str
    threshold: int
    hard: bool
    weight: Decimal
    label: str
    hard_rule: str
    soft_rule: str
    soft_effect: str


def unit_rules(resolver: PolicyResolver, path: str) -> UnitRules:
    policy = resolver.policy(path)
    tenure: dict[str, Tenure] = {}
    lower: dict[str, str] = {}
    for row in policy.many(K_TENURE):
        p = row.params
        from_rank, to_rank = p.get("from_rank"), p.get("to_rank")
        if from_rank not in tenure:
            tenure[from_rank] = Tenure(
                rule=f"职级晋升：{RANK_LABELS.get(from_rank, from_rank)}→{RANK_LABELS.get(to_rank, to_rank)}",
                years=int(p.get("years") or 0),
                years_text=f"{p.get('years')} 年",
                excellent_months=int(p.get("excellent_months") or 0),
                not_counted=frozenset(p.get("not_counted") or ()),
            )
        lower.setdefault(to_rank, from_rank)
    bonus = policy.one(K_BONUS)
    coefficients = {}
    if bonus is not None:
        for grade, name in GRADE_PARAMS.items():
            # to the fen, as stored: the amount is worked out with the coefficient the list shows
            coefficients[str(grade)] = Decimal(str(bonus.get(name, 0))).quantize(FEN, ROUND_HALF_UP)
    priority = [r.params for r in policy.many(K_PRIORITY)]
    criteria = []
    for p in priority:
        weight = Decimal(str(p.get("weight") or 0)).quantize(FEN, ROUND_HALF_UP)
        criteria.append(
            Criterion(
                criterion=p.get("criterion"),
                threshold=int(p.get("value") or 0),
                hard=p.get("mode") != "soft",
                weight=weight,
                label=criterion_text(p),
                hard_rule=f"优先使用硬性条件：{criterion_text(p)}",
                soft_rule=f"优先使用加分条件：{criterion_text(p)}",
                soft_effect=f"加 {number(weight)} 分",
            )
        )
    commendation = policy.one(K_COMMEND)
    young = policy.one(K_YOUNG)
    return UnitRules(
        bonus=bonus,
        commendation=commendation,
        awards=policy.one(K_AWARDS),
        reserved=policy.one(K_RESERVED),
        young=young,
        tenure=tenure,
        lower=lower,
        influence=[r.params for r in policy.many(RuleKind.INFLUENCE)],
        coefficients=coefficients,
        criteria=criteria,
        min_run=max((c.threshold for c in criteria if c.hard and c.criterion == "excellent_run"), default=0),
        jiajiang_grade=(policy.one(K_AWARDS) or {}).get("jiajiang_grade"),
        positive_hard=tuple(
            c for c in criteria if c.hard and c.criterion in ("excellent_run", "frontline", "first_secretary")
        ),
        experience_free=any(
            c.criterion in ("frontline", "first_secretary") and c.threshold <= 0 for c in criteria
        ),
        commendation_grades=frozenset((commendation or {}).get("grades") or ()),
        young_ranks=frozenset((young or {}).get("ranks") or ()),
    )


@dataclass
class Checks:
    """A cadre's record as the eligibility conditions read it (worked out once per cadre): what
    blocks (matters that count) and what was exempted (matters decided 可容), per condition."""

    blocking: dict[str, list[dict]] = field(default_factory=dict)
    exempted: list[dict] = field(default_factory=list)


NOTHING = Checks()  # shared, never written to


class Evaluator:
    def __init__(self, facts: Facts, resolver: PolicyResolver):
        self.facts = facts
        self.resolver = resolver
        self.year = facts.period.year
        self._rules: dict[str, UnitRules] = {}
        self._bases: dict[int, tuple[Decimal, int] | None] = {}
        self._bonus: dict[tuple, tuple[bool, list[dict], dict]] = {}
        self._not_due = f"，{self.year}年底前未届满"
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
        cid = a.cadre_id
        if (
            cid not in facts.talks
            and cid not in facts.clues
            and cid not in facts.sanctions
            and cid not in facts.flags
        ):
            return NOTHING  # most cadres: a clean record, read without building anything
        checks = Checks()
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
        posts = facts.posts
        principals = facts.principals
        excellent, drop = str(Grade.EXCELLENT), str(DROP_GRADE)
        for a in facts.assessed:
            rules = self._rules.get(a.unit_path) or self.rules(a.unit_path)
            grade = a.grade
            if rules.bonus is not None:
                self.bonus(a, rules)
            run = facts.excellent_run(a.cadre_id, grade) if grade == excellent else None
            if rules.commendation is not None and grade in rules.commendation_grades:
                self.commendation(a, rules)
            if rules.awards is not None and (run or grade == rules.jiajiang_grade):
                self.awards(a, rules, run)
            has_posts = a.cadre_id in posts
            # 优先使用 needs the run of 优秀 years its hard criteria ask for, and 优秀 this year or
            # a grassroots post (unless a rule asks for 0 months of experience)
            if (
                rules.criteria
                and (run or has_posts or rules.experience_free)
                and (len(run) if run else 0) >= rules.min_run
            ):
                self.priority(a, rules, run)
            if rules.reserved is not None and a.cadre_id in principals:
                self.reserved(a, rules)
            if rules.young is not None and a.rank in rules.young_ranks:
                self.young(a, rules)
            if a.rank in rules.tenure:
                self.promotion(a, rules)
            if grade == drop:
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
        coefficient = rules.coefficients.get(a.grade)
        if coefficient is None:
            return
        found = self.base_for(a.unit_id)
        cases = self.facts.withheld.get(a.cadre_id)
        if not cases:
            # Most cadres share their reasons with everyone of the same grade under the same
            # base: worked out once, the same list object for all of them.
            key = (a.grade, coefficient, found)
            shared = self._bonus.get(key)
            if shared is None:
                shared = self._bonus[key] = self._bonus_of(a.grade, coefficient, found, ())
            eligible, reasons, values = shared
        else:
            eligible, reasons, values = self._bonus_of(a.grade, coefficient, found, cases)
        self.out.append(
            Out(a.cadre_id, a.unit_id, ListKind.BONUS, eligible, reasons, total=a.total, **values)
        )

    def _bonus_of(self, grade: str, coefficient: Decimal, found, cases) -> tuple[bool, list[dict], dict]:
        reasons = [reason("绩效奖金系数", f"系数 {number(coefficient)}", {"年度考核": grade})]
        if found is None:
            reasons.append(reason("奖金基数", "未设定", {"考核期": self.facts.period.name}))
            return False, reasons, {"coefficient": coefficient}
        base, owner = found
        reasons.append(
            reason("奖金基数", f"{money(base)} 元", {"设定单位": self.facts.unit_names.get(owner, "")})
        )
        withheld = Decimal(0)
        full = False
        for case_id, amount, in_full, day in cases:
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
            withheld = gross
        else:
            amount = max(gross - withheld, Decimal(0)).quantize(FEN, ROUND_HALF_UP)
            sum_text = f"{money(base)} × {number(coefficient)}" + (
                f" − {money(withheld)}" if withheld else ""
            )
            sum_text += f" = {money(amount)}"
        reasons.append(reason("绩效奖金", f"{money(amount)} 元", {"计算": sum_text}))
        values = {
            "coefficient": coefficient,
            "base": base,
            "withheld": withheld.quantize(FEN, ROUND_HALF_UP),
            "amount": amount,
        }
        return amount > 0, reasons, values

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
        if not run and a.grade != p.get("jiajiang_grade"):
            return
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
        need = int(p.get("merit_years") or 3)
        if run and len(run) >= need - 1:  # a year short or more: the cadre is told how far
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
        run_years = len(run) if run else 0
        frontline = secretary = 0
        if posts:
            as_of = self.facts.end
            frontline = experience_months(posts, FRONTLINE_KINDS, as_of)
            secretary = experience_months(posts, SECRETARY_KINDS, as_of)
        values = {"excellent_run": run_years, "frontline": frontline, "first_secretary": secretary}
        # On the list: meeting every positive hard criterion (the run of 优秀 years...), or,
        # without one, any positive soft one; the rest (clues, influence, flags) only exclude.
        if rules.positive_hard:
            if any(values[c.criterion] < c.threshold for c in rules.positive_hard):
                return
        elif not any(values.get(c.criterion, -1) >= c.threshold for c in rules.criteria):
            return
        hard_failed: list[dict] = []
        hard_met: list[str] = []
        soft: list[dict] = []
        score = Decimal(0)
        checks = None
        for c in rules.criteria:
            criterion = c.criterion
            value = values.get(criterion)
            if value is not None:
                met = value >= c.threshold
                if met and c.hard:
                    hard_met.append(c.label)
                    continue
                if not met and not c.hard:
                    continue
                if criterion == "excellent_run":
                    years = "、".join(map(str, sorted(run))) if run else ""
                    facts = {"事实": f"连续优秀 {run_years} 年" + (f"（{years}）" if years else "")}
                elif criterion == "frontline":
                    facts = {"事实": f"一线经历 {value} 个月"}
                else:
                    facts = {"事实": f"第一书记经历 {value} 个月"}
            else:
                if checks is None:
                    checks = self.record(a, rules, ())
                found = checks.blocking.get(NEGATIVE_KEYS.get(criterion, ""))
                met = not found
                if met and c.hard:
                    hard_met.append(c.label)
                    continue
                facts = merge(found) if found else {"事实": CRITERIA.get(criterion, "")}
            if not c.hard:
                score += c.weight
                soft.append(reason(c.soft_rule, c.soft_effect, facts))
            else:
                hard_failed.append(reason(c.hard_rule, "不符合", facts))
        gone = self.gone(a)
        reasons = [gone] if gone else []
        reasons += hard_failed
        if not reasons:
            reasons.append(reason("优先使用硬性条件", "符合", {"条件": "；".join(hard_met) or "无"}))
        reasons += soft
        if checks is not None and checks.exempted:
            reasons += [reason("容错纠错", "可容事项不影响优先使用", e) for e in checks.exempted]
        self.add(a, ListKind.PRIORITY, not gone and not hard_failed, reasons, score=score.quantize(FEN))

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
        experience = {"基层一线经历": f"{months} 个月（乡镇一线、重大项目一线、驻村第一书记、乡镇党政正职）"}
        # township service (到乡镇工作时间, the figure on the profile) is grassroots experience too;
        # the longer of the two counts, since a township post may be in both
        in_township = township_months(a, self.facts.township_paths, self.facts.end)
        if in_township:
            experience["乡镇工作"] = f"{in_township} 个月（{a.township_start:%Y-%m-%d} 到乡镇工作）"
            months = max(months, in_township)
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
        tenure = rules.tenure[a.rank]
        gone = self.gone(a)
        if a.rank_start is None:
            reasons = [gone] if gone else []
            reasons.append(
                reason(tenure.rule, "不列入：未登记任现职级时间", {"职级": RANK_LABELS.get(a.rank, a.rank)})
            )
            self.add(a, ListKind.RANK_PROMOTION, False, reasons)
            return
        due, steps = tenure_due(
            a.rank_start,
            years=tenure.years,
            excellent_months=tenure.excellent_months,
            not_counted=tenure.not_counted,
            grade_of=self.facts.grades.get(a.cadre_id, {}).get,
            last_year=self.year,
            this_year=a.grade,
        )
        facts = {"任现职级时间": a.rank_start.isoformat(), "任职年限": tenure.years_text, **steps}
        facts["可晋升日期"] = due_text = due.isoformat()
        reasons = [gone] if gone else []
        due_ok = due <= self.facts.end
        reasons.append(
            reason(tenure.rule, f"{due_text} 任职年限届满" + ("" if due_ok else self._not_due), facts)
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


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, the day of the month kept where the month has it (the end
    of the month otherwise), as ``dateutil.relativedelta`` does, at a fraction of its cost."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = _MONTH_DAYS[month - 1]
    if month == 2 and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        last = 29
    return datetime.date(year, month, min(day.day, last))


def tenure_due(
    start: datetime.date,
    *,
    years: int,
    excellent_months: int,
    not_counted: set[str],
    grade_of,
    last_year: int,
    this_year: str | None = None,
) -> tuple[datetime.date, dict[str, str]]:
    """The day the tenure in a rank is complete, and the years that moved it.

    The base is ``start`` plus ``years``. The annual grades of the years held in the rank (from
    the year after ``start``, or ``start``'s year when it is 1 January) up to ``last_year`` move
    it, year by year in order, while the tenure is not yet complete at the year's start: an
    优秀 year brings it ``excellent_months`` earlier, a year graded one of ``not_counted`` does not
    count (twelve months later). ``grade_of(year)`` gives an earlier year's grade (None when
    none), ``this_year`` the grade of ``last_year`` itself."""
    due = add_months(start, 12 * years)
    first = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    shortened, extended = [], []
    for year in range(first, last_year + 1):
        if datetime.date(year, 1, 1) >= due:
            break
        grade = this_year if (this_year is not None and year == last_year) else grade_of(year)
        if grade == Grade.EXCELLENT and excellent_months:
            due = add_months(due, -excellent_months)
            shortened.append(str(year))
        elif grade and grade in not_counted:
            due = add_months(due, 12)
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
