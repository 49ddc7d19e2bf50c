"""Demo: the 2026 annual period scores village and community cadres' 群众评价 from their 民情工单.

A 村（社区）干部 scheme is copied from the base one (as staff would, through the scheme services,
while the period was still collecting scores): 工作实绩 gives up 10 of its weight to a new common
indicator 群众评价 whose source is 民情工单; the period is then graded again, so the village cadres'
explanations say how many orders they handled, how many on time and how the residents rated them.
Runs after the orders (the ``workorders`` demo step)."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import User
from assessment.models import Indicator, IndicatorGroup, IndicatorSource, Period, PeriodStatus, Scheme
from assessment.services.periods import INDICATOR_FIELDS, scheme_add_category, scheme_save
from assessment.services.recompute import period_recompute
from cadres.models import CadreKind

CODE = "群众评价"


def seed_scheme(*, seed: int = 0) -> dict[str, int]:
    period = Period.objects.filter(year=2026, quarter__isnull=True).first()
    if (
        period is None
        or Indicator.objects.filter(scheme__period=period, source=IndicatorSource.WORKORDERS).exists()
    ):
        return {}
    staff = User.objects.get(username="zzb_staff")
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
    return {"schemes": 1}
