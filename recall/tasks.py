"""The flag job: evaluate the flag rules over the whole registry (recall.flags)."""

import threading
from contextlib import contextmanager

from celery import shared_task

from core.jobs import jobs_create, register, reusable_pending
from core.models import Job

JOB_KIND = "recall.flags"


_deferred = threading.local()


@contextmanager
def flags_deferred(*, actor=None, reason: str = ""):
    """Many recall changes in a row (demo data, a bulk entry): one flag job at the end instead
    of one per change."""
    depth = getattr(_deferred, "depth", 0)
    _deferred.depth = depth + 1
    try:
        yield
    finally:
        _deferred.depth = depth
    if depth == 0:
        queue_flag_job(actor=actor, reason=reason or "批量办理召回")


def queue_flag_job(*, actor=None, reason: str = "", cadre_ids=None) -> Job | None:
    """Queue one evaluation (after commit), of the whole registry or of ``cadre_ids`` only (a
    change of their record); a waiting whole-registry one that will really run is reused.
    Inside ``flags_deferred`` nothing is queued until it ends (returns None)."""
    if getattr(_deferred, "depth", 0):
        return None
    waiting = (
        reusable_pending(Job.objects.filter(kind=JOB_KIND)).filter(params__cadre_ids__isnull=True).first()
    )
    if waiting is not None:
        return waiting
    params = {"reason": reason}
    if cadre_ids is not None:
        params["cadre_ids"] = sorted(set(cadre_ids))
    return jobs_create(kind=JOB_KIND, actor=actor, items=[(params, "")])[0]


@register(JOB_KIND)
def _run(job: Job) -> dict:
    from .flags import flags_evaluate

    return flags_evaluate(job=job)


@shared_task(name="recall.evaluate_flags")
def evaluate_flags() -> dict:
    """Daily (Celery beat): queue the flag job (time alone makes some rules fire)."""
    return {"job": str(queue_flag_job(reason="每日定时预警").id)}
