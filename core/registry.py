"""What the apps above ``cadres`` add to a cadre's profile, to the home page's 待办 and to the
daily reminder job.

``core`` and ``cadres`` sit below supervision, assessment (and recall, incentives, work orders to
come), so they may not import them. Each of those apps registers here from its
``AppConfig.ready`` instead, and the profile and the home page render whatever is registered, in
``order``. Every function given here receives the request's user and reads through selectors that
take it, so scope stays where it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ProfileSection:
    key: str
    title: str
    order: int
    template: str  # rendered in the page's context plus what ``context`` returns
    context: Callable[[Any, Any], dict | None]  # (user, cadre) -> dict, or None to leave it out
    perm: str | None = None  # a capability the user needs to see the section at all
    place: Literal["head", "main", "side"] = "main"  # badge by the name, wide or narrow column


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    on: datetime.date
    kind: str  # the badge: 约谈, 问题线索, 处分, 考核等次 ...
    title: str
    detail: str = ""
    url: str = ""


@dataclasses.dataclass(frozen=True)
class TimelineSource:
    key: str
    label: str
    entries: Callable[[Any, Any, int], Iterable[TimelineEntry]]  # (user, cadre, limit)


@dataclasses.dataclass(frozen=True)
class TodoItem:
    kind: str  # the badge: 待审批, 整改报告已逾期 ...
    title: str
    url: str
    detail: str = ""  # grey text after the link
    note: str = ""  # right-hand text: the date, the deadline
    due: datetime.date | None = None
    overdue: bool = False
    tone: str = ""  # badge style in core/home.html: approve, overdue, due-soon


@dataclasses.dataclass(frozen=True)
class TodoSource:
    key: str
    order: int
    items: Callable[[Any, int], Iterable[TodoItem]]  # (user, limit)
    link: tuple[str, str] | None = None  # (label, URL name) shown in the panel's header


@dataclasses.dataclass(frozen=True)
class DemoStep:
    key: str  # also what ``seed_demo --skip`` names
    order: int
    seed: Callable[..., dict]  # (seed=int) -> counts for the command's summary


@dataclasses.dataclass(frozen=True)
class DashboardPanel:
    key: str
    order: int
    title: str
    template: str  # rendered with the home page's context plus what ``context`` returns
    context: Callable[[Any], dict | None]  # (user) -> dict, or None to leave the panel out
    perm: str | None = None  # a capability the user needs to see the panel at all
    roles: frozenset[str] | None = None  # only these roles see it (superusers always do)
    # app labels whose audited writes change what the panel counts (core/figures.py); None: any
    depends: tuple[str, ...] | None = None
    keep: bool = True  # False: counted on every page (cheap, and wanted at once: a user's own uploads)


@dataclasses.dataclass(frozen=True)
class ReminderScan:
    key: str
    label: str  # what the job's result and its log call it: 约谈整改报告, 民情工单 ...
    scan: Callable[..., dict]  # (today=None) -> summary; idempotent, one reminder per due event


_sections: dict[str, ProfileSection] = {}
_timeline: dict[str, TimelineSource] = {}
_todo: dict[str, TodoSource] = {}
_demo: dict[str, DemoStep] = {}
_reminder_scans: dict[str, ReminderScan] = {}
_dashboard: dict[str, DashboardPanel] = {}


# Registering a key again replaces it, so a second ``ready()`` does no harm.
def profile_section(key, *, title, order, template, context, perm=None, place="main") -> ProfileSection:
    _sections[key] = ProfileSection(key, title, order, template, context, perm, place)
    return _sections[key]


def timeline_source(key, *, label, entries) -> TimelineSource:
    _timeline[key] = TimelineSource(key, label, entries)
    return _timeline[key]


def todo_source(key, *, order, items, link=None) -> TodoSource:
    _todo[key] = TodoSource(key, order, items, link)
    return _todo[key]


def dashboard_panel(
    key, *, order, title, template, context, perm=None, roles=None, depends=None, keep=True
) -> DashboardPanel:
    """A panel of the home page's dashboard (charts and figures, each linking to its list).
    Its context is kept as data (core/figures.py) until it expires or an audited write in one
    of the ``depends`` apps (any app when None) forgets it."""
    _dashboard[key] = DashboardPanel(
        key,
        order,
        title,
        template,
        context,
        perm,
        frozenset(roles) if roles is not None else None,
        tuple(depends) if depends is not None else None,
        keep,
    )
    return _dashboard[key]


def dashboard(user, *, refresh: bool = False) -> list[tuple[DashboardPanel, dict]]:
    """The panels this user sees on the home page, in order, each with its context. Kept
    contexts are read in one query (core/figures.py, which leaves on the user when they were
    counted); ``refresh`` counts them all afresh."""
    from . import figures

    visible = [
        panel
        for panel in sorted(_dashboard.values(), key=lambda p: (p.order, p.key))
        if not (panel.perm and not user.can(panel.perm))
        and not (panel.roles is not None and not user.is_superuser and user.role not in panel.roles)
    ]
    contexts = figures.kept_many(
        user,
        [
            figures.Wanted(
                f"panel:{panel.key}",
                (lambda panel=panel: panel.context(user)),
                panel.depends if panel.depends is not None else (figures.ANY,),
            )
            for panel in visible
            if panel.keep
        ],
        refresh=refresh,
    )
    shown = [
        (panel, contexts[f"panel:{panel.key}"] if panel.keep else panel.context(user)) for panel in visible
    ]
    return [(panel, context) for panel, context in shown if context is not None]


def demo_step(key, *, order, seed) -> DemoStep:
    """A part of the demo city ``seed_demo`` builds after the registry's own (cadres, teams)."""
    _demo[key] = DemoStep(key, order, seed)
    return _demo[key]


def demo_steps() -> list[DemoStep]:
    return sorted(_demo.values(), key=lambda s: (s.order, s.key))


def reminder_scan(key, *, label, scan) -> ReminderScan:
    """A scan the daily reminder job (``core.scan_reminders``) runs: ``scan(today=...)`` raises the
    reminders due on that day and returns a summary for the job's result."""
    _reminder_scans[key] = ReminderScan(key, label, scan)
    return _reminder_scans[key]


def reminder_scans() -> list[ReminderScan]:
    return sorted(_reminder_scans.values(), key=lambda s: s.key)


def reminder_scans_run(*, today: datetime.date | None = None) -> dict[str, dict]:
    """Run every registered scan for the same day; ``{key: summary}``.

    A scan that fails is logged and reported as ``{"error": ...}`` in its place; the others still
    run. Each scan runs in its own transaction, so a failure leaves nothing half-written and does
    not poison the connection for the next one."""
    from . import figures

    today = today or timezone.localdate()
    results: dict[str, dict] = {}
    for reminder in reminder_scans():
        try:
            with transaction.atomic():
                results[reminder.key] = reminder.scan(today=today)
                figures.forget(reminder.key.split(".", 1)[0])  # the reminders it raised, counted
        except Exception as exc:  # one broken scan must not silence the others
            logger.exception("reminder scan %s (%s) failed for %s", reminder.key, reminder.label, today)
            results[reminder.key] = {"error": f"{type(exc).__name__}: {exc}", "label": reminder.label}
    return results


@contextlib.contextmanager
def restored() -> Iterator[None]:
    """Undo, on leaving the block, whatever was registered or removed in it (for tests)."""
    saved = [
        (registry, dict(registry))
        for registry in (_sections, _timeline, _todo, _demo, _reminder_scans, _dashboard)
    ]
    try:
        yield
    finally:
        for registry, before in saved:
            registry.clear()
            registry.update(before)


def profile_sections(user, cadre) -> list[tuple[ProfileSection, dict]]:
    """The sections this user sees on this cadre's profile, in order, each with its context."""
    shown = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        if section.perm and not user.can(section.perm):
            continue
        context = section.context(user, cadre)
        if context is not None:
            shown.append((section, context))
    return shown


def timeline_sources() -> list[TimelineSource]:
    """Every registered source, in registration order (the profile's filter chips)."""
    return list(_timeline.values())


def timeline_entries(user, cadre, *, limit: int, source: str | None = None) -> list[TimelineEntry]:
    """The newest ``limit`` entries of every source (or of the one source keyed ``source``),
    newest first (ties in registration order)."""
    sources = [s for s in _timeline.values() if source is None or s.key == source]
    entries = [e for s in sources for e in s.entries(user, cadre, limit)]
    return sorted(entries, key=lambda e: e.on, reverse=True)[:limit]


def todo_items(user, *, limit: int) -> tuple[list[TodoItem], list[tuple[str, str]]]:
    """Up to ``limit`` items of each source, sources in order; and the sources' header links."""
    sources = sorted(_todo.values(), key=lambda s: (s.order, s.key))
    items = [item for source in sources for item in list(source.items(user, limit))[:limit]]
    return items, [source.link for source in sources if source.link]


def dashboard_chart(
    chart_id: str,
    *,
    title: str,
    categories: list[str],
    series: list[dict],
    stack: bool = False,
    percent: bool = False,
    horizontal: bool = False,
) -> dict:
    """What ``static/js/dashboard.js`` draws (passed through ``json_script``): one category per
    bar, each series ``{"name", "values": [...], "urls": [...], "counts": [...]?}`` with the list
    behind every segment in ``urls``; ``percent`` marks values that are shares (the tooltip then
    shows ``counts``). ``rows`` repeats the figures category by category for the table of links
    under the chart."""
    rows = [
        {
            "category": category,
            "cells": [
                {
                    "value": s["values"][i],
                    "url": s["urls"][i],
                    "count": s["counts"][i] if "counts" in s else None,
                }
                for s in series
            ],
        }
        for i, category in enumerate(categories)
    ]
    return {
        "id": chart_id,
        "title": title,
        "categories": categories,
        "series": series,
        "stack": stack,
        "percent": percent,
        "horizontal": horizontal,
        "rows": rows,
    }
