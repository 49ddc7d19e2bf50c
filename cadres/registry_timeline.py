"""What the registry itself adds to a cadre's timeline (``core.registry``): the posts held
(任职) and, for roles that may read the trail, the changes recorded in 全程纪实."""

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from audit.selectors import cadre_timeline
from core import registry


def _post_entries(user, cadre, limit: int):
    # ``cadre`` was read through the caller's scope: its posts are the caller's to see.
    for post in cadre.posts.order_by("-start_date", "-id")[:limit]:
        period = (
            f"{post.start_date:%Y.%m}—{post.end_date:%Y.%m}"
            if post.end_date
            else f"{post.start_date:%Y.%m}至今"
        )
        yield registry.TimelineEntry(
            on=post.start_date,
            kind="任职",
            title=f"{post.unit_name} {post.title}",
            detail=f"{post.get_kind_display()} · {period}",
            url=reverse("cadres:detail", args=[cadre.pk]) + "#post",
        )


def _model_label(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _audit_entries(user, cadre, limit: int):
    # cadre_timeline answers nothing for roles without view_audit
    for entry in cadre_timeline(user, cadre).only(
        "at", "action", "model", "object_repr", "actor_label", "reason"
    )[:limit]:
        detail = entry.actor_label + (f" · 原因：{entry.reason}" if entry.reason else "")
        yield registry.TimelineEntry(
            on=timezone.localtime(entry.at).date(),
            kind="纪实",
            title=f"{entry.get_action_display()}{_model_label(entry.model)}：{entry.object_repr}",
            detail=detail,
            url=reverse("cadres:detail", args=[cadre.pk]) + "#audit",
        )


def register() -> None:
    registry.timeline_source("cadres.posts", label="任职", entries=_post_entries)
    registry.timeline_source("audit.entries", label="纪实", entries=_audit_entries)
