"""The 赛马 ranking rule, in one place for the job that writes the standings and the pages that
show them.

Within a track, the cadres of an annual period are ranked by their weighted total
(``Assessment.total_score``), highest first. Equal totals are told apart by the 绩 score: the
part of the total that the scheme's indicators of the 绩 dimension make (score ÷ full marks ×
weight, scaled as the total is, over the indicators that apply to the cadre: its category's
scheme, the common ones and its own track's), rounded to two places as the total is. Cadres
still equal share the place and the next place is skipped (1, 2, 2, 4). A cadre without a total
(scores incomplete) is not ranked.

``board_cuts`` applies the 红榜/黄榜 policy (``incentives.policy_tracks``) to a unit's cadres of
one track.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assessment.grading import IndicatorDef, applicable, factors, to_decimal
from assessment.models import Dimension, Indicator, Period, Scheme

from .policy_tracks import board_size

TIE_RULE = (
    "同一赛道内按加权总分从高到低排名；总分相同的，比较“绩”维度得分（方案中维度为“绩”的各项指标按权重折算计入总分的分数，"
    "保留两位小数），较高者在前；仍相同的并列同一名次，其后名次顺延（如 1、2、2、4）。"
    "评分不完整、没有加权总分的干部不参加排名。"
)
CENT = Decimal("0.01")


class JiScores:
    """The 绩 score of an assessment in ``period``: its indicators read once (two queries, on
    first use), the factors worked out once per cadre category and track."""

    def __init__(self, period: Period):
        self.period = period
        self._by_category: dict[str, list[tuple[IndicatorDef, bool]]] | None = None
        self._pairs: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}

    def _load(self) -> dict[str, list[tuple[IndicatorDef, bool]]]:
        if self._by_category is None:
            schemes = dict(Scheme.objects.filter(period=self.period).values_list("pk", "category"))
            if not schemes and self.period.scheme_id:
                schemes = {self.period.scheme_id: ""}
            out: dict[str, list[tuple[IndicatorDef, bool]]] = {category: [] for category in schemes.values()}
            for scheme_id, code, weight, low, high, track, dimension in (
                Indicator.objects.filter(scheme_id__in=list(schemes))
                .order_by("order", "id")
                .values_list("scheme_id", "code", "weight", "min_score", "max_score", "track", "dimension")
            ):
                out[schemes[scheme_id]].append(
                    (IndicatorDef(code, weight, low, high, track), dimension == Dimension.JI)
                )
            self._by_category = out
        return self._by_category

    def pairs(self, cadre_kind: str, track: str) -> list[tuple[str, Decimal]]:
        """(code, factor) of the 绩 indicators that apply: a score × its factor is what it adds
        to the total (``assessment.grading.factors`` over every indicator that applies)."""
        key = (cadre_kind, track)
        found = self._pairs.get(key)
        if found is None:
            by_category = self._load()
            indicators = by_category.get(cadre_kind) or by_category.get("", [])
            ji_codes = {i.code for i, ji in indicators if ji}
            found = self._pairs[key] = [
                (code, factor)
                for code, factor, _ in factors(applicable([i for i, _ in indicators], track))
                if code in ji_codes
            ]
        return found

    def of(self, scores: dict, cadre_kind: str, track: str) -> Decimal | None:
        """The 绩 score, rounded half up to two places; None when a 绩 score is missing; 0 when
        the scheme has no 绩 indicator for the cadre (the tie then stands)."""
        total = Decimal(0)
        for code, factor in self.pairs(cadre_kind, track):
            value = to_decimal((scores or {}).get(code))
            if value is None:
                return None
            total += value * factor
        return total.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Entrant:
    cadre_id: int
    total: Decimal
    ji: Decimal


def rank(entrants: list[Entrant]) -> dict[int, int]:
    """{cadre id: place} by total, then 绩, both highest first; equal on both share the place
    (competition ranking 1, 2, 2, 4)."""
    places: dict[int, int] = {}
    previous = None
    place = 0
    ordered = sorted(entrants, key=lambda e: (-e.total, -e.ji, e.cadre_id))
    for index, entrant in enumerate(ordered, start=1):
        key = (entrant.total, entrant.ji)
        if key != previous:
            place, previous = index, key
        places[entrant.cadre_id] = place
    return places


def rank_period(rows) -> dict[str, dict[int, int]]:
    """{track: {cadre id: place}} from ``rows`` of (cadre id, track, total, 绩 score); rows
    without a total are left out."""
    by_track: dict[str, list[Entrant]] = defaultdict(list)
    for cadre_id, track, total, ji in rows:
        if total is None:
            continue
        by_track[track].append(Entrant(cadre_id, Decimal(total), ji if ji is not None else Decimal(0)))
    return {track: rank(entrants) for track, entrants in by_track.items()}


@dataclass(frozen=True)
class Cuts:
    """A unit's boards in one track: 红榜 takes the places up to ``red`` (inclusive), 黄榜 the
    places from ``yellow`` on that are not on the 红榜; None: no such board. The sizes are those
    the policy gives before ties at the cut join."""

    entrants: int
    red: int | None
    yellow: int | None
    red_size: int
    yellow_size: int

    def board(self, place: int) -> str:
        if self.red is not None and place <= self.red:
            return "red"
        if self.yellow is not None and place >= self.yellow:
            return "yellow"
        return ""


def board_cuts(places: list[int], params: dict) -> Cuts:
    """The cuts for a unit whose cadres in one track hold ``places`` (track-wide places): the
    red cut is the place of the last cadre the size takes counting from the top, and everyone
    sharing it is on the board too; the yellow cut likewise from the bottom."""
    ordered = sorted(places)
    n = len(ordered)
    red_size, yellow_size = board_size(params, "red", n), board_size(params, "yellow", n)
    red = ordered[red_size - 1] if red_size else None
    yellow = ordered[n - yellow_size] if yellow_size else None
    return Cuts(n, red, yellow, red_size, yellow_size)
