"""The supervision panel of the home page's dashboard: 约谈 by state and the overdue
整改报告 and reminders, each figure a link to the filtered interview list."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from core import registry

from .models import InterviewKind, InterviewStatus, ReminderKind
from .selectors.interviews import interviews_visible_to, reminders_visible_to

STATES = [s for s in InterviewStatus if s != InterviewStatus.RECORDED]


def _list_url(**params) -> str:
    return f"{reverse('supervision:interviews')}?{urlencode({'kind': InterviewKind.YUETAN, **params})}"


def _panel(user) -> dict | None:
    today = timezone.localdate()
    counts = (
        interviews_visible_to(user)
        .filter(kind=InterviewKind.YUETAN)
        .aggregate(
            total=Count("id"),
            overdue=Count("id", filter=Q(status=InterviewStatus.CONDUCTED, report_due__lt=today)),
            **{s.value: Count("id", filter=Q(status=s)) for s in STATES},
        )
    )
    reminders = reminders_visible_to(user).filter(kind=ReminderKind.OVERDUE, resolved_at__isnull=True).count()
    chart = registry.dashboard_chart(
        "chart-yuetan-states",
        title="约谈各环节",
        categories=[s.label for s in STATES],
        series=[
            {
                "name": "约谈",
                "values": [counts[s.value] for s in STATES],
                "urls": [_list_url(status=s.value) for s in STATES],
            }
        ],
        horizontal=True,
    )
    return {
        "icon": "chat-square-text",
        "link": ("谈话监督", reverse("supervision:interviews")),
        "stats": [
            {"key": "yuetan-total", "label": "约谈总数", "value": counts["total"], "url": _list_url()},
            {
                "key": "yuetan-overdue",
                "label": "整改报告逾期",
                "value": counts["overdue"],
                "url": _list_url(overdue="on"),
                "alert": True,
            },
            {
                "key": "reminders-overdue",
                "label": "未处理的逾期提醒",
                "value": reminders,
                "url": _list_url(overdue="on"),
                "alert": True,
            },
        ],
        "charts": [chart],
    }


def register() -> None:
    registry.dashboard_panel(
        "supervision.yuetan",
        order=200,
        title="约谈与整改",
        template="core/dashboard_stats.html",
        context=_panel,
        roles={Role.STAFF, Role.HEAD, Role.AUDITOR},
        depends=("supervision", "cadres"),
    )
