"""Reads of 关爱 (care), each taking the caller so scope cannot be forgotten: care records,
hardship posts, departed village cadres, and the 关爱提醒 (care due) list with its reasons.

The care-due list is worked out in a fixed number of queries whatever the number of cadres: the
CARE rules (one), the hardship posts (one), the cadres with this year's visits, health checks and
leave days as correlated subqueries, already narrowed in SQL to those below the most demanding
rule in play (one), and the departed village cadres (one). Each unit's own rule then decides in
memory, and every row says which rule, on which facts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessment.models import RuleKind
from assessment.services.policy import KindPolicy
from cadres.models import Cadre, CadreStatus, Unit
from cadres.selectors import cadre_counts, cadres_visible_to, scope_q, unit_label, units_visible_to

from .models import CareKind, CareRecord, DepartedVillageCadre, HardshipPost
from .policy_care import SUBSIDY_CYCLES, care_text
from .subsidy import Owed, subsidy_owed

RULE_NAME = RuleKind.CARE.label
# cadres no longer serving are nobody's care due
GONE = (CadreStatus.RETIRED, CadreStatus.DISMISSED)


class DueKind(models.TextChoices):
    HARDSHIP_VISIT = "hardship_visit", "艰苦边远岗位未走访慰问"
    HEALTH_CHECK = "health_check", "本年度未体检"
    LEAVE = "leave", "带薪休假不足"
    SUBSIDY = "subsidy", "离任村干部补贴待发放"


DUE_ORDER = {k: i for i, k in enumerate(DueKind.values)}


# --------------------------------------------------------------------------- records


def care_records_visible_to(user) -> QuerySet[CareRecord]:
    return CareRecord.objects.filter(scope_q(user))


def care_record_get(user, pk) -> CareRecord:
    from django.http import Http404

    try:
        return (
            care_records_visible_to(user)
            .select_related("cadre", "cadre__unit", "unit")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (CareRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("关爱记录不存在或不在您的管辖范围内。") from None


def care_record_rows(
    user,
    *,
    unit: Unit | None = None,
    kind: str = "",
    year: int | None = None,
    name: str = "",
    cadre: Cadre | None = None,
) -> QuerySet[CareRecord]:
    """The records list: scoped, filtered (the unit's subtree, kind, calendar year, the cadre's
    name or the cadre), newest first."""
    qs = (
        care_records_visible_to(user)
        .select_related("cadre", "created_by")
        .annotate(unit_label=unit_label("unit__"))
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if year:
        qs = qs.filter(date__year=year)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    return qs.order_by("-date", "-id")


# --------------------------------------------------------------------------- hardship posts and departures


def hardship_rows(user, *, unit: Unit | None = None) -> QuerySet[HardshipPost]:
    qs = (
        HardshipPost.objects.filter(scope_q(user))
        .select_related("unit")
        .annotate(unit_label=unit_label("unit__"))
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("unit__path")


def hardship_get(user, pk) -> HardshipPost:
    from django.http import Http404

    post = hardship_rows(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if post is None:
        raise Http404("该艰苦边远岗位认定不存在或不在您的管辖范围内。")
    return post


def departures_visible_to(user) -> QuerySet[DepartedVillageCadre]:
    return DepartedVillageCadre.objects.filter(scope_q(user))


def departure_rows(user, *, unit: Unit | None = None, name: str = "") -> QuerySet[DepartedVillageCadre]:
    qs = departures_visible_to(user).select_related("cadre", "unit").annotate(unit_label=unit_label("unit__"))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("unit__path", "left_on", "id")


def departure_get(user, pk) -> DepartedVillageCadre:
    from django.http import Http404

    found = departure_rows(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("该离任村干部不存在或不在您的管辖范围内。")
    return found


def with_owed(departures, on: datetime.date | None = None) -> list[DepartedVillageCadre]:
    """Each departure with ``owed`` (what is due on ``on``, or None) and ``cycle``; one query
    for the CARE rules."""
    on = on or timezone.localdate()
    departures = list(departures)
    policy = KindPolicy(RuleKind.CARE)
    for d in departures:
        rule = policy.params(d.unit.path)
        d.cycle = (rule or {}).get("subsidy_cycle") or "monthly"
        d.cycle_label = SUBSIDY_CYCLES.get(d.cycle, "")
        d.owed = subsidy_owed(d, d.cycle, on) if rule else None
    return departures


# --------------------------------------------------------------------------- care due


@dataclass
class DueRow:
    kind: str
    cadre: Cadre
    unit_path: str
    unit_name: str
    effect: str
    reasons: list[dict] = field(default_factory=list)
    departure: DepartedVillageCadre | None = None
    owed: Owed | None = None

    @property
    def kind_label(self) -> str:
        return DueKind(self.kind).label


def _count(kind: str, start: datetime.date, on: datetime.date, *, total: str | None = None):
    """This year's records of ``kind`` per cadre (or the sum of ``total``), as a subquery."""
    records = CareRecord.objects.filter(cadre=OuterRef("pk"), kind=kind, date__gte=start, date__lte=on)
    value = Sum(total) if total else Count("pk")
    return Coalesce(
        Subquery(records.values("cadre").annotate(v=value).values("v")[:1], output_field=IntegerField()),
        Value(0),
    )


def _hardship_posts() -> list[tuple[str, str, datetime.date]]:
    return list(HardshipPost.objects.values_list("unit__path", "unit__name", "since"))


def _hardship_of(path: str, posts) -> tuple[str, datetime.date] | None:
    """The hardship post (name, since) whose subtree holds ``path``, the nearest one."""
    best = None
    for post_path, name, since in posts:
        if path.startswith(post_path) and (best is None or len(post_path) > len(best[0])):
            best = (post_path, name, since)
    return (best[1], best[2]) if best else None


def _highest(policy: KindPolicy, name: str) -> int:
    values = [
        row.params.get(name) or 0
        for rows in policy.resolver.by_path.values()
        for row in rows
        if row.enabled and isinstance(row.params.get(name, 0), int)
    ]
    return max(values, default=0)


def care_due(
    user,
    *,
    unit: Unit | None = None,
    kind: str = "",
    on: datetime.date | None = None,
) -> list[DueRow]:
    """The 关爱提醒 list on ``on`` (default today) in the caller's scope, within ``unit``'s
    subtree, of one ``kind`` (a DueKind) or all: one row per cadre and reason, each with the rule
    and the facts. "This year" is the calendar year of ``on``, from 1 January to ``on``."""
    on = on or timezone.localdate()
    start = datetime.date(on.year, 1, 1)
    policy = KindPolicy(RuleKind.CARE)
    rows: list[DueRow] = []
    kinds = [kind] if kind else list(DueKind.values)
    cadre_kinds = [k for k in kinds if k != DueKind.SUBSIDY]
    if cadre_kinds:
        rows.extend(_cadres_due(user, unit, cadre_kinds, start, on, policy))
    if DueKind.SUBSIDY in kinds:
        rows.extend(_subsidies_due(user, unit, on, policy))
    rows.sort(key=lambda r: (r.unit_path, r.cadre.name, r.cadre.pk, DUE_ORDER[r.kind]))
    return rows


def _cadres_due(user, unit, kinds, start, on, policy) -> list[DueRow]:
    posts = _hardship_posts() if DueKind.HARDSHIP_VISIT in kinds else []
    # in SQL: cadres below the most demanding rule in play (each unit's own rule decides below)
    wanted = []
    if DueKind.HEALTH_CHECK in kinds and (most := _highest(policy, "health_checks_per_year")):
        wanted.append(Q(checks__lt=most))
    if DueKind.LEAVE in kinds and (most := _highest(policy, "leave_min_days")):
        wanted.append(Q(leave_days__lt=most))
    if posts and (most := _highest(policy, "hardship_visits_per_year")):
        in_posts = Q()
        for path, _, _ in posts:
            in_posts |= Q(unit__path__startswith=path)
        wanted.append(in_posts & Q(visits__lt=most))
    if not wanted:
        return []
    either = wanted[0]
    for q in wanted[1:]:
        either |= q
    qs = cadres_visible_to(user).exclude(status__in=GONE).filter(departure__isnull=True)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    qs = (
        qs.annotate(
            visits=_count(CareKind.VISIT, start, on),
            checks=_count(CareKind.HEALTH_CHECK, start, on),
            leave_days=_count(CareKind.LEAVE, start, on, total="days"),
        )
        .filter(either)
        .select_related("unit")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("unit__path", "name", "id")
    )
    out = []
    year = f"{on.year}年"
    for cadre in qs:
        rule = policy.params(cadre.unit.path)
        if not rule:
            continue
        rule_text = f"{RULE_NAME}：{care_text(rule)}"
        base = {"截至": on.isoformat(), "单位": cadre.unit_label}

        def row(kind, effect, facts, cadre=cadre, rule_text=rule_text, base=base):
            out.append(
                DueRow(
                    kind=kind,
                    cadre=cadre,
                    unit_path=cadre.unit.path,
                    unit_name=cadre.unit_label,
                    effect=effect,
                    reasons=[{"rule": rule_text, "effect": effect, "facts": {**base, **facts}}],
                )
            )

        need = rule.get("hardship_visits_per_year") or 0
        if DueKind.HARDSHIP_VISIT in kinds and need and cadre.visits < need:
            post = _hardship_of(cadre.unit.path, posts)
            if post is not None:
                row(
                    DueKind.HARDSHIP_VISIT,
                    f"艰苦边远岗位（{post[0]}）干部{year}走访慰问 {cadre.visits} 次，应不少于 {need} 次",
                    {
                        "艰苦边远岗位": post[0],
                        "认定日期": post[1].isoformat(),
                        f"{year}走访慰问次数": cadre.visits,
                    },
                )
        need = rule.get("health_checks_per_year") or 0
        if DueKind.HEALTH_CHECK in kinds and need and cadre.checks < need:
            row(
                DueKind.HEALTH_CHECK,
                f"{year}体检 {cadre.checks} 次，应不少于 {need} 次",
                {f"{year}体检次数": cadre.checks},
            )
        need = rule.get("leave_min_days") or 0
        if DueKind.LEAVE in kinds and need and cadre.leave_days < need:
            row(
                DueKind.LEAVE,
                f"{year}带薪休假 {cadre.leave_days} 天，应不少于 {need} 天",
                {f"{year}休假天数": cadre.leave_days},
            )
    return out


def _subsidies_due(user, unit, on, policy) -> list[DueRow]:
    out = []
    for d in departure_rows(user, unit=unit):
        rule = policy.params(d.unit.path)
        if not rule:
            continue
        owed = subsidy_owed(d, rule.get("subsidy_cycle") or "monthly", on)
        if owed is None:
            continue
        effect = f"生活补贴{owed.span}未发放（{owed.months}个月，共 {owed.amount} 元）"
        d.cadre.unit_label = d.unit_label
        out.append(
            DueRow(
                kind=DueKind.SUBSIDY,
                cadre=d.cadre,
                unit_path=d.unit.path,
                unit_name=d.unit_label,
                effect=effect,
                reasons=[
                    {
                        "rule": f"{RULE_NAME}：{care_text(rule)}",
                        "effect": effect,
                        "facts": {
                            "截至": on.isoformat(),
                            "离任日期": d.left_on.isoformat(),
                            "补贴已发放至": d.paid_through.isoformat() if d.paid_through else None,
                            "生活补贴（元/月）": str(d.monthly_subsidy),
                        },
                    }
                ],
                departure=d,
                owed=owed,
            )
        )
    return out


# --------------------------------------------------------------------------- per unit


@dataclass
class UnitDue:
    unit: Unit | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def due_by_unit(user, rows: list[DueRow], base: Unit | None) -> list[UnitDue]:
    """The rows counted per unit one level below ``base`` (the caller's top units when None), and
    a line for ``base`` itself for cadres directly in it. One query (the units)."""
    if base is not None:
        children = units_visible_to(user).filter(path__startswith=base.path, depth=base.depth + 1)
    else:
        scope = user.scope_path
        depth = len(scope) // Unit.steplen + 1 if scope else 1
        children = units_visible_to(user).filter(depth=depth)
    children = list(children.annotate(label=unit_label()).order_by("path"))
    step = Unit.steplen
    by_path = {u.path: UnitDue(u, u.label) for u in children}
    own = UnitDue(base, f"{getattr(base, 'label', base.name)}（本级）") if base else None
    for row in rows:
        key = row.unit_path[: (base.depth + 1) * step] if base is not None else None
        target = by_path.get(key) if key else None
        if target is None and base is None:
            target = next((u for p, u in by_path.items() if row.unit_path.startswith(p)), None)
        if target is None:
            target = own
        if target is not None:
            target.counts[row.kind] = target.counts.get(row.kind, 0) + 1
    lines = ([own] if own and own.total else []) + [u for u in by_path.values() if u.total]
    return lines


def care_due_counts(user, *, on: datetime.date | None = None) -> dict[str, int]:
    """How many rows ``care_due(user, on=on)`` has of each kind, without building them: the
    cadres are counted per unit, this year's care records per cadre that has any, and the two are
    folded in Python into groups of (unit, counts of the year capped at the most demanding rule in
    play: beyond it every rule is met alike), each judged by its unit's rule. No cadre row is
    loaded (nor its encrypted columns decrypted) and no subquery runs per cadre, so the home
    page's 待办 costs two grouped reads, not 100,000 cadres."""
    on = on or timezone.localdate()
    start = datetime.date(on.year, 1, 1)
    policy = KindPolicy(RuleKind.CARE)
    counts = dict.fromkeys(DueKind.values, 0)
    posts = _hardship_posts()
    most = {
        "visits": _highest(policy, "hardship_visits_per_year") if posts else 0,
        "checks": _highest(policy, "health_checks_per_year"),
        "leave_days": _highest(policy, "leave_min_days"),
    }
    if any(most.values()):
        # Cadres without a care record this year are counted from the page's one grouped read of
        # the subtree's cadres (``cadre_counts``: per unit and status), less the departed (few)
        # and less those with records; only the cadres with records are joined to them. The home
        # page so costs no second scan of 100,000 cadres for its 关爱提醒.
        departed = DepartedVillageCadre.objects.values("cadre_id")
        cadres = cadres_visible_to(user).exclude(status__in=GONE).exclude(pk__in=departed)
        on_roll: dict[int, int] = {}
        for unit_id, _kind, status, n in cadre_counts(user):
            if status not in GONE:
                on_roll[unit_id] = on_roll.get(unit_id, 0) + n
        for unit_id, n in (
            cadres_visible_to(user)
            .exclude(status__in=GONE)
            .filter(pk__in=departed)
            .order_by()
            .values_list("unit_id")
            .annotate(n=Count("id"))
        ):
            on_roll[unit_id] = on_roll.get(unit_id, 0) - n
        try:
            inner, inner_params = (
                cadres.annotate(cid=F("id"), uid=F("unit_id")).values("cid", "uid").query.sql_with_params()
            )
        except EmptyResultSet:  # a user without a unit: no cadre, nothing due
            inner, inner_params = None, ()
        records = (
            CareRecord.objects.filter(date__gte=start, date__lte=on)
            .values("cadre_id")
            .annotate(
                visits=Count("id", filter=Q(kind=CareKind.VISIT)),
                checks=Count("id", filter=Q(kind=CareKind.HEALTH_CHECK)),
                leave_days=Coalesce(Sum("days", filter=Q(kind=CareKind.LEAVE)), 0),
            )
            .order_by()
        )
        rec_sql, rec_params = records.query.sql_with_params()

        def capped(column: str) -> str:  # LEAST(x, cap), which SQLite spells otherwise
            return f"CASE WHEN r.{column} < %s THEN r.{column} ELSE %s END"

        # the cadres with records this year, in scope, grouped by unit and by their counts capped
        # at the most demanding rule (beyond it every rule is met alike)
        sql = inner and (
            f"SELECT c.uid, {capped('visits')}, {capped('checks')}, {capped('leave_days')}, COUNT(*) "
            f"FROM ({rec_sql}) r JOIN ({inner}) c ON c.cid = r.cadre_id "
            "GROUP BY 1, 2, 3, 4"
        )
        caps = [most["visits"]] * 2 + [most["checks"]] * 2 + [most["leave_days"]] * 2
        params = [*caps, *rec_params, *inner_params]
        by_unit = []
        if inner is not None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                by_unit = cursor.fetchall()
        for row in by_unit:
            on_roll[row[0]] = on_roll.get(row[0], 0) - row[4]
        # the rest of each unit's cadres have no record this year: nothing counted yet
        by_unit += [(unit_id, 0, 0, 0, n) for unit_id, n in on_roll.items() if n > 0]
        # grouped by the unit's id (a cheaper hash than its path); the paths of those units
        paths = dict(Unit.objects.filter(pk__in={row[0] for row in by_unit}).values_list("pk", "path"))
        groups: dict[tuple, int] = {}
        for row in by_unit:
            key = (paths[row[0]], *row[1:4])
            groups[key] = groups.get(key, 0) + row[4]
        for (path, visits, checks, leave_days), n in groups.items():
            rule = policy.params(path)
            if not rule:
                continue
            need = rule.get("hardship_visits_per_year") or 0
            if need and most["visits"] and visits < need and _hardship_of(path, posts):
                counts[DueKind.HARDSHIP_VISIT] += n
            need = rule.get("health_checks_per_year") or 0
            if need and most["checks"] and checks < need:
                counts[DueKind.HEALTH_CHECK] += n
            need = rule.get("leave_min_days") or 0
            if need and most["leave_days"] and leave_days < need:
                counts[DueKind.LEAVE] += n
    counts[DueKind.SUBSIDY] = len(_subsidies_due(user, None, on, policy))
    return counts


def due_counts(rows: list[DueRow]) -> dict[str, int]:
    counts = dict.fromkeys(DueKind.values, 0)
    for row in rows:
        counts[row.kind] += 1
    return counts
