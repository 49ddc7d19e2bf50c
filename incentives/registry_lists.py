"""What the 三挂钩 lists add to the cadre profile (the entries of the latest period and every
decision), to its timeline (the decisions) and to the demo data; ``registry_hooks`` calls
``register`` here. Every function receives the request's user and reads through selectors that
take it, so scope stays where it is."""

from __future__ import annotations

from django.urls import reverse

from core import registry

from .selectors_decisions import cadre_decisions, cadre_latest_entries


def profile_context(user, cadre) -> dict | None:
    """The cadre's entries of the latest period with lists, and the decisions of every period
    (three queries); nothing on record leaves the section out."""
    entries = cadre_latest_entries(user, cadre)
    decisions = list(cadre_decisions(user, cadre))
    if not entries and not decisions:
        return None
    by_key = {(d.period_id, d.kind): d for d in decisions}
    for entry in entries:
        entry.decision = by_key.get((entry.period_id, entry.kind))
    return {
        "inc_cadre": cadre,
        "inc_period": entries[0].period if entries else None,
        "inc_eligible": [e for e in entries if e.eligible],
        "inc_left_out": [e for e in entries if not e.eligible],
        "inc_decisions": decisions,
    }


def _decision_entries(user, cadre, limit: int):
    for d in cadre_decisions(user, cadre).order_by("-decided_on", "-id")[:limit]:
        yield registry.TimelineEntry(
            on=d.decided_on,
            kind="激励决定",
            title=f"{d.period.name}“{d.get_kind_display()}”：{d.get_verdict_display()}",
            detail=d.reason[:60],
            url=reverse("incentives:entry_detail", args=[d.period_id, d.kind, d.cadre_id]),
        )


def register() -> None:
    from .demo_decisions import ORDER, seed_decisions

    registry.profile_section(
        "incentives.lists",
        title="激励名单与决定",
        order=270,
        template="incentives/_profile_section.html",
        context=profile_context,
    )
    registry.timeline_source("incentives.decisions", label="激励决定", entries=_decision_entries)
    registry.demo_step("incentive_decisions", order=ORDER, seed=seed_decisions)
