"""红榜/黄榜 (TRACK_BOARD): sizes from the unit's policy (a count above 0 wins, else the share
rounded down but at least one), ties at a cut all included, no cadre on both boards, the unit's
own cadres by their track-wide places."""

import pytest

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from assessment.services.policy import clean_params
from incentives.policy_tracks import board_size, board_text
from incentives.ranking import board_cuts
from incentives.selectors_tracks import track_rankings
from tests.factories import CadreFactory, make_user

from .tracks_facts import annual, field, rank, run


def rule(**params) -> dict:
    return {"red_count": 0, "red_share": "0", "yellow_count": 0, "yellow_share": "0", **params}


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("params", "entrants", "size"),
    (
        (rule(red_count=3, red_share="1/2"), 10, 3),  # the count wins over the share
        (rule(red_share="1/4"), 10, 2),  # 2.5 rounded down
        (rule(red_share="1/4"), 8, 2),  # exactly 2
        (rule(red_share="1/4"), 7, 1),  # 1.75
        (rule(red_share="1/10"), 5, 1),  # 0.5: at least one
        (rule(red_share="1/10"), 0, 0),  # nobody runs
        (rule(), 10, 0),  # neither set: no board
        (rule(red_count=20), 10, 10),  # never more than run
    ),
)
def test_board_size(params, entrants, size):
    assert board_size(params, "red", entrants) == size


def test_the_default_rule_is_the_top_tenth_and_the_last_place(db):
    params = PolicyRule.objects.get(unit=None, kind=RuleKind.TRACK_BOARD).params
    assert clean_params(RuleKind.TRACK_BOARD, params) == params
    assert (board_size(params, "red", 30), board_size(params, "yellow", 30)) == (3, 1)
    assert (
        board_text(params)
        == "各赛道本单位排名：红榜取前 10%（向下取整，至少 1 人），黄榜取末 1 名；边界并列者一并列入"
    )


def test_a_share_is_refused_outside_0_to_100_percent(db):
    with pytest.raises(Exception, match="0 到 100%"):
        clean_params(RuleKind.TRACK_BOARD, rule(red_share="120%"))


# --------------------------------------------------------------------------- cuts


def test_a_top_share_falling_between_two_cadres_takes_the_one_above():
    # 10 entrants, 25%: 2.5 → 2; the third is not on the board
    cuts = board_cuts(list(range(1, 11)), rule(red_share="25%"))
    assert [p for p in range(1, 11) if cuts.board(p) == "red"] == [1, 2]


def test_cadres_tied_at_the_red_cut_are_all_on_the_board():
    cuts = board_cuts([1, 2, 2, 4, 5], rule(red_count=2))
    assert [p for p in (1, 2, 2, 4, 5) if cuts.board(p) == "red"] == [1, 2, 2]
    assert cuts.red_size == 2


def test_the_last_place_is_the_yellow_board_and_a_shared_last_place_puts_both_on_it():
    alone = board_cuts([1, 2, 3, 4], rule(yellow_count=1))
    assert [p for p in (1, 2, 3, 4) if alone.board(p) == "yellow"] == [4]
    shared = board_cuts([1, 2, 3, 3], rule(yellow_count=1))
    assert [p for p in (1, 2, 3, 3) if shared.board(p) == "yellow"] == [3, 3]


def test_a_cadre_on_both_boards_is_only_on_the_red_one():
    cuts = board_cuts([1, 2], rule(red_count=1, yellow_count=2))
    assert (cuts.board(1), cuts.board(2)) == ("red", "yellow")


def test_a_unit_ranks_by_track_wide_places():
    # the unit's cadres hold places 3, 7 and 9 of the track: 红榜 the 3rd, 黄榜 the 9th
    cuts = board_cuts([7, 3, 9], rule(red_count=1, yellow_count=1))
    assert (cuts.board(3), cuts.board(7), cuts.board(9)) == ("red", "", "yellow")


# --------------------------------------------------------------------------- a unit's boards


@pytest.fixture
def ranked(tree):
    """On 乡村振兴: 甲镇 (甲县) 甲 80, 乙 81.5, 丙 83, 丁 84.5; 乙镇 (乙县) 戊 89, 己 77."""
    period = annual()
    for name, ji in zip("甲乙丙丁", (80, 85, 90, 95), strict=True):
        run(period, CadreFactory(unit=tree["town_a"], name=name), 绩=ji)
    field(tree["town_b"], "戊", period, 绩=100, 德=100)
    field(tree["town_b"], "己", period, 绩=70)
    return period, rank(period)


def test_the_boards_of_a_county_are_its_own_cadres_under_its_own_rule(ranked, tree, users):
    period, places = ranked
    assert places["戊"][0] == 1 and places["己"][0] == 6
    PolicyRule.objects.create(
        unit=tree["county_a"], kind=RuleKind.TRACK_BOARD, params=rule(red_count=1, yellow_count=1)
    )
    result = track_rankings(users["city_staff"], period=period, unit=tree["county_a"])
    boards = {a.cadre.name: result.board_of(a.track, a.position) for a in result.rows}
    # 甲县 holds places 2–5 of the track: its best (丁) is red, its last (甲) yellow
    assert boards == {"丁": "red", "丙": "", "乙": "", "甲": "yellow"}


def test_the_board_filter_lists_one_board(ranked, tree, users):
    period, _ = ranked
    PolicyRule.objects.create(unit=tree["county_a"], kind=RuleKind.TRACK_BOARD, params=rule(red_count=2))
    result = track_rankings(users["city_staff"], period=period, unit=tree["county_a"], board="red")
    assert [a.cadre.name for a in result.rows] == ["丁", "丙"]
    assert (
        list(track_rankings(users["city_staff"], period=period, unit=tree["county_a"], board="yellow").rows)
        == []
    )


def test_a_user_sees_the_boards_of_the_own_subtree_only(ranked, tree):
    period, _ = ranked
    county_b_staff = make_user("b_staff", Role.STAFF, tree["county_b"])
    result = track_rankings(county_b_staff, period=period)
    # the default rule (10%, at least one; the last place) over 乙县's two cadres
    assert {a.cadre.name: result.board_of(a.track, a.position) for a in result.rows} == {
        "戊": "red",
        "己": "yellow",
    }
