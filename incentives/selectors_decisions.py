"""Reads of the 三挂钩 lists with their decisions, for the pages, the API and the profile. Each
takes the caller, so scope cannot be forgotten: an entry or decision belongs to the cadre's assessed
unit, and one outside the caller's subtree is as absent as one that never existed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from assessment.models import Period, PeriodStatus
from audit.models import AuditAction
from audit.selectors import audit_visible_to
from cadres.models import Unit
from cadres.selectors import scope_q, unit_label

from .models import Decision, Entry, ListKind, Verdict

LIST_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


def list_periods() -> QuerySet[Period]:
    """The annual periods whose results are published: the lists are computed from them."""
    return Period.objects.filter(quarter__isnull=True, status__in=LIST_STATUSES).order_by("-year")


def entries_visible_to(user) -> QuerySet[Entry]:
    return Entry.objects.filter(scope_q(user))


def decisions_visible_to(user) -> QuerySet[Decision]:
    return Decision.objects.filter(scope_q(user))


def _decision_of(entry_ref: str = "") -> QuerySet[Decision]:
    return Decision.objects.filter(
        period=OuterRef(f"{entry_ref}period"),
        cadre=OuterRef(f"{entry_ref}cadre"),
        kind=OuterRef(f"{entry_ref}kind"),
    )


def entry_rows(
    user,
    *,
    period: Period | None = None,
    kind: str = "",
    unit: Unit | None = None,
    eligible: bool | None = None,
    cadre_id: int | None = None,
    decided: bool | None = None,
    verdict: str = "",
    name: str = "",
) -> QuerySet[Entry]:
    """Entries in scope, the eligible first in their ranking, then by unit and name; ``unit``
    covers its subtree. ``decided``/``verdict`` filter on the decision recorded for the entry."""
    qs = (
        entries_visible_to(user)
        .select_related("cadre", "unit", "period")
        .annotate(unit_label=unit_label("unit__"))
    )
    if period is not None:
        qs = qs.filter(period=period)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if eligible is not None:
        qs = qs.filter(eligible=eligible)
    if cadre_id:
        qs = qs.filter(cadre_id=cadre_id)
    if decided is not None:
        qs = qs.filter(Exists(_decision_of())) if decided else qs.exclude(Exists(_decision_of()))
    if verdict:
        qs = qs.filter(Exists(_decision_of().filter(verdict=verdict)))
    if name.strip():
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by(
        "-period__year",
        "kind",
        "-eligible",
        F("position").asc(nulls_last=True),
        "unit__path",
        "cadre__name",
        "id",
    )


def attach_decisions(entries: Iterable[Entry]) -> list[Entry]:
    """Give each entry its ``decision`` (or None): one query for a page of entries."""
    entries = list(entries)
    if not entries:
        return entries
    wanted = Q()
    for period_id in {e.period_id for e in entries}:
        wanted |= Q(
            period_id=period_id, cadre_id__in={e.cadre_id for e in entries if e.period_id == period_id}
        )
    found = {
        (d.period_id, d.cadre_id, d.kind): d
        for d in Decision.objects.filter(wanted, kind__in={e.kind for e in entries}).select_related(
            "decided_by"
        )
    }
    for entry in entries:
        entry.decision = found.get((entry.period_id, entry.cadre_id, entry.kind))
    return entries


def entry_get(user, *, period_id, kind: str, cadre_id) -> Entry:
    """One entry in scope with its decision, or 404."""
    if kind not in ListKind.values:
        raise Http404("名单不存在。")
    try:
        entry = (
            entries_visible_to(user)
            .select_related("cadre", "cadre__unit", "unit", "period")
            .annotate(unit_label=unit_label("unit__"))
            .get(period_id=period_id, kind=kind, cadre_id=cadre_id)
        )
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404("名单条目不存在或不在您的管辖范围内。") from None
    return attach_decisions([entry])[0]


def list_counts(user, *, period: Period, unit: Unit | None = None) -> dict[str, dict[str, int]]:
    """Per list: eligible, left out, granted and declined (two queries), for the tabs."""
    entries = entries_visible_to(user).filter(period=period)
    decisions = decisions_visible_to(user).filter(period=period)
    if unit is not None:
        entries = entries.filter(unit__path__startswith=unit.path)
        decisions = decisions.filter(unit__path__startswith=unit.path)
    counts = {kind: {"eligible": 0, "left_out": 0, "granted": 0, "declined": 0} for kind in ListKind.values}
    for row in (
        entries.order_by()
        .values("kind")
        .annotate(
            n_eligible=Count("id", filter=Q(eligible=True)), n_left=Count("id", filter=Q(eligible=False))
        )
    ):
        counts[row["kind"]].update(eligible=row["n_eligible"], left_out=row["n_left"])
    for row in decisions.order_by().values("kind", "verdict").annotate(n=Count("id")):
        counts[row["kind"]][row["verdict"]] = row["n"]
    return counts


def undecided_count(user, *, period: Period) -> int:
    """Eligible entries of the period still waiting for a decision (the hub's figure)."""
    return (
        entries_visible_to(user).filter(period=period, eligible=True).exclude(Exists(_decision_of())).count()
    )


def decision_history(user, entry: Entry) -> list:
    """The audit entries of the decisions ever recorded on this entry (withdrawn ones too), oldest
    first; empty for a role that may not read the trail. One query."""
    rows = list(
        audit_visible_to(user)
        .filter(model="incentives.decision", cadre_id=entry.cadre_id)
        .exclude(action=AuditAction.VIEW)
        .order_by("id")
    )
    ours = {
        r.object_id
        for r in rows
        if r.action == AuditAction.CREATE
        and (r.changes.get("period") or [None, None])[1] == entry.period_id
        and (r.changes.get("kind") or [None, None])[1] == entry.kind
    }
    return [r for r in rows if r.object_id in ours]


def cadre_decisions(user, cadre) -> QuerySet[Decision]:
    """A cadre's decisions in scope, newest period first."""
    return (
        decisions_visible_to(user)
        .filter(cadre=cadre)
        .select_related("period", "decided_by")
        .order_by("-period__year", "kind")
    )


def cadre_latest_entries(user, cadre) -> list[Entry]:
    """The cadre's entries of the latest period that has any, in list order (two queries)."""
    latest = entries_visible_to(user).filter(cadre=cadre).order_by("-period__year").values("period_id")[:1]
    return list(
        entries_visible_to(user)
        .filter(cadre=cadre, period_id__in=latest)
        .select_related("period")
        .order_by("-eligible", "kind")
    )


VERDICT_LABELS = dict(Verdict.choices)
