"""Changes elsewhere that start a computation of the lists, so they follow the record."""

from django.dispatch import receiver

from assessment.models import PeriodStatus
from assessment.signals import grades_recomputed
from cadres.models import Unit

from .tasks import queue_lists_job

# Lists exist for annual results once published; grades of an open period do not count yet.
READ_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


@receiver(grades_recomputed, dispatch_uid="incentives.lists.grades_recomputed")
def _grades_recomputed(sender, *, period_id=None, unit_path="", status="", annual=True, **kwargs):
    # published, or a published period's grades corrected (a recomputation with force)
    if not annual or status not in READ_STATUSES or period_id is None:
        return
    unit = Unit.objects.filter(path=unit_path).only("pk").first() if unit_path else None
    queue_lists_job(period_id=period_id, unit_id=unit.pk if unit else None, reason="考核结果公布或更正")
