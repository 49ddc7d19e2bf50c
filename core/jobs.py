"""Background jobs: create a row, queue its id, let one worker claim and run it.

A job kind is a function ``handler(job) -> dict`` registered with ``@register("kind")``;
its return value becomes ``job.result``. Handlers may call ``progress(job, done, total)``.

Jobs survive faults of the worker and of the broker:

- a running job holds a lease that its worker renews (``heartbeat_at``, every
  ``JOB_HEARTBEAT_SECONDS``); ``jobs_sweep`` (Celery beat, every minute, and at worker start)
  finds a job whose lease lapsed (its process was killed) and queues it again, or after
  ``JOB_MAX_ATTEMPTS`` marks it failed with a Chinese message and tells the kind's
  ``on_lost`` hook (an import batch then fails with it);
- queuing never raises: a message the broker refused leaves the job pending with
  ``dispatch_failed_at`` set, the request that wrote the data still succeeds (it can say that
  background work is delayed, ``delivery_delayed()``), and ``jobs_sweep`` delivers the job
  once the broker is back. A pending job that was never delivered, or whose message was lost,
  is not reused as "already queued" (``reusable_pending``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import figures
from .models import Job, JobState

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[Job], dict]] = {}
ON_LOST: dict[str, Callable[[Job, str], None]] = {}

LOST_MESSAGE = "后台任务的执行进程意外中断，已重试 {attempts} 次仍未完成，请重新提交。"
DELAYED_MESSAGE = "数据已保存；消息队列暂时不可用，后台任务（如重新计算等次）将在恢复后自动执行。"

_delayed = threading.local()


def _setting(name: str, default):
    return getattr(settings, name, default)


class Deferred(dict):
    """What a handler returns when its job goes on in other tasks (a fan-out,
    assessment/services/fanout.py): ``job_run`` leaves the job running, and the task that
    finishes the work marks it done (or failed) with its result."""


def register(kind: str, *, on_lost: Callable[[Job, str], None] | None = None):
    """Register a job kind. ``on_lost(job, message)`` runs when the job is given up after its
    worker died ``JOB_MAX_ATTEMPTS`` times, so what it belongs to can follow its fate."""

    def wrap(fn):
        HANDLERS[kind] = fn
        if on_lost is not None:
            ON_LOST[kind] = on_lost
        return fn

    return wrap


def job_create(*, kind: str, actor=None, params: dict | None = None, scope_path: str = "") -> Job:
    """Create a job and queue it once the surrounding transaction commits."""
    return jobs_create(kind=kind, actor=actor, items=[(params, scope_path)])[0]


def jobs_create(*, kind: str, actor=None, items: list[tuple[dict, str]]) -> list[Job]:
    """Create several jobs of one kind in one INSERT, each queued once the surrounding
    transaction commits: ``items`` holds ``(params, scope_path)`` per job."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    jobs = Job.objects.bulk_create(
        [Job(kind=kind, params=params or {}, created_by=actor, scope_path=path) for params, path in items]
    )
    if jobs:
        transaction.on_commit(lambda: jobs_dispatch(jobs))
    return jobs


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def jobs_dispatch(jobs: list[Job]) -> list[Job]:
    """Send each job's message to the broker. Never raises for a broker fault: a job whose
    message could not be sent is marked (``dispatch_failed_at``) for ``jobs_sweep`` and the
    current request is told (``delivery_delayed``). Returns the jobs that were sent."""
    from .tasks import run_job

    if _eager():  # the embedded default: the job runs here and now, its errors propagate
        for job in jobs:
            run_job.delay(str(job.id))
        return list(jobs)
    sent, failed = [], []
    for job in jobs:
        try:
            run_job.apply_async(
                (str(job.id),),
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
        except Exception as exc:  # kombu.OperationalError, OSError, redis errors: the broker is away
            log.warning("job %s not delivered to the broker: %s", job.id, exc)
            failed.append(job)
        else:
            sent.append(job)
    now = timezone.now()
    if sent:
        Job.objects.filter(pk__in=[j.pk for j in sent]).update(queued_at=now, dispatch_failed_at=None)
        for job in sent:
            job.queued_at, job.dispatch_failed_at = now, None
    if failed:
        Job.objects.filter(pk__in=[j.pk for j in failed], state=JobState.PENDING).update(
            dispatch_failed_at=now
        )
        for job in failed:
            job.dispatch_failed_at = now
        _delayed.value = True
    return sent


def delivery_delayed(reset: bool = False) -> bool:
    """Whether a job queued in this thread (request) since the last reset could not be sent."""
    value = getattr(_delayed, "value", False)
    if reset:
        _delayed.value = False
    return value


def reusable_pending(qs):
    """Of pending jobs, those that may stand in for a new one ("already queued"): sent, or
    about to be sent by the current transaction, and not waiting for longer than
    ``JOB_REUSE_SECONDS``. A job whose message the broker refused is not one of them."""
    cutoff = timezone.now() - timedelta(seconds=_setting("JOB_REUSE_SECONDS", 300))
    return qs.filter(state=JobState.PENDING, dispatch_failed_at__isnull=True, created_at__gte=cutoff)


def progress(job: Job, done: int, total: int | None = None) -> None:
    fields = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def _lease_lapsed_before():
    return timezone.now() - timedelta(seconds=_setting("JOB_LEASE_SECONDS", 120))


class _Heartbeat(threading.Thread):
    """Renews a running job's lease from the worker process while its handler runs."""

    def __init__(self, job_id, worker: str):
        super().__init__(daemon=True, name=f"job-heartbeat-{job_id}")
        self.job_id, self.worker = job_id, worker
        self.stopped = threading.Event()

    def run(self):
        interval = _setting("JOB_HEARTBEAT_SECONDS", 15)
        try:
            while not self.stopped.wait(interval):
                Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, worker=self.worker).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a heartbeat that fails only shortens the lease
            log.exception("heartbeat of job %s failed", self.job_id)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self):
        self.stopped.set()
        self.join(timeout=5)


def job_run(job_id: str, *, heartbeat: bool = False) -> bool:
    """Claim the job with a conditional update, so two workers never run the same job.

    A job is claimable while pending, or while running under a lease that lapsed (its worker
    died and the message came back). Returns False if another worker holds it, or it is
    finished. ``heartbeat`` renews the lease from a thread while the handler runs (a real
    worker; the in-process default needs none)."""
    now = timezone.now()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    lapsed = Q(state=JobState.RUNNING) & (
        Q(heartbeat_at__lt=_lease_lapsed_before()) | Q(heartbeat_at__isnull=True)
    )
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(Q(state=JobState.PENDING) | lapsed)
        .update(
            state=JobState.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            worker=worker,
            dispatch_failed_at=None,
        )
    )
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)
    beat = _Heartbeat(job.pk, worker) if heartbeat else None
    if beat:
        beat.start()
    try:
        result = HANDLERS[job.kind](job)
    except Exception as exc:  # the job records the failure; the worker lives on
        Job.objects.filter(pk=job_id).update(
            state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        figures.forget(job.kind.split(".", 1)[0])  # a batch marked failed, say
        raise
    finally:
        if beat:
            beat.stop()
    if isinstance(result, Deferred):
        return True
    Job.objects.filter(pk=job_id).update(state=JobState.DONE, result=result or {}, finished_at=timezone.now())
    # what the job wrote (flags raised, grades recomputed) shows on the next dashboard
    figures.forget(job.kind.split(".", 1)[0])
    return True


def jobs_sweep(*, limit: int = 200) -> dict:
    """Find jobs that faults left behind and see them finished (idempotent; run by beat).

    - running, lease lapsed (the worker was killed): queued again, or failed with a Chinese
      message after ``JOB_MAX_ATTEMPTS`` attempts (and the kind's ``on_lost`` hook is told);
    - pending and never delivered (the broker was away), or delivered longer than
      ``JOB_REDISPATCH_SECONDS`` ago and still not started (the message was lost): sent again.
      A job claimed twice still runs once (``job_run`` claims conditionally).
    """
    now = timezone.now()
    max_attempts = _setting("JOB_MAX_ATTEMPTS", 3)
    lapsed = Job.objects.filter(state=JobState.RUNNING).filter(
        Q(heartbeat_at__lt=_lease_lapsed_before()) | Q(heartbeat_at__isnull=True)
    )
    requeued, failed = [], []
    for job in lapsed.order_by("created_at")[:limit]:
        if job.attempts >= max_attempts:
            message = LOST_MESSAGE.format(attempts=job.attempts)
            if Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at).update(
                state=JobState.FAILED, error=message, finished_at=now
            ):
                failed.append(job)
                hook = ON_LOST.get(job.kind)
                if hook is not None:
                    hook(job, message)
        elif Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at).update(
            state=JobState.PENDING, worker="", queued_at=None
        ):
            requeued.append(job)
    stale = now - timedelta(seconds=_setting("JOB_REDISPATCH_SECONDS", 300))
    undelivered = list(
        Job.objects.filter(state=JobState.PENDING)
        .filter(
            Q(dispatch_failed_at__isnull=False)
            | Q(queued_at__lt=stale)
            | Q(queued_at__isnull=True, created_at__lt=stale)
        )
        .exclude(pk__in=[j.pk for j in requeued])
        .order_by("created_at")[:limit]
    )
    to_send = requeued + undelivered
    sent = jobs_dispatch(to_send) if to_send else []
    return {
        "requeued": len(requeued),
        "failed": len(failed),
        "redelivered": len([j for j in sent if j in undelivered]),
        "not_sent": len(to_send) - len(sent),
    }


@register("worker_check")
def _worker_check(job: Job) -> dict:
    """Proves a worker can reach the database: records which process ran it."""
    progress(job, 1, 1)
    return {"hostname": socket.gethostname(), "pid": os.getpid(), "message": job.params.get("message", "")}
