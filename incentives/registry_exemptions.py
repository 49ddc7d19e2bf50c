"""What 容错纠错 adds to the shared registries: the cadre profile's section and timeline entries
(``core.registry``), its demo data, and the incentive lists following a decision (through
``supervision.signals.exemptions_changed``). Reads go through the scoped selectors."""

from __future__ import annotations

from django.dispatch import receiver
from django.urls import reverse

from cadres.models import Unit
from core import registry
from supervision.selectors.exemptions import exemption_list, matters_of
from supervision.signals import exemptions_changed

PROFILE_LIMIT = 20


def profile_context(user, cadre) -> dict | None:
    """The cadre's decisions, newest first (two queries, and one per matter type present);
    the section is left out when there are none and the user may not decide."""
    rows = list(exemption_list(user, cadre=cadre)[: PROFILE_LIMIT + 1])
    can_decide = user.can("approve")
    if not rows and not can_decide:
        return None
    matters = matters_of(rows)
    for e in rows:
        e.matter = matters.get((e.matter_type, e.matter_id))
    return {
        "exemptions": rows[:PROFILE_LIMIT],
        "exemptions_more": len(rows) > PROFILE_LIMIT,
        "exemptions_cadre": cadre,
    }


def _entries(user, cadre, limit: int):
    for e in exemption_list(user, cadre=cadre)[:limit]:
        yield registry.TimelineEntry(
            on=e.decided_on,
            kind="容错纠错",
            title=f"{e.get_matter_type_display()}认定为{e.get_verdict_display()}",
            detail=f"{e.get_intent_display()}、{e.get_motive_display()}、{e.get_nature_display()}",
            url=reverse("incentives:exemption_detail", args=[e.pk]),
        )


@receiver(exemptions_changed, dispatch_uid="incentives.exemptions_changed")
def _exemptions_changed(sender, *, cadre_ids=(), unit_paths=(), actor=None, **kwargs):
    """The 三挂钩 lists no longer hold a 可容 matter against the cadre (or, for a team's 约谈, the
    team's unit): queue their computation for the published periods, when the lists' job exists
    (it is another area's; nothing is queued without it)."""
    try:
        from incentives.lists.tasks import queue_lists_job
    except ImportError:
        return
    reason = "容错纠错认定变化"
    if cadre_ids:
        queue_lists_job(actor=actor, reason=reason, cadre_ids=set(cadre_ids))
        return
    for unit in Unit.objects.filter(path__in=list(unit_paths)).only("pk"):
        queue_lists_job(actor=actor, reason=reason, unit_id=unit.pk)


def register() -> None:
    from .demo_exemptions import seed_exemptions

    # after recall (300): the demo decides on talks, a sanction's grade and a raised flag
    registry.demo_step("exemptions", order=350, seed=seed_exemptions)
    registry.profile_section(
        "incentives.exemptions",
        title="容错纠错",
        order=260,
        template="incentives/exemptions/_profile_section.html",
        context=profile_context,
    )
    registry.timeline_source("incentives.exemptions", label="容错纠错", entries=_entries)
