"""The engine's 民情工单 indicator without a database: a cadre's tally of rounds mapped to the
indicator's score by the WORKORDER_SCORE rule, at the rule's edges (rounding half up at 0.05,
the minimum number of orders, no orders, nothing rated yet, a disabled rule, another full mark),
and the explanation that names the facts and the mapping."""

import datetime
from decimal import Decimal

import pytest

from assessment.defaults import UNGRADED_RULES
from assessment.grading import (
    Facts,
    IndicatorDef,
    OrderTally,
    PolicyResolver,
    Row,
    RuleRow,
    grade_period,
    order_score,
)
from assessment.models import RuleKind
from tests.assessment.test_grading_edges import DEFAULTS, END, START, TOWN, TOWN_ID, text
from workorders.policy import DEFAULT_RULES

D = datetime.date
SCORE_RULE = next(params for kind, _, params, _ in DEFAULT_RULES if kind == RuleKind.WORKORDER_SCORE)
BASE = [*DEFAULTS, *(RuleRow("", kind, key, params, True) for kind, key, params, _ in UNGRADED_RULES)]
SCHEME = {
    "": [
        IndicatorDef("绩", Decimal(50), Decimal(0), Decimal(100)),
        IndicatorDef("群众评价", Decimal(50), Decimal(0), Decimal(100), "", "workorders"),
    ]
}


def resolver(enabled=True, **params) -> PolicyResolver:
    rule = RuleRow("", RuleKind.WORKORDER_SCORE, "", {**SCORE_RULE, **params}, enabled)
    return PolicyResolver([*BASE, rule])


def grade(tallies: dict, *, scores=None, rule=None, scheme=SCHEME):
    """{cadre id: Result} and the rows (their scores after the engine) for cadres 1..n."""
    ids = sorted(set(tallies) | set(scores or {}))
    rows = [
        Row(100 + i, i, TOWN_ID, TOWN, "general", "", {"绩": 80, **(scores or {}).get(i, {})}) for i in ids
    ]
    facts = Facts(period_start=START, period_end=END, order_tallies={k: v for k, v in tallies.items() if v})
    results, _ = grade_period(
        annual=True, rows=rows, indicators_for=scheme, resolver=rule or resolver(), facts=facts
    )
    return {r.cadre_id: results[r.id] for r in rows}, {r.cadre_id: r.scores for r in rows}


def test_the_issues_example_reads_as_the_facts_then_the_score():
    # 12 orders, 11 on time, 10 满意: with the on-time share alone, 11/12 = 91.67 → 91.7
    results, scores = grade(
        {1: OrderTally(12, completed=12, on_time=11, satisfied=10, basic=2)},
        rule=resolver(on_time_weight=1, satisfaction_weight=0),
    )
    assert scores[1]["群众评价"] == 91.7
    assert (
        "民情工单计分:群众评价 91.7:民情工单 12 件，按期办结 11 件，满意 10 件、基本满意 2 件 → 群众评价 91.7"
        "（按期办结率 91.67%×100%）" in text(results[1])
    )
    # the total uses it: (80 + 91.7) / 2
    assert results[1].total == Decimal("85.85")


def test_default_rule_weighs_the_on_time_share_and_the_satisfaction_half_and_half():
    # on time 11/12 = 91.67; satisfaction (10 × 100 + 2 × 80) / 12 = 96.67; mean 94.17 → 94.2
    results, scores = grade({1: OrderTally(12, 12, 11, 10, 2)})
    assert scores[1]["群众评价"] == 94.2
    assert "按期办结率 91.67%×50% + 满意度 96.67×50%" in text(results[1])


@pytest.mark.parametrize(
    ("on_time", "expected"), [(1, Decimal("6.3")), (3, Decimal("18.8")), (0, Decimal("0"))]
)
def test_the_score_is_rounded_half_up_to_one_place(on_time, expected):
    # 1/16 = 6.25 → 6.3 (a banker's rounding would give 6.2); 3/16 = 18.75 → 18.8
    score, _ = order_score(
        OrderTally(16, 16, on_time),
        {**SCORE_RULE, "on_time_weight": 1, "satisfaction_weight": 0},
        Decimal(100),
    )
    assert score == expected


def test_an_indicator_of_another_full_mark_gets_the_share_of_it():
    score, how = order_score(
        OrderTally(12, 12, 11), {**SCORE_RULE, "on_time_weight": 1, "satisfaction_weight": 0}, Decimal(20)
    )
    assert score == Decimal("18.3")  # 91.67 % of 20
    assert how.endswith("折算为满分 20")


def test_an_objective_unsatisfied_counts_as_basic_and_an_own_one_as_zero():
    rule = {**SCORE_RULE, "on_time_weight": 0, "satisfaction_weight": 1}
    objective, _ = order_score(OrderTally(2, 2, 2, satisfied=1, objective=1), rule, Decimal(100))
    own, _ = order_score(OrderTally(2, 2, 2, satisfied=1, unsatisfied=1), rule, Decimal(100))
    assert (objective, own) == (Decimal("90.0"), Decimal("50.0"))


def test_rounds_not_yet_rated_leave_the_satisfaction_out_and_the_weights_renormalised():
    results, scores = grade({1: OrderTally(4, 4, 3)})  # nothing rated: on time 75 % alone
    assert scores[1]["群众评价"] == 75
    assert "尚未评价 4 件" in text(results[1])
    assert "按期办结率 75.00%×100%" in text(results[1])


def test_a_score_only_rule_with_no_score_yet_leaves_the_indicator_unscored():
    rule = resolver(on_time_weight=0, satisfaction_weight=0, score_weight=1)
    results, scores = grade({1: OrderTally(3, 3, 3, satisfied=3)}, rule=rule)
    assert "群众评价" not in scores[1]
    assert "群众评价不计分" in text(results[1])
    # with one 0–100 score it is that score
    results, scores = grade({1: OrderTally(3, 3, 3, satisfied=3, score_sum=97, scored=1)}, rule=rule)
    assert scores[1]["群众评价"] == 97


@pytest.mark.parametrize(("count", "scored"), [(3, True), (2, False)])
def test_the_minimum_number_of_orders_is_counted_inclusively(count, scored):
    results, scores = grade(
        {1: OrderTally(count, count, count, satisfied=count)}, rule=resolver(min_orders=3)
    )
    assert ("群众评价" in scores[1]) is scored
    if not scored:
        assert f"本期民情工单 {count} 件，不足 3 件，按规则不计分" in text(results[1])


def test_a_cadre_without_orders_is_not_scored_and_the_missing_score_rule_applies():
    results, scores = grade({1: OrderTally(2, 2, 2, satisfied=2), 2: None})
    assert "群众评价" not in scores[2]
    assert "本期无民情工单，按规则不计分" in text(results[2])
    assert results[2].total is None  # the default 缺项得分处理: not graded
    assert "缺少指标得分：群众评价" in text(results[2])


def test_a_cadre_without_orders_gets_the_units_average_when_the_rule_says_so():
    results, scores = grade(
        {1: OrderTally(2, 2, 2, satisfied=2), 2: OrderTally(2, 2, 1, satisfied=2), 3: None},
        rule=resolver(no_orders="unit_average"),
    )
    # 1: (100 + 100) / 2 = 100; 2: (50 + 100) / 2 = 75; average 87.5
    assert (scores[1]["群众评价"], scores[2]["群众评价"], scores[3]["群众评价"]) == (100, 75, 87.5)
    assert "本期无民情工单，取本单位 2 名有工单干部的平均分 87.5" in text(results[3])


def test_the_units_average_with_nobody_scored_leaves_the_indicator_unscored():
    results, scores = grade({1: None}, scores={1: {}}, rule=resolver(no_orders="unit_average"))
    assert "群众评价" not in scores[1]
    assert "本单位无人有工单得分，无法取平均分" in text(results[1])


def test_a_typed_value_of_the_indicator_is_replaced_by_the_computed_one():
    _, scores = grade({1: OrderTally(1, 1, 1, satisfied=1)}, scores={1: {"群众评价": 12}})
    assert scores[1]["群众评价"] == 100
    _, scores = grade({1: None}, scores={1: {"群众评价": 12}})
    assert "群众评价" not in scores[1]


def test_a_disabled_rule_scores_nothing_and_says_so():
    results, scores = grade({1: OrderTally(5, 5, 5, satisfied=5)}, rule=resolver(enabled=False))
    assert "群众评价" not in scores[1]
    assert "民情工单计分:群众评价不计分:民情工单计分规则未启用" in text(results[1])


def test_typed_indicators_are_left_alone_when_no_indicator_is_sourced():
    scheme = {"": [SCHEME[""][0]]}
    results, scores = grade({1: OrderTally(5, 5, 5, satisfied=5)}, scheme=scheme)
    assert scores[1] == {"绩": 80}
    assert "民情工单" not in text(results[1])
