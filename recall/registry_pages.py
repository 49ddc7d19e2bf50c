"""What the recall pages add to the cadre profile, its timeline, the home page's 待办 and the
demo data (``core.registry``); ``registry_hooks.register`` calls ``register`` here. Every function receives
the request's user and reads through selectors that take it, so scope stays where it is."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core import registry

from .models import RecallStep
from .selectors import adjustments_visible_to, cases_visible_to, flags_visible_to
from .selectors_pages import (
    cases_awaiting_approval,
    decisions_awaiting_approval,
    flag_rows,
    profile_context,
    waited_days,
)

# An open flag waiting longer than this shows as overdue in 待办.
FLAG_OVERDUE_DAYS = 30

# ---------------------------------------------------------------- 待办


def _case_approvals(user, limit: int) -> list[registry.TodoItem]:
    """Recall proposals waiting for this head, oldest first."""
    if not user.can("approve"):
        return []
    return [
        registry.TodoItem(
            kind="待审批",
            tone="approve",
            title=f"召回提议：{case.cadre.name}",
            url=reverse("recall:case_detail", args=[case.pk]),
            detail=case.unit_label,
            note=f"{case.proposed_on:%Y-%m-%d} 提议",
            due=case.proposed_on,
        )
        for case in cases_awaiting_approval(user)[:limit]
    ]


def _decision_approvals(user, limit: int) -> list[registry.TodoItem]:
    """Adjustment decisions waiting for this head, oldest first."""
    if not user.can("approve"):
        return []
    return [
        registry.TodoItem(
            kind="待审批",
            tone="approve",
            title=f"调整决定：{decision.cadre.name}（{decision.get_method_display()}）",
            url=reverse("recall:decision_detail", args=[decision.pk]),
            detail=decision.unit_label,
            note=f"{decision.proposed_on:%Y-%m-%d} 提出",
            due=decision.proposed_on,
        )
        for decision in decisions_awaiting_approval(user)[:limit]
    ]


def _open_flags(user, limit: int) -> list[registry.TodoItem]:
    """Open flags for the staff who review them (heads approve what the staff propose), the
    longest waiting first."""
    if not user.can("manage_recall") or user.can("approve"):
        return []
    today = timezone.localdate()
    items = []
    for flag in flag_rows(user, status="open")[:limit]:
        waited = waited_days(flag, today)
        items.append(
            registry.TodoItem(
                kind="待研判",
                tone="overdue" if waited > FLAG_OVERDUE_DAYS else "due-soon",
                title=f"不适宜担任现职预警：{flag.cadre.name}",
                url=reverse("recall:flag_detail", args=[flag.pk]),
                detail=flag.rule_name,
                note=f"已等待{waited}天",
                overdue=waited > FLAG_OVERDUE_DAYS,
            )
        )
    return items


# ---------------------------------------------------------------- timeline


def _step_entries(user, cadre, limit: int):
    steps = (
        RecallStep.objects.filter(case__in=cases_visible_to(user).filter(cadre=cadre))
        .select_related("case")
        .order_by("-on", "-id")[:limit]
    )
    for step in steps:
        yield registry.TimelineEntry(
            on=step.on,
            kind="召回",
            title=step.label,
            detail=step.case.get_stage_display() if step.step == "propose" else "",
            url=reverse("recall:case_detail", args=[step.case_id]),
        )


def _flag_entries(user, cadre, limit: int):
    for flag in flags_visible_to(user).filter(cadre=cadre).order_by("-raised_at", "-id")[:limit]:
        yield registry.TimelineEntry(
            on=timezone.localtime(flag.raised_at).date(),
            kind="预警",
            title=flag.rule_name,
            detail=flag.get_status_display(),
            url=reverse("recall:flag_detail", args=[flag.pk]),
        )


def _decision_entries(user, cadre, limit: int):
    for decision in adjustments_visible_to(user).filter(cadre=cadre).order_by("-proposed_on", "-id")[:limit]:
        yield registry.TimelineEntry(
            on=decision.approved_on or decision.proposed_on,
            kind="调整决定",
            title=decision.get_method_display() + ("（退居二线）" if decision.step_back else ""),
            detail=decision.get_status_display(),
            url=reverse("recall:decision_detail", args=[decision.pk]),
        )


def register() -> None:
    from .demo import seed_recall

    # after supervision (100) and assessment (200): the demo reads their talks and grades
    registry.demo_step("recall", order=300, seed=seed_recall)
    registry.profile_section(
        "recall.profile",
        title="召回与预警",
        order=250,
        template="recall/_profile_section.html",
        context=profile_context,
    )
    registry.timeline_source("recall.steps", label="召回", entries=_step_entries)
    registry.timeline_source("recall.flags", label="预警", entries=_flag_entries)
    registry.timeline_source("recall.decisions", label="调整决定", entries=_decision_entries)
    registry.todo_source(
        "recall.approvals", order=150, items=_case_approvals, link=("召回管理", "recall:cases")
    )
    registry.todo_source("recall.decisions", order=160, items=_decision_approvals)
    registry.todo_source("recall.flags", order=170, items=_open_flags, link=("预警研判", "recall:flags"))
