"""绩效奖金 on the lists: coefficient × the nearest base − withholding, to the fen, half up."""

from decimal import Decimal

import pytest

from assessment.models import RuleKind
from incentives.models import ListKind
from supervision.models import MatterType

from .list_facts import TODAY, base, compute, effects, entry, grade, tolerate, unit_rule, withheld

BONUS = ListKind.BONUS


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


def test_the_bonus_is_the_grade_coefficient_times_the_nearest_base(tree, cadre_a):
    grade(cadre_a, 2025, "优秀")
    base(tree["city"], "1000")
    base(tree["county_a"], "2000")  # nearer to 甲镇 than the city's
    compute()
    found = entry(cadre_a, BONUS)
    assert found.eligible
    assert (found.coefficient, found.base, found.withheld, found.amount) == (
        Decimal("1.20"),
        Decimal("2000.00"),
        Decimal("0.00"),
        Decimal("2400.00"),
    )
    assert found.reasons[1] == {"rule": "奖金基数", "effect": "2000.00 元", "facts": {"设定单位": "甲县"}}
    assert found.reasons[-1] == {
        "rule": "绩效奖金",
        "effect": "2400.00 元",
        "facts": {"计算": "2000.00 × 1.2 = 2400.00"},
    }


@pytest.mark.parametrize(
    ("final", "amount"),
    [
        ("优秀", "1481.48"),
        ("称职", "1234.57"),
        ("基本称职", "740.74"),
        ("不称职", "0.00"),
        ("不定等次", "0.00"),
    ],
)
def test_each_grade_has_its_default_coefficient(tree, cadre_a, final, amount):
    grade(cadre_a, 2025, final)
    base(tree["town_a"], "1234.57")
    compute()
    found = entry(cadre_a, BONUS)
    assert found.amount == Decimal(amount)
    assert found.eligible is (Decimal(amount) > 0)


def test_the_amount_is_rounded_half_up_to_the_fen(tree, cadre_a):
    unit_rule(tree["county_a"], RuleKind.BONUS_COEFFICIENTS, competent=1.1)
    grade(cadre_a, 2025, "称职")
    base(tree["town_a"], "1000.95")  # × 1.1 = 1101.045: half up 1101.05 (half even would be .04)
    compute()
    assert entry(cadre_a, BONUS).amount == Decimal("1101.05")


def test_a_partial_withholding_is_taken_off_to_the_fen(tree, cadre_a):
    grade(cadre_a, 2025, "称职")
    base(tree["town_a"], "2000")
    case = withheld(cadre_a, "500.50")
    compute()
    found = entry(cadre_a, BONUS)
    assert (found.withheld, found.amount, found.eligible) == (Decimal("500.50"), Decimal("1499.50"), True)
    assert found.reasons[2] == {
        "rule": "召回扣发绩效奖励",
        "effect": "扣发 500.50 元",
        "facts": {"召回案件": f"编号 {case.pk}", "扣发登记日期": "2025-06-01"},
    }
    assert found.reasons[-1]["facts"] == {"计算": "2000.00 × 1 − 500.50 = 1499.50"}


def test_a_bonus_withheld_in_full_gives_nothing(tree, cadre_a):
    grade(cadre_a, 2025, "优秀")
    base(tree["town_a"], "2000")
    withheld(cadre_a, "2400", full=True)
    compute()
    found = entry(cadre_a, BONUS)
    assert (found.amount, found.eligible) == (Decimal("0.00"), False)
    assert "扣发全年绩效奖金" in effects(found)


def test_a_withholding_never_takes_the_bonus_below_zero(tree, cadre_a):
    grade(cadre_a, 2025, "基本称职")
    base(tree["town_a"], "1000")
    withheld(cadre_a, "800")
    compute()
    assert entry(cadre_a, BONUS).amount == Decimal("0.00")


@pytest.mark.parametrize(("on", "amount"), [("2024-12-31", "2000.00"), ("2025-01-01", "1900.00")])
def test_only_a_withholding_registered_in_the_year_counts(tree, cadre_a, on, amount):
    grade(cadre_a, 2025, "称职")
    base(tree["town_a"], "2000")
    withheld(cadre_a, "100", on=on)
    compute()
    assert entry(cadre_a, BONUS).amount == Decimal(amount)


def test_a_recall_case_decided_tolerable_withholds_nothing_and_says_why(tree, cadre_a):
    grade(cadre_a, 2025, "称职")
    base(tree["town_a"], "2000")
    case = withheld(cadre_a, "500")
    decision = tolerate(MatterType.RECALL_CASE, case)
    compute()
    found = entry(cadre_a, BONUS)
    assert found.amount == Decimal("2000.00")
    assert found.reasons[2]["rule"] == "容错纠错"
    assert f"认定编号 {decision.pk}" in found.reasons[2]["facts"]["容错纠错"]


def test_without_a_base_the_cadre_is_left_out_of_the_bonus_list(cadre_a):
    grade(cadre_a, 2025, "优秀")
    compute()
    found = entry(cadre_a, BONUS)
    assert not found.eligible and found.amount is None
    assert found.reasons[-1]["effect"] == "未设定"


def test_a_base_set_in_another_county_does_not_apply(tree, cadre_a):
    grade(cadre_a, 2025, "优秀")
    base(tree["county_b"], "5000")
    compute()
    assert entry(cadre_a, BONUS).base is None
