"""The flag job: the "不适宜担任现职" rules evaluated over the whole registry, set-based.

Every enabled rule of the six flag kinds (``recall.policy``; ``assessment.PolicyRule`` rows
inherited down the org tree, read through the grading's ``PolicyResolver``) is evaluated for every
cadre at once: one read per table a kind looks at (``values_list``, grouped here in Python), never
a query per cadre. A rule resolves per unit, so a unit that overrides or disables a rule does so
for its own subtree. Each firing carries its facts (what a page shows as "which facts fired it")
and an *anchor*, what the facts are about (``2025``, ``2024-2025``, ``cases:3,7``): the same rule
on the same anchor after a review raises nothing new.

The result is reconciled against the stored flags:

- fires and an open flag exists: its facts (anchor, unit, rule name) are rewritten only if they
  changed;
- fires and no flag is open: a flag on the same anchor that people reviewed (dismissed, decided)
  stays as it is, one that was closed by this job opens again, otherwise a new flag is raised;
- an open flag whose rule no longer fires is closed with the reason in Chinese (the grade that
  changed, the rule that was switched off, the 容错 exemption of the matter...). Reviewed flags
  are never touched.

Running it twice writes nothing the second time. Raised, reopened and closed flags (and open
flags whose anchor moved) are recorded in the audit trail, by the system.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import orjson
from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from assessment.grading import PolicyResolver, RuleRow
from assessment.models import INDIVIDUAL_SCALE, Assessment, Period, PeriodStatus, RuleKind, Track
from assessment.services.policy import fraction_text, parse_fraction, rule_name
from assessment.services.recompute import policy_resolver
from audit.models import AuditAction
from audit.services import Change, audit_record_bulk
from cadres.models import Cadre, CadreStatus, TeamMembership, Unit
from core.bulk import bulk_insert, bulk_update_rows, gc_paused, pick, plain_rows, reserve_pks
from core.jobs import progress
from supervision.models import Interview, InterviewKind, SubjectType
from supervision.selectors.interviews import interviews_held_q

from .models import Flag, FlagStatus, RecallCase, Result, Stage, TrackStanding
from .policy import FLAG_KINDS

# Cadres no longer holding a post: no flag is raised for them, and their open flags close.
GONE_STATUSES = {CadreStatus.RETIRED, CadreStatus.DISMISSED, CadreStatus.REMOVED, CadreStatus.RESIGNED}
NOT_ANY_MORE = "，预警条件不再成立"
EXEMPTED_REASON = "所涉事项已认定容错免责，预警条件不再成立"
ANCHOR_MAX = Flag._meta.get_field("anchor").max_length
# Plain strings for the loops over thousands of cadres (an enum member's lookup costs more).
GRADE_RANK = {str(g): i for i, g in enumerate(INDIVIDUAL_SCALE)}
FAILED = str(Result.FAILED)
K_GRADE, K_INTERVIEWS, K_RECALL, K_VOTES, K_TRACK, K_INACTION = (str(k) for k in FLAG_KINDS)


@dataclass
class Firing:
    cadre_id: int
    rule_key: str
    rule_name: str
    anchor: str
    facts: list[dict]
    unit_id: int | None = None  # the cadre's unit unless the kind says otherwise


@dataclass
class OpenFlag:
    id: int
    cadre_id: int
    unit_id: int
    rule_key: str
    rule_name: str
    anchor: str
    facts: list


@dataclass
class KindResult:
    """What one kind found: its firings, the flags that would still fire were it not for a
    容错 exemption, and how to word the closing of its other open flags."""

    firings: dict[tuple[int, str], Firing] = field(default_factory=dict)
    exempted: set[tuple[int, str]] = field(default_factory=set)
    # (context, open flags not firing any more) -> {flag id: reason}
    close_reasons: Callable[[Context, list[OpenFlag]], dict[int, str]] | None = None
    _named: dict[int, tuple[str, str]] = field(default_factory=dict)

    def fire(self, cadre_id: int, row: RuleRow, anchor: str, facts: list[dict], unit_id=None) -> None:
        named = self._named.get(id(row))
        if named is None:  # once per rule row, not once per cadre
            named = self._named[id(row)] = (rule_key(row.kind, row.key), rule_name(row.kind, row.params))
        self.firings[(cadre_id, named[0])] = Firing(cadre_id, named[0], named[1], anchor, facts, unit_id)


def rule_key(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def ref(model: str, pk: int) -> dict:
    return {"model": model, "id": pk}


class Context:
    """What every kind reads: today, the rules per unit, the units, the cadres, the annual
    periods whose results are published. Loaded once, a query per table."""

    def __init__(self, today: datetime.date, resolver: PolicyResolver, cadre_ids=None):
        self.today = today
        self.resolver = resolver
        # Only these cadres' flags (a change of one cadre's record), or None: the whole registry.
        self.scope: set[int] | None = None if cadre_ids is None else set(cadre_ids)
        self.unit_path: dict[int, str] = dict(Unit.objects.values_list("id", "path"))
        self.cadre_unit: dict[int, int] = {}
        self.cadre_status: dict[int, str] = {}
        cadres = self.scoped(Cadre.objects.all(), "id").values_list("id", "unit_id", "status")
        for pk, unit_id, status in plain_rows(cadres):
            self.cadre_unit[pk] = unit_id
            self.cadre_status[pk] = status
        # Published (or archived) annual periods, latest first: (id, year).
        self.published: list[tuple[int, int]] = list(
            Period.objects.filter(
                quarter__isnull=True, status__in=(PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
            )
            .order_by("-year")
            .values_list("id", "year")
        )
        self.period_of_year = {year: pk for pk, year in self.published}
        self.year_of_period = dict(self.published)
        self._rules: dict[int, dict[str, list[RuleRow]]] = {}
        self._compiled: dict[tuple[str, int], object] = {}

    def compiled(self, row: RuleRow, compile: Callable[[Context, dict], object]):
        """``compile(ctx, params)`` of a rule row, worked out once per row and kind of use."""
        key = (compile.__name__, id(row))
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile(self, row.params)
        return found

    def scoped(self, qs, field: str = "cadre_id"):
        """``qs`` narrowed to the cadres in scope (it may still hold others: ``in_scope``)."""
        return qs if self.scope is None else pick(qs, field, self.scope)

    def in_scope(self, cadre_id: int) -> bool:
        return self.scope is None or cadre_id in self.scope

    def active(self, cadre_id: int) -> bool:
        """In scope and holding a post."""
        status = self.cadre_status.get(cadre_id)
        return self.in_scope(cadre_id) and status is not None and status not in GONE_STATUSES

    def rules_at(self, unit_id: int) -> dict[str, list[RuleRow]]:
        """The enabled flag rules in force for a unit, by kind (cached per unit)."""
        found = self._rules.get(unit_id)
        if found is None:
            policy = self.resolver.policy(self.unit_path.get(unit_id, ""))
            found = {str(kind): policy.many(kind) for kind in FLAG_KINDS}
            self._rules[unit_id] = found
        return found

    def rules_for(self, cadre_id: int, kind: str) -> list[RuleRow]:
        unit_id = self.cadre_unit.get(cadre_id)
        return [] if unit_id is None else self.rules_at(unit_id)[kind]

    def all_rows(self, kind: str) -> list[RuleRow]:
        """Every enabled row of a kind anywhere in the tree (for how far back to read)."""
        return [r for rows in self.resolver.by_path.values() for r in rows if r.kind == kind and r.enabled]

    def latest_years(self, count: int) -> list[int]:
        """The latest ``count`` years back from the latest published annual period, latest first."""
        if not self.published:
            return []
        latest = self.published[0][1]
        return [latest - i for i in range(count)]


def _anchor_years(years: list[int]) -> str:
    first, last = min(years), max(years)
    return str(last) if first == last else f"{first}-{last}"


def _years_in(anchor: str) -> set[int]:
    try:
        first, _, last = anchor.partition("-")
        return set(range(int(first), int(last or first) + 1))
    except ValueError:
        return set()


def _cases_anchor(ids: Iterable[int]) -> str:
    """``cases:3,7``; a list too long for the column is named by its ends, count and digest."""
    ordered = sorted(ids)
    text = "cases:" + ",".join(str(i) for i in ordered)
    if len(text) <= ANCHOR_MAX:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    return f"cases:{ordered[0]}..{ordered[-1]}({len(ordered)}):{digest}"


def _refs(facts: list, model: str) -> list[int]:
    """The ids of ``model`` the facts refer to."""
    return [
        f["ref"]["id"]
        for f in facts or []
        if isinstance(f, dict) and isinstance(f.get("ref"), dict) and f["ref"].get("model") == model
    ]


def _params_of(ctx: Context, flag: OpenFlag, kind: str) -> dict | None:
    for row in ctx.rules_for(flag.cadre_id, kind):
        if rule_key(row.kind, row.key) == flag.rule_key:
            return row.params
    return None


def _year_label(year: int) -> str:
    return f"{year}年度考核"


# --------------------------------------------------------------------------- 年度等次


def _grade_rule(ctx: Context, p: dict) -> tuple[int, list[int]]:
    return GRADE_RANK[p.get("grade")], ctx.latest_years(int(p.get("years") or 1))


def evaluate_grade(ctx: Context) -> KindResult:
    """The cadre's final grade in each of the latest ``years`` published annual periods
    (consecutive years back from the latest one published) is ``grade`` or worse.
    不定等次, a missing grade or a year without a published period breaks the run."""
    result = KindResult(close_reasons=_grade_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_GRADE)
    if not rows or not ctx.published:
        return result
    depth = max(int(r.params.get("years") or 1) for r in rows)
    mildest = min(INDIVIDUAL_SCALE.index(r.params.get("grade")) for r in rows)
    periods = [ctx.period_of_year[y] for y in ctx.latest_years(depth) if y in ctx.period_of_year]
    grades: dict[int, dict[int, tuple[str, int]]] = defaultdict(dict)
    qs = ctx.scoped(
        Assessment.objects.filter(period_id__in=periods, final_grade__in=INDIVIDUAL_SCALE[mildest:])
    )
    for pk, cadre_id, period_id, grade in qs.values_list("id", "cadre_id", "period_id", "final_grade"):
        grades[cadre_id][ctx.year_of_period[period_id]] = (grade, pk)
    for cadre_id, by_year in grades.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_GRADE):
            limit, years = ctx.compiled(row, _grade_rule)
            if all(y in by_year and GRADE_RANK.get(by_year[y][0], -1) >= limit for y in years):
                facts = [
                    {
                        "label": _year_label(y),
                        "value": by_year[y][0],
                        "ref": ref("assessment.assessment", by_year[y][1]),
                    }
                    for y in sorted(years)
                ]
                result.fire(cadre_id, row, _anchor_years(years), facts)
    return result


def _grade_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    depth = max((len(_years_in(f.anchor)) for f in flags), default=0)
    years = ctx.latest_years(max(depth, 5))
    periods = [ctx.period_of_year[y] for y in years if y in ctx.period_of_year]
    now: dict[tuple[int, int], str] = {}
    qs = pick(Assessment.objects.filter(period_id__in=periods), "cadre_id", {f.cadre_id for f in flags})
    for cadre_id, period_id, grade in qs.values_list("cadre_id", "period_id", "final_grade"):
        now[(cadre_id, ctx.year_of_period[period_id])] = grade
    reasons = {}
    for flag in flags:
        params = _params_of(ctx, flag, RuleKind.FLAG_GRADE) or {}
        limit = params.get("grade")
        for year in ctx.latest_years(int(params.get("years") or len(_years_in(flag.anchor)) or 1)):
            grade = now.get((flag.cadre_id, year))
            if year not in ctx.period_of_year:
                reasons[flag.id] = f"{year}年度考核结果尚未公布{NOT_ANY_MORE}"
            elif not grade:
                reasons[flag.id] = f"{year}年度无考核等次{NOT_ANY_MORE}"
            elif grade not in INDIVIDUAL_SCALE or (
                limit in INDIVIDUAL_SCALE and INDIVIDUAL_SCALE.index(grade) < INDIVIDUAL_SCALE.index(limit)
            ):
                verb = "已调整为" if year in _years_in(flag.anchor) else "为"
                reasons[flag.id] = f"{year}年度考核等次{verb}{grade}{NOT_ANY_MORE}"
            else:
                continue
            break
    return reasons


# --------------------------------------------------------------------------- 民主测评不称职票

VOTE_COLUMNS = ("votes_excellent", "votes_competent", "votes_basic", "votes_incompetent", "votes_abstain")


def _votes_text(incompetent: int, total: int) -> str:
    return f"不称职票 {incompetent} 票，共 {total} 票（含弃权），占 {incompetent / total:.1%}"


def _votes_rule(ctx: Context, p: dict) -> tuple[int, int, list[int]]:
    share = parse_fraction(p.get("share", "0"))
    return share.numerator, share.denominator, ctx.latest_years(int(p.get("years") or 1))


def evaluate_votes(ctx: Context) -> KindResult:
    """In each of the latest ``years`` published annual periods, 不称职票 over all votes cast
    (弃权 included) is strictly more than ``share``, compared exactly (1 of 3 is not more
    than 1/3)."""
    result = KindResult(close_reasons=_votes_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_VOTES)
    if not rows or not ctx.published:
        return result
    depth = max(int(r.params.get("years") or 1) for r in rows)
    lowest = min(parse_fraction(r.params.get("share", "0")) for r in rows)
    periods = [ctx.period_of_year[y] for y in ctx.latest_years(depth) if y in ctx.period_of_year]
    total = sum((F(c) for c in VOTE_COLUMNS[1:]), F(VOTE_COLUMNS[0]))
    # Only rows over the lowest share in force anywhere can fire: the database keeps the rest.
    qs = ctx.scoped(Assessment.objects.filter(period_id__in=periods, votes_incompetent__gt=0)).filter(
        GreaterThan(F("votes_incompetent") * lowest.denominator, total * lowest.numerator)
    )
    votes: dict[int, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    for pk, cadre_id, period_id, *counts in qs.values_list("id", "cadre_id", "period_id", *VOTE_COLUMNS):
        votes[cadre_id][ctx.year_of_period[period_id]] = (counts[3], sum(counts), pk)
    for cadre_id, by_year in votes.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_VOTES):
            num, den, years = ctx.compiled(row, _votes_rule)
            # incompetent / total > num / den, in integers: exact, 1 of 3 is not over 1/3
            if all(y in by_year and by_year[y][0] * den > num * by_year[y][1] for y in years):
                facts = [
                    {
                        "label": f"{y}年度民主测评",
                        "value": _votes_text(by_year[y][0], by_year[y][1]),
                        "ref": ref("assessment.assessment", by_year[y][2]),
                    }
                    for y in sorted(years)
                ]
                result.fire(cadre_id, row, _anchor_years(years), facts)
    return result


def _votes_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    years = ctx.latest_years(5)
    periods = [ctx.period_of_year[y] for y in years if y in ctx.period_of_year]
    now: dict[tuple[int, int], tuple[int | None, int]] = {}
    qs = pick(Assessment.objects.filter(period_id__in=periods), "cadre_id", {f.cadre_id for f in flags})
    for cadre_id, period_id, *counts in qs.values_list("cadre_id", "period_id", *VOTE_COLUMNS):
        now[(cadre_id, ctx.year_of_period[period_id])] = (counts[3], sum(c or 0 for c in counts))
    reasons = {}
    for flag in flags:
        params = _params_of(ctx, flag, RuleKind.FLAG_VOTES) or {}
        share = parse_fraction(params.get("share", "0"))
        for year in ctx.latest_years(int(params.get("years") or len(_years_in(flag.anchor)) or 1)):
            incompetent, total = now.get((flag.cadre_id, year), (None, 0))
            if incompetent is None or not total:
                reasons[flag.id] = f"{year}年度无民主测评票数{NOT_ANY_MORE}"
            elif Fraction(incompetent, total) <= share:
                reasons[flag.id] = (
                    f"{year}年度民主测评不称职票 {incompetent}/{total}，"
                    f"未超过{fraction_text(params.get('share', '0'))}{NOT_ANY_MORE}"
                )
            else:
                continue
            break
    return reasons


# --------------------------------------------------------------------------- 赛马末位


def _place_text(position: int, of_total: int) -> str:
    from_bottom = of_total - position + 1
    place = "末位" if from_bottom == 1 else f"倒数第 {from_bottom} 名"
    return f"第 {position} 名，共 {of_total} 名（{place}）"


def _track_rule(ctx: Context, p: dict) -> tuple[int, list[int]]:
    return int(p.get("bottom") or 1), ctx.latest_years(int(p.get("periods") or 1))


def evaluate_track(ctx: Context) -> KindResult:
    """Within the last ``bottom`` places of a 赛马 track (any track the cadre runs in) in each
    of the latest ``periods`` published annual periods."""
    result = KindResult(close_reasons=_track_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_TRACK)
    if not rows or not ctx.published:
        return result
    depth = max(int(r.params.get("periods") or 1) for r in rows)
    widest = max(int(r.params.get("bottom") or 1) for r in rows)
    periods = [ctx.period_of_year[y] for y in ctx.latest_years(depth) if y in ctx.period_of_year]
    # per cadre and year, the lowest place held: (from bottom, track, position, of total, id)
    lowest: dict[int, dict[int, tuple]] = defaultdict(dict)
    qs = (
        ctx.scoped(TrackStanding.objects.filter(period_id__in=periods))
        .alias(from_bottom=F("of_total") - F("position") + 1)
        .filter(from_bottom__lte=widest)
    )
    for pk, cadre_id, period_id, track, position, of_total in qs.values_list(
        "id", "cadre_id", "period_id", "track", "position", "of_total"
    ):
        year = ctx.year_of_period[period_id]
        entry = (of_total - position + 1, track, position, of_total, pk)
        if year not in lowest[cadre_id] or entry < lowest[cadre_id][year]:
            lowest[cadre_id][year] = entry
    tracks = dict(Track.choices)
    for cadre_id, by_year in lowest.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_TRACK):
            bottom, years = ctx.compiled(row, _track_rule)
            if all(y in by_year and by_year[y][0] <= bottom for y in years):
                facts = [
                    {
                        "label": f"{y}年度赛马排名（{tracks.get(by_year[y][1], by_year[y][1])}）",
                        "value": _place_text(by_year[y][2], by_year[y][3]),
                        "ref": ref("recall.trackstanding", by_year[y][4]),
                    }
                    for y in sorted(years)
                ]
                result.fire(cadre_id, row, _anchor_years(years), facts)
    return result


def _track_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    years = ctx.latest_years(5)
    periods = [ctx.period_of_year[y] for y in years if y in ctx.period_of_year]
    now: dict[tuple[int, int], int] = {}
    qs = pick(TrackStanding.objects.filter(period_id__in=periods), "cadre_id", {f.cadre_id for f in flags})
    for cadre_id, period_id, position, of_total in qs.values_list(
        "cadre_id", "period_id", "position", "of_total"
    ):
        key = (cadre_id, ctx.year_of_period[period_id])
        now[key] = min(now.get(key, of_total + 1), of_total - position + 1)
    reasons = {}
    for flag in flags:
        params = _params_of(ctx, flag, RuleKind.FLAG_TRACK) or {}
        bottom = int(params.get("bottom") or 1)
        for year in ctx.latest_years(int(params.get("periods") or len(_years_in(flag.anchor)) or 1)):
            place = now.get((flag.cadre_id, year))
            if place is None:
                reasons[flag.id] = f"{year}年度无赛马排名{NOT_ANY_MORE}"
            elif place > bottom:
                within = "末位" if bottom == 1 else f"倒数第 {bottom} 名以内"
                reasons[flag.id] = f"{year}年度赛马排名为倒数第 {place} 名，不在{within}{NOT_ANY_MORE}"
            else:
                continue
            break
    return reasons


# --------------------------------------------------------------------------- 约谈、诫勉次数


def _interviews_rule(ctx: Context, p: dict) -> tuple[set[str], int, list[int]]:
    back = int(p.get("years_back") or 0)
    years = [ctx.today.year - i for i in range(back + 1)]  # the latest year first
    return set(p.get("kinds") or []), int(p.get("min_count") or 1), years


def evaluate_interviews(ctx: Context) -> KindResult:
    """At least ``min_count`` talks of ``kinds`` about the cadre in one calendar year, this year
    or up to ``years_back`` years before, counting those that took place (a 约谈 once conducted,
    the other kinds once recorded: ``interviews_held_q``, as the monthly report counts them) and
    not exempted as 容错. The latest such year is the anchor."""
    result = KindResult(close_reasons=_interviews_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_INTERVIEWS)
    if not rows:
        return result
    kinds = {k for r in rows for k in r.params.get("kinds") or []}
    first_year = ctx.today.year - max(int(r.params.get("years_back") or 0) for r in rows)
    talks: dict[int, list[tuple[int, str, datetime.date, bool]]] = defaultdict(list)
    qs = ctx.scoped(Interview.objects.all()).filter(
        interviews_held_q(),
        subject_type=SubjectType.CADRE,
        kind__in=kinds,
        conducted_on__gte=datetime.date(first_year, 1, 1),
        conducted_on__lte=datetime.date(ctx.today.year, 12, 31),
    )
    for pk, cadre_id, kind, day, exempted in qs.values_list(
        "id", "cadre_id", "kind", "conducted_on", "exempted"
    ).order_by("conducted_on", "id"):
        talks[cadre_id].append((pk, kind, day, exempted))
    labels = dict(InterviewKind.choices)
    for cadre_id, held in talks.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_INTERVIEWS):
            wanted, need, years = ctx.compiled(row, _interviews_rule)
            fired = exempt_only = False
            for year in years:
                in_year = [t for t in held if t[1] in wanted and t[2].year == year]
                counted = [t for t in in_year if not t[3]]
                if len(counted) >= need:
                    facts = [
                        {
                            "label": labels.get(kind, kind),
                            "value": day.isoformat(),
                            "ref": ref("supervision.interview", pk),
                        }
                        for pk, kind, day, _ in counted
                    ]
                    result.fire(cadre_id, row, str(year), facts)
                    fired = True
                    break
                if len(in_year) >= need:
                    exempt_only = True
            if not fired and exempt_only:
                result.exempted.add((cadre_id, rule_key(row.kind, row.key)))
    return result


def _kinds_text(kinds) -> str:
    labels = dict(InterviewKind.choices)
    return "或".join(labels.get(k, k) for k in kinds or []) or "谈话"


def _interviews_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    reasons = {}
    for flag in flags:
        params = _params_of(ctx, flag, RuleKind.FLAG_INTERVIEWS) or {}
        back = int(params.get("years_back") or 0)
        span = "本年度" if back == 0 else f"{ctx.today.year - back}年以来各年度"
        reasons[flag.id] = (
            f"{span}被{_kinds_text(params.get('kinds'))}均不足 {params.get('min_count')} 次{NOT_ANY_MORE}"
        )
    return reasons


# --------------------------------------------------------------------------- 召回情况


def _recall_rule(ctx: Context, p: dict) -> tuple[bool, datetime.date, int]:
    since = ctx.today - relativedelta(years=int(p.get("years") or 1))
    return p.get("mode") == "followup_failed", since, int(p.get("min_count") or 1)


def _recall_events(failures: bool, since: datetime.date, cases) -> list[tuple[int, str, str]]:
    """The cases a flag_recall rule counts: (case id, label, value)."""
    found = []
    for pk, _, approved_on, followup_result, followup_on, frontline_result, frontline_on in cases:
        if failures:
            failed = []
            if followup_result == FAILED and followup_on and followup_on >= since:
                failed.append(f"跟踪考察不合格（{followup_on.isoformat()}）")
            if frontline_result == FAILED and frontline_on and frontline_on >= since:
                failed.append(f"一线锻炼考察不合格（{frontline_on.isoformat()}）")
            if failed:
                label = f"召回案件（{approved_on.isoformat()}批准）" if approved_on else "召回案件"
                found.append((pk, label, "；".join(failed)))
        elif approved_on and approved_on >= since:
            found.append((pk, "召回", f"{approved_on.isoformat()}批准召回"))
    return found


def evaluate_recall(ctx: Context) -> KindResult:
    """``followup_failed``: cases whose follow-up (or front-line) inspection failed, dated within
    ``years`` years before today; ``recalled_times``: recalls approved within ``years`` years.
    Fires at ``min_count`` cases; the anchor names the cases."""
    result = KindResult(close_reasons=_recall_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_RECALL)
    if not rows:
        return result
    since = ctx.today - relativedelta(years=max(int(r.params.get("years") or 1) for r in rows))
    qs = (
        ctx.scoped(RecallCase.objects.all())
        .filter(
            Q(followup_result=Result.FAILED, followup_on__gte=since)
            | Q(frontline_result=Result.FAILED, frontline_checked_on__gte=since)
            | Q(approved_on__gte=since)
        )
        .order_by("approved_on", "id")
    )
    cases: dict[int, list[tuple]] = defaultdict(list)
    for case in qs.values_list(
        "id",
        "cadre_id",
        "approved_on",
        "followup_result",
        "followup_on",
        "frontline_result",
        "frontline_checked_on",
    ):
        cases[case[1]].append(case)
    for cadre_id, held in cases.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_RECALL):
            failures, since, need = ctx.compiled(row, _recall_rule)
            events = _recall_events(failures, since, held)
            if len(events) >= need:
                facts = [
                    {"label": label, "value": value, "ref": ref("recall.recallcase", pk)}
                    for pk, label, value in events
                ]
                result.fire(cadre_id, row, _cases_anchor(pk for pk, _, _ in events), facts)
    return result


def _recall_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    reasons = {}
    for flag in flags:
        params = _params_of(ctx, flag, RuleKind.FLAG_RECALL) or {}
        what = "召回后跟踪考察不合格" if params.get("mode") == "followup_failed" else "被召回"
        reasons[flag.id] = (
            f"{params.get('years')} 年内{what}已不足 {params.get('min_count')} 次{NOT_ANY_MORE}"
        )
    return reasons


# --------------------------------------------------------------------------- 主要负责人不作为


def evaluate_inaction(ctx: Context) -> KindResult:
    """A recall proposal left in stage "proposed" for more than ``days`` days (the rule in force
    at the case's unit) flags that unit's main leader (``TeamMembership.is_main_leader``): the
    facts list the cases and how long each has waited. A unit without a main leader on record
    flags nobody, and a main leader is not flagged over his own recall."""
    result = KindResult(close_reasons=_inaction_close_reasons)
    rows = ctx.all_rows(RuleKind.FLAG_INACTION)
    if not rows:
        return result
    shortest = min(int(r.params.get("days") or 1) for r in rows)
    waiting_cases = (
        RecallCase.objects.filter(
            stage=Stage.PROPOSED, proposed_on__lt=ctx.today - datetime.timedelta(days=shortest)
        )
        .order_by("proposed_on", "id")
        .values_list("id", "unit_id", "cadre_id", "proposed_on", "cadre__name")
    )
    main_leaders = TeamMembership.objects.filter(is_main_leader=True).values_list("unit_id", "cadre_id")
    if ctx.scope is None:
        stale = list(waiting_cases)
        units = {unit_id for _, unit_id, _, _, _ in stale}
        leaders = dict(main_leaders.filter(unit_id__in=units)) if units else {}
    else:  # the units the cadres in scope lead, then the proposals waiting there
        leaders = {u: c for u, c in ctx.scoped(main_leaders) if ctx.in_scope(c)}
        stale = list(waiting_cases.filter(unit_id__in=leaders)) if leaders else []
    waiting: dict[int, list[tuple]] = defaultdict(list)  # leader -> [(case..., rule row)]
    for pk, unit_id, cadre_id, proposed_on, name in stale:
        leader = leaders.get(unit_id)
        if leader is None or leader == cadre_id or not ctx.active(leader):
            continue
        for row in ctx.rules_at(unit_id)[K_INACTION]:
            waited = (ctx.today - proposed_on).days
            if waited > int(row.params.get("days") or 1):
                waiting[leader].append((pk, unit_id, name, proposed_on, waited, row))
    for leader, cases in waiting.items():
        facts = [
            {
                "label": f"召回提议：{name}",
                "value": f"{proposed_on.isoformat()}提议，已搁置 {waited} 天",
                "ref": ref("recall.recallcase", pk),
            }
            for pk, _, name, proposed_on, waited, _ in cases
        ]
        # One flag per leader (one open flag per rule): the rule of the first case names it.
        result.fire(leader, cases[0][5], _cases_anchor([c[0] for c in cases]), facts)
    return result


def _inaction_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    ids = {pk for f in flags for pk in _refs(f.facts, "recall.recallcase")}
    cases = {
        pk: (stage, unit_id, proposed_on)
        for pk, stage, unit_id, proposed_on in pick(RecallCase.objects.all(), "id", ids).values_list(
            "id", "stage", "unit_id", "proposed_on"
        )
    }
    reasons = {}
    for flag in flags:
        pending = [
            cases[pk]
            for pk in _refs(flag.facts, "recall.recallcase")
            if pk in cases and cases[pk][0] == Stage.PROPOSED
        ]
        if not pending:
            reasons[flag.id] = f"所涉召回提议均已办理{NOT_ANY_MORE}"
            continue
        _, unit_id, proposed_on = pending[0]
        rows = ctx.rules_at(unit_id)[K_INACTION]
        if not rows:
            reasons[flag.id] = f"预警规则“{flag.rule_name}”已对所涉单位停用"
        elif (ctx.today - proposed_on).days <= int(rows[0].params.get("days") or 1):
            reasons[flag.id] = f"召回提议搁置未超过 {rows[0].params.get('days')} 天{NOT_ANY_MORE}"
        else:
            reasons[flag.id] = f"已不是所涉单位的主要负责人{NOT_ANY_MORE}"
    return reasons


EVALUATORS: dict[str, Callable[[Context], KindResult]] = {
    RuleKind.FLAG_GRADE: evaluate_grade,
    RuleKind.FLAG_INTERVIEWS: evaluate_interviews,
    RuleKind.FLAG_RECALL: evaluate_recall,
    RuleKind.FLAG_VOTES: evaluate_votes,
    RuleKind.FLAG_TRACK: evaluate_track,
    RuleKind.FLAG_INACTION: evaluate_inaction,
}


# --------------------------------------------------------------------------- reconciling


@dataclass
class FlagChange(Change):
    """An audit entry of a flag written in bulk, named without loading the flag."""

    flag_id: int = 0
    label: str = ""

    def target(self) -> tuple[str, str, str]:
        return "recall.flag", str(self.flag_id), self.label


def _lock() -> None:
    """Two evaluations never interleave (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('recall.flags'))")


def _generic_reason(ctx: Context, flag: OpenFlag) -> str | None:
    """Why an open flag closes whatever its kind: the cadre left the post, the rule was
    switched off for the cadre's unit or removed."""
    status = ctx.cadre_status.get(flag.cadre_id)
    if status in GONE_STATUSES:
        return f"干部状态已为“{CadreStatus(status).label}”，不再担任现职{NOT_ANY_MORE}"
    kind, _, key = flag.rule_key.partition(":")
    if kind == RuleKind.FLAG_INACTION:
        return None  # resolved at the cases' units, not the leader's
    unit_id = ctx.cadre_unit.get(flag.cadre_id)
    row = ctx.resolver.effective_rows(ctx.unit_path.get(unit_id, "")).get((kind, key))
    if row is None:
        return f"预警规则“{flag.rule_name}”已删除"
    if not row.enabled:
        owner = row.unit_name or "默认规则"
        return f"预警规则“{flag.rule_name}”已停用（{owner}）"
    return None


def flags_evaluate(*, job=None, today: datetime.date | None = None, cadre_ids=None) -> dict:
    """Evaluate every enabled flag rule over the whole registry and reconcile the stored flags.
    ``cadre_ids`` (or the job's ``cadre_ids`` parameter) limits both to those cadres' flags (a
    change of their record: the same reads, narrowed to them). Returns ``{raised, updated,
    closed, reopened, open}`` (open: of the cadres evaluated)."""
    today = today or timezone.localdate()
    if cadre_ids is None and job is not None:
        cadre_ids = job.params.get("cadre_ids")
    steps = len(EVALUATORS) + 2
    if job is not None:
        progress(job, 0, steps)
    # The cyclic collector would walk the registry's rows again and again while they pile up.
    with gc_paused(), transaction.atomic():
        _lock()
        ctx = Context(today, policy_resolver(), cadre_ids)
        results: dict[str, KindResult] = {}
        for done, (kind, evaluate) in enumerate(EVALUATORS.items(), start=1):
            results[kind] = evaluate(ctx)
            if job is not None:
                progress(job, done, steps)
        summary = _reconcile(ctx, results)
        if job is not None:
            progress(job, steps, steps)
    return summary


def _reconcile(ctx: Context, results: dict[str, KindResult]) -> dict:
    now = timezone.now()
    firings: dict[tuple[int, str], Firing] = {}
    for result in results.values():
        firings.update(result.firings)

    open_flags: dict[tuple[int, str], OpenFlag] = {}
    for pk, cadre_id, unit_id, key, name, anchor, facts in ctx.scoped(
        Flag.objects.filter(status=FlagStatus.OPEN)
    ).values_list("id", "cadre_id", "unit_id", "rule_key", "rule_name", "anchor", Cast("facts", TextField())):
        if not ctx.in_scope(cadre_id):
            continue
        open_flags[(cadre_id, key)] = OpenFlag(
            pk, cadre_id, unit_id, key, name, anchor, orjson.loads(facts) if facts else []
        )
    others: dict[tuple[int, str, str], tuple[int, str, str]] = {}
    for pk, cadre_id, key, anchor, status, close_reason in ctx.scoped(
        Flag.objects.exclude(status=FlagStatus.OPEN)
    ).values_list("id", "cadre_id", "rule_key", "anchor", "status", "close_reason"):
        others[(cadre_id, key, anchor)] = (pk, status, close_reason)

    closes: list[tuple[OpenFlag, str]] = []
    updates: list[tuple[OpenFlag, Firing, int]] = []
    reopens: list[tuple[int, Firing, int, str]] = []
    creates: list[tuple[Firing, int]] = []

    def unit_of(firing: Firing) -> int:
        return firing.unit_id or ctx.cadre_unit[firing.cadre_id]

    for key, firing in firings.items():
        current = open_flags.get(key)
        unit_id = unit_of(firing)
        if current is not None and current.anchor == firing.anchor:
            if (current.facts, current.unit_id, current.rule_name) != (
                firing.facts,
                unit_id,
                firing.rule_name,
            ):
                updates.append((current, firing, unit_id))
            continue
        held = others.get((firing.cadre_id, firing.rule_key, firing.anchor))
        if current is not None:
            if held is None:
                updates.append((current, firing, unit_id))  # the facts moved on (another year)
                continue
            closes.append((current, f"预警事实范围已变为{_anchor_text(firing.anchor)}"))
        if held is None:
            creates.append((firing, unit_id))
        elif held[1] == FlagStatus.CLOSED:
            reopens.append((held[0], firing, unit_id, held[2]))
        # reviewed (dismissed or decided) on these very facts: nothing new

    not_firing = [f for key, f in open_flags.items() if key not in firings]
    by_kind: dict[str, list[OpenFlag]] = defaultdict(list)
    for flag in not_firing:
        reason = _generic_reason(ctx, flag)
        kind = flag.rule_key.partition(":")[0]
        if reason is None and (flag.cadre_id, flag.rule_key) in results.get(kind, KindResult()).exempted:
            reason = EXEMPTED_REASON
        if reason is not None:
            closes.append((flag, reason))
        else:
            by_kind[kind].append(flag)
    for kind, flags in by_kind.items():
        result = results.get(kind)
        worded = result.close_reasons(ctx, flags) if result and result.close_reasons else {}
        for flag in flags:
            closes.append((flag, worded.get(flag.id) or f"预警规则“{flag.rule_name}”的条件不再成立"))

    return _write(ctx, now, len(open_flags), closes, updates, reopens, creates)


def _anchor_text(anchor: str) -> str:
    return "新的召回案件" if anchor.startswith("cases:") else f"{anchor}年度"


def _names(cadre_ids) -> dict[int, str]:
    ids = set(cadre_ids)
    if not ids:
        return {}
    return dict(pick(Cadre.objects.all(), "id", ids).values_list("id", "name"))


def _write(ctx: Context, now, open_before: int, closes, updates, reopens, creates) -> dict:
    cadres = (
        {f.cadre_id for f, _ in closes}
        | {f.cadre_id for f, _, _ in updates}
        | {f.cadre_id for _, f, _, _ in reopens}
        | {f.cadre_id for f, _ in creates}
    )
    names = _names(cadres)
    changes: list[FlagChange] = []

    def change(action, pk, cadre_id, unit_id, name, before, after) -> FlagChange:
        return FlagChange(
            action=action,
            before=before,
            after=after,
            cadre_id=cadre_id,
            scope_path=ctx.unit_path.get(unit_id, ""),
            flag_id=pk,
            label=f"{names.get(cadre_id, '')}：{name}"[:200],
        )

    # Closing first: a flag reopened or moved to new facts below may need its rule's open slot.
    if closes:
        bulk_update_rows(
            Flag,
            ["status", "closed_at", "close_reason"],
            [(f.id, FlagStatus.CLOSED, now, reason[:200]) for f, reason in closes],
        )
        for f, reason in closes:
            changes.append(
                change(
                    AuditAction.UPDATE,
                    f.id,
                    f.cadre_id,
                    f.unit_id,
                    f.rule_name,
                    {"status": FlagStatus.OPEN, "close_reason": ""},
                    {"status": FlagStatus.CLOSED, "close_reason": reason[:200]},
                )
            )
    if updates:
        bulk_update_rows(
            Flag,
            ["anchor", "facts", "unit", "rule_name"],
            [(f.id, new.anchor, new.facts, unit_id, new.rule_name) for f, new, unit_id in updates],
        )
        for f, new, unit_id in updates:
            if f.anchor != new.anchor:
                changes.append(
                    change(
                        AuditAction.UPDATE,
                        f.id,
                        f.cadre_id,
                        unit_id,
                        new.rule_name,
                        {"anchor": f.anchor, "facts": f.facts},
                        {"anchor": new.anchor, "facts": new.facts},
                    )
                )
    if reopens:
        bulk_update_rows(
            Flag,
            ["status", "closed_at", "close_reason", "facts", "unit", "rule_name", "raised_at"],
            [
                (pk, FlagStatus.OPEN, None, "", new.facts, unit_id, new.rule_name, now)
                for pk, new, unit_id, _ in reopens
            ],
        )
        for pk, new, unit_id, reason in reopens:
            changes.append(
                change(
                    AuditAction.UPDATE,
                    pk,
                    new.cadre_id,
                    unit_id,
                    new.rule_name,
                    {"status": FlagStatus.CLOSED, "close_reason": reason},
                    {"status": FlagStatus.OPEN, "close_reason": "", "facts": new.facts},
                )
            )
    if creates:
        # COPY with ids taken beforehand (the audit entries name them): thousands of flags at once
        ids = reserve_pks(Flag, len(creates))
        bulk_insert(
            Flag,
            (
                (pk, f.cadre_id, unit_id, f.rule_key, f.rule_name, f.anchor, f.facts)
                for pk, (f, unit_id) in zip(ids, creates, strict=True)
            ),
            fields=["id", "cadre_id", "unit_id", "rule_key", "rule_name", "anchor", "facts"],
            constants={"status": FlagStatus.OPEN, "raised_at": now},
        )
        for pk, (f, unit_id) in zip(ids, creates, strict=True):
            changes.append(
                change(
                    AuditAction.CREATE,
                    pk,
                    f.cadre_id,
                    unit_id,
                    f.rule_name,
                    None,
                    {
                        "rule_key": f.rule_key,
                        "rule_name": f.rule_name,
                        "anchor": f.anchor,
                        "facts": f.facts,
                        "status": FlagStatus.OPEN,
                    },
                )
            )
    if changes:
        audit_record_bulk(actor=None, changes=changes, reason="不适宜担任现职预警")
    return {
        "raised": len(creates),
        "updated": len(updates),
        "closed": len(closes),
        "reopened": len(reopens),
        "open": open_before - len(closes) + len(reopens) + len(creates),
    }
