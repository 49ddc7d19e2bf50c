import datetime
from collections import Counter

from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Max, When
from django.shortcuts import render
from django.utils import timezone

from audit.selectors import audit_visible_to
from audit.views import present_entries
from cadres.models import CadreKind, CadreStatus
from cadres.selectors import cadre_counts, unit_label, units_visible_to

from . import registry

TODO_LIMIT = 20


@login_required
def home(request):
    """Dashboard: the registry of the user's subtree at a glance."""
    user = request.user
    # the dashboard's figures are kept as data (core/figures.py); ?refresh=1 counts them afresh
    user.figures_refresh = request.GET.get("refresh") == "1"
    # every count by kind and status from the one grouped read of the subtree's cadres that the
    # dashboard's panels share (per unit, kind and status)
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for _unit, kind, status, n in cadre_counts(user):
        kinds[kind] += n
        statuses[status] += n
    total = sum(kinds.values())
    by_kind = [{"value": k.value, "label": k.label, "count": kinds[k.value]} for k in CadreKind]
    by_status = [{"value": s.value, "label": s.label, "count": statuses[s.value]} for s in CadreStatus]
    for row in (*by_kind, *by_status):
        row["percent"] = round(row["count"] * 100 / total) if total else 0
    recent = None
    if user.can("view_audit"):
        recent = present_entries(audit_visible_to(user).order_by("-id")[:8], user, with_changes=False)
    # 待办: whatever the apps registered (core/registry.py), e.g. supervision's 约谈 proposals
    # awaiting a head's approval and the user's report reminders; up to TODO_LIMIT of each.
    todo, todo_links = registry.todo_items(user, limit=TODO_LIMIT)
    # the count of units and the user's own unit as lists name it (光明村（城关镇）): one query
    units = units_visible_to(user).aggregate(
        n=Count("id"), own=Max(Case(When(pk=user.unit_id, then=unit_label())))
    )
    # the dashboard's panels (charts and figures) the apps registered, each its own aggregates
    panels = registry.dashboard(user)
    counted_at = getattr(user, "figures_counted_at", None)
    return render(
        request,
        "core/home.html",
        {
            "total": total,
            "by_kind": by_kind,
            "by_status": by_status,
            "unit_count": units["n"],
            "own_unit": units["own"] or (user.unit.name if user.unit_id else ""),
            "recent": recent,
            "can_edit": user.can("edit_registry"),
            "todo": todo,
            "todo_links": todo_links,
            "panels": panels,
            # when the kept figures shown (panels, 关爱提醒) were counted; None: just now
            "figures_counted_at": counted_at,
            "figures_just_now": counted_at is not None
            and timezone.now() - counted_at < datetime.timedelta(minutes=1),
        },
    )
