"""Reads of the 赛马 area: the tracks and their use, the cadres of a period to assign, and the
rankings with a unit's 红榜/黄榜. Every read of cadres goes through the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from assessment.models import Assessment, Indicator, Period, RaceTrack, RuleKind
from assessment.selectors import assessments_visible_to
from assessment.tracks import TrackTable
from cadres.models import Unit
from cadres.selectors import unit_label
from recall.models import TrackStanding
from recall.services import policy_params

from .ranking import Cuts, board_cuts


def tracks_editable(user) -> bool:
    """The track list is one for the whole tree: only a user who manages incentives and whose
    scope covers every unit edits it (as recall's 惰政 catalogue)."""
    if not user.can("manage_incentives"):
        return False
    scope = user.scope_path
    if scope is None:
        return False
    return scope == "" or not Unit.objects.exclude(path__startswith=scope).exists()


def tracks_in_use(codes) -> set[str]:
    """The codes among ``codes`` that an assessment, an indicator or a standing stores."""
    codes = list(codes)
    used: set[str] = set()
    for model in (Assessment, Indicator, TrackStanding):
        used |= set(
            model.objects.filter(track__in=codes).order_by().values_list("track", flat=True).distinct()
        )
    return used


def track_list() -> list[RaceTrack]:
    """Every track in order, each with ``assessments``, ``indicators`` and ``standings`` (how
    many records store its code) and ``in_use``. Four queries, whatever the number of tracks."""
    tracks = list(RaceTrack.objects.order_by("order", "id"))
    counts = {}
    for name, model in (("assessments", Assessment), ("indicators", Indicator), ("standings", TrackStanding)):
        counts[name] = dict(
            model.objects.exclude(track="")
            .order_by()
            .values("track")
            .annotate(n=Count("id"))
            .values_list("track", "n")
        )
    for track in tracks:
        for name, by_code in counts.items():
            setattr(track, name, by_code.get(track.code, 0))
        track.in_use = bool(track.assessments or track.indicators or track.standings)
    return tracks


def track_order(tracks: TrackTable):
    """An expression giving each assessment's track its place in the tracks' order."""
    whens = [When(track=code, then=Value(index)) for index, (code, _, _) in enumerate(tracks.rows)]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def annual_periods(user) -> QuerySet[Period]:
    return (
        Period.objects.filter(quarter__isnull=True).order_by("-year")
        if user.is_authenticated
        else Period.objects.none()
    )


def default_period(user) -> Period | None:
    """The latest annual period that has standings, else the latest annual period."""
    ranked = TrackStanding.objects.order_by("-period__year").values_list("period_id", flat=True)[:1]
    return annual_periods(user).filter(pk__in=Subquery(ranked)).first() or annual_periods(user).first()


# --------------------------------------------------------------------------- assignment


def assignment_rows(user, *, period: Period, unit: Unit | None = None, track: str | None = None) -> QuerySet:
    """The assessments of ``period`` in the user's scope (``unit``'s subtree), with the cadre and
    the unit's label; ``track``: a code, "-" for those on no track, None for all."""
    qs = assessments_visible_to(user).filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if track == "-":
        qs = qs.filter(track="")
    elif track:
        qs = qs.filter(track=track)
    return (
        qs.select_related("cadre")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("unit__path", "cadre__name", "cadre_id")
    )


# --------------------------------------------------------------------------- rankings


@dataclass
class Rankings:
    """What the rankings page and ``track-rankings/`` show for a period and a unit subtree."""

    period: Period
    unit: Unit | None
    params: dict  # the unit's TRACK_BOARD rule
    tracks: TrackTable
    cuts: dict[str, Cuts]  # per track: the unit's boards
    rows: QuerySet  # ranked assessments, with ``position`` and ``of_total``, in the tracks' order
    unranked: QuerySet  # assessments on a track without a standing
    summary: list[dict] = field(default_factory=list)

    def board_of(self, track: str, position: int) -> str:
        cuts = self.cuts.get(track)
        return cuts.board(position) if cuts else ""


def _board_q(cuts: dict[str, Cuts], board: str) -> Q:
    q = Q(pk__in=[])
    for track, cut in cuts.items():
        if board == "red" and cut.red is not None:
            q |= Q(track=track, position__lte=cut.red)
        elif board == "yellow" and cut.yellow is not None:
            on = Q(track=track, position__gte=cut.yellow)
            if cut.red is not None:
                on &= Q(position__gt=cut.red)
            q |= on
    return q


def board_params(user, unit: Unit | None) -> dict:
    """The TRACK_BOARD rule for ``unit`` (else the user's own unit; the defaults for a user
    without one)."""
    if unit is None and getattr(user, "unit_id", None):
        unit = user.unit
    if unit is None:
        unit = Unit(path="")
    return policy_params(unit, RuleKind.TRACK_BOARD)


def track_rankings(
    user,
    *,
    period: Period,
    unit: Unit | None = None,
    track: str = "",
    board: str = "",
    tracks: TrackTable | None = None,
) -> Rankings:
    """The standings of ``period`` for the cadres in the user's scope (``unit``'s subtree),
    each with the board the unit's policy puts it on. ``rows`` and ``unranked`` are lazy; the
    boards are worked out here from every place the subtree holds (one query), the policy in one
    more, the tracks in one (none when ``tracks`` was read already)."""
    tracks = tracks or TrackTable()
    base = assessments_visible_to(user).filter(period=period).exclude(track="")
    if unit is not None:
        base = base.filter(unit__path__startswith=unit.path)
    standing = TrackStanding.objects.filter(
        period=OuterRef("period"), cadre=OuterRef("cadre"), track=OuterRef("track")
    )
    placed = base.annotate(
        position=Subquery(standing.values("position")[:1]), of_total=Subquery(standing.values("of_total")[:1])
    )
    params = board_params(user, unit)
    places: dict[str, list[int]] = {}
    for code, position in placed.filter(position__isnull=False).order_by().values_list("track", "position"):
        places.setdefault(code, []).append(position)
    cuts = {code: board_cuts(held, params) for code, held in places.items()}
    summary = [
        {
            "code": code,
            "name": name,
            "entrants": cuts[code].entrants,
            "red": cuts[code].red_size,
            "yellow": cuts[code].yellow_size,
        }
        for code, name, _ in tracks.rows
        if code in cuts
    ]
    rows = placed.filter(position__isnull=False)
    unranked = placed.filter(position__isnull=True)
    if track:
        rows, unranked = rows.filter(track=track), unranked.filter(track=track)
    if board:
        rows = rows.filter(_board_q(cuts, board))
    order = track_order(tracks)
    rows = (
        rows.select_related("cadre")
        .annotate(unit_label=unit_label("unit__"), track_order=order)
        .order_by("track_order", "position", "cadre__name", "cadre_id")
    )
    unranked = (
        unranked.select_related("cadre")
        .annotate(unit_label=unit_label("unit__"), track_order=order)
        .order_by("track_order", "cadre__name", "cadre_id")
    )
    return Rankings(period, unit, params, tracks, cuts, rows, unranked, summary)
