"""Scoped reads of 容错纠错 decisions (``Exemption``) and of the matters they are about.

A matter is an Interview or a Sanction of supervision, or a recall Flag or RecallCase: those two
are read by looking the model up (``django.apps.apps.get_model``), so supervision never imports
recall. A matter belongs to its unit's subtree (a sanction to its cadre's current unit), a
decision to the unit it was recorded with; one outside the caller's subtree is as absent as one
that never existed (404).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cadres.models import Cadre, Unit
from cadres.selectors import scope_q, unit_label

from ..models import Exemption, MatterType


@dataclass(frozen=True)
class MatterKind:
    model: str  # app_label.ModelName
    scope_prefix: str  # from the matter to its unit, for scope_q
    related: tuple[str, ...]  # select_related when loading the matter for a page


MATTER_KINDS: dict[str, MatterKind] = {
    MatterType.INTERVIEW: MatterKind("supervision.Interview", "unit__", ("cadre", "unit")),
    MatterType.SANCTION: MatterKind("supervision.Sanction", "cadre__unit__", ("cadre", "cadre__unit")),
    MatterType.FLAG: MatterKind("recall.Flag", "unit__", ("cadre", "unit")),
    MatterType.RECALL_CASE: MatterKind("recall.RecallCase", "unit__", ("cadre", "unit")),
}


@dataclass
class Matter:
    """One matter a decision may be about, as the pages and the services need it."""

    matter_type: str
    id: int
    obj: Model
    cadre: Cadre | None
    unit: Unit
    on: datetime.date  # when it happened: the talk, the sanction's decision, the flag, the proposal
    label: str  # 约谈（2026-03-10）：张三
    url: str

    @property
    def type_label(self) -> str:
        return MatterType(self.matter_type).label

    @property
    def year(self) -> int:
        return self.on.year


def matter_model(matter_type: str):
    return apps.get_model(MATTER_KINDS[matter_type].model)


def _describe(matter_type: str, obj) -> Matter:
    """What a page says of a matter, and its date (which a decision may not precede)."""
    if matter_type == MatterType.INTERVIEW:
        on = obj.conducted_on or obj.proposed_on or timezone.localtime(obj.proposed_at).date()
        label = f"{obj.get_kind_display()}（{on:%Y-%m-%d}）：{obj.subject_label}"
        return Matter(
            matter_type, obj.pk, obj, obj.cadre, obj.unit, on, label,
            reverse("supervision:interview_detail", args=[obj.pk]),
        )  # fmt: skip
    if matter_type == MatterType.SANCTION:
        label = f"{obj.get_kind_display()}处分（{obj.decided_on:%Y-%m-%d}）：{obj.cadre.name}"
        url = reverse("cadres:detail", args=[obj.cadre_id]) + "#sanctions"
        return Matter(matter_type, obj.pk, obj, obj.cadre, obj.cadre.unit, obj.decided_on, label, url)
    if matter_type == MatterType.FLAG:
        on = timezone.localtime(obj.raised_at).date()
        label = f"不适宜担任现职预警（{obj.rule_name}，{on:%Y-%m-%d}）：{obj.cadre.name}"
        url = reverse("recall:flag_detail", args=[obj.pk])
        return Matter(matter_type, obj.pk, obj, obj.cadre, obj.unit, on, label, url)
    label = f"召回（{obj.proposed_on:%Y-%m-%d}提议）：{obj.cadre.name}"
    url = reverse("recall:case_detail", args=[obj.pk])
    return Matter(matter_type, obj.pk, obj, obj.cadre, obj.unit, obj.proposed_on, label, url)


def matters_visible_to(user, matter_type: str) -> QuerySet:
    kind = MATTER_KINDS[matter_type]
    return matter_model(matter_type).objects.filter(scope_q(user, prefix=kind.scope_prefix))


def matter_get(user, matter_type: str, matter_id) -> Matter:
    """The matter, through the caller's scope: 404 when it does not exist or lies outside."""
    if matter_type not in MATTER_KINDS:
        raise Http404("事项类型无效。")
    try:
        obj = (
            matters_visible_to(user, matter_type)
            .select_related(*MATTER_KINDS[matter_type].related)
            .get(pk=matter_id)
        )
    except (matter_model(matter_type).DoesNotExist, ValueError, TypeError):
        raise Http404("事项不存在或不在您的管辖范围内。") from None
    return _describe(matter_type, obj)


def matters_of(decisions: Iterable[Exemption]) -> dict[tuple[str, int], Matter]:
    """The matters of some decisions (a page of them): one query per matter type present.
    Decisions are already scoped; a matter is read regardless of where its cadre moved since."""
    ids: dict[str, set[int]] = defaultdict(set)
    for e in decisions:
        ids[e.matter_type].add(e.matter_id)
    found: dict[tuple[str, int], Matter] = {}
    for matter_type, pks in ids.items():
        kind = MATTER_KINDS.get(matter_type)
        if kind is None:
            continue
        for obj in matter_model(matter_type).objects.select_related(*kind.related).filter(pk__in=pks):
            found[(matter_type, obj.pk)] = _describe(matter_type, obj)
    return found


# ---------------------------------------------------------------- decisions


def exemptions_visible_to(user) -> QuerySet[Exemption]:
    return Exemption.objects.filter(scope_q(user))


def exemption_list(
    user,
    *,
    matter_type: str = "",
    verdict: str = "",
    unit: Unit | None = None,
    year: int | None = None,
    cadre: Cadre | None = None,
) -> QuerySet[Exemption]:
    """Decisions in scope, the latest first; ``unit`` covers its subtree, ``year`` is the year
    of the decision."""
    qs = (
        exemptions_visible_to(user)
        .select_related("cadre", "unit", "decided_by")
        .annotate(unit_label=unit_label("unit__"))
    )
    if matter_type:
        qs = qs.filter(matter_type=matter_type)
    if verdict:
        qs = qs.filter(verdict=verdict)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if year:
        qs = qs.filter(decided_on__year=year)
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    return qs.order_by("-decided_on", "-id")


def exemption_get(user, pk) -> Exemption:
    try:
        return (
            exemptions_visible_to(user)
            .select_related("cadre", "unit", "decided_by")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (Exemption.DoesNotExist, ValueError, TypeError):
        raise Http404("容错纠错认定不存在或不在您的管辖范围内。") from None


def exemption_for_matter(user, matter_type: str, matter_id: int) -> Exemption | None:
    """The decision on a matter, if the caller may see it."""
    return (
        exemptions_visible_to(user)
        .select_related("decided_by")
        .filter(Q(matter_type=matter_type) & Q(matter_id=matter_id))
        .first()
    )
