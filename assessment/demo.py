"""Demo assessment data for ``seed_demo``: the 2025 annual period published, the first three
quarters of 2026 published, and the 2026 annual period being graded, with scores for every
cadre, a few sanctions (one decided 可容 by 容错纠错), and grades computed by the engine (so caps
from the demo 约谈 show)."""

import datetime
import random

from django.db import transaction

from accounts.models import User
from cadres.models import Cadre, CadreStatus
from core.bulk import bulk_insert
from supervision.models import ExemptionVerdict, Intent, MatterType, Motive, Nature, Sanction, SanctionKind
from supervision.services.exemptions import exemption_decide

from .models import Assessment, Period, PeriodStatus
from .services.periods import period_create
from .services.recompute import period_recompute

ACTIVE = [CadreStatus.ON_POST, CadreStatus.RECALLED, CadreStatus.FRONTLINE, CadreStatus.AWAITING]
ANNUAL_CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


def _period(name: str, year: int, quarter: int | None, status: str, actor) -> Period:
    # Created as staff would create it; the demo then sets the state directly, because its
    # rows come with scores (opening the period would add empty ones first).
    period = period_create(actor=actor, name=name, year=year, quarter=quarter)
    Period.objects.filter(pk=period.pk).update(status=status)
    period.status = status
    return period


def _score(rng: random.Random, mean: float, spread: float) -> float | int:
    value = round(min(100, max(40, rng.gauss(mean, spread))) * 2) / 2
    # stored as scores_save stores them: whole numbers as integers
    return int(value) if value.is_integer() else value


def _fill(period: Period, cadres, rng: random.Random, codes: list[str]) -> None:
    rows = []
    for cadre_id, unit_id in cadres:
        # A cadre's level carries across indicators; each indicator varies around it.
        level = rng.gauss(83, 6)
        rows.append(
            {
                "period_id": period.pk,
                "cadre_id": cadre_id,
                "unit_id": unit_id,
                "scores": {c: _score(rng, level, 4) for c in codes},
            }
        )
    bulk_insert(Assessment, rows)


@transaction.atomic
def seed_assessment(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing if any period exists."""
    if Period.objects.exists():
        return {}
    rng = random.Random(seed)
    staff = User.objects.get(username="zzb_staff")
    cadres = list(Cadre.objects.filter(status__in=ACTIVE).order_by("id").values_list("id", "unit_id"))

    # Sanctions: warnings this year, demerits reaching into it, and a demotion that the head
    # decides 可容 (容错纠错, through the one service that exempts), so it limits no grade.
    picks = rng.sample(cadres[:1500], 6)
    sanctions = [
        (SanctionKind.WARNING, datetime.date(2026, 4, 8)),
        (SanctionKind.WARNING, datetime.date(2026, 7, 15)),
        (SanctionKind.DEMERIT, datetime.date(2025, 10, 20)),
        (SanctionKind.MAJOR_DEMERIT, datetime.date(2025, 3, 2)),
        (SanctionKind.DEMOTION, datetime.date(2026, 2, 11)),
        (SanctionKind.WARNING, datetime.date(2025, 6, 30)),
    ]
    created = [
        Sanction.objects.create(
            cadre_id=cadre_id, kind=kind, decided_on=day, reason="违反工作纪律（演示数据）", created_by=staff
        )
        for (cadre_id, _), (kind, day) in zip(picks, sanctions, strict=True)
    ]
    demotion = next(s for s in created if s.kind == SanctionKind.DEMOTION)
    exemption_decide(
        actor=User.objects.get(username="zzb_head"),
        matter_type=MatterType.SANCTION,
        matter_id=demotion.pk,
        intent=Intent.NEGLIGENT,
        motive=Motive.PUBLIC,
        nature=Nature.TRIAL,
        verdict=ExemptionVerdict.TOLERABLE,
        basis="属推进农村集体产权制度改革中的探索性失误，未谋取私利，已及时纠正；按“三个区分开来”予以容错。",
        decided_on=datetime.date(2026, 3, 2),
    )

    annual_2025 = _period("2025年度考核", 2025, None, PeriodStatus.GRADING, staff)
    _fill(annual_2025, cadres, rng, ANNUAL_CODES)
    period_recompute(period_id=annual_2025.pk)
    Period.objects.filter(pk=annual_2025.pk).update(
        status=PeriodStatus.PUBLISHED, published_at=datetime.datetime(2026, 1, 20, 10, tzinfo=datetime.UTC)
    )

    for quarter in (1, 2, 3):
        period = _period(f"2026年第{quarter}季度平时考核", 2026, quarter, PeriodStatus.GRADING, staff)
        _fill(period, cadres, rng, ["得分"])
        period_recompute(period_id=period.pk)
        # published in the month after the quarter, as the annual one is in January
        published_at = datetime.datetime(2026, 3 * quarter + 1, 15, 2, tzinfo=datetime.UTC)
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.PUBLISHED, published_at=published_at)

    annual_2026 = _period("2026年度考核", 2026, None, PeriodStatus.GRADING, staff)
    _fill(annual_2026, cadres, rng, ANNUAL_CODES)
    period_recompute(period_id=annual_2026.pk)
    return {"periods": 5, "assessments": Assessment.objects.count(), "sanctions": len(sanctions)}
