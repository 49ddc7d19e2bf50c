"""Benchmark: 100,000 residents' work orders feed a 民情工单 indicator for every cadre of the
100,000-cadre city, on PostgreSQL.

    .venv/bin/python bench/workorder_scores.py

Uses the same database as bench/recompute.py (``DATABASE_URL``, else ``cadre_bench``, built
once). Writes 100,000 orders with one dispatch round each (once, reused), spread over the city's
cadres through 2025 with a realistic mix (on time or late, 满意 / 基本满意 / 不满意, some 0–100
scores, some not yet rated); opens the 2025 annual period with a score for every cadre as
bench/recompute.py does, then, with the period's 民主测评 indicator switched to 民情工单 for the
run (switched back afterwards):

- times the tally alone (``workorders.score_source.tallies``: one aggregate query over the
  period's rounds of the assessed cadres);
- clears the computed results and the typed 民主测评 and times one recomputation of the whole
  period, which tallies, scores every cadre and writes every row.

The last line is ``RESULT workorders_tally_s=<s> recompute_workorders_100k_s=<s> orders=<n>``;
the recomputation's target stays that of bench/recompute.py: 5 seconds on a 2-core machine.
"""

import datetime
import random
import sys
import time

from _setup import demo_city, django_on_postgres, scored_period

CADRES = 100_000
ORDERS = 100_000
YEAR = 2025
PREFIX = "BENCH"


def _orders(user_id: int):
    """Write the orders and their rounds once (bulk, not through the step services: this
    benchmark measures the scoring, bench/ has the import and services elsewhere)."""
    from cadres.models import Cadre
    from core.bulk import bulk_insert
    from workorders.models import Dispatch, OrderStatus, Rating, WorkOrder

    have = WorkOrder.objects.filter(number__startswith=PREFIX).count()
    if have >= ORDERS:
        return have
    WorkOrder.objects.filter(number__startswith=PREFIX).delete()
    rng = random.Random(18)
    cadres = list(Cadre.objects.values_list("pk", "unit_id"))
    first = datetime.date(YEAR, 1, 1)
    plan = []
    for i in range(ORDERS):
        cadre, unit = cadres[rng.randrange(len(cadres))]
        day = first + datetime.timedelta(days=rng.randrange(360))
        promised = day + datetime.timedelta(days=rng.randint(1, 10))
        handled = None if rng.random() < 0.08 else day + datetime.timedelta(days=rng.randint(0, 12))
        draw = rng.random()
        rating = (
            ""
            if handled is None or draw < 0.05
            else (Rating.SATISFIED if draw < 0.85 else Rating.BASIC if draw < 0.96 else Rating.UNSATISFIED)
        )
        plan.append(
            (
                i,
                cadre,
                unit,
                day,
                promised,
                handled,
                rating,
                rng.randint(70, 100) if rng.random() < 0.3 else None,
            )
        )
    started = time.perf_counter()
    bulk_insert(
        WorkOrder,
        (
            {
                "number": f"{PREFIX}{i:07d}",
                "unit_id": unit,
                "channel": "wall",
                "title": "基准测试工单",
                "content": "",
                "resident_name": "居民",
                "resident_contact": "",
                "relayed_by": "",
                "recorded_on": day,
                "dispatch_due": day + datetime.timedelta(days=3),
                "status": OrderStatus.CLOSED
                if rating in (Rating.SATISFIED, Rating.BASIC)
                else OrderStatus.HANDLED
                if handled
                else OrderStatus.ACCEPTED,
                "closed_on": handled if rating in (Rating.SATISFIED, Rating.BASIC) else None,
                "close_note": "",
                "recorded_by_id": user_id,
                "recorded_at": datetime.datetime.now(datetime.UTC),
                "updated_at": datetime.datetime.now(datetime.UTC),
            }
            for i, cadre, unit, day, promised, handled, rating, score in plan
        ),
    )
    ids = dict(WorkOrder.objects.filter(number__startswith=PREFIX).values_list("number", "pk"))
    bulk_insert(
        Dispatch,
        (
            {
                "order_id": ids[f"{PREFIX}{i:07d}"],
                "round": 1,
                "cadre_id": cadre,
                "party_group_id": None,
                "dispatched_on": day,
                "dispatch_note": "",
                "dispatched_by_id": user_id,
                "accepted_on": day,
                "promised_on": promised,
                "handled_on": handled if handled is None or handled >= day else day,
                "handling": "已办理" if handled else "",
                "rating": rating,
                "score": score if rating else None,
                "rated_on": handled if rating else None,
                "rating_note": "",
                "followup_on": None,
                "followup_reason": "",
                "cause": "",
                "explanation": "",
                "updated_at": datetime.datetime.now(datetime.UTC),
            }
            for i, cadre, unit, day, promised, handled, rating, score in plan
        ),
    )
    print(f"wrote {ORDERS:,} orders and rounds in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return ORDERS


def main() -> int:
    failed = django_on_postgres("bench/workorder_scores.py")
    if failed is not None:
        return failed
    from django.db import connection

    from accounts.models import User
    from assessment.models import Assessment, Indicator, IndicatorSource
    from assessment.services.recompute import period_bounds, period_recompute
    from workorders.score_source import tallies

    demo_city(CADRES)
    staff = User.objects.get(username="zzb_staff")
    orders = _orders(staff.pk)

    period, _ = scored_period(YEAR, f"{YEAR}年度考核（基准测试）")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workorders_dispatch")
    indicator = Indicator.objects.filter(scheme__period=period, code="民主测评")
    try:
        indicator.update(source=IndicatorSource.WORKORDERS)
        start, end = period_bounds(period)
        assessed = Assessment.objects.filter(period=period).values("cadre_id")
        started = time.perf_counter()
        found = tallies(start, end, assessed)
        tally_s = time.perf_counter() - started
        # every row graded and written again, 民主测评 included
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessment_assessment SET total_score = NULL, rank_in_unit = NULL, computed_grade = '', "
                "final_grade = '', grade_code = NULL, explanation = '[]', scores = scores - '民主测评' "
                "WHERE period_id = %s",
                [period.pk],
            )
            cursor.execute("VACUUM ANALYZE assessment_assessment")
        started = time.perf_counter()
        summary = period_recompute(period_id=period.pk)
        recompute_s = time.perf_counter() - started
        scored = Assessment.objects.filter(period=period, scores__has_key="民主测评").count()
    finally:
        indicator.update(source=IndicatorSource.INPUT)
        # leave the period as bench/recompute.py expects it: every cadre with a typed 民主测评
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessment_assessment SET scores = scores || jsonb_build_object('民主测评', 80) "
                "WHERE period_id = %s AND NOT scores ? '民主测评'",
                [period.pk],
            )
    print(
        f"orders={orders} cadres_with_orders={len(found)} assessments={summary['assessments']} "
        f"changed={summary['changed']} scored_from_orders={scored}",
        file=sys.stderr,
    )
    print(
        f"RESULT workorders_tally_s={tally_s:.2f} recompute_workorders_100k_s={recompute_s:.2f} orders={orders}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
