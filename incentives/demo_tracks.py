"""Demo 赛马 data for ``seed_demo``: the township cadres run in the four tracks (乡村振兴, 项目建设,
为企服务, 基层治理), each keeping its track across years; the 2024, 2025 and 2026 annual periods
are ranked. 2024 is the archived year the lists' demo records (grades only): its township cadres
get their track and a total in their grade's band (results taken over from the registry), one
cadre who ended last of a track in 2025 being last of it in 2024 too, so the "bottom of a track
two periods running" flag rule raises a flag (without that year, this step records it, scored).
One county sets its own boards (前 3 名、末 2 名)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from assessment.demo import ANNUAL_CODES, _period, _score
from assessment.models import Assessment, Period, PeriodStatus, RuleKind
from assessment.services.policy import policy_rule_save
from assessment.services.recompute import period_recompute
from cadres.models import Cadre, CadreStatus, Unit, UnitKind
from core.bulk import bulk_insert
from recall.models import TrackStanding

from .services_tracks import tracks_assign, tracks_rank

# (track code, its share of the township cadres)
SHARES = [("rural", 35), ("project", 25), ("enterprise", 15), ("governance", 25)]
ACTIVE = [CadreStatus.ON_POST, CadreStatus.RECALLED, CadreStatus.FRONTLINE, CadreStatus.AWAITING]


def _bottom_alone(period: Period) -> tuple[str, int] | None:
    """(track, cadre) of a cadre on post alone in the last place of a track of ``period``."""
    for track, _ in SHARES:
        rows = list(
            TrackStanding.objects.filter(period=period, track=track, cadre__status=CadreStatus.ON_POST)
            .order_by("-position")
            .values_list("cadre_id", "position", "of_total")[:2]
        )
        if rows and rows[0][1] == rows[0][2] and (len(rows) == 1 or rows[1][1] < rows[0][1]):
            return track, rows[0][0]
    return None


# 2024 results taken over from the registry: a band of totals per final grade
BANDS = {"优秀": (90, 96), "称职": (72, 89), "基本称职": (61, 69), "不称职": (50, 59)}


def _history_totals(period: Period, track_of: dict, bottom, rng: random.Random) -> None:
    """The township cadres of an archived year (the lists' history, grades only) get their track
    and a total in their grade's band; ``bottom`` (track, cadre), last of its track in 2025, is
    last of it in 2024 too."""
    rows = list(
        Assessment.objects.filter(period=period, cadre_id__in=list(track_of)).only(
            "pk", "cadre_id", "final_grade"
        )
    )
    for a in rows:
        low, high = BANDS.get(a.final_grade, (72, 89))
        a.track = track_of[a.cadre_id]
        a.total_score = Decimal(round(rng.uniform(low, high) * 2) / 2).quantize(Decimal("0.01"))
    if bottom is not None:
        track, cadre_id = bottom
        others = [a.total_score for a in rows if a.track == track and a.cadre_id != cadre_id]
        for a in rows:
            if a.cadre_id == cadre_id and others:
                a.total_score = min(others) - Decimal("0.5")
    Assessment.objects.bulk_update(rows, ["track", "total_score"], batch_size=2000)


def _history_period(staff, township_cadres, track_of: dict, bottom, rng: random.Random) -> Period:
    """Without the lists' history: an archived 2024 period of the township cadres, scored."""
    period = _period("2024年度考核", 2024, None, PeriodStatus.GRADING, staff)
    rows = []
    for cadre_id, unit_id in township_cadres:
        # last of the same track again: the weakest scores of the year
        weakest = bottom is not None and cadre_id == bottom[1]
        level = 52 if weakest else rng.gauss(83, 6)
        rows.append(
            {
                "period_id": period.pk,
                "cadre_id": cadre_id,
                "unit_id": unit_id,
                "track": track_of[cadre_id],
                "scores": {c: _score(rng, level, 1 if weakest else 4) for c in ANNUAL_CODES},
            }
        )
    bulk_insert(Assessment, rows)
    period_recompute(period_id=period.pk)
    Period.objects.filter(pk=period.pk).update(
        status=PeriodStatus.ARCHIVED, published_at=datetime.datetime(2025, 1, 20, 10, tzinfo=datetime.UTC)
    )
    period.status = PeriodStatus.ARCHIVED
    return period


@transaction.atomic
def seed_tracks(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing once standings exist, or without the demo's annual periods."""
    if TrackStanding.objects.exists():
        return {}
    annual = {p.year: p for p in Period.objects.filter(quarter__isnull=True)}
    if 2025 not in annual:
        return {}
    rng = random.Random(seed + 16)
    staff = User.objects.get(username="zzb_staff")
    township_cadres = list(
        Cadre.objects.filter(unit__kind=UnitKind.TOWNSHIP, status__in=ACTIVE)
        .order_by("id")
        .values_list("id", "unit_id")
    )
    codes = [code for code, _ in SHARES]
    weights = [share for _, share in SHARES]
    track_of = {cadre_id: rng.choices(codes, weights)[0] for cadre_id, _ in township_cadres}

    # 2025 is published: its tracks are history, written as the assessment demo writes its rows
    for code in codes:
        Assessment.objects.filter(
            period=annual[2025], cadre_id__in=[c for c, t in track_of.items() if t == code]
        ).update(track=code)
    tracks_rank(period=annual[2025], actor=staff, reason="演示数据")
    # 2026 is being graded: assigned as staff assign them, through the service
    if 2026 in annual and annual[2026].status in (PeriodStatus.COLLECTING, PeriodStatus.GRADING):
        assessed = set(Assessment.objects.filter(period=annual[2026]).values_list("cadre_id", flat=True))
        for code in codes:
            chosen = [c for c, t in track_of.items() if t == code and c in assessed]
            if chosen:
                tracks_assign(actor=staff, period=annual[2026], cadre_ids=chosen, track=code)
        period_recompute(period_id=annual[2026].pk)
        tracks_rank(period=annual[2026], actor=staff, reason="演示数据")

    bottom = _bottom_alone(annual[2025])
    if 2024 in annual:
        _history_totals(annual[2024], track_of, bottom, rng)
    else:
        annual[2024] = _history_period(staff, township_cadres, track_of, bottom, rng)
    # the flag job for the cadres ranked runs after the commit
    tracks_rank(period=annual[2024], actor=staff, reason="演示数据")

    # 甲 county (the first) publishes the top three and the last two of each track
    county = Unit.objects.filter(kind=UnitKind.COUNTY).order_by("path").first()
    if county is not None:
        policy_rule_save(
            actor=User.objects.get(username="zzb_head"),
            unit=county,
            kind=RuleKind.TRACK_BOARD,
            params={"red_count": 3, "red_share": "0/1", "yellow_count": 2, "yellow_share": "0/1"},
            note="本县各赛道每年通报前 3 名（红榜）和末 2 名（黄榜）。",
        )
    return {
        "track_cadres": len(track_of),
        "standings": TrackStanding.objects.count(),
        "bottom_two_years": int(bottom is not None),
    }
