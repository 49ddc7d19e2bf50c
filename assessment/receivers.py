"""Changes elsewhere that start a recomputation of the open periods, so grades follow them."""

from django.dispatch import receiver

from supervision.signals import interviews_changed, sanctions_changed

from .services.recompute import recompute_open_periods


@receiver(interviews_changed, dispatch_uid="assessment.interviews_changed")
def _interviews_changed(sender, *, unit_paths=(), actor=None, **kwargs):
    # 约谈 caps bear on annual grades only.
    recompute_open_periods(unit_paths=unit_paths, actor=actor, reason="谈话记录变化", annual_only=True)


@receiver(sanctions_changed, dispatch_uid="assessment.sanctions_changed")
def _sanctions_changed(sender, *, unit_paths=(), actor=None, **kwargs):
    recompute_open_periods(unit_paths=unit_paths, actor=actor, reason="处分记录变化", annual_only=True)
