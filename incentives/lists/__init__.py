"""The 三挂钩 lists of a published annual period, computed with their reasons (issue 16, point 1).

``lists_compute(period=..., unit=None)`` evaluates every list rule (``incentives.policy_lists``:
``assessment.PolicyRule`` rows inherited down the org tree, read through the grading's
``PolicyResolver``, so a unit that overrides or disables a rule does so for its subtree) for every
cadre graded in the period at once, and replaces the period's (or the subtree's) ``Entry`` rows:
one read per table (``facts.load``), the rules in memory (``rules.Evaluator``), the difference
written in bulk (``write.write``). Running it twice writes nothing the second time. Decisions
(``incentives.Decision``) are keyed by (period, cadre, list), not by entry, and survive it.

Only a published or archived annual period has lists; any other is refused with a Chinese
message. The facts are read as at the period's last day (31 December): ages, years in a post,
experience, tenure; except what has no history: unverified clues and open flags are those of
today, and a 容错纠错 decision counts whenever it was made.

Who each list considers (its population): an entry is written for each cadre in it, eligible
or left out with the reason, so "left out and why" is answered where it means something without
a row per cadre per list:

- 绩效奖金 (``bonus``): every cadre graded in the period; left out when the coefficient of the
  grade is 0, no base is set for the unit or an ancestor, or the bonus is withheld in full.
  Amount = base × coefficient − withholding (召回 cases whose 扣发绩效奖励 step falls in the
  year), never below 0, half-up to the fen; withheld in full gives 0.
- 评先选优 (``commendation``): the cadres whose grade is one the rule asks for (优秀); left out for
  a 约谈/诫勉 in the year, an unverified clue, an influence period reaching the year, an open flag.
- 嘉奖 (``jiajiang``): the cadres graded as the rule says (优秀); left out when their identity is not
  one the rule names (公务员, 参公). 记三等功 (``merit3``): the cadres graded 优秀 this year in a run
  at most a year short of the rule's years (2 of 3); eligible when the run of 优秀 years ending
  this year is a multiple of the rule's years (3, 6, ...: a run counts once), otherwise left out
  with how many years it still needs.
- 优先使用 (``priority``): the cadres meeting every hard criterion of their record (the run of 优秀
  years, front-line or 第一书记 experience), or, when no such criterion is hard, any soft one;
  left out by a hard criterion of conduct (an unverified clue, an influence period, an open
  flag); the soft criteria met add their points to the score that ranks the eligible.
- 定向选拔 (``reserved_post``, [002]): the cadres holding a township 党政正职 post on the last day
  of the year (posts 31 days apart or less are one run); eligible with the rule's years of the
  run (8: 2017-01-01 to 2024-12-31 is 8) and a grade at least the rule's; ranked by the years.
- 80后比选 (``young_selection``, [003]): the cadres of the ranks the rule names (副科 and above);
  eligible when born on or after 1 January of the rule's year; grassroots experience (front-line,
  第一书记 and township 党政正职 posts) is hard or ranks, as the rule says.
- 职级晋升 (``rank_promotion``): the cadres whose rank has a tenure rule; the entry carries the
  computed day the tenure is complete (``rules.tenure_due``) and is eligible when that day is on
  or before 31 December of the period's year and this year's grade is not 不称职; a cadre without
  任现职级时间 is left out with that reason.
- 降低一个职级 (``rank_drop``): the cadres graded 不称职, each a proposal for a one-level drop (to
  the rank the tenure rules put below the current one, where they do).

The lists of use and promotion (优先使用, 定向选拔, 80后比选, 职级晋升) leave out a cadre no longer
on post (retired, dismissed, removed, resigned) with that reason.

Matters decided 可容 by 容错纠错 (``supervision.exemptions``: talks, sanctions, flags, recall cases)
never make anyone ineligible; where one would have counted, the entry says so and cites the
decision. The lists read the rules' inputs only; a rule disabled for a unit writes no entries of
its list there.

Eligible entries of 评先选优, 优先使用, 定向选拔 and 80后比选 are ranked over the whole period
(``position``, 1 first): by score (评先选优: the year's total score), then the year's total score,
then the registry order. A subtree's computation keeps the rest of the period's ranking and moves
the positions its entries displace.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assessment.models import Grade, Period, RuleKind
from assessment.services.recompute import policy_resolver
from cadres.models import Unit
from core.bulk import gc_paused
from core.jobs import progress

from .facts import READ_STATUSES, load
from .rules import Evaluator, rank
from .write import ranked_outside, write_entries

__all__ = ["check_period", "lists_compute"]


def check_period(period: Period) -> None:
    """Refuse a period without lists, in Chinese."""
    if period.quarter is not None:
        raise ValidationError(
            {"period": f"“{period.name}”是季度平时考核；激励名单按已公布的年度考核结果计算。"}
        )
    if period.status not in READ_STATUSES:
        raise ValidationError(
            {
                "period": f"“{period.name}”为{period.get_status_display()}状态；"
                "激励名单只按已公布或已归档的年度考核结果计算。"
            }
        )


def lock(period_id: int) -> None:
    """Two computations of one period never interleave (PostgreSQL; SQLite writes one at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('incentives.lists'), %s)", [period_id])


def needed_grades(resolver) -> set[str]:
    """The earlier years' grades any rule reads: 优秀 (runs, shortened tenure) and the grades a
    tenure rule does not count."""
    grades = {str(Grade.EXCELLENT)}
    for found in resolver.by_path.values():
        for row in found:
            if row.kind == RuleKind.RANK_TENURE:
                grades.update(row.params.get("not_counted") or ())
    return grades


def lists_compute(
    *,
    period: Period | int,
    unit: Unit | int | None = None,
    cadre_ids=None,
    job=None,
    actor=None,
    reason: str = "",
) -> dict:
    """Compute every list of ``period`` (a published or archived annual period) for the cadres
    graded in ``unit``'s subtree (None: the whole period), or only ``cadre_ids`` among them (a
    change of their record), replacing the stored entries of those cadres. Returns
    counts: ``{period, unit_path, cadres, entries, eligible, created, updated, deleted, reranked}``.
    Raises ``ValidationError`` (Chinese) for any other period."""
    if not isinstance(period, Period):
        period = Period.objects.get(pk=period)
    if unit is not None and not isinstance(unit, Unit):
        unit = Unit.objects.get(pk=unit)
    check_period(period)
    steps = 4
    if job is not None:
        progress(job, 0, steps)
    # The cyclic collector would walk the period's rows again and again while they pile up.
    with gc_paused(), transaction.atomic():
        lock(period.pk)
        resolver = policy_resolver(unit.path if unit is not None else "")
        facts = load(period, unit, needed_grades=needed_grades(resolver), cadre_ids=cadre_ids)
        if job is not None:
            progress(job, 1, steps)
        out = Evaluator(facts, resolver).run()
        others = ranked_outside(facts)
        rank([*out, *others])
        if job is not None:
            progress(job, 2, steps)
        summary = write_entries(
            facts,
            out,
            others,
            now=timezone.now(),
            actor=actor if actor is not None else (job.created_by if job is not None else None),
            reason=reason or ((job.params.get("reason", "") if job is not None else "") or "计算激励名单"),
        )
        if job is not None:
            progress(job, steps, steps)
    return summary
