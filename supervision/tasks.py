from celery import shared_task

from .services.interviews import reminders_scan


@shared_task(name="supervision.scan_reminders")
def scan_reminders() -> dict:
    """Daily (Celery beat): reminders for rectification reports due within 7 days or overdue."""
    return reminders_scan()
