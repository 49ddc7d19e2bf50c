"""Reading 容错纠错 decisions (``Exemption``): which matters are tolerated (可容), for the rules that
must no longer count them (grade caps, flags, incentive eligibility) and the explanations that
must say so. Writes are ``supervision.services.exemptions``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from .models import Exemption, ExemptionVerdict


def tolerated(matter_type: str):
    """The 可容 decisions on matters of one type (a queryset)."""
    return Exemption.objects.filter(matter_type=matter_type, verdict=ExemptionVerdict.TOLERABLE)


def tolerated_ids(matter_type: str, ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the matters of ``matter_type`` (among ``ids`` when given) decided 可容. One query."""
    qs = tolerated(matter_type)
    if ids is not None:
        qs = qs.filter(matter_id__in=list(ids))
    return set(qs.values_list("matter_id", flat=True))


def tolerated_q(matter_type: str, field: str = "pk") -> Exists:
    """An annotation (or filter): whether the row's matter is decided 可容."""
    return Exists(tolerated(matter_type).filter(matter_id=OuterRef(field)))


def not_tolerated_q(matter_type: str, field: str = "pk") -> Q:
    """A filter keeping only matters (rows of a queryset whose ``field`` is the matter id) that
    no 可容 decision exempts: ``Interview.objects.filter(not_tolerated_q("interview"))``."""
    return ~Q(tolerated_q(matter_type, field))


def decision_id(matter_type: str, field: str = "pk") -> Subquery:
    """An annotation: the id of the decision (either verdict) on the row's matter, or None, so a
    list shows each row's decision in the query that reads the rows."""
    return Subquery(
        Exemption.objects.filter(matter_type=matter_type, matter_id=OuterRef(field)).values("pk")[:1]
    )


def decision_verdict(matter_type: str, field: str = "pk") -> Subquery:
    """An annotation: the verdict of the decision on the row's matter ("" -> None when none)."""
    return Subquery(
        Exemption.objects.filter(matter_type=matter_type, matter_id=OuterRef(field)).values("verdict")[:1]
    )


def tolerated_decisions(matter_type: str, ids) -> dict[int, Exemption]:
    """``{matter id: decision}`` of the 可容 decisions on ``ids`` (an iterable or a queryset of
    ids, read as a subquery). One query."""
    if not isinstance(ids, QuerySet):
        ids = list(ids)
    qs = tolerated(matter_type).filter(matter_id__in=ids).select_related("decided_by")
    return {e.matter_id: e for e in qs}


def tolerated_citations(matter_type: str, ids) -> dict[int, str]:
    """``{matter id: citation}`` of the 可容 decisions on ``ids``. One query."""
    return {pk: citation(e) for pk, e in tolerated_decisions(matter_type, ids).items()}


def decisions_for(matter_type: str, ids: Iterable[int]) -> dict[int, Exemption]:
    """The decision (either verdict) on each of ``ids`` that has one, for explanations. One query."""
    qs = Exemption.objects.filter(matter_type=matter_type, matter_id__in=list(ids)).select_related(
        "decided_by"
    )
    return {e.matter_id: e for e in qs}


def citation(exemption: Exemption) -> str:
    """How an explanation names the decision: ``经容错纠错认定为可容（2026-03-01，张三认定：…）``."""
    who = str(exemption.decided_by)  # the name users know (display name, else the login name)
    return (
        f"经容错纠错认定为{exemption.get_verdict_display()}"
        f"（{exemption.decided_on:%Y-%m-%d}，{who}认定，认定编号 {exemption.pk}）"
    )
