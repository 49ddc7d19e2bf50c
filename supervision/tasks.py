from celery import shared_task

from core.tasks import scan_reminders as scan_all_reminders


@shared_task(name="supervision.scan_reminders")
def scan_reminders() -> dict:
    """The daily job's former name, kept for tasks a deployment queued before it became
    ``core.scan_reminders``: it runs the whole job (every registered scan, supervision's
    rectification reports among them), which is idempotent."""
    return scan_all_reminders()
