"""Demo data for ``seed_demo``: the 三挂钩 lists of the demo's latest published annual period,
computed through the job's service.

The lists read runs of years (连续优秀, the years that shorten or lengthen a tenure), and the demo
assessments have one annual period before the one being graded. So this step first records the
two years before it as archived annual periods holding final grades only (results of earlier
years as a registry takes them over: no scores), each cadre's grades following their latest
one, so the lists show 连续优秀, 记三等功 and shortened tenures. A later step (bonus bases,
decisions) may compute the lists again with ``lists_compute`` once it has set what they read."""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from accounts.models import User
from assessment.models import GRADE_CODES, Assessment, Grade, Period, PeriodStatus
from assessment.services.periods import period_create
from core import registry
from core.bulk import bulk_insert

from ..models import Entry
from . import lists_compute

ORDER = 340  # after recall (300), whose withholdings and flags the lists read
HISTORY_YEARS = 2


def _earlier_grade(rng: random.Random, later: str) -> str:
    """A year's grade given the next year's: the excellent tend to stay so."""
    r = rng.random()
    if later == Grade.EXCELLENT:
        return Grade.EXCELLENT if r < 0.6 else Grade.COMPETENT
    if r < 0.09:
        return Grade.EXCELLENT
    if r < 0.93:
        return Grade.COMPETENT
    if r < 0.99:
        return Grade.BASIC
    return Grade.INCOMPETENT


def _history(rng: random.Random, period: Period) -> int:
    """Archived annual periods for the years before ``period`` (those missing), with grades."""
    staff = User.objects.filter(username="zzb_staff").first()
    if staff is None:
        return 0
    graded = list(
        Assessment.objects.filter(period=period)
        .exclude(final_grade="")
        .order_by("cadre_id")
        .values_list("cadre_id", "unit_id", "final_grade")
    )
    later = {cadre_id: final for cadre_id, _, final in graded}
    written = 0
    for year in range(period.year - 1, period.year - 1 - HISTORY_YEARS, -1):
        if Period.objects.filter(year=year, quarter__isnull=True).exists():
            later = dict(
                Assessment.objects.filter(period__year=year, period__quarter__isnull=True).values_list(
                    "cadre_id", "final_grade"
                )
            )
            continue
        earlier = period_create(actor=staff, name=f"{year}年度考核", year=year)
        grades = {
            cadre_id: _earlier_grade(rng, later.get(cadre_id, Grade.COMPETENT)) for cadre_id, _, _ in graded
        }
        note = [{"rule": "历史考核结果", "effect": "", "facts": "往年考核等次（演示数据，无分项得分）"}]
        bulk_insert(
            Assessment,
            (
                (
                    earlier.pk,
                    cadre_id,
                    unit_id,
                    grades[cadre_id],
                    grades[cadre_id],
                    GRADE_CODES[grades[cadre_id]],
                    note,
                )
                for cadre_id, unit_id, _ in graded
            ),
            fields=[
                "period_id",
                "cadre_id",
                "unit_id",
                "computed_grade",
                "final_grade",
                "grade_code",
                "explanation",
            ],
        )
        Period.objects.filter(pk=earlier.pk).update(
            status=PeriodStatus.ARCHIVED,
            published_at=datetime.datetime(year + 1, 1, 20, 2, tzinfo=datetime.UTC),
        )
        written += len(graded)
        later = grades
    return written


@transaction.atomic
def seed_lists(*, seed: int = 20261201) -> dict[str, int]:
    """Idempotent: the earlier years are written once, and computing the lists again writes
    nothing new."""
    period = (
        Period.objects.filter(quarter__isnull=True, status=PeriodStatus.PUBLISHED).order_by("-year").first()
    )
    if period is None:
        return {}
    history = _history(random.Random(seed), period)
    summary = lists_compute(period=period, reason="演示数据")
    return {
        "earlier_assessments": history,
        "incentive_entries": Entry.objects.filter(period=period).count(),
        "incentive_eligible": summary["eligible"],
    }


def register() -> None:
    registry.demo_step("incentive_lists", order=ORDER, seed=seed_lists)
