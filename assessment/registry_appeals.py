"""What 复核申诉 adds to the cadre profile, its timeline and a head's 待办 (``core.registry``);
registered from ``registry_hooks.register``."""

from django.urls import reverse
from django.utils import timezone

from core import registry

from .models import AppealStatus
from .selectors_appeals import appeals_visible_to, cadre_appeals, pending_for


def _profile(user, cadre) -> dict | None:
    appeals = cadre_appeals(user, cadre)
    return {"appeals": appeals} if appeals else None


def _entries(user, cadre, limit: int):
    appeals = (
        appeals_visible_to(user)
        .filter(assessment__cadre=cadre)
        .select_related("assessment__period")
        .order_by("-filed_on", "-id")[:limit]
    )
    for appeal in appeals:
        url = reverse("assessment:appeal_detail", args=[appeal.pk])
        period = appeal.assessment.period.name
        yield registry.TimelineEntry(
            on=appeal.filed_on,
            kind="复核申诉",
            title=period,
            detail=f"原等次{appeal.grade_before}",
            url=url,
        )
        if appeal.status != AppealStatus.PENDING and appeal.decided_at:
            changed = appeal.status == AppealStatus.CHANGED
            yield registry.TimelineEntry(
                on=timezone.localtime(appeal.decided_at).date(),
                kind="复核决定",
                title=period,
                detail=f"{appeal.grade_before} → {appeal.new_grade}"
                if changed
                else f"维持{appeal.grade_before}",
                url=url,
            )


def _todo(user, limit: int) -> list[registry.TodoItem]:
    """Appeals waiting for this head's decision, oldest first."""
    if not user.can("approve"):
        return []
    return [
        registry.TodoItem(
            kind="待决定",
            tone="approve",
            title=f"复核申诉：{appeal.assessment.cadre.name}（{appeal.assessment.period.name}，原等次{appeal.grade_before}）",
            url=reverse("assessment:appeal_detail", args=[appeal.pk]),
            detail=appeal.unit_label,
            note=f"{appeal.filed_on:%Y-%m-%d} 申请",
        )
        for appeal in pending_for(user)[:limit]
    ]


def register() -> None:
    from .demo_appeals import seed_appeals

    registry.demo_step("appeals", order=390, seed=seed_appeals)  # after the 更正 of incentive_decisions (380)
    registry.profile_section(
        "assessment.appeals",
        title="复核申诉",
        order=110,
        template="assessment/appeal_profile.html",
        context=_profile,
    )
    registry.timeline_source("assessment.appeals", label="复核申诉", entries=_entries)
    registry.todo_source(
        "assessment.appeals", order=150, items=_todo, link=("复核申诉", "assessment:appeals")
    )
