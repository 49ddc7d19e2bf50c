import datetime

from celery import shared_task
from celery.signals import worker_ready

from . import registry
from .jobs import job_run, jobs_sweep


@shared_task(name="core.run_job", bind=True)
def run_job(self, job_id: str) -> bool:
    # A real worker renews the job's lease while it runs; in-process (eager) runs need none.
    return job_run(job_id, heartbeat=not self.request.is_eager)


@shared_task(name="core.sweep_jobs")
def sweep_jobs() -> dict:
    """Re-queue jobs whose worker died, deliver jobs the broker refused (beat, every minute)."""
    return jobs_sweep()


@shared_task(name="core.scan_reminders")
def scan_reminders(today: str | None = None) -> dict:
    """Daily (Celery beat, 07:00): every reminder scan the apps registered (core.registry), for the
    same day; ``today`` (ISO date) re-runs a given day. ``{key: summary or {"error": ...}}``."""
    day = datetime.date.fromisoformat(today) if today else None
    return registry.reminder_scans_run(today=day)


@worker_ready.connect
def _sweep_at_start(**kwargs):
    # A worker that starts after a crash picks up what the crash left behind at once.
    try:
        jobs_sweep()
    except Exception:  # never keep a worker from starting
        import logging

        logging.getLogger(__name__).exception("job sweep at worker start failed")
