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

from django.db import transaction
from django.utils import timezone

from assessment.services.recompute import policy_resolver
from core.bulk import gc_paused
from core.jobs import progress

from .context import Context, KindResult
from .reconcile import lock, reconcile
from .rules import EVALUATORS

__all__ = ["flags_evaluate"]


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
        lock()
        ctx = Context(today, policy_resolver(), cadre_ids)
        results: dict[str, KindResult] = {}
        for done, (kind, evaluate) in enumerate(EVALUATORS.items(), start=1):
            results[kind] = evaluate(ctx)
            if job is not None:
                progress(job, done, steps)
        summary = reconcile(ctx, results)
        if job is not None:
            progress(job, steps, steps)
    return summary
