"""The work-order panel of the home page's dashboard: open orders by step and the overdue ones,
each figure a link to the filtered order list."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from core import registry

from .models import OPEN_STATUSES, OrderStatus
from .selectors import visible_orders


def _list_url(**params) -> str:
    return f"{reverse('workorders:home')}?{urlencode(params)}" if params else reverse("workorders:home")


def _panel(user) -> dict | None:
    from .views.orders import order_list  # the list's own definition of overdue

    today = timezone.localdate()
    counts = visible_orders(user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        **{s.value: Count("id", filter=Q(status=s)) for s in OPEN_STATUSES},
    )
    overdue = order_list(user, today=today, filters={"overdue": True}).order_by().count()
    chart = registry.dashboard_chart(
        "chart-workorder-steps",
        title="未办结工单各环节",
        categories=[OrderStatus(s).label for s in OPEN_STATUSES],
        series=[
            {
                "name": "工单",
                "values": [counts[s.value] for s in OPEN_STATUSES],
                "urls": [_list_url(status=s.value) for s in OPEN_STATUSES],
            }
        ],
    )
    return {
        "icon": "megaphone",
        "link": ("民情工单", _list_url()),
        "stats": [
            {"key": "orders-open", "label": "未办结工单", "value": counts["open"], "url": _list_url()},
            {
                "key": "orders-overdue",
                "label": "逾期工单",
                "value": overdue,
                "url": _list_url(overdue="on"),
                "alert": True,
            },
        ],
        "charts": [chart],
    }


def register() -> None:
    registry.dashboard_panel(
        "workorders.orders",
        order=500,
        title="民情工单",
        template="core/dashboard_stats.html",
        context=_panel,
        roles={Role.STAFF, Role.HEAD, Role.AUDITOR},
        depends=("workorders", "cadres"),
    )
