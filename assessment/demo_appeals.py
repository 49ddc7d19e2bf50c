"""Demo 复核申诉 for ``seed_demo`` (after the assessment step): against the published 2025 annual
grades, one appeal waiting for a head's decision and one that zzb_head decided by changing
称职 to 优秀 in a unit whose 优秀 places were all taken, so the last-placed 优秀 of that unit
drops to 称职. Both go through the services, filed within the deadline (published 2026-01-20,
30 days by the default rule)."""

from __future__ import annotations

import datetime

from django.db import transaction

from accounts.models import User

from .models import Appeal, AppealStatus, Assessment, Grade, Period, PeriodStatus, UnitQuota
from .services.appeals import appeal_decide, appeal_file

FILED_ON = datetime.date(2026, 2, 5)
PENDING_FILED_ON = datetime.date(2026, 2, 12)


def _full_unit_candidate(period: Period) -> Assessment | None:
    """The best-placed 称职 of a unit whose 优秀 places are all awarded (the first such unit in
    tree order)."""
    full = (
        UnitQuota.objects.filter(period=period, places__gte=1, fixed=0)
        .select_related("unit")
        .order_by("unit__path")
    )
    for quota in full:
        if quota.awarded < quota.places:
            continue
        candidate = (
            Assessment.objects.filter(
                period=period,
                unit=quota.unit,
                final_grade=Grade.COMPETENT,
                override_grade="",
                appeal_grade="",
            )
            .exclude(total_score__isnull=True)
            .select_related("cadre")
            .order_by("-total_score", "cadre_id")
            .first()
        )
        if candidate is not None:
            return candidate
    return None


@transaction.atomic
def seed_appeals(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing once the period has an appeal (or without the demo period)."""
    period = Period.objects.filter(year=2025, quarter__isnull=True, status=PeriodStatus.PUBLISHED).first()
    if period is None or Appeal.objects.filter(assessment__period=period).exists():
        return {}
    staff = User.objects.get(username="zzb_staff")
    head = User.objects.get(username="zzb_head")
    made = 0
    changed = _full_unit_candidate(period)
    if changed is not None:
        appeal = appeal_file(
            actor=staff,
            assessment=changed,
            appellant=changed.cadre.name,
            filed_on=FILED_ON,
            grounds="年度内牵头完成省级重点项目征地拆迁任务，相关实绩材料未计入“绩”的评分，申请复核等次。",
        )
        appeal_decide(
            actor=head,
            appeal=appeal,
            outcome=AppealStatus.CHANGED,
            new_grade=Grade.EXCELLENT,
            reason="经核实，重点项目实绩材料漏报属实，部务会研究决定将其年度考核等次改为优秀，占用本单位优秀名额。",
        )
        made += 1
    pending = (
        Assessment.objects.filter(period=period, final_grade=Grade.BASIC, appeal_grade="")
        .exclude(unit_id=getattr(changed, "unit_id", None))
        .select_related("cadre")
        .order_by("-total_score", "cadre_id")
        .first()
    )
    if pending is not None:
        appeal_file(
            actor=staff,
            assessment=pending,
            appellant=pending.cadre.name,
            filed_on=PENDING_FILED_ON,
            grounds="对民主测评得分有异议：测评时本人在外参加脱产培训，部分测评人不了解本人工作情况。",
        )
        made += 1
    return {"appeals": made}
