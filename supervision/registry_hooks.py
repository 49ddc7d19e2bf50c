"""What supervision adds to the cadre profile, the home page's 待办 and the daily reminder job
(see ``core.registry``)."""

from django.urls import reverse
from django.utils import timezone

from core import registry

from .exemptions import decision_verdict
from .models import ExemptionVerdict, InterviewKind, MatterType
from .selectors.interview_profile import profile_context as interviews_context
from .selectors.interviews import cadre_interviews, todo_for
from .selectors.investigations import cadre_investigations
from .selectors.investigations import profile_context as investigations_context
from .selectors.records import clues_visible_to, is_on_hold, sanctions_visible_to
from .selectors.records import profile_context as records_context
from .services.interviews import reminders_scan


def _on_hold(user, cadre) -> dict | None:
    return {} if is_on_hold(cadre) else None


def _approvals(user, limit: int) -> list[registry.TodoItem]:
    """约谈 proposals waiting for this head's approval, oldest first."""
    return [
        registry.TodoItem(
            kind="待审批",
            tone="approve",
            title=f"约谈提议：{interview.subject_label}",
            url=reverse("supervision:interview_detail", args=[interview.pk]),
            detail=interview.unit_label,
            note=f"{interview.proposed_on or timezone.localtime(interview.proposed_at).date():%Y-%m-%d} 提议",
        )
        for interview in todo_for(user)["approvals"][:limit]
    ]


def _reminders(user, limit: int) -> list[registry.TodoItem]:
    """Open reminders of rectification reports this user is responsible for, soonest due first."""
    today = timezone.localdate()
    latest = {}
    # A report that was first "due soon" and then "overdue" has two reminders: show the later one.
    for reminder in todo_for(user)["reminders"][: limit * 2]:
        reminder.interview.unit_label = reminder.unit_label  # for its subject_label
        latest[reminder.interview_id] = reminder
    items = []
    for reminder in sorted(latest.values(), key=lambda r: (r.due_date, r.pk))[:limit]:
        days_left = (reminder.due_date - today).days
        if days_left < 0:
            when = f"（已逾期{-days_left}天）"
        else:
            when = "（今天到期）" if days_left == 0 else f"（还有{days_left}天）"
        items.append(
            registry.TodoItem(
                kind="整改报告已逾期" if days_left < 0 else "整改报告即将到期",
                tone="overdue" if days_left < 0 else "due-soon",
                title=reminder.interview.subject_label,
                url=reverse("supervision:interview_detail", args=[reminder.interview_id]),
                detail="约谈后整改报告",
                note=f"期限 {reminder.due_date:%Y-%m-%d}{when}",
                due=reminder.due_date,
                overdue=days_left < 0,
            )
        )
    return items


def _interview_entries(user, cadre, limit: int):
    for interview in cadre_interviews(user, cadre)[:limit]:
        conducted = interview.conducted_on
        yield registry.TimelineEntry(
            on=conducted or interview.proposed_on or timezone.localtime(interview.proposed_at).date(),
            kind=interview.get_kind_display(),
            title=interview.subject_label if interview.subject_type == "team" else "本人",
            detail=interview.get_status_display() if interview.kind == InterviewKind.YUETAN else "",
            url=reverse("supervision:interview_detail", args=[interview.pk]),
        )


def _clue_entries(user, cadre, limit: int):
    clues = clues_visible_to(user).filter(cadre=cadre).order_by("-received_on", "-id")[:limit]
    for clue in clues:
        yield registry.TimelineEntry(
            on=clue.received_on,
            kind="问题线索",
            title=clue.get_source_display(),
            detail=clue.get_status_display(),
            url=reverse("supervision:clue_detail", args=[clue.pk]),
        )


def _sanction_entries(user, cadre, limit: int):
    anchor = reverse("cadres:detail", args=[cadre.pk]) + "#sanctions"
    sanctions = (
        sanctions_visible_to(user)
        .filter(cadre=cadre)
        .annotate(verdict=decision_verdict(MatterType.SANCTION))
        .order_by("-decided_on", "-id")[:limit]
    )
    for sanction in sanctions:
        yield registry.TimelineEntry(
            on=sanction.decided_on,
            kind="处分",
            title=sanction.get_kind_display(),
            detail=f"容错纠错认定为{ExemptionVerdict(sanction.verdict).label}" if sanction.verdict else "",
            url=anchor,
        )


def _investigation_entries(user, cadre, limit: int):
    anchor = reverse("cadres:detail", args=[cadre.pk]) + "#investigations"
    for investigation in cadre_investigations(user, cadre)[:limit]:
        yield registry.TimelineEntry(
            on=investigation.opened_on,
            kind="立案审查",
            title=investigation.authority or "立案审查",
            detail=(
                f"{investigation.closed_on:%Y-%m-%d} 结案，{investigation.get_outcome_display()}"
                if investigation.closed_on
                else "尚未结案"
            ),
            url=anchor,
        )


def register() -> None:
    from .demo import seed_supervision
    from .demo_ungraded import seed_ungraded

    registry.demo_step("supervision", order=100, seed=seed_supervision)
    from .dashboard import register as register_dashboard

    register_dashboard()  # the home page's panel: 约谈 by state, overdue reports and reminders
    # after assessment (200): the 2026 annual period is open and regrades these cadres
    registry.demo_step("ungraded", order=250, seed=seed_ungraded)
    registry.profile_section(
        "supervision.on_hold",
        title="暂缓使用",
        order=100,
        place="head",
        template="supervision/records/_profile_badge.html",
        context=_on_hold,
    )
    registry.profile_section(
        "supervision.interviews",
        title="谈话监督",
        order=200,
        template="supervision/interviews/_profile_section.html",
        context=interviews_context,
    )
    registry.profile_section(
        "supervision.records",
        title="监督档案",
        order=300,
        template="supervision/records/_profile_section.html",
        context=records_context,
    )
    registry.profile_section(
        "supervision.investigations",
        title="立案审查",
        order=310,
        template="supervision/records/_investigation_section.html",
        context=investigations_context,
    )
    registry.timeline_source("supervision.interviews", label="谈话", entries=_interview_entries)
    registry.timeline_source("supervision.clues", label="问题线索", entries=_clue_entries)
    registry.timeline_source("supervision.sanctions", label="处分", entries=_sanction_entries)
    registry.timeline_source("supervision.investigations", label="立案审查", entries=_investigation_entries)
    registry.todo_source(
        "supervision.approvals", order=100, items=_approvals, link=("谈话监督", "supervision:interviews")
    )
    registry.todo_source("supervision.reminders", order=200, items=_reminders)
    # reports due within 7 days or overdue (core.scan_reminders, daily)
    registry.reminder_scan("supervision.interviews", label="约谈整改报告", scan=reminders_scan)
