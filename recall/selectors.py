"""Every read of recall/ that is more than a ``.get``. Each takes the caller, so scope cannot be
forgotten: a case, flag, adjustment or points record belongs to the unit it was addressed to, and
one outside the caller's subtree is as absent as one that never existed."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from cadres.models import Unit
from cadres.selectors import scope_q

from .models import OPEN_STAGES, AdjustmentDecision, Flag, FlagStatus, PointRecord, RecallCase, Situation


def cases_visible_to(user) -> QuerySet[RecallCase]:
    return RecallCase.objects.filter(scope_q(user))


def case_list(
    user,
    *,
    stage: str = "",
    unit: Unit | None = None,
    level: str = "",
    cause: str = "",
    source: str = "",
    cadre_id: int | None = None,
    name: str = "",
) -> QuerySet[RecallCase]:
    """Cases in scope, newest proposal first; ``unit`` covers its whole subtree, ``stage="open"``
    means every stage still in progress, ``name`` is part of the cadre's name."""
    qs = cases_visible_to(user).select_related("cadre", "unit", "situation")
    if stage == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif stage:
        qs = qs.filter(stage=stage)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if level:
        qs = qs.filter(level=level)
    if cause:
        qs = qs.filter(cause=cause)
    if source:
        qs = qs.filter(source=source)
    if cadre_id:
        qs = qs.filter(cadre_id=cadre_id)
    if name.strip():
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("-proposed_on", "-id")


def case_get(user, pk) -> RecallCase:
    try:
        return (
            cases_visible_to(user)
            .select_related("cadre", "unit", "situation", "proposed_by", "approved_by")
            .prefetch_related("steps__actor")
            .get(pk=pk)
        )
    except (RecallCase.DoesNotExist, ValueError, TypeError):
        raise Http404("召回案件不存在或不在您的管辖范围内。") from None


def flags_visible_to(user) -> QuerySet[Flag]:
    return Flag.objects.filter(scope_q(user))


def flag_list(user, *, status: str = "", unit: Unit | None = None, rule: str = "") -> QuerySet[Flag]:
    """Flags in scope: the open ones first, the longest waiting first among them."""
    qs = flags_visible_to(user).select_related("cadre", "unit", "reviewed_by")
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if rule:
        qs = qs.filter(rule_key=rule)
    waiting = Case(When(status=FlagStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(waiting, "raised_at", "id")


def adjustments_visible_to(user) -> QuerySet[AdjustmentDecision]:
    return AdjustmentDecision.objects.filter(scope_q(user))


def adjustment_list(
    user, *, status: str = "", method: str = "", unit: Unit | None = None
) -> QuerySet[AdjustmentDecision]:
    qs = adjustments_visible_to(user).select_related("cadre", "unit", "proposed_by", "approved_by")
    if status:
        qs = qs.filter(status=status)
    if method:
        qs = qs.filter(method=method)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("-proposed_on", "-id")


def situations(*, group: str = "", active_only: bool = False) -> QuerySet[Situation]:
    """The 惰政 catalogue is policy data shared by every unit: not scoped."""
    qs = Situation.objects.all()
    if group:
        qs = qs.filter(group=group)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("order", "id")


def points_visible_to(user) -> QuerySet[PointRecord]:
    return PointRecord.objects.filter(scope_q(user))


def point_list(user, *, unit: Unit | None = None, cadre_id: int | None = None) -> QuerySet[PointRecord]:
    qs = points_visible_to(user).select_related("cadre", "unit", "situation", "recorded_by")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if cadre_id:
        qs = qs.filter(cadre_id=cadre_id)
    return qs.order_by("-occurred_on", "-id")
