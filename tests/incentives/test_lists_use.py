"""优先使用, 定向选拔 (8 years a township 党政正职, [002]) and 80后比选 ([003]) on the lists: hard
requirements exclude, soft ones rank; each at its boundary."""

from decimal import Decimal

import pytest

from assessment.models import RuleKind
from cadres.models import CadreStatus, PostKind, Rank
from incentives.models import ListKind
from tests.factories import CadreFactory

from .list_facts import TODAY, clue, compute, entry, grade, grades, post, rules_of, unit_rule

PRIORITY, RESERVED, YOUNG = ListKind.PRIORITY, ListKind.RESERVED_POST, ListKind.YOUNG_SELECTION


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


# --------------------------------------------------------------------------- 优先使用


def test_two_excellent_years_running_put_a_cadre_on_the_priority_list(cadre_a):
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    compute()
    found = entry(cadre_a, PRIORITY)
    assert found.eligible
    assert found.reasons[0] == {
        "rule": "优先使用硬性条件",
        "effect": "符合",
        "facts": {"条件": "年度考核连续 2 年优秀；无未核实的问题线索；不在处分影响期内"},
    }
    assert found.score == 0 and found.position == 1


def test_one_excellent_year_is_not_enough_to_be_considered_for_priority_use(cadre_a):
    grades(cadre_a, {2024: "称职", 2025: "优秀"})
    compute()
    assert entry(cadre_a, PRIORITY) is None


def test_a_cadre_meeting_no_criterion_is_not_considered(cadre_a):
    grade(cadre_a, 2025, "称职")
    compute()
    assert entry(cadre_a, PRIORITY) is None


def test_an_unverified_clue_is_a_hard_requirement_of_priority_use(cadre_a):
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    clue(cadre_a)
    compute()
    found = entry(cadre_a, PRIORITY)
    assert not found.eligible
    assert rules_of(found) == ["优先使用硬性条件：无未核实的问题线索"]


@pytest.mark.parametrize(("start", "points"), [("2024-01-01", 10), ("2024-01-02", 0)])
def test_twelve_months_on_the_front_line_add_their_points_and_eleven_do_not(cadre_a, start, points):
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    post(cadre_a, PostKind.PROJECT_FRONTLINE, start, "2024-12-31", title="项目指挥部副指挥长")
    compute()
    found = entry(cadre_a, PRIORITY)
    assert found.score == points
    if points:
        assert found.reasons[1] == {
            "rule": "优先使用加分条件：乡镇或重大项目一线经历满 12 个月",
            "effect": "加 10 分",
            "facts": {"事实": "一线经历 12 个月"},
        }


def test_soft_criteria_rank_the_eligible(tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    for cadre in (cadre_a, other):
        grades(cadre, {2024: "优秀", 2025: "优秀"})
    post(other, PostKind.FIRST_SECRETARY, "2022-03-01", "2024-02-29", title="驻村第一书记")
    compute()
    assert entry(other, PRIORITY).score == 10 and entry(other, PRIORITY).position == 1
    assert entry(cadre_a, PRIORITY).position == 2


def test_front_line_experience_alone_is_not_enough_while_the_excellent_run_is_hard(cadre_a):
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_FRONTLINE, "2020-01-01", "2023-12-31", title="包村干部")
    compute()
    assert entry(cadre_a, PRIORITY) is None


def test_without_a_hard_criterion_of_record_a_soft_one_puts_a_cadre_on_the_list(tree, cadre_a):
    unit_rule(tree["county_a"], RuleKind.PRIORITY_USE, "excellent_2", mode="soft", weight=20)
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_FRONTLINE, "2020-01-01", "2023-12-31", title="包村干部")
    compute()
    found = entry(cadre_a, PRIORITY)
    assert found.eligible and found.score == 10
    assert found.reasons[0]["facts"] == {"条件": "无未核实的问题线索；不在处分影响期内"}


def test_an_unverified_clue_is_left_out_of_priority_use_with_the_clue(cadre_a):
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    clue(cadre_a)
    compute()
    found = entry(cadre_a, PRIORITY)
    assert not found.eligible
    assert found.reasons[0]["facts"] == {"问题线索": "2025-09-01 收到（信访），待核实"}


def test_a_retired_cadre_is_left_out_of_the_use_lists(cadre_a):
    cadre_a.status = CadreStatus.RETIRED
    cadre_a.save()
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    compute()
    found = entry(cadre_a, PRIORITY)
    assert not found.eligible
    assert found.reasons[0] == {"rule": "干部状态", "effect": "不列入", "facts": {"状态": "退休"}}


# --------------------------------------------------------------------------- 定向选拔


@pytest.mark.parametrize(("start", "years", "eligible"), [("2018-01-01", 8, True), ("2018-01-02", 7, False)])
def test_eight_years_running_as_a_township_principal_qualify_for_the_reserved_posts_and_seven_do_not(
    cadre_a, start, years, eligible
):
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, start)
    compute()
    found = entry(cadre_a, RESERVED)
    assert found.eligible is eligible
    assert found.reasons[0]["effect"] == ("符合" if eligible else "不符合")
    assert found.reasons[0]["facts"] == {"连续任乡镇党政正职": f"自 {start} 起，至 2025-12-31 满 {years} 年"}


def test_two_principal_posts_a_few_days_apart_are_one_run(cadre_a):
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2017-06-01", "2021-03-31", title="镇长")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2021-04-10", title="党委书记")
    compute()
    found = entry(cadre_a, RESERVED)
    assert found.eligible and found.score == Decimal("8.58")


def test_a_break_of_more_than_a_month_starts_the_run_again(cadre_a):
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2012-01-01", "2019-12-31", title="镇长")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2020-03-01", title="党委书记")
    compute()
    assert not entry(cadre_a, RESERVED).eligible


def test_a_former_township_principal_is_not_considered(cadre_a):
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2010-01-01", "2025-06-30")
    compute()
    assert entry(cadre_a, RESERVED) is None


def test_a_basic_competent_year_leaves_a_long_serving_principal_out(cadre_a):
    grade(cadre_a, 2025, "基本称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2010-01-01")
    compute()
    found = entry(cadre_a, RESERVED)
    assert not found.eligible
    assert found.reasons[-1] == {
        "rule": "定向选拔：本年度考核称职以上",
        "effect": "不符合",
        "facts": {"年度考核": "基本称职"},
    }


def test_a_unit_can_ask_for_more_years(tree, cadre_a):
    unit_rule(tree["county_a"], RuleKind.RESERVED_POST, years=10)
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_PRINCIPAL, "2017-01-01")
    compute()
    assert not entry(cadre_a, RESERVED).eligible


# --------------------------------------------------------------------------- 80后比选


@pytest.mark.parametrize(("born", "eligible"), [("1980-01-01", True), ("1979-12-31", False)])
def test_a_cadre_born_on_the_first_day_of_1980_is_a_young_candidate_and_one_born_the_day_before_is_not(
    tree, born, eligible
):
    import datetime

    cadre = CadreFactory(unit=tree["town_a"], birth_date=datetime.date.fromisoformat(born), rank=Rank.FU_KE)
    grade(cadre, 2025, "称职")
    compute()
    found = entry(cadre, YOUNG)
    assert found.eligible is eligible
    assert found.reasons[0] == {
        "rule": "年轻干部比选：1980年及以后出生",
        "effect": "符合" if eligible else "不符合",
        "facts": {"出生日期": born},
    }


@pytest.mark.parametrize(("rank", "considered"), [(Rank.FU_KE, True), (Rank.LEVEL_1_CLERK, False)])
def test_only_fu_ke_and_above_are_considered_for_the_young_selection(tree, rank, considered):
    cadre = CadreFactory(unit=tree["town_a"], rank=rank, kind="general" if not considered else "leader_ke")
    grade(cadre, 2025, "称职")
    compute()
    assert (entry(cadre, YOUNG) is not None) is considered


def test_grassroots_experience_ranks_the_young_candidates(tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"], name="赵六")
    for cadre in (cadre_a, other):
        grade(cadre, 2025, "称职")
    post(other, PostKind.FIRST_SECRETARY, "2023-01-01", "2024-12-31", title="驻村第一书记")
    compute()
    assert entry(other, YOUNG).score == Decimal("2.00") and entry(other, YOUNG).position == 1
    found = entry(cadre_a, YOUNG)
    assert found.eligible and found.position == 2
    assert found.reasons[-1]["effect"] == "经历较短，排序靠后"


@pytest.mark.parametrize(("end", "eligible"), [("2024-12-31", True), ("2024-12-30", False)])
def test_grassroots_experience_as_a_hard_requirement_excludes_below_its_months(tree, cadre_a, end, eligible):
    unit_rule(tree["county_a"], RuleKind.YOUNG_SELECTION, grassroots_hard="yes")
    grade(cadre_a, 2025, "称职")
    post(cadre_a, PostKind.TOWNSHIP_FRONTLINE, "2023-01-01", end, title="包村干部")
    compute()
    assert entry(cadre_a, YOUNG).eligible is eligible


@pytest.mark.parametrize(("arrived", "eligible"), [("2024-01-01", True), ("2024-01-02", False)])
def test_township_service_counts_as_grassroots_experience_to_the_day(tree, arrived, eligible):
    import datetime

    unit_rule(tree["county_a"], RuleKind.YOUNG_SELECTION, grassroots_hard="yes")
    cadre = CadreFactory(
        unit=tree["town_a"],
        rank=Rank.FU_KE,
        kind="leader_ke",
        work_start_date=datetime.date(2010, 7, 1),
        township_service_start=datetime.date.fromisoformat(arrived),
    )
    grade(cadre, 2025, "称职")
    compute()
    found = entry(cadre, YOUNG)
    # 24 months by 31 December 2025 by default: from 1 January 2024 exactly 24, a day later 23
    assert found.eligible is eligible, found.reasons
    assert "乡镇工作" in found.reasons[-1]["facts"]


def test_a_township_service_date_of_a_cadre_no_longer_in_a_township_counts_nothing(tree):
    import datetime

    unit_rule(tree["county_a"], RuleKind.YOUNG_SELECTION, grassroots_hard="yes")
    cadre = CadreFactory(
        unit=tree["county_a"],
        rank=Rank.FU_KE,
        kind="leader_ke",
        work_start_date=datetime.date(2010, 7, 1),
        township_service_start=datetime.date(2015, 1, 1),
    )
    grade(cadre, 2025, "称职")
    compute()
    found = entry(cadre, YOUNG)
    assert not found.eligible
    assert "乡镇工作" not in found.reasons[-1]["facts"]
