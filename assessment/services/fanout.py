"""A large recomputation fanned out per county: a Celery group of parts, then one last step.

A recomputation job (``assessment.recompute``) over a subtree with two or more counties and at
least ``RECOMPUTE_FANOUT_MIN_ROWS`` assessments (default 200,000: a province, not the 100k
city) does not run in one process. ``fanout_start`` splits the subtree into parts:

- one part per county (its whole subtree, about 28,000 cadres in the demo province);
- for the units outside every county (the province, the cities, their departments), one part
  per unit above a county: the unit itself (``unit_only``) and, with it, the subtrees of its
  children that hold no county (a city's departments).

Every unit's grades, quota and rank depend on that unit's rows alone (``grading.grade_period``
groups by unit; a team reads its members' rows), so the parts are independent and give what
one process gives. They are sent as a ``celery.group`` (ids as arguments) and run side by side
on as many workers as there are: each holds the period row FOR SHARE (a plain recomputation of
the period, which takes it FOR UPDATE, waits for them, and they for it) and its own subtree by
an advisory lock (a part delivered twice runs once at a time).

What spans the parts is the last step (``fanout_finish``): the period's ``computed_at``, one
audit entry for the whole recomputation, the ``grades_recomputed`` signal once for the whole
subtree, the job done with the summed summary. No quota or rank spans counties today (both are
per unit); a rule that did would belong there. Celery's chord would need a result backend,
which this project does not run: the parts count themselves on the job row instead (under a
row lock), and the part that completes the count queues the last step.

Progress: ``job.total`` is the number of assessments, ``job.done`` grows by each part's count
as it finishes, so the jobs page and ``/api/v1/jobs/{id}/`` read it as for any job.

Idempotent: a part run twice recomputes its subtree again (nothing changes) and is counted
once; the last step run twice finds the job done. If the job's lease lapses (every part renews
it as it starts and ends) ``jobs_sweep`` runs the job again: a new fan-out (``attempt``) whose
parts are counted afresh, the earlier one's late parts ignored. With ``CELERY_TASK_ALWAYS_EAGER``
(the embedded default) the group and the last step run in-process, one part after the other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cadres.models import Unit, UnitKind
from core.jobs import Deferred
from core.models import Job, JobState

from ..models import OPEN_STATUSES, Assessment, Period

DEFAULT_MIN_ROWS = 200_000
SUM_KEYS = ("assessments", "changed", "teams", "teams_changed")


def min_rows() -> int:
    return getattr(settings, "RECOMPUTE_FANOUT_MIN_ROWS", DEFAULT_MIN_ROWS)


# --------------------------------------------------------------------------- planning


def plan_parts(unit_path: str = "") -> list[list[tuple[str, bool]]]:
    """The parts of a recomputation over ``unit_path``: each a list of pieces ``(path,
    unit_only)`` for ``period_recompute``. Counties first (the largest parts), each alone;
    then, per unit above a county, the unit itself and its children's county-free subtrees.
    Every unit of the subtree is in exactly one piece."""
    units = list(
        Unit.objects.filter(path__startswith=unit_path).order_by("path").values_list("path", "kind", "depth")
    )
    counties: list[str] = []
    for path, kind, _ in units:
        if kind == UnitKind.COUNTY and not any(path.startswith(c) for c in counties):
            counties.append(path)
    if not counties:
        return []

    def in_county(path: str) -> bool:
        return any(path.startswith(c) for c in counties)

    def above_county(path: str) -> bool:
        return any(c.startswith(path) and c != path for c in counties)

    steplen = Unit.steplen
    rest: dict[str, list[tuple[str, bool]]] = {}
    for path, _kind, _depth in units:
        if in_county(path):
            continue
        if above_county(path):
            rest.setdefault(path, []).append((path, True))
            continue
        parent = path[:-steplen]
        if parent in rest:  # a county-free child of a unit above a county: its whole subtree
            rest[parent].append((path, False))
        # else: inside a county-free subtree already taken whole by its top unit
    return [[(c, False)] for c in counties] + list(rest.values())


# --------------------------------------------------------------------------- the job


def fanout_start(job: Job) -> Deferred | None:
    """Fan the job's recomputation out, or None when it should run in one process (a closed
    period, one unit, fewer than two counties, fewer than ``min_rows()`` assessments)."""
    from celery import group

    from assessment.tasks import recompute_part

    params = job.params
    unit_path = params.get("unit_path", "")
    period = Period.objects.filter(pk=params["period"]).first()
    if period is None or period.status not in OPEN_STATUSES or params.get("unit_only"):
        return None
    parts = plan_parts(unit_path)
    if sum(1 for p in parts if len(p) == 1 and not p[0][1]) < 2:
        return None
    total = Assessment.objects.filter(period=period, unit__path__startswith=unit_path).count()
    if total < min_rows():
        return None
    attempt = job.attempts
    state = {"attempt": attempt, "parts": len(parts), "done": [], **dict.fromkeys(SUM_KEYS, 0)}
    Job.objects.filter(pk=job.pk).update(
        result={"fanout": state}, done=0, total=total, heartbeat_at=timezone.now()
    )
    group(recompute_part.s(str(job.pk), attempt, i, pieces) for i, pieces in enumerate(parts)).apply_async()
    return Deferred(parts=len(parts))


def _renew(job_id: str) -> None:
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(heartbeat_at=timezone.now())


def lock_part(period_id: int, unit_path: str, unit_only: bool) -> Period:
    """A part's locks for its transaction: the period row FOR SHARE (parts of one period run
    side by side; a whole-period recomputation, FOR UPDATE, waits for them) and its own piece
    by an advisory lock (the same piece delivered twice runs once at a time). SQLite has one
    writer at a time: a plain read there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {Period._meta.db_table} WHERE id = %s FOR SHARE", [period_id])
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [period_id, f"{int(unit_only)}:{unit_path}"]
            )
    return Period.objects.get(pk=period_id)


def part_run(*, job_id: str, attempt: int, index: int, pieces: list) -> dict:
    """Recompute one part's pieces (each in its own transaction) and count the part on the job;
    the part that completes the count queues the last step."""
    from .recompute import period_recompute

    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state != JobState.RUNNING:
        return {"skipped": "job not running"}
    _renew(job_id)
    period_id = job.params["period"]
    sums = dict.fromkeys(SUM_KEYS, 0)
    for path, unit_only in pieces:
        summary = period_recompute(period_id=period_id, unit_path=path, unit_only=unit_only, part=True)
        if "skipped" in summary:  # the period closed meanwhile: the last step says so
            sums["skipped"] = summary["skipped"]
            break
        for key in SUM_KEYS:
            sums[key] += summary[key]
    last = False
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        state = (job.result or {}).get("fanout")
        if job.state != JobState.RUNNING or state is None or state["attempt"] != attempt:
            return sums  # an earlier fan-out's late part: its work stands, the count is not its
        if index in state["done"]:
            return sums  # delivered twice
        state["done"].append(index)
        for key in SUM_KEYS:
            state[key] += sums[key]
        if "skipped" in sums:
            state["skipped"] = sums["skipped"]
        job.done = min(job.total, job.done + sums["assessments"])
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["result", "done", "heartbeat_at"])
        last = len(state["done"]) == state["parts"]
        if last:
            from assessment.tasks import recompute_finish

            transaction.on_commit(lambda: recompute_finish.delay(job_id, attempt))
    return sums


def fanout_finish(*, job_id: str, attempt: int) -> dict | None:
    """The last step: what spans the parts, then the job done. Runs once per fan-out."""
    from .recompute import recompute_conclude

    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        state = (job.result or {}).get("fanout")
        if job.state != JobState.RUNNING or state is None or state["attempt"] != attempt:
            return None
        unit_path = job.params.get("unit_path", "")
        summary = {"period": job.params["period"], "unit_path": unit_path}
        summary.update({key: state[key] for key in SUM_KEYS})
        summary["parts"] = state["parts"]
        if "skipped" in state:
            summary["skipped"] = state["skipped"]
        # the period row last, as period_recompute's FOR UPDATE: the parts have all committed
        period = Period.objects.select_for_update().get(pk=summary["period"])
        now = timezone.now()
        if "skipped" not in state:
            recompute_conclude(
                period=period,
                unit_path=unit_path,
                job=job,
                now=now,
                assessments=summary["assessments"],
                changed=summary["changed"],
                teams_changed=summary["teams_changed"],
                note=f"（分 {state['parts']} 个子任务并行计算）",
            )
        Job.objects.filter(pk=job.pk).update(
            state=JobState.DONE, result=summary, done=job.total, finished_at=now, heartbeat_at=now
        )
    return summary
