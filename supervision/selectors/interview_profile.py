"""The talks and interviews shown on a cadre's profile, and the report-deadline state of a record
(shared by the list, the detail page and the profile card)."""

import datetime

from django.utils import timezone

from ..models import Interview, InterviewKind, InterviewStatus
from ..services.interviews import REMIND_DAYS_BEFORE
from .interviews import cadre_interviews

PROFILE_LIMIT = 50


def report_state(interview: Interview, today: datetime.date) -> Interview:
    """Mark whether the rectification report is waiting, due soon or overdue (no query)."""
    waiting = (
        interview.kind == InterviewKind.YUETAN
        and interview.status == InterviewStatus.CONDUCTED
        and interview.report_due is not None
    )
    interview.report_waiting = waiting
    interview.overdue_days = (
        (today - interview.report_due).days if waiting and interview.report_due < today else 0
    )
    interview.due_in_days = (
        (interview.report_due - today).days if waiting and not interview.overdue_days else None
    )
    interview.due_soon = interview.due_in_days is not None and interview.due_in_days <= REMIND_DAYS_BEFORE
    return interview


def profile_context(user, cadre) -> dict:
    """Context for ``supervision/interviews/_profile_section.html``: the cadre's talks and
    interviews (and those of teams the cadre sits on), newest first. Two queries."""
    today = timezone.localdate()
    rows = list(cadre_interviews(user, cadre).prefetch_related("reasons")[: PROFILE_LIMIT + 1])
    more = len(rows) > PROFILE_LIMIT
    rows = [report_state(r, today) for r in rows[:PROFILE_LIMIT]]
    return {
        "cadre": cadre,
        "cadre_interviews": rows,
        "cadre_interviews_more": more,
        "cadre_yuetan_count": sum(1 for r in rows if r.kind == InterviewKind.YUETAN and r.conducted_on),
        "can_record_interview": user.can("edit_registry"),
    }
