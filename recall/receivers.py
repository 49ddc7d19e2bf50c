"""Changes elsewhere that start an evaluation of the flag rules, so flags follow the record."""

from django.dispatch import receiver

from assessment.models import PeriodStatus
from assessment.signals import grades_recomputed
from supervision.models import Interview
from supervision.signals import exemptions_changed, interviews_changed

from .tasks import queue_flag_job

# The flag rules read annual results once published; grades of an open period do not count yet.
READ_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


@receiver(grades_recomputed, dispatch_uid="recall.grades_recomputed")
def _grades_recomputed(sender, *, status="", annual=True, **kwargs):
    if annual and status in READ_STATUSES:
        queue_flag_job(reason="考核结果变化")


@receiver(interviews_changed, dispatch_uid="recall.interviews_changed")
def _interviews_changed(sender, *, interview_ids=(), actor=None, **kwargs):
    # Only the cadres talked to can see their flags change (a team's talk flags nobody): a
    # narrow evaluation, cheap when run in-process after each recorded talk.
    cadre_ids = set(
        Interview.objects.filter(pk__in=list(interview_ids), cadre__isnull=False).values_list(
            "cadre_id", flat=True
        )
    )
    if cadre_ids:
        queue_flag_job(actor=actor, reason="谈话记录变化", cadre_ids=cadre_ids)


@receiver(exemptions_changed, dispatch_uid="recall.exemptions_changed")
def _exemptions_changed(sender, *, cadre_ids=(), actor=None, **kwargs):
    # A 可容 talk or recall case no longer counts, a flag decided 可容 closes (and a revoked
    # decision counts again): the cadre's flags are evaluated again.
    if cadre_ids:
        queue_flag_job(actor=actor, reason="容错纠错认定变化", cadre_ids=set(cadre_ids))
