"""Background jobs: create a row, queue its id, let one worker claim and run it.

A job kind is a function ``handler(job) -> dict`` registered with ``@register("kind")``;
its return value becomes ``job.result``. Handlers may call ``progress(job, done, total)``.
"""

import os
import socket
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import Job, JobState

HANDLERS: dict[str, Callable[[Job], dict]] = {}


def register(kind: str):
    def wrap(fn):
        HANDLERS[kind] = fn
        return fn

    return wrap


def job_create(*, kind: str, actor=None, params: dict | None = None, scope_path: str = "") -> Job:
    """Create a job and queue it once the surrounding transaction commits."""
    return jobs_create(kind=kind, actor=actor, items=[(params, scope_path)])[0]


def jobs_create(*, kind: str, actor=None, items: list[tuple[dict, str]]) -> list[Job]:
    """Create several jobs of one kind in one INSERT, each queued once the surrounding
    transaction commits: ``items`` holds ``(params, scope_path)`` per job."""
    from .tasks import run_job

    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    jobs = Job.objects.bulk_create(
        [Job(kind=kind, params=params or {}, created_by=actor, scope_path=path) for params, path in items]
    )
    for job in jobs:
        transaction.on_commit(lambda job_id=str(job.id): run_job.delay(job_id))
    return jobs


def progress(job: Job, done: int, total: int | None = None) -> None:
    fields = {"done": done}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def job_run(job_id: str) -> bool:
    """Claim the job with a conditional update, so two workers never run the same job.

    Returns False if another worker already claimed it (or it is finished)."""
    claimed = Job.objects.filter(pk=job_id, state=JobState.PENDING).update(
        state=JobState.RUNNING,
        started_at=timezone.now(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)
    try:
        result = HANDLERS[job.kind](job)
    except Exception as exc:  # the job records the failure; the worker lives on
        Job.objects.filter(pk=job_id).update(
            state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    Job.objects.filter(pk=job_id).update(state=JobState.DONE, result=result or {}, finished_at=timezone.now())
    return True


@register("worker_check")
def _worker_check(job: Job) -> dict:
    """Proves a worker can reach the database: records which process ran it."""
    progress(job, 1, 1)
    return {"hostname": socket.gethostname(), "pid": os.getpid(), "message": job.params.get("message", "")}
