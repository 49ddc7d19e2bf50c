"""Reads of bonus bases and team pools. Each takes the caller: a base or a pool belongs to its
unit, and one outside the caller's subtree is as absent as one that never existed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.http import Http404

from assessment.models import Period
from cadres.models import Unit
from cadres.selectors import scope_q, unit_label, units_visible_to

from .models import BonusBase, PoolShare, TeamPool
from .services_pools import team_tier


def bases_visible_to(user) -> QuerySet[BonusBase]:
    return BonusBase.objects.filter(scope_q(user))


def pools_visible_to(user) -> QuerySet[TeamPool]:
    return TeamPool.objects.filter(scope_q(user))


@dataclass(frozen=True)
class EffectiveBase:
    amount: Decimal
    unit_id: int
    unit_name: str
    unit_path: str
    own: bool  # set by the unit itself, not inherited


def effective_bases(period: Period, paths: list[str]) -> dict[str, EffectiveBase | None]:
    """The base in force for each unit path: its own, else its nearest ancestor's (one query)."""
    step = Unit.steplen
    wanted = {path[:end] for path in paths for end in range(step, len(path) + 1, step)}
    found = {
        path: (amount, unit_id, name)
        for path, amount, unit_id, name in BonusBase.objects.filter(
            period=period, unit__path__in=wanted
        ).values_list("unit__path", "amount", "unit_id", "unit__name")
    }
    out: dict[str, EffectiveBase | None] = {}
    for path in paths:
        out[path] = None
        for end in range(len(path), 0, -step):
            hit = found.get(path[:end])
            if hit is not None:
                out[path] = EffectiveBase(hit[0], hit[1], hit[2], path[:end], own=end == len(path))
                break
    return out


def base_rows(user, *, period: Period, unit: Unit | None = None) -> QuerySet[Unit]:
    """Units in scope (a subtree if ``unit``) in tree order, each with its own base's figures."""
    qs = units_visible_to(user).annotate(label=unit_label())
    if unit is not None:
        qs = qs.filter(path__startswith=unit.path)
    return qs.order_by("path")


def attach_bases(user, period: Period, units: list[Unit]) -> list[Unit]:
    """Give each unit of a page ``own_base`` (its BonusBase or None), ``effective`` (the base in
    force, an EffectiveBase or None) and ``inherited_from``: the ancestor's name, or 上级单位 for
    one outside the user's subtree (as on the policy page). Two queries."""
    units = list(units)
    if not units:
        return units
    effective = effective_bases(period, [u.path for u in units])
    own = {
        b.unit_id: b for b in BonusBase.objects.filter(period=period, unit__in=units).select_related("set_by")
    }
    scope = user.scope_path
    for u in units:
        u.own_base = own.get(u.pk)
        u.effective = effective[u.path]
        u.inherited_from = ""
        if u.effective is not None and not u.effective.own:
            visible = scope is not None and u.effective.unit_path.startswith(scope)
            u.inherited_from = u.effective.unit_name if visible else "上级单位"
    return units


def pool_rows(
    user, *, period: Period | None = None, unit: Unit | None = None, kind: str = ""
) -> QuerySet[TeamPool]:
    qs = (
        pools_visible_to(user)
        .select_related("unit", "period")
        .annotate(unit_label=unit_label("unit__"), members=Count("shares"), shared=Sum("shares__amount"))
    )
    if period is not None:
        qs = qs.filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("unit__path", "name", "id")


def pool_get(user, pk) -> TeamPool:
    try:
        pool = (
            pools_visible_to(user)
            .select_related("unit", "period", "created_by")
            .annotate(unit_label=unit_label("unit__"))
            .prefetch_related(
                Prefetch(
                    "shares",
                    queryset=PoolShare.objects.select_related("cadre", "cadre__unit").order_by("id"),
                    to_attr="members",
                )
            )
            .get(pk=pk)
        )
    except (TeamPool.DoesNotExist, ValueError, TypeError):
        raise Http404("团队奖金池不存在或不在您的管辖范围内。") from None
    return pool


def current_tier(pool: TeamPool) -> str:
    """A unit team's leadership-team grade now (it may have changed since the pool was set)."""
    return team_tier(pool.period, pool.unit) if pool.kind == "unit" else pool.tier
