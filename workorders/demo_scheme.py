"""Demo: the 2026 annual period scores village and community cadres' 群众评价 from their 民情工单.

A 村（社区）干部 scheme is copied from the base one (as staff would, through the scheme services,
while the period was still collecting scores): 工作实绩 gives up 10 of its weight to a new common
indicator 群众评价 whose source is 民情工单; the period is then graded again, so the village cadres'
explanations say how many orders they handled, how many on time and how the residents rated them.
Runs after the orders (the ``workorders`` demo step). Village cadres with no order in 2026 yet get a
few from their community's paper ledger (民情工单本), entered through the ledger service, so every
one of them has a 群众评价 to show."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from assessment.models import Indicator, IndicatorGroup, IndicatorSource, Period, PeriodStatus, Scheme
from assessment.services.periods import INDICATOR_FIELDS, scheme_add_category, scheme_save
from assessment.services.recompute import period_recompute
from cadres.models import Cadre, CadreKind, Unit

from .models import Dispatch
from .services_ledger import orders_ledger_record

CODE = "群众评价"
NEEDS = [
    "楼道灯不亮，夜间出行不便",
    "小区门口路面破损积水",
    "独居老人需要定期上门探望",
    "垃圾清运不及时",
    "申请办理残疾人补贴咨询",
    "下水道堵塞",
    "健身器材损坏需维修",
    "孩子入学政策咨询",
    "农田灌溉水渠需要清淤",
    "村道两侧杂草清理",
]


def _ledgers(staff, year: int, seed: int) -> int:
    """A few closed orders for each village cadre with none in ``year`` (their community's
    ledger, one batch per community)."""
    today = timezone.localdate()
    last = min(today - datetime.timedelta(days=1), datetime.date(year, 10, 31))
    first = datetime.date(year, 1, 5)
    if last < first + datetime.timedelta(days=30):
        return 0
    busy = set(
        Dispatch.objects.filter(dispatched_on__year=year).values_list("cadre_id", flat=True).distinct()
    )
    rng = random.Random(seed)
    span = (last - first).days - 20
    written = 0
    # every village cadre assessed in the year's period (some are away on recall or 一线锻炼)
    cadres = Cadre.objects.filter(
        kind=CadreKind.VILLAGE, assessments__period__year=year, assessments__period__quarter__isnull=True
    ).order_by("unit_id", "id")
    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in cadres.values_list("pk", "unit_id"):
        if pk not in busy:
            by_unit.setdefault(unit_id, []).append(pk)
    for unit in Unit.objects.filter(pk__in=list(by_unit)).order_by("path"):
        rows = []
        for cadre_id in by_unit[unit.pk]:
            for _ in range(rng.randint(3, 9)):
                recorded = first + datetime.timedelta(days=rng.randrange(span))
                dispatched = recorded + datetime.timedelta(days=rng.randint(0, 3))
                promised = dispatched + datetime.timedelta(days=rng.randint(3, 10))
                late = rng.random() < 0.1
                handled = (
                    promised + datetime.timedelta(days=rng.randint(1, 3))
                    if late
                    else (dispatched + datetime.timedelta(days=rng.randint(1, (promised - dispatched).days)))
                )
                draw = rng.random()
                rating = "satisfied" if draw < 0.8 else "basic" if draw < 0.95 else "unsatisfied"
                rows.append(
                    {
                        "channel": rng.choice(["wall", "visit", "phone", "wechat"]),
                        "title": rng.choice(NEEDS),
                        "recorded_on": recorded.isoformat(),
                        "cadre": cadre_id,
                        "dispatched_on": dispatched.isoformat(),
                        "accepted_on": dispatched.isoformat(),
                        "promised_on": promised.isoformat(),
                        "handled_on": handled.isoformat(),
                        "handling": "已上门了解并办理，向居民反馈办理结果",
                        "rating": rating,
                        "rated_on": (handled + datetime.timedelta(days=1)).isoformat(),
                        "closed": True,
                        "explanation": "属政策范围外事项，已向居民解释说明并取得谅解"
                        if rating == "unsatisfied"
                        else "",
                    }
                )
        written += orders_ledger_record(actor=staff, unit=unit, rows=rows)
    return written


def seed_scheme(*, seed: int = 0) -> dict[str, int]:
    period = Period.objects.filter(year=2026, quarter__isnull=True).first()
    if (
        period is None
        or Indicator.objects.filter(scheme__period=period, source=IndicatorSource.WORKORDERS).exists()
    ):
        return {}
    staff = User.objects.get(username="zzb_staff")
    orders = _ledgers(staff, period.year, seed or 18)
    status = period.status
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.COLLECTING)
    period.status = PeriodStatus.COLLECTING
    try:
        scheme = Scheme.objects.filter(period=period, category=CadreKind.VILLAGE).first()
        if scheme is None:
            scheme = scheme_add_category(actor=staff, period=period, category=CadreKind.VILLAGE)
        rows = list(scheme.indicators.order_by("order", "id").values(*INDICATOR_FIELDS))
        for row in rows:
            if row["code"] == "绩":
                row["weight"] -= Decimal(10)
        rows.append(
            {
                "code": CODE,
                "name": "群众评价（民情工单）",
                "group": IndicatorGroup.COMMON,
                "track": "",
                "dimension": "综合",
                "source": IndicatorSource.WORKORDERS,
                "weight": Decimal(10),
                "min_score": Decimal(0),
                "max_score": Decimal(100),
                "order": len(rows),
            }
        )
        scheme_save(actor=staff, scheme=scheme, indicators=rows)
    finally:
        Period.objects.filter(pk=period.pk).update(status=status)
    period_recompute(period_id=period.pk)
    # the daily job's work-order reminders of today (needs past their dispatch day, promises past)
    from .reminders import reminders_scan

    reminders_scan()
    return {"schemes": 1, "ledger_orders": orders}
