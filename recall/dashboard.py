"""The recall panel of the home page's dashboard: cases by stage, flags waiting for review and
adjustments waiting for approval, each figure a link to its filtered list."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from accounts.roles import Role
from core import registry

from .models import OPEN_STAGES, DecisionStatus, FlagStatus, Stage
from .selectors import adjustments_visible_to, cases_visible_to, flags_visible_to


def _cases_url(**params) -> str:
    return f"{reverse('recall:cases')}?{urlencode(params)}"


def _panel(user) -> dict | None:
    counts = cases_visible_to(user).aggregate(
        open=Count("id", filter=Q(stage__in=OPEN_STAGES)),
        **{s.value: Count("id", filter=Q(stage=s)) for s in Stage},
    )
    flags = flags_visible_to(user).filter(status=FlagStatus.OPEN).count()
    pending = adjustments_visible_to(user).filter(status=DecisionStatus.PROPOSED).count()
    chart = registry.dashboard_chart(
        "chart-recall-stages",
        title="召回案件各环节",
        categories=[s.label for s in Stage],
        series=[
            {
                "name": "案件",
                "values": [counts[s.value] for s in Stage],
                "urls": [_cases_url(stage=s.value) for s in Stage],
            }
        ],
        horizontal=True,
    )
    return {
        "icon": "arrow-repeat",
        "link": ("召回管理", reverse("recall:cases")),
        "stats": [
            {
                "key": "recall-open",
                "label": "办理中的召回",
                "value": counts["open"],
                "url": _cases_url(stage="open"),
            },
            {
                "key": "flags-open",
                "label": "待研判预警",
                "value": flags,
                "url": f"{reverse('recall:flags')}?{urlencode({'status': FlagStatus.OPEN})}",
                "alert": True,
            },
            {
                "key": "adjustments-pending",
                "label": "待批准的调整",
                "value": pending,
                "url": f"{reverse('recall:decisions')}?{urlencode({'status': DecisionStatus.PROPOSED})}",
            },
        ],
        "charts": [chart],
    }


def register() -> None:
    registry.dashboard_panel(
        "recall.pipeline",
        order=300,
        title="召回与能上能下",
        template="core/dashboard_stats.html",
        context=_panel,
        roles={Role.STAFF, Role.HEAD, Role.AUDITOR},
        depends=("recall", "cadres", "assessment", "supervision"),
    )
