"""The six flag rule kinds: each reads its table once for every cadre (or the cadres in scope),
fires with the facts, and words why an open flag of its kind closes."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan

from assessment.models import INDIVIDUAL_SCALE, Assessment, RuleKind
from assessment.services.policy import fraction_text, parse_fraction
from assessment.tracks import TrackTable
from cadres.models import TeamMembership
from core.bulk import pick
from supervision.exemptions import tolerated_q
from supervision.models import Interview, InterviewKind, MatterType, SubjectType
from supervision.selectors.interviews import interviews_held_q

from ..models import RecallCase, Result, Stage, TrackStanding
from .context import (
    FAILED,
    GRADE_RANK,
    K_GRADE,
    K_INACTION,
    K_INTERVIEWS,
    K_RECALL,
    K_TRACK,
    K_VOTES,
    NOT_ANY_MORE,
    Context,
    KindResult,
    OpenFlag,
    anchor_years,
    cases_anchor,
    params_of,
    ref,
    refs,
    rule_key,
    year_label,
    years_in,
)

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
                        "label": year_label(y),
                        "value": by_year[y][0],
                        "ref": ref("assessment.assessment", by_year[y][1]),
                    }
                    for y in sorted(years)
                ]
                result.fire(cadre_id, row, anchor_years(years), facts)
    return result


def _grade_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    depth = max((len(years_in(f.anchor)) for f in flags), default=0)
    years = ctx.latest_years(max(depth, 5))
    periods = [ctx.period_of_year[y] for y in years if y in ctx.period_of_year]
    now: dict[tuple[int, int], str] = {}
    qs = pick(Assessment.objects.filter(period_id__in=periods), "cadre_id", {f.cadre_id for f in flags})
    for cadre_id, period_id, grade in qs.values_list("cadre_id", "period_id", "final_grade"):
        now[(cadre_id, ctx.year_of_period[period_id])] = grade
    reasons = {}
    for flag in flags:
        params = params_of(ctx, flag, RuleKind.FLAG_GRADE) or {}
        limit = params.get("grade")
        for year in ctx.latest_years(int(params.get("years") or len(years_in(flag.anchor)) or 1)):
            grade = now.get((flag.cadre_id, year))
            if year not in ctx.period_of_year:
                reasons[flag.id] = f"{year}年度考核结果尚未公布{NOT_ANY_MORE}"
            elif not grade:
                reasons[flag.id] = f"{year}年度无考核等次{NOT_ANY_MORE}"
            elif grade not in INDIVIDUAL_SCALE or (
                limit in INDIVIDUAL_SCALE and INDIVIDUAL_SCALE.index(grade) < INDIVIDUAL_SCALE.index(limit)
            ):
                verb = "已调整为" if year in years_in(flag.anchor) else "为"
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
                result.fire(cadre_id, row, anchor_years(years), facts)
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
        params = params_of(ctx, flag, RuleKind.FLAG_VOTES) or {}
        share = parse_fraction(params.get("share", "0"))
        for year in ctx.latest_years(int(params.get("years") or len(years_in(flag.anchor)) or 1)):
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
    tracks = TrackTable()  # read once, when the first firing names its track
    for cadre_id, by_year in lowest.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_TRACK):
            bottom, years = ctx.compiled(row, _track_rule)
            if all(y in by_year and by_year[y][0] <= bottom for y in years):
                facts = [
                    {
                        "label": f"{y}年度赛马排名（{tracks.name(by_year[y][1])}）",
                        "value": _place_text(by_year[y][2], by_year[y][3]),
                        "ref": ref("recall.trackstanding", by_year[y][4]),
                    }
                    for y in sorted(years)
                ]
                result.fire(cadre_id, row, anchor_years(years), facts)
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
        params = params_of(ctx, flag, RuleKind.FLAG_TRACK) or {}
        bottom = int(params.get("bottom") or 1)
        for year in ctx.latest_years(int(params.get("periods") or len(years_in(flag.anchor)) or 1)):
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
    not decided 可容 (容错纠错). The latest such year is the anchor."""
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
    for pk, cadre_id, kind, day, exempted in (
        qs.annotate(tolerated=tolerated_q(MatterType.INTERVIEW))
        .values_list("id", "cadre_id", "kind", "conducted_on", "tolerated")
        .order_by("conducted_on", "id")
    ):
        talks[cadre_id].append((pk, kind, day, exempted))
    labels = dict(InterviewKind.choices)
    for cadre_id, held in talks.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_INTERVIEWS):
            wanted, need, years = ctx.compiled(row, _interviews_rule)
            fired = False
            exempt_only: list[tuple[str, int]] = []
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
                if len(in_year) >= need and not exempt_only:
                    exempt_only = [(MatterType.INTERVIEW, t[0]) for t in in_year if t[3]]
            if not fired and exempt_only:
                result.exempted[(cadre_id, rule_key(row.kind, row.key))] = exempt_only
    return result


def _kinds_text(kinds) -> str:
    labels = dict(InterviewKind.choices)
    return "或".join(labels.get(k, k) for k in kinds or []) or "谈话"


def _interviews_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    reasons = {}
    for flag in flags:
        params = params_of(ctx, flag, RuleKind.FLAG_INTERVIEWS) or {}
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
    # a case whose recall cause was decided 可容 (容错纠错) is not counted
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
    tolerated: set[int] = set()
    for *case, exempted in qs.annotate(tolerated=tolerated_q(MatterType.RECALL_CASE)).values_list(
        "id",
        "cadre_id",
        "approved_on",
        "followup_result",
        "followup_on",
        "frontline_result",
        "frontline_checked_on",
        "tolerated",
    ):
        cases[case[1]].append(tuple(case))
        if exempted:
            tolerated.add(case[0])
    for cadre_id, held in cases.items():
        if not ctx.active(cadre_id):
            continue
        for row in ctx.rules_for(cadre_id, K_RECALL):
            failures, since, need = ctx.compiled(row, _recall_rule)
            every = _recall_events(failures, since, held)
            events = [e for e in every if e[0] not in tolerated]
            if len(events) >= need:
                facts = [
                    {"label": label, "value": value, "ref": ref("recall.recallcase", pk)}
                    for pk, label, value in events
                ]
                result.fire(cadre_id, row, cases_anchor(pk for pk, _, _ in events), facts)
            elif len(every) >= need:
                result.exempted[(cadre_id, rule_key(row.kind, row.key))] = [
                    (MatterType.RECALL_CASE, pk) for pk, _, _ in every if pk in tolerated
                ]
    return result


def _recall_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    reasons = {}
    for flag in flags:
        params = params_of(ctx, flag, RuleKind.FLAG_RECALL) or {}
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
        result.fire(leader, cases[0][5], cases_anchor([c[0] for c in cases]), facts)
    return result


def _inaction_close_reasons(ctx: Context, flags: list[OpenFlag]) -> dict[int, str]:
    ids = {pk for f in flags for pk in refs(f.facts, "recall.recallcase")}
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
            for pk in refs(flag.facts, "recall.recallcase")
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
