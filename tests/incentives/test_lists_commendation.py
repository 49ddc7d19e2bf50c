"""评先选优 and 公务员奖励 (嘉奖, 记三等功) on the lists: each condition both ways at its boundary,
and a 容错纠错 exemption that keeps a talk from counting, cited in the reasons."""

import pytest

from cadres.models import Identity
from incentives.models import ListKind
from supervision.models import MatterType

from .list_facts import (
    TODAY,
    annual,
    clue,
    compute,
    effects,
    entry,
    grade,
    grades,
    open_flag,
    rules_of,
    sanction,
    talk,
    tolerate,
)

COMMEND = ListKind.COMMENDATION


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def excellent(cadre_a):
    grade(cadre_a, 2025, "优秀", total="92.50")
    return cadre_a


def test_an_excellent_cadre_with_a_clean_record_is_on_the_commendation_list(excellent):
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible
    assert found.reasons[0]["rule"] == "评先选优条件"
    assert found.reasons[0]["effect"] == "符合"
    assert "本年度考核为优秀" in found.reasons[0]["facts"]["条件"]
    assert found.score == 92.5 and found.position == 1


def test_a_competent_cadre_is_not_considered_for_commendation(cadre_a):
    grade(cadre_a, 2025, "称职")
    compute()
    assert entry(cadre_a, COMMEND) is None


@pytest.mark.parametrize(("on", "eligible"), [("2025-12-31", False), ("2026-01-01", True)])
def test_a_yuetan_on_the_last_day_of_the_year_blocks_commendation_and_one_on_the_next_day_does_not(
    excellent, on, eligible
):
    talk(excellent, "yuetan", on)
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible is eligible
    if not eligible:
        assert found.reasons == [
            {
                "rule": "评先选优条件：年度内未被约谈、诫勉",
                "effect": "不符合",
                "facts": {"约谈": "2025-12-31"},
            }
        ]


@pytest.mark.parametrize(("on", "eligible"), [("2025-01-01", False), ("2024-12-31", True)])
def test_an_admonishment_in_the_year_blocks_commendation_from_its_first_day(excellent, on, eligible):
    talk(excellent, "admonish", on)
    compute()
    assert entry(excellent, COMMEND).eligible is eligible


def test_a_heart_to_heart_talk_does_not_block_commendation(excellent):
    talk(excellent, "talk", "2025-05-01")
    compute()
    assert entry(excellent, COMMEND).eligible


@pytest.mark.parametrize(
    ("status", "eligible"), [("pending", False), ("confirmed", True), ("unfounded", True)]
)
def test_only_an_unverified_clue_blocks_commendation(excellent, status, eligible):
    clue(excellent, status=status)
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible is eligible
    if not eligible:
        assert rules_of(found) == ["评先选优条件：无未核实的问题线索"]
        assert found.reasons[0]["facts"] == {"问题线索": "2025-09-01 收到（信访），待核实"}


@pytest.mark.parametrize(
    ("decided", "eligible"),
    [
        ("2023-12-31", True),  # 12 months end on 2024-12-31, the day before the period
        ("2024-01-01", False),  # end on 2025-01-01, the period's first day
    ],
)
def test_an_influence_period_ending_the_day_before_the_year_does_not_block_and_one_ending_on_it_does(
    excellent, decided, eligible
):
    sanction(excellent, "demerit", decided)
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible is eligible
    if not eligible:
        assert found.reasons[0]["facts"] == {
            "处分影响期": "2024-01-01 受记过处分，影响期 12 个月至 2025-01-01"
        }


def test_a_warning_decided_the_year_before_has_no_influence_on_the_year_as_grading_says(excellent):
    # the default warning rule: decided in the assessment year, not overlapping
    sanction(excellent, "warning", "2024-12-20")
    compute()
    assert entry(excellent, COMMEND).eligible


def test_an_open_flag_blocks_commendation(excellent):
    open_flag(excellent)
    compute()
    found = entry(excellent, COMMEND)
    assert not found.eligible
    assert rules_of(found) == ["评先选优条件：无待研判的不适宜担任现职预警"]


def test_an_exempted_yuetan_does_not_block_commendation_and_the_reasons_cite_the_decision(excellent):
    interview = talk(excellent, "yuetan", "2025-03-01")
    decision = tolerate(MatterType.INTERVIEW, interview, "2025-04-01")
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible
    exempted = found.reasons[-1]
    assert exempted["rule"] == "容错纠错"
    assert exempted["effect"] == "可容事项不影响评先选优"
    assert exempted["facts"]["约谈"] == "2025-03-01"
    assert f"认定编号 {decision.pk}" in exempted["facts"]["容错纠错"]
    assert exempted["facts"]["容错纠错"].startswith("经容错纠错认定为可容（2025-04-01")


def test_a_yuetan_decided_not_tolerable_still_blocks(excellent):
    interview = talk(excellent, "yuetan", "2025-03-01")
    tolerate(MatterType.INTERVIEW, interview, verdict="intolerable")
    compute()
    assert not entry(excellent, COMMEND).eligible


def test_an_exempted_sanction_does_not_block_commendation(excellent):
    found_sanction = sanction(excellent, "demerit", "2025-02-01")
    tolerate(MatterType.SANCTION, found_sanction)
    compute()
    found = entry(excellent, COMMEND)
    assert found.eligible
    assert found.reasons[-1]["facts"]["处分"].startswith("2025-02-01 受记过处分")


def test_every_failed_condition_is_a_reason_of_its_own(excellent):
    talk(excellent, "yuetan", "2025-03-01")
    talk(excellent, "yuetan", "2025-06-01")
    clue(excellent)
    compute()
    found = entry(excellent, COMMEND)
    assert effects(found) == ["不符合", "不符合"]
    assert found.reasons[0]["facts"] == {"约谈": "2025-03-01、2025-06-01"}
    assert found.position is None


# --------------------------------------------------------------------------- 公务员奖励


def test_each_excellent_year_of_a_civil_servant_is_a_jiajiang_candidate(excellent):
    compute()
    assert entry(excellent, ListKind.JIAJIANG).eligible


def test_a_cadre_outside_the_civil_service_is_left_out_of_the_civil_service_awards(cadre_a):
    cadre_a.identity = Identity.INSTITUTION
    cadre_a.save()
    grade(cadre_a, 2025, "优秀")
    compute()
    found = entry(cadre_a, ListKind.JIAJIANG)
    assert not found.eligible
    assert found.reasons[0]["facts"] == {"身份": "事业编制"}


def test_three_excellent_years_running_make_a_merit_candidate(cadre_a):
    grades(cadre_a, {2023: "优秀", 2024: "优秀", 2025: "优秀"})
    compute()
    found = entry(cadre_a, ListKind.MERIT3)
    assert found.eligible
    assert found.reasons[0]["facts"] == {"连续优秀年度": "2023、2024、2025（3 年）"}


def test_two_excellent_years_running_do_not(cadre_a):
    grades(cadre_a, {2023: "称职", 2024: "优秀", 2025: "优秀"})
    compute()
    found = entry(cadre_a, ListKind.MERIT3)
    assert not found.eligible
    assert found.reasons[0]["effect"] == "不符合：还需连续优秀 1 年"


def test_a_year_without_published_results_breaks_the_run(cadre_a):
    grades(cadre_a, {2022: "优秀", 2023: "优秀", 2024: "优秀", 2025: "优秀"})
    annual(2023, status="grading")
    compute()
    assert not entry(cadre_a, ListKind.MERIT3).eligible


def test_one_excellent_year_is_not_considered_for_the_merit(cadre_a):
    grades(cadre_a, {2024: "称职", 2025: "优秀"})
    compute()
    assert entry(cadre_a, ListKind.MERIT3) is None


def test_a_run_counts_once_for_the_merit(cadre_a):
    grades(cadre_a, {2022: "优秀", 2023: "优秀", 2024: "优秀", 2025: "优秀"})
    compute()
    found = entry(cadre_a, ListKind.MERIT3)
    assert not found.eligible
    assert found.reasons[0]["facts"]["说明"] == "已于 2024年度满 3 年，连续优秀重新计算"
