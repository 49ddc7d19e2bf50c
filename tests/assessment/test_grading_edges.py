"""The grading engine at its boundaries, table by table: each row is named, calls
``assessment.grading`` directly with the default policy (``assessment.defaults``) and no
database, and checks what a user would read: the grade, the 待复核 mark, the explanation.

The 2025 annual period runs 2025-01-01 to 2025-12-31. Every cadre of a row is scored the same on
all six default indicators, so the total equals that score."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from assessment.defaults import ANNUAL_SCHEME, LEADER_KINDS, POLICY_RULES, QUARTER_SCHEME
from assessment.grading import (
    Facts,
    IndicatorDef,
    PolicyResolver,
    Row,
    RuleRow,
    fmt,
    grade_period,
    quota_size,
    weighted_total,
)

D = datetime.date
START, END = D(2025, 1, 1), D(2025, 12, 31)
COUNTY, TOWN = "0001", "00010001"
TOWN_ID = 7
LEADER, GENERAL = LEADER_KINDS[1], "general"
CODES = [code for code, *_ in ANNUAL_SCHEME["indicators"]]


def scheme(spec) -> list[IndicatorDef]:
    return [IndicatorDef(code, Decimal(w), Decimal(0), Decimal(100)) for code, _, _, w in spec["indicators"]]


ANNUAL = {"": scheme(ANNUAL_SCHEME)}
QUARTERLY = {"": scheme(QUARTER_SCHEME)}
DEFAULTS = [RuleRow("", kind, key, params, True) for kind, key, params, _ in POLICY_RULES]


@dataclass
class P:
    """A cadre of a row: ``score`` on every indicator unless ``scores`` says otherwise."""

    name: str
    score: float | str | None
    kind: str = LEADER
    scores: dict = field(default_factory=dict)
    cadre_id: int | None = None  # registration order; the position in the row by default
    yuetan: list = field(default_factory=list)
    sanctions: list = field(default_factory=list)  # (kind, decided_on, citation of a 可容 decision or "")
    quarters: list = field(default_factory=list)  # (quarter, grade)
    override: str = ""


def rules(*overrides, disabled=()) -> PolicyResolver:
    """The defaults, plus town-level rows (kind, key, params) and disabled (kind, key) pairs."""
    rows = [*DEFAULTS, *(RuleRow(TOWN, kind, key, params, True) for kind, key, params in overrides)]
    rows += [RuleRow(TOWN, kind, key, {}, False) for kind, key in disabled]
    return PolicyResolver(rows)


def run(people, *, policy=None, annual=True, facts=None):
    """Grades one town of ``people``; returns ({name: Result}, teams)."""
    facts = facts or Facts(period_start=START, period_end=END)
    rows = []
    for position, p in enumerate(people, start=1):
        cadre_id = p.cadre_id or position
        base = {} if p.score is None else dict.fromkeys(CODES if annual else ["得分"], p.score)
        rows.append(
            Row(
                id=100 + position,
                cadre_id=cadre_id,
                unit_id=TOWN_ID,
                unit_path=TOWN,
                cadre_kind=p.kind,
                track="",
                scores=base | p.scores,
                override_grade=p.override,
            )
        )
        if p.yuetan:
            facts.yuetan_cadre[cadre_id] = p.yuetan
        if p.sanctions:
            facts.sanctions[cadre_id] = p.sanctions
        if p.quarters:
            facts.quarter_grades[cadre_id] = p.quarters
    results, teams = grade_period(
        annual=annual,
        rows=rows,
        indicators_for=ANNUAL if annual else QUARTERLY,
        resolver=policy or rules(),
        facts=facts,
    )
    return {p.name: results[row.id] for p, row in zip(people, rows, strict=True)}, teams


def text(result) -> str:
    return " | ".join(f"{e['rule']}:{e['effect']}:{e['facts']}" for e in result.explanation)


def filler(count: int, score=80) -> list[P]:
    """Plain cadres below the 优秀 line, each with its own total."""
    return [P(f"其他{i}", score - i * Decimal("0.5")) for i in range(count)]


# --------------------------------------------------------------------------- thresholds

THRESHOLD_ROWS = [
    pytest.param(
        "90",
        "优秀",
        "年度等次分数线:称职:总分 90.00 ≥ 称职线 70 | 优秀比例:优秀:本单位参加考核 10 人 × 20% = 2，"
        "向下取整为 2 名；总分 90.00 ≥ 优秀线 90，在候选中列第 1 位",
        id="exactly_on_the_excellent_line_is_a_candidate",
    ),
    pytest.param(
        "89.99",
        "称职",
        "年度等次分数线:称职:总分 89.99 ≥ 称职线 70",
        id="a_hundredth_below_the_excellent_line",
    ),
    pytest.param(
        "70", "称职", "年度等次分数线:称职:总分 70.00 ≥ 称职线 70", id="exactly_on_the_competent_line"
    ),
    pytest.param(
        "69.99",
        "基本称职",
        "年度等次分数线:基本称职:总分 69.99 低于称职线 70，≥ 基本称职线 60",
        id="a_hundredth_below_the_competent_line",
    ),
    pytest.param(
        "60",
        "基本称职",
        "年度等次分数线:基本称职:总分 60.00 低于称职线 70，≥ 基本称职线 60",
        id="exactly_on_the_basic_line",
    ),
    pytest.param(
        "59.99",
        "不称职",
        "年度等次分数线:不称职:总分 59.99 低于基本称职线 60",
        id="a_hundredth_below_the_basic_line",
    ),
]


@pytest.mark.parametrize(("score", "grade", "explained"), THRESHOLD_ROWS)
def test_annual_threshold_boundaries(score, grade, explained):
    # Alone in a unit of ten, so one 优秀 slot is there for a candidate.
    graded, _ = run([P("甲", score), *filler(9)])
    assert graded["甲"].computed == graded["甲"].final == grade
    assert explained in text(graded["甲"])


@pytest.mark.parametrize(("score", "grade", "explained"), THRESHOLD_ROWS)
def test_the_documented_thresholds_apply_when_a_unit_switches_its_row_off(score, grade, explained):
    policy = rules(disabled=[("thresholds", ""), ("quota", "")])
    graded, _ = run([P("甲", score), *filler(9)], policy=policy)
    assert graded["甲"].computed == grade
    assert explained in text(graded["甲"])


@pytest.mark.parametrize(
    ("score", "grade", "explained"),
    [
        pytest.param("75", "称职", "总分 75.00 ≥ 称职线 75", id="exactly_on_an_overridden_competent_line"),
        pytest.param(
            "74.99",
            "基本称职",
            "总分 74.99 低于称职线 75，≥ 基本称职线 65",
            id="below_an_overridden_competent_line_above_the_default",
        ),
        pytest.param("65", "基本称职", "≥ 基本称职线 65", id="exactly_on_an_overridden_basic_line"),
        pytest.param(
            "64.99",
            "不称职",
            "总分 64.99 低于基本称职线 65",
            id="below_an_overridden_basic_line_above_the_default",
        ),
        pytest.param("95", "优秀", "总分 95.00 ≥ 优秀线 95", id="exactly_on_an_overridden_excellent_line"),
        pytest.param(
            "94.99",
            "称职",
            "总分 94.99 ≥ 称职线 75",
            id="below_an_overridden_excellent_line_above_the_default",
        ),
    ],
)
def test_a_unit_threshold_override_moves_each_boundary(score, grade, explained):
    policy = rules(("thresholds", "", {"excellent_min": 95, "competent_min": 75, "basic_min": 65}))
    graded, _ = run([P("甲", score), *filler(9)], policy=policy)
    assert graded["甲"].computed == grade
    assert explained in text(graded["甲"])


def test_a_total_that_rounds_to_the_line_is_on_it():
    # 69.995 rounds half up to 70.00 (two places), which is on the 称职 line.
    graded, _ = run([P("甲", "69.995"), *filler(9)])
    assert graded["甲"].total == Decimal("70.00")
    assert graded["甲"].computed == "称职"


def test_a_missing_score_leaves_the_row_ungraded_and_says_which():
    graded, _ = run([P("甲", 95, scores={"绩": "", "廉": None}), *filler(9)])
    assert graded["甲"].total is None
    assert graded["甲"].computed == graded["甲"].final == ""
    assert graded["甲"].code is None
    assert "评分完整性:不评定等次:缺少指标得分：绩、廉" in text(graded["甲"])


# --------------------------------------------------------------------------- the 优秀 quota

QUOTA_ROWS = [
    # (assessed, ratio, rounding, expected slots) at .5: floor drops it, round and ceil take it
    pytest.param(5, 0.1, "floor", 0, id="half_a_slot_rounded_down_is_none"),
    pytest.param(5, 0.1, "round", 1, id="half_a_slot_rounded_half_up_is_one"),
    pytest.param(5, 0.1, "ceil", 1, id="half_a_slot_rounded_up_is_one"),
    pytest.param(5, 0.3, "floor", 1, id="one_and_a_half_rounded_down"),
    pytest.param(5, 0.3, "round", 2, id="one_and_a_half_rounded_half_up"),
    pytest.param(5, 0.3, "ceil", 2, id="one_and_a_half_rounded_up"),
    pytest.param(7, 0.5, "floor", 3, id="three_and_a_half_rounded_down"),
    pytest.param(7, 0.5, "round", 4, id="three_and_a_half_rounded_half_up"),
    pytest.param(7, 0.5, "ceil", 4, id="three_and_a_half_rounded_up"),
    # 45 × 0.7 is 31.499999999999996 in binary floating point; the rule means 31.5.
    pytest.param(45, 0.7, "floor", 31, id="a_binary_fraction_just_under_half_rounded_down"),
    pytest.param(45, 0.7, "round", 32, id="a_binary_fraction_just_under_half_rounded_half_up"),
    pytest.param(45, 0.7, "ceil", 32, id="a_binary_fraction_just_under_half_rounded_up"),
    # A whole number of slots stays whole under every rounding, even where the float is off.
    pytest.param(10, 0.2, "ceil", 2, id="a_whole_quota_is_not_rounded_up"),
    pytest.param(10, 0.7, "ceil", 7, id="a_float_just_over_a_whole_quota_is_not_rounded_up"),
    pytest.param(100, 0.29, "floor", 29, id="a_float_just_under_a_whole_quota_is_not_rounded_down"),
    pytest.param(100, 0.29, "round", 29, id="a_float_just_under_a_whole_quota_rounds_to_it"),
    pytest.param(3, 0.2, "round", 1, id="less_than_half_over_a_whole_rounds_down"),
]


@pytest.mark.parametrize(("assessed", "ratio", "rounding", "slots"), QUOTA_ROWS)
def test_quota_size_at_each_rounding(assessed, ratio, rounding, slots):
    assert quota_size(assessed, ratio, rounding) == slots


@pytest.mark.parametrize(("assessed", "ratio", "rounding", "slots"), QUOTA_ROWS[:9])
def test_the_quota_at_half_a_slot_decides_how_many_candidates_are_excellent(assessed, ratio, rounding, slots):
    candidates = [P(f"候选{i}", 99 - i) for i in range(assessed)]  # everyone above the line
    policy = rules(("quota", "", {"ratio": ratio, "rounding": rounding, "tie_break": []}))
    graded, _ = run(candidates, policy=policy)
    excellent = [name for name, r in graded.items() if r.computed == "优秀"]
    assert excellent == [f"候选{i}" for i in range(slots)]
    label = {"floor": "向下取整", "round": "四舍五入", "ceil": "向上取整"}[rounding]
    stated = f"本单位参加考核 {assessed} 人 × {ratio:.0%} = {fmt(assessed * ratio)}，{label}为 {slots} 名"
    first, last = graded["候选0"], graded[f"候选{assessed - 1}"]
    effect = "优秀" if slots else "未获优秀名额"
    assert f"优秀比例:{effect}:{stated}；总分 99.00 ≥ 优秀线 90，在候选中列第 1 位" in text(first)
    assert f"优秀比例:未获优秀名额:{stated}；总分 {fmt(last.total)}" in text(last)


def test_an_unknown_rounding_rounds_down_and_is_named_as_stored():
    policy = rules(("quota", "", {"ratio": 0.3, "rounding": "bankers", "tie_break": []}))
    graded, _ = run([P(f"候选{i}", 99 - i) for i in range(5)], policy=policy)
    assert [r.computed for r in graded.values()].count("优秀") == 1
    assert "5 人 × 30% = 1.5，bankers为 1 名" in text(graded["候选0"])


def test_the_default_quota_applies_when_a_unit_switches_its_row_off():
    # 20%, rounded down: 9 assessed → 1.8 → 1 slot.
    graded, _ = run([P("甲", 96), P("乙", 95), *filler(7)], policy=rules(disabled=[("quota", "")]))
    assert (graded["甲"].computed, graded["乙"].computed) == ("优秀", "称职")
    assert "9 人 × 20% = 1.8，向下取整为 1 名" in text(graded["甲"])
    assert "未获优秀名额" in text(graded["乙"])


def test_cadres_without_a_total_are_not_counted_as_assessed():
    # Five with totals (one slot at 20%) and five without: the quota is 5 × 20% = 1.
    graded, _ = run([P("甲", 96), P("乙", 95), *filler(3), *(P(f"缺{i}", None) for i in range(5))])
    assert (graded["甲"].computed, graded["乙"].computed) == ("优秀", "称职")
    assert "本单位参加考核 5 人" in text(graded["甲"])


def test_a_cadre_below_the_excellent_line_never_fills_a_free_slot():
    graded, _ = run([P("甲", 89.99), P("乙", 89), *filler(3)])  # one slot at 20%, no candidate
    assert {r.computed for r in graded.values()} == {"称职"}
    assert not any("优秀比例" in text(r) for r in graded.values())


# --------------------------------------------------------------------------- tie-breaks

TIE_ROWS = [
    pytest.param(
        # Equal totals (91.85): 丙 is ahead on 绩 though behind on 德.
        [P("甲", 96), P("乙", 92, scores={"绩": 90, "德": 95}), P("丙", 92, scores={"绩": 95, "德": 85})],
        {"甲", "丙"},
        {"乙", "丙"},
        id="the_first_tie_break_code_decides",
    ),
    pytest.param(
        # Equal totals and 绩 (德 and 能 weigh the same): 丙 is ahead on 德.
        [P("甲", 96), P("乙", 92, scores={"德": 91, "能": 93}), P("丙", 92, scores={"德": 93, "能": 91})],
        {"甲", "丙"},
        {"乙", "丙"},
        id="the_second_code_decides_when_the_first_is_equal",
    ),
    pytest.param(
        # Equal total, 绩 and 德: registration order (the earlier cadre id) decides, whatever
        # the order of the rows.
        [P("甲", 96), P("乙", 92, cadre_id=30), P("丙", 92, cadre_id=20)],
        {"甲", "丙"},
        {"乙", "丙"},
        id="the_last_step_is_registration_order",
    ),
    pytest.param(
        [P("甲", 96), P("乙", 92, cadre_id=20), P("丙", 92, cadre_id=30)],
        {"甲", "乙"},
        {"乙", "丙"},
        id="the_last_step_is_registration_order_the_other_way_round",
    ),
    pytest.param(
        # Three tied for the last slot: all three are marked, only the first gets it.
        [P("甲", 96), P("乙", 92, cadre_id=40), P("丙", 92, cadre_id=20), P("丁", 92, cadre_id=30)],
        {"甲", "丙"},
        {"乙", "丙", "丁"},
        id="three_tied_at_the_boundary_are_all_marked_for_review",
    ),
    pytest.param(
        # The tie is on the second slot's neighbour below: not across the boundary.
        [P("甲", 96), P("乙", 95), P("丙", 93), P("丁", 93)],
        {"甲", "乙"},
        set(),
        id="a_tie_just_below_the_boundary_needs_no_review",
    ),
    pytest.param(
        [P("甲", 96), P("乙", 96), P("丙", 93)],
        {"甲", "乙"},
        set(),
        id="a_tie_filling_the_last_slots_exactly_needs_no_review",
    ),
]
ONE_SLOT_TIE_ROWS = [
    # Five assessed: one slot at 20%.
    pytest.param(
        [P("甲", 93, cadre_id=9), P("乙", 93, cadre_id=4)], {"乙"}, {"甲", "乙"}, id="a_tie_for_the_only_slot"
    ),
    pytest.param([P("甲", 93), P("乙", 91)], {"甲"}, set(), id="no_tie_for_the_only_slot"),
]


@pytest.mark.parametrize(("top", "excellent", "review"), TIE_ROWS)
def test_tie_breaks_at_the_quota_boundary(top, excellent, review):
    graded, _ = run([*top, *filler(10 - len(top))])  # ten assessed: two slots
    assert {name for name, r in graded.items() if r.computed == "优秀"} == excellent
    assert {name for name, r in graded.items() if r.review} == review
    for name in review:
        tied = sum(1 for p in top if graded[p.name].total == graded[name].total)
        assert (
            f"名额边界同分:待复核:总分 {fmt(graded[name].total)} 共 {tied} 人同分，跨越名额边界；"
            "依次比较“绩”得分、“德”得分，仍相同按干部登记顺序确定，结果须人工复核"
        ) in text(graded[name])


@pytest.mark.parametrize(("top", "excellent", "review"), ONE_SLOT_TIE_ROWS)
def test_tie_breaks_for_a_single_slot(top, excellent, review):
    graded, _ = run([*top, *filler(5 - len(top))])
    assert {name for name, r in graded.items() if r.computed == "优秀"} == excellent
    assert {name for name, r in graded.items() if r.review} == review


def test_with_no_slot_a_tie_needs_no_review():
    graded, _ = run([P("甲", 93), P("乙", 93), *filler(2)])  # 4 × 20% = 0.8 → no slot
    assert {r.computed for r in graded.values()} == {"称职"}
    assert not any(r.review for r in graded.values())
    assert "向下取整为 0 名" in text(graded["甲"])


def test_without_tie_break_codes_registration_order_decides_and_says_so():
    policy = rules(("quota", "", {"ratio": 0.2, "rounding": "floor", "tie_break": []}))
    top = [
        P("甲", 96),
        P("乙", 92, scores={"绩": 95, "德": 85}, cadre_id=30),  # ahead on 绩, which no longer counts
        P("丙", 92, scores={"绩": 90, "德": 95}, cadre_id=20),
    ]
    graded, _ = run([*top, *filler(7)], policy=policy)
    assert graded["丙"].computed == "优秀"
    assert graded["乙"].computed == "称职"
    assert "跨越名额边界；按干部登记顺序确定，结果须人工复核" in text(graded["乙"])


def test_a_tie_break_code_outside_the_scheme_falls_through_to_registration_order():
    policy = rules(("quota", "", {"ratio": 0.2, "rounding": "floor", "tie_break": ["创新"]}))
    top = [P("甲", 96), P("乙", 92, cadre_id=30, scores={"创新": 50}), P("丙", 92, cadre_id=20)]
    graded, _ = run([*top, *filler(7)], policy=policy)
    # 乙 has a 创新 score, 丙 has none: having one ranks first.
    assert graded["乙"].computed == "优秀"
    assert graded["丙"].computed == "称职"


@pytest.mark.parametrize("score", [0, -5], ids=["zero", "negative"])
def test_a_missing_tie_break_score_ranks_after_any_real_one(score):
    # A tie-break indicator (a 扣分 item, which may be negative) that only 乙 was scored on.
    policy = rules(("quota", "", {"ratio": 0.2, "rounding": "floor", "tie_break": ["扣分"]}))
    top = [P("甲", 96), P("乙", 92, cadre_id=30, scores={"扣分": score}), P("丙", 92, cadre_id=20)]
    graded, _ = run([*top, *filler(7)], policy=policy)
    assert (graded["乙"].computed, graded["丙"].computed) == ("优秀", "称职")


# --------------------------------------------------------------------------- sanctions

SANCTION_ROWS = [
    # (sanction, decided_on, grade); the defaults: 警告 bars 优秀 in the year it is decided,
    # 记过 12 / 记大过 18 / 降级 24 / 撤职 24 months of 不定等次. An influence period's end
    # date (decided_on + months) is its last day (民法典 第二百零二条: 到期月的对应日为期间的最后一日).
    pytest.param("demerit", D(2023, 12, 31), "优秀", id="demerit_12_months_ending_the_day_before_the_period"),
    pytest.param(
        "demerit", D(2024, 1, 1), "不定等次", id="demerit_12_months_ending_exactly_at_the_period_start"
    ),
    pytest.param(
        "demerit", D(2024, 1, 2), "不定等次", id="demerit_12_months_ending_a_day_after_the_period_start"
    ),
    pytest.param(
        "major_demerit", D(2023, 6, 30), "优秀", id="major_demerit_18_months_ending_before_the_period"
    ),
    pytest.param(
        "major_demerit", D(2023, 7, 1), "不定等次", id="major_demerit_18_months_ending_at_the_period_start"
    ),
    pytest.param("major_demerit", D(2023, 7, 2), "不定等次", id="major_demerit_18_months_ending_a_day_after"),
    pytest.param("demotion", D(2022, 12, 31), "优秀", id="demotion_24_months_ending_before_the_period"),
    pytest.param("demotion", D(2023, 1, 1), "不定等次", id="demotion_24_months_ending_at_the_period_start"),
    pytest.param("demotion", D(2023, 1, 2), "不定等次", id="demotion_24_months_ending_a_day_after"),
    pytest.param("dismissal", D(2022, 12, 31), "优秀", id="dismissal_24_months_ending_before_the_period"),
    pytest.param("dismissal", D(2023, 1, 1), "不定等次", id="dismissal_24_months_ending_at_the_period_start"),
    pytest.param("dismissal", D(2023, 1, 2), "不定等次", id="dismissal_24_months_ending_a_day_after"),
    pytest.param("demerit", D(2025, 12, 31), "不定等次", id="demerit_decided_on_the_last_day_of_the_period"),
    pytest.param("demerit", D(2026, 1, 1), "优秀", id="demerit_decided_after_the_period"),
    pytest.param(
        "warning", D(2024, 12, 31), "优秀", id="warning_the_day_before_the_period_though_6_months_reach_in"
    ),
    pytest.param("warning", D(2025, 1, 1), "称职", id="warning_on_the_first_day_of_the_period"),
    pytest.param("warning", D(2025, 12, 31), "称职", id="warning_on_the_last_day_of_the_period"),
    pytest.param("warning", D(2026, 1, 1), "优秀", id="warning_the_day_after_the_period"),
]


@pytest.mark.parametrize(("kind", "decided_on", "grade"), SANCTION_ROWS)
def test_influence_period_boundaries(kind, decided_on, grade):
    graded, _ = run([P("甲", 98, sanctions=[(kind, decided_on, "")]), *filler(9)])
    assert graded["甲"].computed == graded["甲"].final == grade
    if grade == "优秀":
        assert "处分影响期" not in text(graded["甲"])
    else:
        assert "处分影响期" in text(graded["甲"])


@pytest.mark.parametrize(
    ("kind", "label", "months", "decided_on", "end"),
    [
        pytest.param("demerit", "记过", 12, D(2024, 3, 31), "2025-03-31", id="demerit_12_months"),
        pytest.param(
            "major_demerit", "记大过", 18, D(2023, 8, 31), "2025-02-28", id="major_demerit_18_months"
        ),
        pytest.param("demotion", "降级", 24, D(2023, 2, 28), "2025-02-28", id="demotion_24_months"),
        pytest.param("dismissal", "撤职", 24, D(2023, 5, 15), "2025-05-15", id="dismissal_24_months"),
    ],
)
def test_each_default_influence_length_is_stated_with_its_end(kind, label, months, decided_on, end):
    graded, _ = run([P("甲", 75, sanctions=[(kind, decided_on, "")]), *filler(9)])
    assert graded["甲"].computed == "不定等次"
    assert graded["甲"].code == 5
    assert (
        f"处分影响期:不定等次:{decided_on.isoformat()} 受{label}处分，影响期 {months} 个月至 {end}"
        in text(graded["甲"])
    )


def test_a_warning_states_the_year_and_frees_its_slot():
    top = [P("甲", 98, sanctions=[("warning", D(2025, 4, 1), "")]), P("乙", 95), P("丙", 94)]
    graded, _ = run([*top, *filler(7)])
    assert [graded[n].computed for n in ("甲", "乙", "丙")] == ["称职", "优秀", "优秀"]
    assert "处分影响期:至多称职:2025-04-01 受警告处分（考核年度内）" in text(graded["甲"])
    assert "优秀比例:不占优秀名额:等次受限的干部不参与优秀名额分配" in text(graded["甲"])


TOLERATED = "经容错纠错认定为可容（2025-04-01，张部长认定，认定编号 7）"


def test_a_tolerated_sanction_is_stated_with_its_decision_and_does_not_limit():
    graded, _ = run([P("甲", 98, sanctions=[("dismissal", D(2025, 3, 1), TOLERATED)]), *filler(9)])
    assert graded["甲"].computed == "优秀"
    assert (
        "容错纠错:不限制等次:2025-03-01 受撤职处分，影响期 24 个月至 2027-03-01，"
        "经容错纠错认定为可容（2025-04-01，张部长认定，认定编号 7）"
    ) in text(graded["甲"])


def test_a_rule_without_months_reaches_no_further_than_the_decision_day():
    params = {"sanction": "demerit", "basis": "overlaps_period", "effect": "undetermined"}
    for decided_on, grade in ((D(2024, 12, 31), "优秀"), (D(2025, 1, 1), "不定等次")):
        graded, _ = run(
            [P("甲", 98, sanctions=[("demerit", decided_on, "")]), *filler(9)],
            policy=rules(("influence", "demerit", params)),
        )
        assert graded["甲"].computed == grade, decided_on


@pytest.mark.parametrize(
    "sanctions",
    [
        pytest.param(
            [("demerit", D(2025, 2, 1), TOLERATED), ("warning", D(2025, 6, 1), "")],
            id="after_a_tolerated_one",
        ),
        pytest.param([("demerit", D(2020, 2, 1), ""), ("warning", D(2025, 6, 1), "")], id="after_an_old_one"),
    ],
)
def test_every_sanction_of_a_cadre_is_weighed(sanctions):
    graded, _ = run([P("甲", 98, sanctions=sanctions), *filler(9)])
    assert graded["甲"].computed == "称职"
    assert "2025-06-01 受警告处分（考核年度内）" in text(graded["甲"])


def test_two_rules_for_one_sanction_kind_are_both_weighed():
    # The first (by key) does not reach into the year; the second does.
    policy = rules(
        (
            "influence",
            "demerit",
            {"sanction": "demerit", "months": 1, "basis": "overlaps_period", "effect": "cap"},
        ),
        (
            "influence",
            "demerit_long",
            {"sanction": "demerit", "months": 24, "basis": "overlaps_period", "effect": "undetermined"},
        ),
    )
    graded, _ = run([P("甲", 98, sanctions=[("demerit", D(2024, 6, 1), "")]), *filler(9)], policy=policy)
    assert graded["甲"].computed == "不定等次"


def test_a_sanction_makes_even_an_incomplete_row_undetermined():
    graded, _ = run(
        [P("甲", 98, scores={"绩": None}, sanctions=[("demerit", D(2025, 3, 1), "")]), *filler(9)]
    )
    assert graded["甲"].computed == graded["甲"].final == "不定等次"


def test_a_sanction_kind_without_a_rule_has_no_effect():
    graded, _ = run(
        [P("甲", 98, sanctions=[("demerit", D(2025, 3, 1), "")]), *filler(9)],
        policy=rules(disabled=[("influence", "demerit")]),
    )
    assert graded["甲"].computed == "优秀"


@pytest.mark.parametrize(
    ("params", "grade"),
    [
        pytest.param(
            {"sanction": "demerit", "months": 12, "basis": "overlaps_period", "effect": "cap"}, "称职"
        ),
        pytest.param(
            {
                "sanction": "demerit",
                "months": 12,
                "basis": "overlaps_period",
                "effect": "cap",
                "cap": "基本称职",
            },
            "基本称职",
        ),
        pytest.param(
            {"sanction": "demerit", "months": 1, "basis": "overlaps_period", "effect": "cap"}, "优秀"
        ),
        pytest.param({"sanction": "demerit", "basis": "overlaps_period", "effect": "cap"}, "优秀"),
    ],
    ids=[
        "a_cap_without_a_grade_is_competent",
        "a_stated_cap",
        "one_month_ends_before",
        "no_months_no_period",
    ],
)
def test_an_influence_rule_may_cap_instead_of_undetermining(params, grade):
    # Decided 2024-11-15: twelve months reach into 2025, one month does not, nor does a rule
    # without months.
    graded, _ = run(
        [P("甲", 98, sanctions=[("demerit", D(2024, 11, 15), "")]), *filler(9)],
        policy=rules(("influence", "demerit", params)),
    )
    assert graded["甲"].computed == grade
    if grade != "优秀":
        assert f"处分影响期:至多{grade}:2024-11-15 受记过处分，影响期 12 个月至 2025-11-15" in text(
            graded["甲"]
        )


# --------------------------------------------------------------------------- 约谈 of a cadre


@pytest.mark.parametrize(
    ("score", "yuetan", "kind", "grade"),
    [
        pytest.param(98, 0, LEADER, "优秀", id="no_interview"),
        pytest.param(98, 1, LEADER, "称职", id="one_interview_bars_excellent"),
        pytest.param(98, 2, LEADER, "基本称职", id="two_interviews_cap_at_basic"),
        pytest.param(98, 3, LEADER, "基本称职", id="three_interviews_cap_at_basic"),
        pytest.param(98, 2, LEADER_KINDS[0], "基本称职", id="a_chu_level_leader_too"),
        pytest.param(98, 2, GENERAL, "优秀", id="a_general_cadre_is_not_capped_by_default"),
        pytest.param(65, 1, LEADER, "基本称职", id="one_interview_against_a_grade_already_below_the_cap"),
        pytest.param(55, 2, LEADER, "不称职", id="two_interviews_against_a_grade_already_below_the_cap"),
    ],
)
def test_interview_caps_on_a_cadre(score, yuetan, kind, grade):
    dates = [D(2025, m, 1) for m in range(2, 2 + yuetan)]
    graded, _ = run([P("甲", score, kind=kind, yuetan=dates), *filler(9)])
    assert graded["甲"].computed == grade
    if grade in ("基本称职", "不称职"):  # not a candidate, so no word on the quota
        assert "优秀比例" not in text(graded["甲"])
    if yuetan and kind != GENERAL:
        cap = "称职" if yuetan == 1 else "基本称职"
        listed = "、".join(d.isoformat() for d in dates)
        assert f"约谈限制等次:至多{cap}:约谈 {yuetan} 次（{listed}）→ 至多{cap}" in text(graded["甲"])


@pytest.mark.parametrize(
    ("score", "said"),
    [
        pytest.param("90", True, id="capped_exactly_on_the_excellent_line"),
        pytest.param("89.99", False, id="capped_just_below_the_excellent_line"),
    ],
)
def test_a_capped_cadre_is_told_he_takes_no_slot_from_the_excellent_line_up(score, said):
    graded, _ = run([P("甲", score, yuetan=[D(2025, 3, 1)]), *filler(9)])
    assert graded["甲"].computed == "称职"
    assert ("优秀比例:不占优秀名额:等次受限的干部不参与优秀名额分配" in text(graded["甲"])) is said


def test_an_interview_rule_without_kinds_applies_to_every_cadre():
    policy = rules(("yuetan_cadre", "1", {"min_count": 1, "cap": "称职", "kinds": []}))
    graded, _ = run([P("甲", 98, kind=GENERAL, yuetan=[D(2025, 3, 1)]), *filler(9)], policy=policy)
    assert graded["甲"].computed == "称职"


def test_an_interview_rule_without_a_count_fires_on_the_first_interview():
    policy = rules(
        ("yuetan_cadre", "1", {"cap": "基本称职"}),
        disabled=[("yuetan_cadre", "2")],
    )
    graded, _ = run([P("甲", 98, kind=GENERAL, yuetan=[D(2025, 3, 1)]), *filler(9)], policy=policy)
    assert graded["甲"].computed == "基本称职"


def test_an_interview_rule_without_a_cap_bars_excellent():
    policy = rules(("yuetan_cadre", "1", {"min_count": 1}), disabled=[("yuetan_cadre", "2")])
    graded, _ = run([P("甲", 98, kind=GENERAL, yuetan=[D(2025, 3, 1)]), *filler(9)], policy=policy)
    assert graded["甲"].computed == "称职"
    assert "约谈限制等次:至多称职" in text(graded["甲"])


# --------------------------------------------------------------------------- quarters


@pytest.mark.parametrize(
    ("score", "grade", "explained"),
    [
        pytest.param("90", "好", "得分 90.00 ≥ 90 分", id="exactly_on_the_good_line"),
        pytest.param("89.99", "较好", "得分 89.99 ≥ 80 分", id="a_hundredth_below_the_good_line"),
        pytest.param("80", "较好", "得分 80.00 ≥ 80 分", id="exactly_on_the_fair_line"),
        pytest.param("79.99", "一般", "得分 79.99 ≥ 60 分", id="a_hundredth_below_the_fair_line"),
        pytest.param("60", "一般", "得分 60.00 ≥ 60 分", id="exactly_on_the_average_line"),
        pytest.param("59.99", "较差", "得分 59.99 < 60 分", id="a_hundredth_below_the_average_line"),
    ],
)
@pytest.mark.parametrize("switched_off", [False, True], ids=["stored_thresholds", "documented_defaults"])
def test_quarterly_threshold_boundaries(score, grade, explained, switched_off):
    policy = rules(disabled=[("quarter_thresholds", "")]) if switched_off else rules()
    graded, teams = run([P("甲", score)], annual=False, policy=policy)
    assert graded["甲"].computed == graded["甲"].final == grade
    assert graded["甲"].code is None  # grade codes are for annual grades only
    assert teams == []
    assert f"季度等次分数线:{grade}:{explained}" in text(graded["甲"])


@pytest.mark.parametrize(
    ("score", "grade", "explained"),
    [
        pytest.param("85", "好", "得分 85.00 ≥ 85 分", id="on_an_overridden_good_line"),
        pytest.param("84.99", "较好", "得分 84.99 ≥ 70 分", id="below_an_overridden_good_line"),
        pytest.param("70", "较好", "得分 70.00 ≥ 70 分", id="on_an_overridden_fair_line"),
        pytest.param("69.99", "一般", "得分 69.99 ≥ 50 分", id="below_an_overridden_fair_line"),
        pytest.param("50", "一般", "得分 50.00 ≥ 50 分", id="on_an_overridden_average_line"),
        pytest.param("49.99", "较差", "得分 49.99 < 50 分", id="below_an_overridden_average_line"),
    ],
)
def test_a_unit_may_move_each_quarterly_line(score, grade, explained):
    policy = rules(("quarter_thresholds", "", {"good_min": 85, "fair_min": 70, "average_min": 50}))
    graded, _ = run([P("甲", score)], annual=False, policy=policy)
    assert graded["甲"].computed == grade
    assert f"季度等次分数线:{grade}:{explained}" in text(graded["甲"])


def test_a_quarterly_period_grades_no_team():
    graded, teams = run([P("书记", 95), P("镇长", 95)], annual=False, facts=team_facts(3))
    assert teams == []
    assert graded["书记"].computed == "好"


QUARTER_FEED_ROWS = [
    # (quarters, overrides of the quarter_feed rules, grade, explained)
    pytest.param([(1, "一般"), (2, "较好")], [], "优秀", None, id="average_quarters_do_not_bar_excellent"),
    pytest.param([(3, "较差")], [], "称职", "第3季度平时考核为较差或更差 → 至多称职", id="one_poor_quarter"),
    pytest.param(
        [(4, "较差"), (1, "较差")],
        [],
        "基本称职",
        "第1季度、第4季度平时考核为较差或更差 → 至多基本称职",
        id="two_poor_quarters_are_listed_in_order",
    ),
    pytest.param(
        [(2, "较差")],
        [("quarter_feed", "poor_1", {"grade": "一般", "min_count": 1, "cap": "称职"})],
        "称职",
        "第2季度平时考核为一般或更差 → 至多称职",
        id="a_quarter_worse_than_the_one_the_rule_names",
    ),
    pytest.param(
        [(1, "一般")],
        [("quarter_feed", "poor_1", {"grade": "一般", "min_count": 1, "cap": "称职"})],
        "称职",
        "第1季度平时考核为一般或更差 → 至多称职",
        id="a_quarter_exactly_the_one_the_rule_names",
    ),
    pytest.param(
        [(1, "较好")],
        [("quarter_feed", "poor_1", {"grade": "一般", "min_count": 1, "cap": "称职"})],
        "优秀",
        None,
        id="a_quarter_better_than_the_one_the_rule_names",
    ),
    pytest.param(
        [(1, "一般"), (2, "较差")],
        [("quarter_feed", "poor_2", {"grade": "一般", "min_count": 2, "cap": "基本称职"})],
        "基本称职",
        "第1季度、第2季度平时考核为一般或更差 → 至多基本称职",
        id="quarters_as_bad_or_worse_add_up_to_the_count",
    ),
    pytest.param([(1, ""), (2, "待定")], [], "优秀", None, id="an_ungraded_quarter_counts_as_nothing"),
    pytest.param(
        [(1, "较差")],
        [("quarter_feed", "poor_1", {"min_count": 1})],
        "称职",
        "第1季度平时考核为较差或更差 → 至多称职",
        id="a_rule_naming_no_grade_or_cap_means_poor_and_competent",
    ),
    pytest.param(
        [(1, "较差")],
        [("quarter_feed", "poor_1", {"grade": "较差", "cap": "称职"})],
        "称职",
        "第1季度",
        id="a_rule_without_a_count_needs_one_quarter",
    ),
]


@pytest.mark.parametrize(("quarters", "overrides", "grade", "explained"), QUARTER_FEED_ROWS)
def test_quarterly_results_feeding_the_annual_grade(quarters, overrides, grade, explained):
    graded, _ = run([P("甲", 98, quarters=quarters), *filler(9)], policy=rules(*overrides))
    assert graded["甲"].computed == grade
    if explained:
        assert f"季度考核结果:至多{grade}:{explained}" in text(graded["甲"])
    else:
        assert "季度考核结果" not in text(graded["甲"])


# --------------------------------------------------------------------------- teams


def team_facts(yuetan: int, *, members=(1, 2), leader=1) -> Facts:
    facts = Facts(period_start=START, period_end=END)
    facts.team_members[TOWN_ID] = list(members)
    if leader:
        facts.main_leader_of[TOWN_ID] = leader
    facts.unit_paths[TOWN_ID] = TOWN
    if yuetan:
        facts.yuetan_team[TOWN_ID] = [D(2025, m, 10) for m in range(2, 2 + yuetan)]
    return facts


TEAM_ROWS = [
    # (average of the two members, team 约谈, team grade, main leader's grade)
    pytest.param(90, 0, "优秀", "优秀", id="exactly_on_the_team_excellent_line"),
    pytest.param("89.99", 0, "良好", "称职", id="a_hundredth_below_the_team_excellent_line"),
    pytest.param(80, 0, "良好", "称职", id="exactly_on_the_team_good_line"),
    pytest.param("79.99", 0, "一般", "称职", id="a_hundredth_below_the_team_good_line"),
    pytest.param(60, 0, "一般", "基本称职", id="exactly_on_the_team_average_line"),
    pytest.param("59.99", 0, "较差", "不称职", id="a_hundredth_below_the_team_average_line"),
    pytest.param(95, 1, "优秀", "优秀", id="one_team_interview_keeps_the_grade"),
    pytest.param(95, 2, "良好", "称职", id="two_team_interviews_cap_the_team_and_bar_its_leader"),
    pytest.param(95, 3, "一般", "称职", id="three_team_interviews_cap_the_team_at_average"),
    pytest.param(70, 2, "一般", "称职", id="a_team_cap_against_a_team_grade_already_below_it"),
    pytest.param(50, 3, "较差", "不称职", id="the_strictest_team_cap_against_a_grade_already_below_it"),
    pytest.param(82, 2, "良好", "称职", id="a_team_cap_equal_to_the_team_grade"),
]


@pytest.mark.parametrize(("score", "yuetan", "team_grade", "leader_grade"), TEAM_ROWS)
def test_team_grades_and_caps(score, yuetan, team_grade, leader_grade):
    people = [P("书记", score), P("镇长", score), *filler(8, score=50)]
    graded, teams = run(people, facts=team_facts(yuetan))
    (team,) = teams
    assert team.unit_id == TOWN_ID
    assert team.total == Decimal(str(score)).quantize(Decimal("0.01"))
    assert team.computed == team_grade
    assert graded["书记"].computed == leader_grade
    explained = " | ".join(f"{e['rule']}:{e['effect']}:{e['facts']}" for e in team.explanation)
    assert f"班子得分:{team.total}:2 名班子成员年度总分的平均分" in explained
    if yuetan >= 2:
        cap = "良好" if yuetan == 2 else "一般"
        dates = "、".join(f"2025-{m:02d}-10" for m in range(2, 2 + yuetan))
        assert f"约谈限制班子等次:至多{cap}:领导班子约谈 {yuetan} 次（{dates}）→ 至多{cap}" in explained
        assert (
            f"班子约谈限制主要负责人等次:至多称职:所在领导班子约谈 {yuetan} 次（{dates}），本人为主要负责人 → 至多称职"
            in text(graded["书记"])
        )
    else:
        assert "约谈限制班子等次" not in explained
        assert "班子约谈限制主要负责人等次" not in text(graded["书记"])


def test_team_threshold_explanations_name_the_line():
    _, (good,) = run([P("书记", 85), P("镇长", 85), *filler(8)], facts=team_facts(0))
    assert "班子等次分数线:良好:得分 85.00 ≥ 80" in " | ".join(
        f"{e['rule']}:{e['effect']}:{e['facts']}" for e in good.explanation
    )
    _, (poor,) = run([P("书记", 50), P("镇长", 50), *filler(8)], facts=team_facts(0))
    assert "班子等次分数线:较差:得分 50.00 低于 60" in " | ".join(
        f"{e['rule']}:{e['effect']}:{e['facts']}" for e in poor.explanation
    )


@pytest.mark.parametrize(
    ("score", "grade", "explained"),
    [
        pytest.param(95, "优秀", "得分 95.00 ≥ 95", id="on_an_overridden_excellent_line"),
        pytest.param("94.99", "良好", "得分 94.99 ≥ 85", id="below_an_overridden_excellent_line"),
        pytest.param(85, "良好", "得分 85.00 ≥ 85", id="on_an_overridden_good_line"),
        pytest.param("84.99", "一般", "得分 84.99 ≥ 65", id="below_an_overridden_good_line"),
        pytest.param(65, "一般", "得分 65.00 ≥ 65", id="on_an_overridden_average_line"),
        pytest.param("64.99", "较差", "得分 64.99 低于 65", id="below_an_overridden_average_line"),
    ],
)
def test_a_unit_may_move_each_team_line(score, grade, explained):
    policy = rules(("team_thresholds", "", {"excellent_min": 95, "good_min": 85, "average_min": 65}))
    _, (team,) = run([P("书记", score), P("镇长", score), *filler(8)], facts=team_facts(0), policy=policy)
    assert team.computed == grade
    assert {"rule": "班子等次分数线", "effect": grade, "facts": explained} in team.explanation


def test_every_team_is_graded_after_one_without_totals():
    facts = team_facts(0)
    facts.team_members = {9: [99], TOWN_ID: [1, 2]}  # unit 9's only member has no row here
    facts.unit_paths[9] = "00010002"
    _, teams = run([P("书记", 92), P("镇长", 92), *filler(8)], facts=facts)
    assert [(t.unit_id, t.computed) for t in teams] == [(9, ""), (TOWN_ID, "优秀")]


def test_a_team_whose_unit_path_is_unknown_follows_the_defaults():
    facts = team_facts(2)
    facts.unit_paths.clear()
    graded, (team,) = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=facts)
    assert team.computed == "良好"
    assert graded["书记"].computed == "称职"


def test_the_team_average_rounds_half_up():
    _, (team,) = run([P("书记", "90.01"), P("镇长", "90.00"), *filler(8)], facts=team_facts(0))
    assert team.total == Decimal("90.01")  # 90.005 → 90.01


def test_a_team_average_counts_only_members_with_a_total():
    _, (team,) = run([P("书记", 92), P("镇长", None), *filler(8)], facts=team_facts(0))
    assert team.total == Decimal("92.00")
    assert "1 名班子成员年度总分的平均分" in team.explanation[0]["facts"]


def test_a_team_without_any_total_is_not_graded():
    _, (team,) = run([P("书记", None), P("镇长", None), *filler(8)], facts=team_facts(2))
    assert team.total is None
    assert team.computed == ""
    assert team.explanation == [
        {"rule": "班子得分", "effect": "不评定等次", "facts": "班子成员 2 人均无年度总分"}
    ]


def test_the_documented_team_lines_apply_when_a_unit_switches_its_row_off():
    policy = rules(disabled=[("team_thresholds", "")])
    for score, grade in (
        (90, "优秀"),
        ("89.99", "良好"),
        (80, "良好"),
        ("79.99", "一般"),
        (60, "一般"),
        ("59.99", "较差"),
    ):
        _, (team,) = run([P("书记", score), P("镇长", score), *filler(8)], facts=team_facts(0), policy=policy)
        assert team.computed == grade, score
        line = {"优秀": 90, "良好": 80, "一般": 60, "较差": 60}[grade]
        relation = "低于" if grade == "较差" else "≥"
        assert team.explanation[1]["facts"] == f"得分 {fmt(team.total)} {relation} {line}"


def test_a_team_rule_without_a_count_needs_two_interviews():
    policy = rules(("yuetan_team", "2", {"team_cap": "一般"}), disabled=[("yuetan_team", "3")])
    _, (once,) = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=team_facts(1), policy=policy)
    graded, (twice,) = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=team_facts(2), policy=policy)
    assert (once.computed, twice.computed) == ("优秀", "一般")
    # The rule states no main-leader cap, so the leader keeps 优秀.
    assert graded["书记"].computed == "优秀"


def test_a_main_leader_rule_without_a_count_needs_two_team_interviews():
    policy = rules(("yuetan_team", "2", {"main_leader_cap": "基本称职"}), disabled=[("yuetan_team", "3")])
    once, _ = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=team_facts(1), policy=policy)
    twice, _ = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=team_facts(2), policy=policy)
    assert (once["书记"].computed, twice["书记"].computed) == ("优秀", "基本称职")


def test_a_team_rule_may_cap_the_main_leader_only():
    policy = rules(
        ("yuetan_team", "2", {"min_count": 2, "main_leader_cap": "基本称职"}), disabled=[("yuetan_team", "3")]
    )
    graded, (team,) = run([P("书记", 95), P("镇长", 95), *filler(8)], facts=team_facts(2), policy=policy)
    assert team.computed == "优秀"
    assert graded["书记"].computed == "基本称职"
    assert graded["镇长"].computed == "优秀"


def test_the_main_leader_of_another_unit_is_capped_by_that_units_policy():
    # The leader sits in the town's rows but leads unit 8 (a county department) whose team was
    # interviewed twice; the county switched the main-leader cap off.
    facts = Facts(period_start=START, period_end=END)
    facts.main_leader_of[8] = 1
    facts.unit_paths[8] = "00010002"
    facts.yuetan_team[8] = [D(2025, 2, 1), D(2025, 3, 1)]
    graded, _ = run([P("书记", 95), *filler(9)], facts=facts)
    assert graded["书记"].computed == "称职"

    facts.yuetan_team[8] = [D(2025, 2, 1), D(2025, 3, 1)]
    other = PolicyResolver(
        [*DEFAULTS, RuleRow("00010002", "yuetan_team", "2", {"min_count": 2, "team_cap": "良好"}, True)]
    )
    graded, _ = run([P("书记", 95), *filler(9)], facts=facts, policy=other)
    assert graded["书记"].computed == "优秀"


def test_the_main_leader_of_a_unit_of_unknown_path_follows_his_own_units_policy():
    facts = Facts(period_start=START, period_end=END)
    facts.main_leader_of[8] = 1
    facts.yuetan_team[8] = [D(2025, 2, 1), D(2025, 3, 1)]
    graded, _ = run([P("书记", 95), *filler(9)], facts=facts)
    assert graded["书记"].computed == "称职"


# --------------------------------------------------------------------------- caps and overrides


def test_the_strictest_of_several_caps_wins_and_each_is_explained():
    person = P(
        "甲",
        98,
        yuetan=[D(2025, 3, 1)],
        quarters=[(1, "较差"), (2, "较差")],
        sanctions=[("warning", D(2025, 5, 1), "")],
    )
    graded, _ = run([person, *filler(9)])
    assert graded["甲"].computed == "基本称职"
    for rule in ("处分影响期:至多称职", "约谈限制等次:至多称职", "季度考核结果:至多基本称职"):
        assert rule in text(graded["甲"])


def test_an_undetermining_sanction_wins_over_every_cap():
    person = P("甲", 98, yuetan=[D(2025, 3, 1), D(2025, 4, 1)], sanctions=[("demerit", D(2025, 5, 1), "")])
    graded, _ = run([person, *filler(9)])
    assert graded["甲"].computed == "不定等次"
    assert not any(e["rule"] == "优秀比例" for e in graded["甲"].explanation)


@pytest.mark.parametrize(
    ("override", "final", "code", "explained"),
    [
        pytest.param("", "优秀", 1, None, id="no_override"),
        pytest.param("优秀", "优秀", 1, None, id="an_override_equal_to_the_computed_grade_says_nothing"),
        pytest.param(
            "称职", "称职", 2, "人工调整:称职:计算等次为优秀，经调整并说明理由", id="an_override_lowering"
        ),
    ],
)
def test_a_final_grade_override(override, final, code, explained):
    graded, _ = run([P("甲", 98, override=override), *filler(9)])
    assert graded["甲"].computed == "优秀"
    assert (graded["甲"].final, graded["甲"].code) == (final, code)
    if explained:
        assert explained in text(graded["甲"])
    else:
        assert "人工调整" not in text(graded["甲"])


def test_an_override_of_an_ungraded_row_says_it_was_not_graded():
    graded, _ = run([P("甲", None, override="称职"), *filler(9)])
    assert graded["甲"].final == "称职"
    assert "人工调整:称职:计算等次为未评定" in text(graded["甲"])


def test_ranks_are_shared_by_equal_totals_and_skip_after_them():
    graded, _ = run([P("丁", 80), P("乙", 92), P("戊", None), P("甲", 96), P("丙", 92)])
    assert [graded[n].rank for n in ("甲", "乙", "丙", "丁", "戊")] == [1, 2, 2, 4, None]


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(P("缺", None), id="an_incomplete_row"),
        pytest.param(P("缺", 98, sanctions=[("demerit", D(2025, 3, 1), "")]), id="an_undetermined_row"),
    ],
)
def test_rows_after_an_ungraded_one_are_graded(first):
    graded, _ = run([first, P("甲", 96), *filler(10)])
    assert graded["甲"].computed == "优秀"
    assert all(graded[p.name].computed == "称职" for p in filler(10))


# --------------------------------------------------------------------------- totals


@pytest.mark.parametrize(
    ("scores", "total"),
    [
        pytest.param(
            {"德": 100, "能": 100, "勤": 100, "绩": 0, "廉": 100, "民主测评": 100}, "70.00", id="weights"
        ),
        pytest.param(dict.fromkeys(CODES, "86.005"), "86.01", id="a_half_hundredth_rounds_up"),
        pytest.param(dict.fromkeys(CODES, "86.0049"), "86.00", id="just_under_half_rounds_down"),
        pytest.param(dict.fromkeys(CODES, 1.005), "1.01", id="a_float_half_hundredth_rounds_up_exactly"),
        pytest.param(dict.fromkeys(CODES, 77), "77.00", id="integer_scores"),
    ],
)
def test_weighted_totals(scores, total):
    graded, _ = run([P("甲", None, scores=scores)])
    assert graded["甲"].total == Decimal(total)
    assert f"加权总分:{total}:" in text(graded["甲"])


def test_the_total_is_explained_with_every_score():
    graded, _ = run([P("甲", 77, scores={"绩": 80})])
    explained = "加权总分:77.90:德77、能77、勤77、绩80、廉77、民主测评77；按方案权重折算为百分制"
    assert explained in text(graded["甲"])


def test_a_category_without_a_scheme_and_no_base_scheme_has_no_total():
    rows = [Row(1, 1, TOWN_ID, TOWN, "village", "", {"德": 90})]
    graded, _ = grade_period(
        annual=True, rows=rows, indicators_for={LEADER: ANNUAL[""]}, resolver=rules(), facts=Facts(START, END)
    )
    assert graded[1].total is None
    assert "缺少指标得分：方案无适用指标" in text(graded[1])


def test_a_total_with_no_applicable_indicator_is_missing():
    assert weighted_total({"德": 90}, []) == (None, [])
    graded, _ = grade_period(
        annual=True,
        rows=[Row(1, 1, TOWN_ID, TOWN, LEADER, "", {"德": 90})],
        indicators_for={"": []},
        resolver=rules(),
        facts=Facts(period_start=START, period_end=END),
    )
    assert graded[1].total is None
    assert "缺少指标得分：方案无适用指标" in text(graded[1])


def test_track_indicators_apply_to_their_track_only():
    indicators = {
        "": [
            IndicatorDef("共性", Decimal(50), Decimal(0), Decimal(100)),
            IndicatorDef("项目", Decimal(50), Decimal(0), Decimal(50), track="项目建设"),
            IndicatorDef("治理", Decimal(50), Decimal(0), Decimal(100), track="基层治理"),
        ]
    }
    rows = [
        Row(1, 1, TOWN_ID, TOWN, LEADER, "项目建设", {"共性": 80, "项目": 50}),
        Row(2, 2, TOWN_ID, TOWN, LEADER, "基层治理", {"共性": 80, "治理": 60}),
        Row(3, 3, TOWN_ID, TOWN, LEADER, "", {"共性": 80}),
    ]
    graded, _ = grade_period(
        annual=True, rows=rows, indicators_for=indicators, resolver=rules(), facts=Facts(START, END)
    )
    assert [graded[i].total for i in (1, 2, 3)] == [Decimal("90.00"), Decimal("70.00"), Decimal("80.00")]


def test_a_cadre_category_scheme_replaces_the_base_scheme():
    indicators = {
        "": [IndicatorDef("德", Decimal(100), Decimal(0), Decimal(100))],
        "village": [IndicatorDef("民情", Decimal(100), Decimal(0), Decimal(10))],
    }
    rows = [
        Row(1, 1, TOWN_ID, TOWN, "village", "", {"民情": 9}),
        Row(2, 2, TOWN_ID, TOWN, LEADER, "", {"德": 85}),
    ]
    graded, _ = grade_period(
        annual=True, rows=rows, indicators_for=indicators, resolver=rules(), facts=Facts(START, END)
    )
    assert (graded[1].total, graded[2].total) == (Decimal("90.00"), Decimal("85.00"))


# --------------------------------------------------------------------------- policy inheritance


def test_the_nearest_override_wins_and_a_disabled_row_switches_a_rule_off_below_it():
    resolver = PolicyResolver(
        [
            *DEFAULTS,
            RuleRow(
                "0001", "thresholds", "", {"excellent_min": 90, "competent_min": 75, "basic_min": 60}, True
            ),
            RuleRow(
                "00010001",
                "thresholds",
                "",
                {"excellent_min": 90, "competent_min": 72, "basic_min": 60},
                True,
            ),
            RuleRow("0001", "yuetan_cadre", "1", {}, False),
        ]
    )
    assert resolver.policy("00010001").one("thresholds")["competent_min"] == 72
    assert resolver.policy("00010002").one("thresholds")["competent_min"] == 75
    assert resolver.policy("0002").one("thresholds")["competent_min"] == 70
    assert [r.key for r in resolver.policy("00010001").many("yuetan_cadre")] == ["2"]
    assert [r.key for r in resolver.policy("0002").many("yuetan_cadre")] == ["1", "2"]
    assert resolver.policy("00010001") is resolver.policy("00010001")
    # A village below the town inherits the town's row, not the county's.
    assert resolver.policy("000100010003").one("thresholds")["competent_min"] == 72
