"""Celery tasks of a fanned-out recomputation (assessment/services/fanout.py): thin, ids in."""

from celery import shared_task

from .services import fanout


@shared_task(name="assessment.recompute_part")
def recompute_part(job_id: str, attempt: int, index: int, pieces: list) -> dict:
    """One part (a county, or a unit above the counties with its county-free children)."""
    return fanout.part_run(job_id=job_id, attempt=attempt, index=index, pieces=[tuple(p) for p in pieces])


@shared_task(name="assessment.recompute_finish")
def recompute_finish(job_id: str, attempt: int) -> dict | None:
    """The last step, queued by the part that completes the count."""
    return fanout.fanout_finish(job_id=job_id, attempt=attempt)
