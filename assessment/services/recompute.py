"""Grade recomputation: queued as a background job, set-based, idempotent, never interleaved.

``recompute_queue`` is the one way to ask for a recomputation (scores, interviews, sanctions,
policy and imports all call it). It coalesces requests: while a job for the same period and a
covering subtree is still waiting, no second one is queued. ``period_recompute`` does the work:
one query per table in, the engine in memory, and only rows whose outcome changed written back
in bulk. It locks the period row first, so two recomputations of one period run one after the
other, never interleaved.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import orjson
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from cadres.models import Cadre, LeaveRecord, TeamMembership, Unit
from cadres.selectors import unit_label
from core.bulk import bulk_insert, bulk_update_rows, pick
from core.jobs import jobs_create, progress, register, reusable_pending
from core.models import Job
from supervision.exemptions import tolerated_citations
from supervision.models import Investigation, MatterType, Sanction
from supervision.selectors.interviews import yuetan_counts, yuetan_tolerated

from .. import sources
from ..grading import Facts, IndicatorDef, PolicyResolver, QuotaResult, Row, RuleRow, grade_period
from ..models import (
    OPEN_STATUSES,
    Assessment,
    Indicator,
    IndicatorSource,
    Period,
    PolicyRule,
    QuotaRaise,
    Scheme,
    TeamAssessment,
    UnitQuota,
)
from ..signals import grades_recomputed

JOB_KIND = "assessment.recompute"
# Sanctions older than this cannot reach into a period (the longest default influence is 24 months).
SANCTION_LOOKBACK_YEARS = 6

RESULT_FIELDS = [
    "total_score",
    "rank_in_unit",
    "computed_grade",
    "final_grade",
    "grade_code",
    "explanation",
    "review_required",
    "updated_at",
]


def _covers(outer: str, inner: str) -> bool:
    return inner.startswith(outer)


def recompute_queue(*, period: Period, unit_path: str = "", actor=None, reason: str = "") -> Job | None:
    """Queue a recomputation of ``period`` (or of one unit subtree) after the current commit.

    Returns the job, or None when the period is not open (draft, published, archived periods
    do not follow changes). A waiting job that already covers the subtree is reused."""
    jobs = recompute_queue_paths(period=period, unit_paths=[unit_path], actor=actor, reason=reason)
    return jobs[0] if jobs else None


def recompute_request(*, actor, period: Period, unit: Unit | None = None, reason: str = "") -> Job | None:
    """A user's request to recompute ``period``: over ``unit`` (already fetched through the
    user's scope), else over the user's whole subtree, never beyond it. A user without a unit
    has no subtree and is refused, as is a role that may not run assessments."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权重新计算等次。")
    scope_path = actor.scope_path
    if scope_path is None:
        raise PermissionDenied("您的账号未设置所属单位，无法重新计算。")
    if unit is not None and not unit.path.startswith(scope_path):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    unit_path = unit.path if unit is not None else scope_path
    return recompute_queue(period=period, unit_path=unit_path, actor=actor, reason=reason)


def recompute_queue_paths(*, period: Period, unit_paths, actor=None, reason: str = "") -> list[Job]:
    """``recompute_queue`` for several subtrees at once (``collapse_paths`` first): one read of
    the waiting jobs, one INSERT for the new ones. Returns the jobs, each once."""
    if period.status not in OPEN_STATUSES:
        return []
    # Only a job that will really run stands in for a new one: not one the broker refused,
    # nor one waiting for longer than JOB_REUSE_SECONDS (core.jobs.reusable_pending).
    waiting = list(reusable_pending(Job.objects.filter(kind=JOB_KIND, params__period=period.pk)))
    jobs: list[Job] = []
    missing: list[str] = []
    for path in collapse_paths(unit_paths):
        job = next((j for j in waiting if _covers(j.params.get("unit_path", ""), path)), None)
        if job is None:
            missing.append(path)
        elif job not in jobs:
            jobs.append(job)
    jobs += jobs_create(
        kind=JOB_KIND,
        actor=actor,
        items=[({"period": period.pk, "unit_path": path, "reason": reason}, path) for path in missing],
    )
    return jobs


def collapse_paths(paths) -> list[str]:
    """Drop paths inside another path of the list: one job per disjoint subtree."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(_covers(k, path) for k in kept):
            kept.append(path)
    return kept


def recompute_open_periods(
    *, unit_paths, actor=None, reason: str = "", annual_only: bool = False
) -> list[Job]:
    """Queue recomputations of every open period over the given subtrees."""
    periods = Period.objects.filter(status__in=OPEN_STATUSES)
    if annual_only:
        periods = periods.filter(quarter__isnull=True)
    jobs = []
    for period in periods:
        jobs += recompute_queue_paths(period=period, unit_paths=unit_paths, actor=actor, reason=reason)
    return jobs


@register(JOB_KIND)
def _run(job: Job) -> dict:
    from .fanout import fanout_start

    # a province: one Celery task per county, then a last step (assessment/services/fanout.py)
    deferred = fanout_start(job)
    if deferred is not None:
        return deferred
    return period_recompute(
        period_id=job.params["period"], unit_path=job.params.get("unit_path", ""), job=job
    )


# --------------------------------------------------------------------------- loading


def indicators_by_category(period: Period) -> dict[str, list[IndicatorDef]]:
    schemes = {s.pk: s.category for s in Scheme.objects.filter(period=period)}
    if not schemes and period.scheme_id:
        schemes = {period.scheme_id: ""}
    out: dict[str, list[IndicatorDef]] = {category: [] for category in schemes.values()}
    for scheme_id, code, weight, min_score, max_score, track, source in (
        Indicator.objects.filter(scheme_id__in=list(schemes))
        .order_by("order", "id")
        .values_list("scheme_id", "code", "weight", "min_score", "max_score", "track", "source")
    ):
        out[schemes[scheme_id]].append(IndicatorDef(code, weight, min_score, max_score, track, source))
    return out


def policy_resolver(unit_path: str = "") -> PolicyResolver:
    """All rules that can bear on the subtree: the defaults, its ancestors' and its own."""
    # the owner's name as lists show it (光明村（城关镇）), for the policy page's 继承自…
    rows = PolicyRule.objects.select_related("unit").values_list(
        "unit__path", "kind", "key", "params", "enabled", "id", "note", unit_label("unit__")
    )
    return PolicyResolver(
        RuleRow(path or "", kind, key, params, enabled, pk, note, unit_name or "")
        for path, kind, key, params, enabled, pk, note, unit_name in rows
    )


def period_bounds(period: Period) -> tuple[datetime.date, datetime.date]:
    if period.quarter is None:
        return datetime.date(period.year, 1, 1), datetime.date(period.year, 12, 31)
    start = datetime.date(period.year, 3 * period.quarter - 2, 1)
    end_month = 3 * period.quarter
    end = (
        datetime.date(period.year + 1, 1, 1)
        if end_month == 12
        else datetime.date(period.year, end_month + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def load_facts(period: Period, unit_path: str, cadre_ids: set[int], unit_only: bool = False) -> Facts:
    start, end = period_bounds(period)
    facts = Facts(period_start=start, period_end=end)
    _load_sourced_facts(facts, period, unit_path, unit_only)
    if period.quarter is not None:
        return facts
    subtree = Q(unit__path__startswith=unit_path) if unit_path else Q()
    if unit_only:
        subtree = Q(unit__path=unit_path)
    counts = yuetan_counts(year=period.year)
    facts.yuetan_cadre = {c: d for c, d in counts["cadres"].items() if c in cadre_ids}
    facts.yuetan_team = counts["teams"]
    # 约谈 decided 可容 (容错纠错): not counted above, named in the explanations instead
    tolerated = yuetan_tolerated(year=period.year)
    facts.yuetan_cadre_tolerated = {c: d for c, d in tolerated["cadres"].items() if c in cadre_ids}
    facts.yuetan_team_tolerated = tolerated["teams"]
    for unit_id, cadre_id, is_main, path in TeamMembership.objects.filter(subtree).values_list(
        "unit_id", "cadre_id", "is_main_leader", "unit__path"
    ):
        facts.team_members.setdefault(unit_id, []).append(cadre_id)
        facts.unit_paths[unit_id] = path
        if is_main:
            facts.main_leader_of[unit_id] = cadre_id
    sanctions = Sanction.objects.filter(
        decided_on__gte=datetime.date(period.year - SANCTION_LOOKBACK_YEARS, 1, 1), decided_on__lte=end
    )
    if unit_path:
        sanctions = sanctions.filter(cadre__unit__path__startswith=unit_path)
    # a sanction decided 可容 (容错纠错) carries the decision's citation instead of its effect
    cited = tolerated_citations(MatterType.SANCTION, sanctions.values("pk"))
    for pk, cadre_id, kind, decided_on in sanctions.values_list("pk", "cadre_id", "kind", "decided_on"):
        if cadre_id in cadre_ids:
            facts.sanctions.setdefault(cadre_id, []).append((kind, decided_on, cited.get(pk, "")))
    quarters = Assessment.objects.filter(period__year=period.year, period__quarter__isnull=False).exclude(
        final_grade=""
    )
    if unit_path:
        quarters = quarters.filter(unit__path__startswith=unit_path)
    for cadre_id, quarter, grade in quarters.values_list("cadre_id", "period__quarter", "final_grade"):
        if cadre_id in cadre_ids:
            facts.quarter_grades.setdefault(cadre_id, []).append((quarter, grade))
    _load_ungraded_facts(facts, period, unit_path, cadre_ids)
    return facts


def _load_sourced_facts(facts: Facts, period: Period, unit_path: str, unit_only: bool) -> None:
    """The facts of indicators scored from other records (``assessment.sources``): read only
    when the period's scheme has such an indicator, for the cadres assessed in the subtree."""
    schemes = (
        Q(scheme__period=period) | Q(scheme_id=period.scheme_id)
        if period.scheme_id
        else Q(scheme__period=period)
    )
    if not Indicator.objects.filter(schemes, source=IndicatorSource.WORKORDERS).exists():
        return
    assessed = Assessment.objects.filter(period=period)
    if unit_only:
        assessed = assessed.filter(unit__path=unit_path)
    elif unit_path:
        assessed = assessed.filter(unit__path__startswith=unit_path)
    else:
        assessed = None  # the whole period: every cadre's rounds, the engine looks each up
    facts.order_tallies = sources.load(
        IndicatorSource.WORKORDERS,
        facts.period_start,
        facts.period_end,
        None if assessed is None else assessed.values("cadre_id"),
    )


def _merged_days(spans: list[tuple[datetime.date, datetime.date]]) -> int:
    """Days covered by the spans (both ends counted), overlaps once."""
    days, last = 0, None
    for first, end in sorted(spans):
        if last is not None and first <= last:
            first = last + datetime.timedelta(days=1)
        if end >= first:
            days += (end - first).days + 1
            last = end if last is None else max(last, end)
    return days


def _load_ungraded_facts(facts: Facts, period: Period, unit_path: str, cadre_ids: set[int]) -> None:
    """Probation, leave, open investigations and 优秀比例上调: what keeps a cadre ungraded or
    changes a unit's quota (three small reads; each table holds few rows that matter)."""
    start, end = facts.period_start, facts.period_end
    # Not narrowed by the cadres' current units: a cadre assessed in the subtree may have moved
    # since. Few rows match (probation past the year, leave in it, open investigations).
    # looked up by the assessed cadres' ids (a county's 28,000 of a province's million): a scan
    # of the whole cadre table per county part was a third of a fanned-out recomputation
    cadres = pick(Cadre.objects.all(), "pk", cadre_ids).filter(probation_end__gte=end)
    facts.probation_end = {
        pk: day for pk, day in cadres.values_list("pk", "probation_end") if pk in cadre_ids
    }
    leaves = LeaveRecord.objects.filter(start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    spans: dict[tuple[int, str], list] = {}
    for cadre_id, kind, first, last in leaves.values_list("cadre_id", "kind", "start_date", "end_date"):
        if cadre_id in cadre_ids:
            spans.setdefault((cadre_id, kind), []).append((max(first, start), min(last or end, end)))
    for (cadre_id, kind), kind_spans in spans.items():
        facts.leave_days.setdefault(cadre_id, {})[kind] = _merged_days(kind_spans)
    investigations = Investigation.objects.filter(closed_on__isnull=True)
    for cadre_id, opened_on, authority in investigations.order_by("opened_on", "pk").values_list(
        "cadre_id", "opened_on", "authority"
    ):
        if cadre_id in cadre_ids:
            facts.investigations.setdefault(cadre_id, []).append((opened_on, authority))
    raises = QuotaRaise.objects.filter(period=period)
    if unit_path:
        raises = raises.filter(unit__path__startswith=unit_path)
    facts.quota_raises = {
        unit_id: (reason, approver, day)
        for unit_id, reason, approver, day in raises.values_list(
            "unit_id", "reason", "approved_by", "approved_on"
        )
    }


# --------------------------------------------------------------------------- the work


def period_recompute(
    *,
    period_id: int,
    unit_path: str = "",
    job: Job | None = None,
    force: bool = False,
    unit_only: bool = False,
    part: bool = False,
) -> dict:
    """Recompute the grades of a period (or a unit subtree). Idempotent: a second run finds
    nothing to change and writes nothing. ``force`` also recomputes a closed period (used by an
    audited correction of a published one); ``unit_only`` the unit at ``unit_path`` alone, not
    its subtree (a 复核 decision reopens that unit's grading only). ``part``: one piece of a
    fanned-out recomputation (fanout.py), run beside the others under a shared lock; the
    period's computed_at, the audit entry and the signal are left to the fan-out's last step."""
    with transaction.atomic():
        if part:
            from .fanout import lock_part

            period = lock_part(period_id, unit_path, unit_only)
        else:
            # Row lock: a second recomputation of this period waits here until this one commits.
            period = Period.objects.select_for_update().get(pk=period_id)
        if period.status not in OPEN_STATUSES and not force:
            return {"skipped": f"考核期“{period.name}”为{period.get_status_display()}状态，不重新计算。"}

        stored, rows = load_rows(period, unit_path, unit_only=unit_only)
        total = len(stored)
        if job is not None:
            progress(job, 0, total)
        loads = orjson.loads
        facts = load_facts(period, unit_path, {r.cadre_id for r in rows}, unit_only=unit_only)
        typed = {r.id: r.scores for r in rows}
        quotas: dict[int, QuotaResult] = {}
        results, teams = grade_period(
            annual=period.quarter is None,
            rows=rows,
            indicators_for=indicators_by_category(period),
            resolver=policy_resolver(unit_path),
            facts=facts,
            quotas=quotas,
        )
        if job is not None:
            progress(job, total // 2, total)

        now = timezone.now()
        changed = []
        regraded: set[int] = set()
        # the engine gives a row new scores only where it computed one (民情工单)
        recomputed = {r.id: r.scores for r in rows if r.scores is not typed[r.id]}
        for s in stored:
            res = results[s[0]]
            new = (res.total, res.rank, res.computed, res.final, res.code, res.explanation, res.review)
            old = (_dec(s[8]), s[9], s[10], s[11], s[12], loads(s[13]) if s[13] else [], s[14])
            scores = recomputed.get(s[0])
            if scores is not None and scores == (loads(s[6]) if s[6] else {}):
                scores = None
            if new != old:
                regraded.add(s[0])
            if new != old or scores is not None:
                changed.append((s[0], *new, now) if scores is None else (s[0], *new, now, scores))
        # grade_changed_at (grade-reports/?updated_since=) moves only where the outcome changed
        for fields in (RESULT_FIELDS, [*RESULT_FIELDS, "scores"]):
            some = [c for c in changed if len(c) == len(fields) + 1]
            stamped = [c for c in some if c[0] in regraded]
            bulk_update_rows(Assessment, fields, stamped, constants={"grade_changed_at": now})
            bulk_update_rows(Assessment, fields, [c for c in some if c[0] not in regraded])
        teams_changed = _write_teams(period, teams)
        if period.quarter is None:
            _write_quotas(period, unit_path, quotas, unit_only=unit_only)

        summary = {
            "period": period.pk,
            "unit_path": unit_path,
            "assessments": total,
            "changed": len(changed),
            "teams": len(teams),
            "teams_changed": teams_changed,
        }
        if part:
            return summary
        if job is not None:
            progress(job, total, total)
        recompute_conclude(
            period=period,
            unit_path=unit_path,
            job=job,
            now=now,
            assessments=total,
            changed=len(changed),
            teams_changed=teams_changed,
        )
        return summary


def recompute_conclude(
    *,
    period: Period,
    unit_path: str,
    job: Job | None,
    now,
    assessments: int,
    changed: int,
    teams_changed: int,
    note: str = "",
) -> None:
    """What ends a recomputation once, whether it ran in one process or in parts
    (services/fanout.py): the period's ``computed_at``, one audit entry when anything changed,
    and the grades announced."""
    period.computed_at = now
    Period.objects.filter(pk=period.pk).update(computed_at=now)
    if changed or teams_changed:
        unit = Unit.objects.filter(path=unit_path).first() if unit_path else None
        audit_record(
            actor=job.created_by if job else None,
            action=AuditAction.UPDATE,
            instance=period,
            before={"重新计算": None},
            after={
                "重新计算": f"{unit.name if unit else '全部单位'}：{assessments} 人，等次或依据变化 {changed} 人，"
                f"班子变化 {teams_changed} 个{note}"
            },
            scope_path=unit_path,
            reason=(job.params.get("reason", "") if job else "") or "重新计算等次",
        )
    announce_grades(period, unit_path)


# (id, cadre, unit, unit path, cadre kind, track, scores, override, appeal, then the stored
# outcome: total, rank, computed, final, code, explanation, review)
STORED_FIELDS = (
    "id",
    "cadre_id",
    "unit_id",
    "unit__path",
    "cadre__kind",
    "track",
    "scores",
    "override_grade",
    "appeal_grade",
    "total_score",
    "rank_in_unit",
    "computed_grade",
    "final_grade",
    "grade_code",
    "explanation",
    "review_required",
)


def load_rows(period: Period, unit_path: str = "", unit_only: bool = False) -> tuple[list[tuple], list[Row]]:
    """The period's assessments in the subtree (``unit_only``: the unit alone): the stored
    tuples (``STORED_FIELDS``, the JSON columns still text) and the engine's rows. The
    recomputation and the what-if share it."""
    qs = Assessment.objects.filter(period=period)
    if unit_only:
        qs = qs.filter(unit__path=unit_path)
    elif unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    # The JSON columns come as text and are decoded with orjson: at 100k rows the
    # stock decoder is a good part of the whole recomputation.
    fields = [
        Cast(name, TextField()) if name in ("scores", "explanation") else name for name in STORED_FIELDS
    ]
    stored = [(*s[:8], *s[9:], s[8]) for s in qs.values_list(*fields)]
    loads = orjson.loads
    rows = [Row(s[0], s[1], s[2], s[3], s[4], s[5], loads(s[6]) if s[6] else {}, s[7], s[15]) for s in stored]
    return stored, rows


def _write_quotas(
    period: Period, unit_path: str, quotas: dict[int, QuotaResult], unit_only: bool = False
) -> None:
    """Keep ``UnitQuota`` in step: changed units updated, new ones inserted, units of the
    subtree with no assessment left removed."""
    qs = UnitQuota.objects.filter(period=period)
    if unit_only:
        qs = qs.filter(unit__path=unit_path)
    elif unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    fields = [
        "assessed",
        "excluded",
        "ratio",
        "raised",
        "raise_note",
        "exact",
        "rounding",
        "places",
        "fixed",
        "awarded",
    ]
    existing = {row[1]: row for row in qs.values_list("pk", "unit_id", *fields)}
    gone = [row[0] for unit_id, row in existing.items() if unit_id not in quotas]
    if gone:
        UnitQuota.objects.filter(pk__in=gone).delete()
    now = timezone.now()
    inserts, updates = [], []
    for unit_id, q in quotas.items():
        values = (
            q.assessed,
            q.excluded,
            q.ratio,
            q.raised,
            q.raise_note,
            q.exact,
            q.rounding,
            q.places,
            q.fixed,
            q.awarded,
        )
        row = existing.get(unit_id)
        if row is None:
            inserts.append(
                UnitQuota(period=period, unit_id=unit_id, **dict(zip(fields, values, strict=True)))
            )
            continue
        old = (row[2], row[3], Decimal(row[4]).normalize(), *row[5:7], _dec(row[7]), *row[8:])
        if old != (*values[:2], values[2].normalize(), *values[3:]):
            updates.append((row[0], *values, now))
    if inserts:
        bulk_insert(UnitQuota, inserts)
    bulk_update_rows(UnitQuota, [*fields, "updated_at"], updates)


def announce_grades(period: Period, unit_path: str = "") -> None:
    """``grades_recomputed`` once the transaction commits (what listeners read is then there)."""
    period_id, status, annual = period.pk, period.status, period.quarter is None
    transaction.on_commit(
        lambda: grades_recomputed.send(
            sender=Period, period_id=period_id, unit_path=unit_path, status=status, annual=annual
        )
    )


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _write_teams(period: Period, teams) -> int:
    if not teams:
        return 0
    existing = {
        t[0]: t
        for t in TeamAssessment.objects.filter(
            period=period, unit_id__in=[t.unit_id for t in teams]
        ).values_list(
            "unit_id", "id", "total_score", "computed_grade", "final_grade", "explanation", "override_grade"
        )
    }
    now = timezone.now()
    inserts, updates = [], []
    for team in teams:
        row = existing.get(team.unit_id)
        if row is None:
            inserts.append(
                TeamAssessment(
                    period=period,
                    unit_id=team.unit_id,
                    total_score=team.total,
                    computed_grade=team.computed,
                    final_grade=team.computed,
                    explanation=team.explanation,
                )
            )
            continue
        final = row[6] or team.computed
        if (_dec(row[2]), row[3], row[4], row[5]) != (team.total, team.computed, final, team.explanation):
            updates.append((row[1], team.total, team.computed, final, team.explanation, now))
    if inserts:
        bulk_insert(TeamAssessment, inserts)
    bulk_update_rows(
        TeamAssessment, ["total_score", "computed_grade", "final_grade", "explanation", "updated_at"], updates
    )
    return len(inserts) + len(updates)
