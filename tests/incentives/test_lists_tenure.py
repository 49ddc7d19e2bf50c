"""职级晋升 on the lists: the tenure per rank, shortened by each 优秀 year and lengthened by each
year that does not count; eligible when complete by the year's end; 不称职 proposes a drop."""

import datetime

import pytest

from cadres.models import CadreKind, Rank
from incentives.lists.rules import tenure_due
from incentives.models import ListKind
from tests.factories import CadreFactory

from .list_facts import TODAY, compute, entry, grade, grades

PROMOTION, DROP = ListKind.RANK_PROMOTION, ListKind.RANK_DROP
D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


def clerk(tree, start: str | None, rank=Rank.LEVEL_1_STAFF):
    """一级科员 since ``start``: 3 years to 二级主任科员 by default."""
    return CadreFactory(
        unit=tree["town_a"],
        kind=CadreKind.GENERAL,
        rank=rank,
        rank_start_date=D(start) if start else None,
        post_title="科员",
    )


def due(start: str, by_year: dict[int, str], *, years: int = 3, last_year: int = 2025):
    return tenure_due(
        D(start),
        years=years,
        excellent_months=6,
        not_counted={"基本称职", "不定等次"},
        grade_of=lambda year: by_year.get(year, "称职"),
        last_year=last_year,
    )


@pytest.mark.parametrize(
    ("by_year", "expected"),
    [
        ({}, "2026-01-01"),
        ({2023: "优秀"}, "2025-07-01"),
        ({2023: "优秀", 2024: "优秀"}, "2025-01-01"),
        ({2024: "基本称职"}, "2027-01-01"),
        ({2023: "优秀", 2024: "不定等次"}, "2026-07-01"),
    ],
)
def test_the_due_date_moves_half_a_year_per_excellent_year_and_a_year_per_year_not_counted(by_year, expected):
    assert due("2023-01-01", by_year)[0] == D(expected)


def test_a_rank_taken_during_a_year_counts_from_the_next_year():
    # 2022 (the rank taken in July) is not a year held in the rank; 2023 is
    assert due("2022-07-01", {2022: "优秀"})[0] == D("2025-07-01")
    assert due("2022-07-01", {2023: "优秀"})[0] == D("2025-01-01")


def test_grades_after_the_tenure_is_complete_do_not_move_it():
    # complete on 2022-01-01; the 基本称职 of 2023 comes after
    assert due("2019-01-01", {2023: "基本称职"})[0] == D("2022-01-01")


def test_the_steps_say_which_years_moved_the_date():
    _, steps = due("2023-01-01", {2023: "优秀", 2024: "基本称职"})
    assert steps == {
        "优秀年度": "2023，每年缩短 6 个月",
        "不计算任职年限的年度": "2024（基本称职），每年延后 12 个月",
    }


@pytest.mark.parametrize(
    ("by_year", "due_date", "eligible"),
    [
        ({2025: "称职"}, "2026-01-01", False),
        ({2023: "优秀", 2025: "称职"}, "2025-07-01", True),
        ({2023: "优秀", 2024: "优秀", 2025: "称职"}, "2025-01-01", True),
        ({2023: "优秀", 2024: "基本称职", 2025: "称职"}, "2026-07-01", False),
    ],
)
def test_the_promotion_list_shows_the_due_date_and_is_eligible_when_due_by_the_year_end(
    tree, by_year, due_date, eligible
):
    cadre = clerk(tree, "2023-01-01")
    grades(cadre, by_year)
    compute()
    found = entry(cadre, PROMOTION)
    assert found.due_date == D(due_date)
    assert found.eligible is eligible
    assert found.reasons[0]["rule"] == "职级晋升：一级科员→二级主任科员"
    assert found.reasons[0]["facts"]["可晋升日期"] == due_date


def test_due_on_the_last_day_of_the_year_is_eligible(tree):
    cadre = clerk(tree, "2022-12-31")
    grade(cadre, 2025, "称职")
    compute()
    found = entry(cadre, PROMOTION)
    assert (found.due_date, found.eligible) == (D("2025-12-31"), True)


def test_without_a_rank_start_date_the_cadre_is_left_out_with_the_reason(tree):
    cadre = clerk(tree, None)
    grade(cadre, 2025, "优秀")
    compute()
    found = entry(cadre, PROMOTION)
    assert not found.eligible and found.due_date is None
    assert found.reasons[-1]["effect"] == "不列入：未登记任现职级时间"


def test_a_rank_without_a_tenure_rule_is_not_on_the_promotion_list(cadre_a):
    grade(cadre_a, 2025, "优秀")  # 副科级: promoted by appointment, not by tenure
    compute()
    assert entry(cadre_a, PROMOTION) is None


def test_an_incompetent_year_proposes_a_one_level_drop_and_no_promotion(tree):
    cadre = clerk(tree, "2015-01-01", rank=Rank.LEVEL_2_CLERK)
    grade(cadre, 2025, "不称职")
    compute()
    drop = entry(cadre, DROP)
    assert drop.eligible
    assert drop.reasons == [
        {
            "rule": "年度考核不称职，降低一个职务或者职级层次任职",
            "effect": "提议降低一个职级：二级主任科员→一级科员",
            "facts": {"年度考核": "不称职"},
        }
    ]
    promotion = entry(cadre, PROMOTION)
    assert not promotion.eligible
    assert promotion.reasons[-1]["effect"] == "不予晋升"


def test_a_basic_competent_year_proposes_no_drop(tree):
    cadre = clerk(tree, "2015-01-01", rank=Rank.LEVEL_2_CLERK)
    grade(cadre, 2025, "基本称职")
    compute()
    assert entry(cadre, DROP) is None


def test_a_drop_below_the_tenure_ladder_is_left_to_the_department(cadre_a):
    grade(cadre_a, 2025, "不称职")
    compute()
    assert "由组织部门研究确定" in entry(cadre_a, DROP).reasons[0]["effect"]
