"""What 关爱 and the township-service rule plug in: the move check of ``cadres.moves`` (no transfer
or secondment out of a township before the GRASSROOTS minimum, unless a head approves), the
profile's 基层服务年限 and 关爱记录 sections, care records on the timeline, the 关爱提醒 items of
待办, and the demo data. ``incentives.registry_hooks`` calls ``register``."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from cadres.moves import register_move_check
from core import figures, registry

from .grassroots import township_move_check, township_service
from .models import CareKind
from .selectors_care import DueKind, care_due_counts, care_records_visible_to, departures_visible_to


def township_context(user, cadre) -> dict | None:
    """基层服务年限 on the profile (two queries): shown for a cadre in a township or with a
    township service start on record."""
    service = township_service(cadre)
    if not (service.recorded or service.in_township):
        return None
    return {"township": service}


def care_context(user, cadre) -> dict | None:
    """关爱记录 on the profile: the latest records and this year's visits, checks and leave
    (three queries). Nothing to show and no right to record leaves the section out."""
    mine = care_records_visible_to(user).filter(cadre=cadre)
    records = list(mine.order_by("-date", "-id")[:10])
    departure = departures_visible_to(user).filter(cadre=cadre).first()
    can_manage = user.can("manage_incentives")
    if not (records or departure or can_manage):
        return None
    year = timezone.localdate().year
    this_year = Q(date__year=year)
    stats = mine.aggregate(
        total=Count("pk"),
        visits=Count("pk", filter=this_year & Q(kind=CareKind.VISIT)),
        checks=Count("pk", filter=this_year & Q(kind=CareKind.HEALTH_CHECK)),
        leave=Sum("days", filter=this_year & Q(kind=CareKind.LEAVE)),
    )
    return {
        "care_cadre": cadre,
        "care_records": records,
        "care_total": stats["total"],
        "care_year": year,
        "care_visits": stats["visits"],
        "care_checks": stats["checks"],
        "care_leave": stats["leave"] or 0,
        "care_departure": departure,
        "care_can_manage": can_manage,
    }


def _care_entries(user, cadre, limit: int):
    records = care_records_visible_to(user).filter(cadre=cadre).order_by("-date", "-id")[:limit]
    url = reverse("incentives:care") + f"?cadre={cadre.pk}"
    for r in records:
        title = r.get_kind_display() + (f"（{r.get_occasion_display()}）" if r.occasion else "")
        if r.kind == CareKind.LEAVE and r.days:
            title += f" {r.days}天"
        yield registry.TimelineEntry(on=r.date, kind="关爱", title=title, detail=r.content[:60], url=url)


def _due_items(user, limit: int) -> list[registry.TodoItem]:
    """One 待办 line per kind of care due in the user's scope (the count, linking to the list),
    for the staff who record care (heads approve; as recall's flags, they are not asked)."""
    if not user.can("manage_incentives") or user.can("approve"):
        return []
    # kept as data (core/figures.py): grouping the year's care records of 100,000 cadres is the
    # home page's largest single cost; a care record, a cadre or a rule written forgets it
    day = timezone.localdate()
    counts = figures.kept(
        user,
        f"todo:incentives.care_due:{day.isoformat()}",
        lambda: care_due_counts(user, on=day),
        depends=("incentives", "cadres", "assessment"),
    )
    url = reverse("incentives:care_due")
    return [
        registry.TodoItem(
            kind="关爱提醒",
            tone="due-soon",
            title=f"{label}：{counts[key]}",
            url=f"{url}?kind={key}",
            detail="按关爱标准核对本年度情况",
        )
        for key, label in DueKind.choices
        if counts[key]
    ][:limit]


def register() -> None:
    from .demo_care import seed_care

    register_move_check(township_move_check)
    registry.profile_section(
        "incentives.township",
        title="基层服务年限",
        order=400,
        template="incentives/care/_township_section.html",
        context=township_context,
        place="side",
    )
    registry.profile_section(
        "incentives.care",
        title="关爱记录",
        order=420,
        template="incentives/care/_profile_section.html",
        context=care_context,
    )
    registry.timeline_source("incentives.care", label="关爱", entries=_care_entries)
    registry.todo_source(
        "incentives.care_due", order=400, items=_due_items, link=("关爱提醒", "incentives:care_due")
    )
    # after the registry, supervision, assessment and recall: it reads their cadres
    registry.demo_step("care", order=460, seed=seed_care)
