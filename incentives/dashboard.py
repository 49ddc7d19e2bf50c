"""The incentives panel of the home page's dashboard: the newest period's 三挂钩 lists, per list
the eligible entries waiting for a decision, granted and declined, each a link to the list
filtered that way."""

from urllib.parse import urlencode

from django.db.models import Count, Exists
from django.urls import reverse

from accounts.roles import Role
from core import registry

from .models import ListKind, Verdict
from .selectors_decisions import _decision_of, decisions_visible_to, entries_visible_to, list_periods

STATES = [("no", "待决定"), (Verdict.GRANTED.value, "同意"), (Verdict.DECLINED.value, "不同意")]


def _list_url(period, kind, decided) -> str:
    return (
        f"{reverse('incentives:lists')}?{urlencode({'period': period.pk, 'kind': kind, 'decided': decided})}"
    )


def _panel(user) -> dict | None:
    period = list_periods().first()
    if period is None:
        return None
    counts = {(kind, state): 0 for kind in ListKind.values for state, _ in STATES}
    for row in (
        entries_visible_to(user)
        .filter(period=period, eligible=True)
        .exclude(Exists(_decision_of()))
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
    ):
        counts[(row["kind"], "no")] = row["n"]
    for row in (
        decisions_visible_to(user)
        .filter(period=period)
        .order_by()
        .values("kind", "verdict")
        .annotate(n=Count("id"))
    ):
        counts[(row["kind"], row["verdict"])] = row["n"]
    kinds = [k for k in ListKind if any(counts[(k.value, s)] for s, _ in STATES)] or list(ListKind)[:1]
    chart = registry.dashboard_chart(
        "chart-incentive-decisions",
        title=f"{period.name} 激励名单决定",
        categories=[k.label for k in kinds],
        stack=True,
        horizontal=True,
        series=[
            {
                "name": label,
                "values": [counts[(k.value, state)] for k in kinds],
                "urls": [_list_url(period, k.value, state) for k in kinds],
            }
            for state, label in STATES
        ],
    )
    pending = sum(counts[(k, "no")] for k in ListKind.values)
    return {
        "icon": "award",
        "link": ("三挂钩名单", f"{reverse('incentives:lists')}?{urlencode({'period': period.pk})}"),
        "stats": [
            {
                "key": "incentives-pending",
                "label": "待决定",
                "value": pending,
                "url": _list_url(period, kinds[0].value, "no"),
                "alert": True,
            },
            *(
                {
                    "key": f"incentives-{state}",
                    "label": label,
                    "value": sum(counts[(k, state)] for k in ListKind.values),
                    "url": _list_url(period, kinds[0].value, state),
                }
                for state, label in STATES[1:]
            ),
        ],
        "charts": [chart],
    }


def register() -> None:
    registry.dashboard_panel(
        "incentives.decisions",
        order=400,
        title="激励决定",
        template="core/dashboard_stats.html",
        context=_panel,
        roles={Role.STAFF, Role.HEAD, Role.AUDITOR},
        depends=("incentives", "assessment", "cadres"),
    )
