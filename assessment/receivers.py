"""Changes elsewhere that start a recomputation of the open periods, so grades follow them."""

from django.dispatch import receiver

from cadres.signals import grading_facts_changed
from supervision.models import MatterType
from supervision.signals import (
    exemptions_changed,
    interviews_changed,
    investigations_changed,
    sanctions_changed,
)

from .models import OPEN_STATUSES, Period
from .services.recompute import recompute_open_periods, recompute_queue_paths


@receiver(interviews_changed, dispatch_uid="assessment.interviews_changed")
def _interviews_changed(sender, *, unit_paths=(), actor=None, **kwargs):
    # 约谈 caps bear on annual grades only.
    recompute_open_periods(unit_paths=unit_paths, actor=actor, reason="谈话记录变化", annual_only=True)


@receiver(sanctions_changed, dispatch_uid="assessment.sanctions_changed")
def _sanctions_changed(sender, *, unit_paths=(), actor=None, **kwargs):
    recompute_open_periods(unit_paths=unit_paths, actor=actor, reason="处分记录变化", annual_only=True)


@receiver(grading_facts_changed, dispatch_uid="assessment.grading_facts_changed")
def _grading_facts_changed(sender, *, unit_paths=(), actor=None, reason="", **kwargs):
    # leave records and probation bear on annual grades only (不定等次/不参加考核)
    recompute_open_periods(
        unit_paths=unit_paths, actor=actor, reason=reason or "请假或试用期记录变化", annual_only=True
    )


@receiver(investigations_changed, dispatch_uid="assessment.investigations_changed")
def _investigations_changed(sender, *, unit_paths=(), actor=None, **kwargs):
    recompute_open_periods(unit_paths=unit_paths, actor=actor, reason="立案审查记录变化", annual_only=True)


@receiver(exemptions_changed, dispatch_uid="assessment.exemptions_changed")
def _exemptions_changed(sender, *, matter_type="", unit_paths=(), years=(), actor=None, **kwargs):
    """A 容错纠错 decision on a 约谈 bears on the annual grades of the talk's year, one on a
    sanction on those its influence period reaches (that year and later). Only open periods are
    recomputed: a published result changes only through its correction procedure."""
    if not years or matter_type not in (MatterType.INTERVIEW, MatterType.SANCTION):
        return
    periods = Period.objects.filter(status__in=OPEN_STATUSES, quarter__isnull=True)
    if matter_type == MatterType.INTERVIEW:
        periods = periods.filter(year__in=list(years))
    else:
        periods = periods.filter(year__gte=min(years))
    for period in periods:
        recompute_queue_paths(period=period, unit_paths=unit_paths, actor=actor, reason="容错纠错认定变化")
