"""``track-rankings/`` and ``race-tracks/``: scoped, filtered, the boards of the chosen unit."""

import pytest

from accounts.roles import Role
from assessment.models import PolicyRule, RaceTrack, RuleKind
from tests.factories import CadreFactory
from tests.scope.conftest import token_client

from .tracks_facts import annual, field, rank, run


@pytest.fixture
def ranked(tree):
    """2025: 乡村振兴 甲镇 甲 83, 乙 80, 丙 77; 乙镇 丁 86; 项目建设 甲镇 戊 80."""
    period = annual()
    town = tree["town_a"]
    for name, ji in (("甲", 90), ("乙", 80), ("丙", 70)):
        run(period, CadreFactory(unit=town, name=name), 绩=ji)
    field(tree["town_b"], "丁", period, 绩=100)
    field(town, "戊", period, "project")
    rank(period)
    return period


def get(user, **params):
    return token_client(user).get("/api/v1/track-rankings/", params)


def test_rankings_of_the_callers_subtree_with_the_boards(users, ranked):
    body = get(users[Role.API_READER]).json()
    assert body["count"] == 4
    first = body["results"][0]
    assert {k: first[k] for k in ("cadre_name", "track", "track_code", "position", "of_total", "board")} == {
        "cadre_name": "甲",
        "track": "乡村振兴",
        "track_code": "rural",
        "position": 2,
        "of_total": 4,
        "board": "red",
    }
    assert (first["total_score"], first["ji_score"]) == (83.0, 27.0)
    assert [(r["cadre_name"], r["board"]) for r in body["results"]] == [
        ("甲", "red"),
        ("乙", ""),
        ("丙", "yellow"),
        ("戊", "red"),
    ]


def test_the_boards_follow_the_chosen_units_rule(users, ranked, tree):
    PolicyRule.objects.create(
        unit=tree["town_a"],
        kind=RuleKind.TRACK_BOARD,
        params={"red_count": 2, "red_share": "0/1", "yellow_count": 0, "yellow_share": "0/1"},
    )
    body = get(users[Role.API_READER], unit=tree["town_a"].pk, track="乡村振兴", board="red").json()
    assert [r["cadre_name"] for r in body["results"]] == ["甲", "乙"]


def test_a_track_is_taken_by_code_or_name(users, ranked):
    assert get(users[Role.API_READER], track="project").json()["count"] == 1
    assert get(users[Role.API_READER], track="项目建设").json()["count"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    (
        ({"track": "月球"}, "track"),
        ({"board": "green"}, "board"),
        ({"period": "x"}, "period"),
        ({"period": 999999}, "period"),
    ),
)
def test_bad_filters_are_a_400_naming_the_field(users, ranked, params, field):
    response = get(users[Role.API_READER], **params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_unit_outside_the_subtree_is_a_404(users, ranked, tree):
    response = get(users[Role.API_READER], unit=tree["county_b"].pk)
    assert response.status_code == 404 and "error" in response.json()


def test_the_query_count_does_not_grow_with_rows(users, ranked, tree, django_assert_num_queries):
    user = users["city_staff"]
    client = token_client(user)

    def count(expected_rows):
        # the token with its user and their unit (its board rule); the default period; the
        # tracks; the rule rows; every place of the subtree; the page's count and rows; the 绩
        # indicators (schemes, indicators)
        with django_assert_num_queries(9):
            assert client.get("/api/v1/track-rankings/").json()["count"] == expected_rows

    count(5)
    for i in range(20):
        run(ranked, CadreFactory(unit=tree["town_b"], name=f"新{i}"), 绩=60 + i)
    rank(ranked)
    count(25)


def test_race_tracks_lists_every_track_in_order(users):
    RaceTrack.objects.filter(code="enterprise").update(active=False)
    body = token_client(users[Role.API_READER]).get("/api/v1/race-tracks/").json()
    assert [(t["code"], t["name"], t["active"]) for t in body["results"]] == [
        ("rural", "乡村振兴", True),
        ("project", "项目建设", True),
        ("enterprise", "为企服务", False),
        ("governance", "基层治理", True),
    ]


def test_without_an_annual_period_the_list_is_empty(users):
    assert get(users[Role.API_READER]).json()["count"] == 0
