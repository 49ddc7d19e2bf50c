"""Reads of leave records (请假记录), each taking the caller so scope cannot be forgotten."""

import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Cadre, LeaveRecord
from .selectors import scope_q


def leaves_visible_to(user) -> QuerySet[LeaveRecord]:
    return LeaveRecord.objects.filter(scope_q(user, prefix="cadre__unit__"))


def leave_get(user, pk, cadre: Cadre | None = None) -> LeaveRecord:
    """One leave record in the user's subtree (of ``cadre``, when given), else 404."""
    qs = leaves_visible_to(user).select_related("cadre", "cadre__unit")
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    try:
        return qs.get(pk=pk)
    except (LeaveRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("请假记录不存在或不在您的管辖范围内。") from None


def leave_days(leave: LeaveRecord, today: datetime.date | None = None) -> int:
    """Calendar days of the leave, both ends counted; one still running counts to today."""
    last = leave.end_date or (today or timezone.localdate())
    return max((last - leave.start_date).days + 1, 0)


def profile_context(user, cadre: Cadre) -> dict:
    """The cadre's leave records, newest first, each with its days, and this year's total
    (one query)."""
    today = timezone.localdate()
    year_start, year_end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    leaves = list(leaves_visible_to(user).filter(cadre=cadre).order_by("-start_date", "-id"))
    for leave in leaves:
        leave.days = leave_days(leave, today)
        leave.running = leave.end_date is None
    return {
        "leaves": leaves,
        "leaves_cadre": cadre,
        "leaves_year": today.year,
        # overlapping records are refused, so this year's days add up without merging
        "leaves_year_days": sum(
            leave.days_within(year_start, min(year_end, today) if leave.running else year_end)
            for leave in leaves
        ),
        "leaves_can_edit": user.can("edit_registry"),
    }
