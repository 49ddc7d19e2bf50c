"""What a scheme indicator of source 民情工单 is scored from: each assessed cadre's dispatch rounds
in the period, tallied in one aggregate query (``tallies``), registered with
``assessment.sources`` for the recomputation; and the trigger that queues a recomputation when
rounds change (``orders_changed``)."""

from __future__ import annotations

import datetime

from django.db import connections
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from assessment.grading import OrderTally
from assessment.models import OPEN_STATUSES, Indicator, IndicatorSource, Period
from assessment.sources import register_source
from cadres.models import Unit

from .models import Cause, Dispatch, Rating


def tallies(start: datetime.date, end: datetime.date, cadres) -> dict[int, OrderTally]:
    """{cadre id: OrderTally} of the rounds dispatched from ``start`` to ``end`` (both days
    counted) to the cadres ``cadres`` holds (a queryset of ids, or a collection; None: every
    cadre, for a whole period, where the semi-join would only cost time): one query, grouped
    by cadre in the database."""
    unsatisfied = Q(rating=Rating.UNSATISFIED)
    rounds = Dispatch.objects.filter(dispatched_on__gte=start, dispatched_on__lte=end)
    if cadres is not None:
        rounds = rounds.filter(cadre_id__in=cadres)
    query = (
        rounds.order_by()
        .values("cadre_id")
        .annotate(
            n=Count("id"),
            completed=Count("id", filter=Q(handled_on__isnull=False)),
            on_time=Count("id", filter=Q(handled_on__lte=F("promised_on"))),
            satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
            basic=Count("id", filter=Q(rating=Rating.BASIC)),
            unsatisfied=Count("id", filter=unsatisfied & ~Q(cause=Cause.OBJECTIVE)),
            objective=Count("id", filter=unsatisfied & Q(cause=Cause.OBJECTIVE)),
            score_sum=Coalesce(Sum("score"), 0),
            scored=Count("score"),
        )
        .values_list(
            "cadre_id",
            "n",
            "completed",
            "on_time",
            "satisfied",
            "basic",
            "unsatisfied",
            "objective",
            "score_sum",
            "scored",
        )
        .query
    )
    # every column an integer: read through the cursor, without the ORM's per-row converters
    # (a quarter of the time for 60,000 cadres)
    sql, params = query.get_compiler(using=rounds.db).as_sql()
    with connections[rounds.db].cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: OrderTally._make(row[1:]) for row in cursor.fetchall()}


def scoring_periods():
    """The open periods whose scheme has an indicator scored from 民情工单."""
    indicators = Indicator.objects.filter(source=IndicatorSource.WORKORDERS)
    own = indicators.values("scheme__period_id")
    base = indicators.values("scheme_id")
    return Period.objects.filter(status__in=OPEN_STATUSES).filter(Q(pk__in=own) | Q(scheme_id__in=base))


def orders_changed(*, cadres, actor=None, reason: str = "民情工单变化") -> list:
    """Call after any write that changes cadres' dispatch rounds: queue the recomputation of the
    open periods that score an indicator from work orders, over the cadres' current units (the
    queue coalesces requests). Returns the jobs."""
    from assessment.services.recompute import recompute_queue_paths

    periods = list(scoring_periods())
    if not periods:
        return []
    unit_ids = {getattr(c, "unit_id", c) for c in cadres}
    paths = list(Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True))
    jobs = []
    for period in periods:
        jobs += recompute_queue_paths(period=period, unit_paths=paths, actor=actor, reason=reason)
    return jobs


def register() -> None:
    from core import registry

    from .demo_scheme import seed_scheme

    register_source(IndicatorSource.WORKORDERS, tallies)
    # after the orders (260): village cadres' 群众评价 in 2026 comes from them
    registry.demo_step("workorder_scheme", order=270, seed=seed_scheme)
