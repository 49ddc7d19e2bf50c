"""The record the 赛马 tests rank: annual periods with the default scheme (德 能 勤 15, 绩 30,
廉 10, 民主测评 15), assessments on tracks with scores, totals computed by the grading engine."""

from assessment.models import Assessment, Period
from assessment.services.recompute import period_recompute
from incentives.services_tracks import tracks_rank
from recall.models import TrackStanding
from tests.factories import CadreFactory, make_period

ALL_80 = {"德": 80, "能": 80, "勤": 80, "绩": 80, "廉": 80, "民主测评": 80}


def annual(year: int = 2025, status: str = "published") -> Period:
    found = Period.objects.filter(year=year, quarter__isnull=True).first()
    return found or make_period(year=year, status=status)


def run(period, cadre, track: str = "rural", **scores) -> Assessment:
    """``cadre`` on ``track`` in ``period``, scored 80 everywhere but ``scores``; a score given
    as None is left out (no total then)."""
    given = {**ALL_80, **scores}
    return Assessment.objects.create(
        period=period,
        cadre=cadre,
        unit=cadre.unit,
        track=track,
        scores={k: v for k, v in given.items() if v is not None},
    )


def field(unit, names: str, period, track: str = "rural", **scores) -> list:
    """A cadre per character of ``names`` in ``unit``, each on ``track`` with ``scores``."""
    made = []
    for name in names:
        cadre = CadreFactory(unit=unit, name=name)
        run(period, cadre, track, **scores)
        made.append(cadre)
    return made


def rank(period) -> dict:
    """Totals computed, the period ranked; {cadre name: (place, of total)}."""
    period_recompute(period_id=period.pk, force=True)
    tracks_rank(period=period)
    return places(period)


def places(period, track: str | None = None) -> dict:
    qs = TrackStanding.objects.filter(period=period)
    if track:
        qs = qs.filter(track=track)
    return {
        name: (position, of_total)
        for name, position, of_total in qs.values_list("cadre__name", "position", "of_total")
    }
