"""Changes elsewhere that start an evaluation of the flag rules, so flags follow the record."""

from django.dispatch import receiver

from assessment.models import PeriodStatus
from assessment.signals import grades_recomputed
from supervision.signals import interviews_changed

from .tasks import queue_flag_job

# The flag rules read annual results once published; grades of an open period do not count yet.
READ_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


@receiver(grades_recomputed, dispatch_uid="recall.grades_recomputed")
def _grades_recomputed(sender, *, status="", annual=True, **kwargs):
    if annual and status in READ_STATUSES:
        queue_flag_job(reason="考核结果变化")


@receiver(interviews_changed, dispatch_uid="recall.interviews_changed")
def _interviews_changed(sender, *, actor=None, **kwargs):
    queue_flag_job(actor=actor, reason="谈话记录变化")
