"""The reads the recall pages make beyond ``recall.selectors``: each row with its unit's label
(光明村（城关镇）) in the same query, the filters the pages offer, counts for the tabs, 待办 and the
cadre profile. Every function takes the caller, so scope cannot be forgotten; an object outside
the caller's subtree answers 404 as one that never existed.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cadres.models import Cadre, Unit
from cadres.selectors import scope_q, unit_label
from supervision.exemptions import decision_id, decision_verdict
from supervision.models import MatterType

from .models import (
    AdjustmentDecision,
    DecisionStatus,
    Flag,
    FlagStatus,
    NegativeListEntry,
    PointRecord,
    RecallCase,
    RecallStep,
    Situation,
    SituationGroup,
    Stage,
)
from .selectors import (
    adjustments_visible_to,
    case_list,
    cases_visible_to,
    flags_visible_to,
    points_visible_to,
)

# ---------------------------------------------------------------- cases


def case_for_page(user, pk) -> RecallCase:
    """The case with what its page shows: cadre, unit label, situation, period, flag, who proposed
    and approved, and its steps with their actors (two queries)."""
    try:
        return (
            cases_visible_to(user)
            .select_related("cadre", "cadre__unit", "unit", "situation", "period", "flag")
            .select_related("proposed_by", "approved_by")
            .annotate(
                unit_label=unit_label("unit__"),
                exemption_id=decision_id(MatterType.RECALL_CASE),
                exemption_verdict=decision_verdict(MatterType.RECALL_CASE),
            )
            .prefetch_related(
                Prefetch("steps", queryset=RecallStep.objects.select_related("actor").order_by("at", "id"))
            )
            .get(pk=pk)
        )
    except (RecallCase.DoesNotExist, ValueError, TypeError):
        raise Http404("召回案件不存在或不在您的管辖范围内。") from None


def case_rows(user, **filters) -> QuerySet[RecallCase]:
    """The list page's rows: ``selectors.case_list`` with the unit named as lists name it."""
    return case_list(user, **filters).annotate(unit_label=unit_label("unit__"))


def case_stage_counts(user) -> dict[str, int]:
    """Cases in scope by stage, in one aggregate query."""
    counts = cases_visible_to(user).aggregate(**{s: Count("id", filter=Q(stage=s)) for s in Stage.values})
    return {s: counts[s] or 0 for s in Stage.values}


def cases_awaiting_approval(user) -> QuerySet[RecallCase]:
    """Proposals in scope waiting for a head's approval, oldest first."""
    return (
        cases_visible_to(user)
        .filter(stage=Stage.PROPOSED)
        .select_related("cadre")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("proposed_on", "id")
    )


# ---------------------------------------------------------------- points (记分制)


def point_rows(
    user,
    *,
    unit: Unit | None = None,
    group: str = "",
    situation: Situation | None = None,
    name: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[PointRecord]:
    qs = (
        points_visible_to(user)
        .select_related("cadre", "situation", "recorded_by")
        .annotate(unit_label=unit_label("unit__"))
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if group:
        qs = qs.filter(situation__group=group)
    if situation is not None:
        qs = qs.filter(situation=situation)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    if date_from:
        qs = qs.filter(occurred_on__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_on__lte=date_to)
    return qs.order_by("-occurred_on", "-id")


# ---------------------------------------------------------------- the catalogue and negative lists


def situations_grouped(*, active_only: bool = False) -> list[dict]:
    """The catalogue in its five groups, in order (one query)."""
    qs = Situation.objects.order_by("order", "id")
    if active_only:
        qs = qs.filter(active=True)
    by_group: dict[str, list[Situation]] = {g: [] for g in SituationGroup.values}
    for situation in qs:
        by_group.setdefault(situation.group, []).append(situation)
    return [
        {"group": g, "label": SituationGroup(g).label, "situations": by_group[g]}
        for g in SituationGroup.values
    ]


def catalogue_editable(user) -> bool:
    """The catalogue is one for the whole tree: only a user whose scope covers every unit edits it."""
    if not user.can("manage_recall"):
        return False
    scope = user.scope_path
    if scope is None:
        return False
    return scope == "" or not Unit.objects.exclude(path__startswith=scope).exists()


def negative_list(user, unit: Unit) -> list[NegativeListEntry]:
    """The entries in force for ``unit``: its own and those of the units above it (which the
    user may not be allowed to see by name: ``owner_visible`` says). One query."""
    ancestors = [unit.path[: i * Unit.steplen] for i in range(1, len(unit.path) // Unit.steplen + 1)]
    entries = list(
        NegativeListEntry.objects.filter(unit__path__in=ancestors)
        .select_related("situation", "unit")
        .order_by("situation__order", "situation__id", "unit__path")
    )
    scope = user.scope_path
    for entry in entries:
        entry.own = entry.unit_id == unit.pk
        entry.owner_visible = scope is not None and entry.unit.path.startswith(scope)
    return entries


def negative_entry_get(user, pk) -> NegativeListEntry:
    try:
        return NegativeListEntry.objects.filter(scope_q(user)).select_related("unit", "situation").get(pk=pk)
    except (NegativeListEntry.DoesNotExist, ValueError, TypeError):
        raise Http404("负面清单条目不存在或不在您的管辖范围内。") from None


# ---------------------------------------------------------------- flags and adjustment decisions


def flag_for_page(user, pk) -> Flag:
    try:
        return (
            flags_visible_to(user)
            .select_related("cadre", "cadre__unit", "unit", "reviewed_by")
            .annotate(
                unit_label=unit_label("unit__"),
                exemption_id=decision_id(MatterType.FLAG),
                exemption_verdict=decision_verdict(MatterType.FLAG),
            )
            .get(pk=pk)
        )
    except (Flag.DoesNotExist, ValueError, TypeError):
        raise Http404("预警不存在或不在您的管辖范围内。") from None


def flag_rows(
    user, *, rule: str = "", unit: Unit | None = None, status: str = "", name: str = ""
) -> QuerySet[Flag]:
    """Flags oldest first: the one that has waited longest is looked at first."""
    qs = flags_visible_to(user).select_related("cadre").annotate(unit_label=unit_label("unit__"))
    if rule:
        qs = qs.filter(rule_key=rule)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status:
        qs = qs.filter(status=status)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("raised_at", "id")


def flag_rules(user) -> list[tuple[str, str]]:
    """(rule key, rule name) of the flags in scope, for the filter (one query)."""
    rows = flags_visible_to(user).order_by("rule_key").values_list("rule_key", "rule_name").distinct()
    seen: dict[str, str] = {}
    for key, name in rows:
        seen.setdefault(key, name)
    return sorted(seen.items(), key=lambda kv: kv[1])


def open_flag_count(user) -> int:
    return flags_visible_to(user).filter(status=FlagStatus.OPEN).count()


def decision_for_page(user, pk) -> AdjustmentDecision:
    try:
        return (
            adjustments_visible_to(user)
            .select_related("cadre", "cadre__unit", "unit", "flag", "proposed_by", "approved_by")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (AdjustmentDecision.DoesNotExist, ValueError, TypeError):
        raise Http404("调整决定不存在或不在您的管辖范围内。") from None


def decision_rows(
    user, *, status: str = "", method: str = "", unit: Unit | None = None, name: str = ""
) -> QuerySet[AdjustmentDecision]:
    qs = (
        adjustments_visible_to(user)
        .select_related("cadre", "proposed_by")
        .annotate(unit_label=unit_label("unit__"))
    )
    if status:
        qs = qs.filter(status=status)
    if method:
        qs = qs.filter(method=method)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("-proposed_on", "-id")


def decisions_awaiting_approval(user) -> QuerySet[AdjustmentDecision]:
    return (
        adjustments_visible_to(user)
        .filter(status=DecisionStatus.PROPOSED)
        .select_related("cadre")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("proposed_on", "id")
    )


def waited_days(flag: Flag, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return (today - timezone.localtime(flag.raised_at).date()).days


# ---------------------------------------------------------------- the cadre profile


def profile_context(user, cadre: Cadre) -> dict | None:
    """What the cadre profile shows of recall: cases, flags and adjustments. ``cadre`` must come
    from ``cadre_get``. Four queries; nothing to show (and no right to act) leaves the section out.
    """
    cases = list(
        cases_visible_to(user).filter(cadre=cadre).select_related("situation").order_by("-proposed_on", "-id")
    )
    flags = list(flags_visible_to(user).filter(cadre=cadre).order_by("-raised_at", "-id"))
    decisions = list(adjustments_visible_to(user).filter(cadre=cadre).order_by("-proposed_on", "-id"))
    points = list(
        points_visible_to(user)
        .filter(cadre=cadre)
        .select_related("situation")
        .order_by("-occurred_on", "-id")[:10]
    )
    can_manage = user.can("manage_recall")
    if not (cases or flags or decisions or points or can_manage):
        return None
    today = timezone.localdate()
    for flag in flags:
        flag.waited = waited_days(flag, today)
    return {
        "recall_cadre": cadre,
        "recall_cases": cases,
        "recall_open_case": next((c for c in cases if c.is_open), None),
        "recall_flags": flags,
        "recall_open_flags": [f for f in flags if f.status == FlagStatus.OPEN],
        "recall_decisions": decisions,
        "recall_points": points,
        "recall_can_manage": can_manage,
    }
