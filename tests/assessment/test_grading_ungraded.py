"""The engine's issue-17 rules without a database: who is not graded (probation, long leave,
open investigations) and whether they count in the quota base, missing components, the raised
ratio and 复核 grades holding their 优秀 place. Helpers and the default policy come from
test_grading_edges (2025: 365 days; one town of cadres scored alike on every indicator)."""

import datetime
from decimal import Decimal

import pytest

from assessment.defaults import UNGRADED_RULES
from assessment.grading import Facts, PolicyResolver, QuotaResult, Row, RuleRow, grade_period
from tests.assessment.test_grading_edges import ANNUAL, CODES, DEFAULTS, END, START, TOWN, TOWN_ID, P, text

D = datetime.date
BASE = [*DEFAULTS, *(RuleRow("", kind, key, params, True) for kind, key, params, _ in UNGRADED_RULES)]


def policy(*overrides) -> PolicyResolver:
    """The defaults with the issue-17 rules, plus town-level rows (kind, params)."""
    return PolicyResolver([*BASE, *(RuleRow(TOWN, kind, "", params, True) for kind, params in overrides)])


def grade(people, *, resolver=None, facts=None, appeal=None, start=START, end=END):
    """({name: Result}, QuotaResult of the town); ``appeal`` {name: grade} of 复核 decisions."""
    facts = facts or Facts(period_start=start, period_end=end)
    rows = []
    for position, p in enumerate(people, start=1):
        base = {} if p.score is None else dict.fromkeys(CODES, p.score)
        rows.append(
            Row(
                100 + position,
                p.cadre_id or position,
                TOWN_ID,
                TOWN,
                p.kind,
                "",
                base | p.scores,
                p.override,
                (appeal or {}).get(p.name, ""),
            )
        )
    quotas: dict[int, QuotaResult] = {}
    results, _ = grade_period(
        annual=True,
        rows=rows,
        indicators_for=ANNUAL,
        resolver=resolver or policy(),
        facts=facts,
        quotas=quotas,
    )
    return {p.name: results[r.id] for p, r in zip(people, rows, strict=True)}, quotas[TOWN_ID]


def ten(first=95):
    """Ten cadres, the first two above the 优秀 line: 10 × 20% gives them both a place."""
    return [P("甲", first), P("乙", first - 1), *(P(f"丙{i}", 80 - i) for i in range(8))]


# --------------------------------------------------------------------------- probation


@pytest.mark.parametrize(
    ("ends", "ungraded"),
    [(D(2025, 12, 31), True), (D(2026, 6, 30), True), (D(2025, 12, 30), False), (D(2025, 1, 1), False)],
)
def test_probation_to_the_last_day_of_the_year_keeps_the_grade_undetermined(ends, ungraded):
    facts = Facts(period_start=START, period_end=END, probation_end={1: ends})
    graded, quota = grade(ten(), facts=facts)
    first = graded["甲"]
    if ungraded:
        assert (first.computed, first.final, first.code) == ("不定等次", "不定等次", 5)
        assert (
            f"试用期:不定等次:试用期至 {ends.isoformat()}，考核年度末（2025-12-31）仍在试用期内，只写评语"
            in text(first)
        )
        # not in the base: 9 × 20% = 1.8 → 1 place, which the next one takes
        assert (quota.assessed, quota.excluded, quota.places) == (9, {"试用期": 1}, 1)
        assert graded["乙"].final == "优秀"
    else:
        assert first.final == "优秀" and "试用期" not in text(first)
        assert (quota.assessed, quota.excluded, quota.places) == (10, {}, 2)


def test_a_probation_rule_counting_in_the_base_and_giving_not_assessed():
    facts = Facts(period_start=START, period_end=END, probation_end={3: D(2026, 1, 1)})
    resolver = policy(("probation", {"effect": "not_assessed", "in_quota_base": "yes"}))
    graded, quota = grade(ten(), facts=facts, resolver=resolver)
    assert (graded["丙0"].final, graded["丙0"].code) == ("不参加考核", 6)
    assert (quota.assessed, quota.excluded, quota.places) == (10, {}, 2)
    assert [graded[n].final for n in ("甲", "乙")] == ["优秀", "优秀"]


def test_without_a_probation_rule_nobody_is_held_back():
    facts = Facts(period_start=START, period_end=END, probation_end={1: D(2026, 6, 30)})
    rows = [r for r in BASE if r.kind != "probation"]
    graded, _ = grade(ten(), facts=facts, resolver=PolicyResolver(rows))
    assert graded["甲"].final == "优秀"


# --------------------------------------------------------------------------- long leave


@pytest.mark.parametrize(
    ("year", "days", "fires"),
    [(2024, 183, False), (2024, 184, True), (2025, 182, False), (2025, 183, True), (2025, 365, True)],
)
def test_leave_over_half_the_year_and_not_exactly_half(year, days, fires):
    start, end = D(year, 1, 1), D(year, 12, 31)
    facts = Facts(period_start=start, period_end=end, leave_days={1: {"sick": days}})
    graded, quota = grade(ten(), facts=facts, start=start, end=end)
    first = graded["甲"]
    year_days = (end - start).days + 1
    if fires:
        assert (first.final, first.code) == ("不参加考核", 6)
        assert (
            f"长期请假:不参加考核:考核年度内请假累计 {days} 天（病假 {days} 天），超过全年 {year_days} 天的 1/2"
            in text(first)
        )
        assert quota.excluded == {"长期请假": 1}
    else:
        assert first.final == "优秀" and quota.excluded == {}


def test_leave_kinds_add_up_and_only_the_kinds_the_policy_counts():
    facts = Facts(
        period_start=START,
        period_end=END,
        leave_days={1: {"sick": 100, "personal": 83}, 2: {"sick": 100, "other": 90}},
    )
    resolver = policy(
        (
            "long_leave",
            {
                "share": "1/2",
                "leave_kinds": ["sick", "personal"],
                "effect": "undetermined",
                "in_quota_base": "no",
            },
        )
    )
    graded, _ = grade(ten(), facts=facts, resolver=resolver)
    assert graded["甲"].final == "不定等次"
    assert "病假 100 天、事假 83 天" in text(graded["甲"])
    assert graded["乙"].final == "优秀"  # 其他假 is not counted: 100 days


def test_a_share_of_one_third_fires_at_122_days_of_365():
    resolver = policy(
        (
            "long_leave",
            {"share": "1/3", "leave_kinds": ["sick"], "effect": "not_assessed", "in_quota_base": "no"},
        )
    )
    for days, fires in ((121, False), (122, True)):
        facts = Facts(period_start=START, period_end=END, leave_days={1: {"sick": days}})
        graded, _ = grade(ten(), facts=facts, resolver=resolver)
        assert (graded["甲"].final == "不参加考核") is fires


# --------------------------------------------------------------------------- investigation


def test_an_open_investigation_keeps_the_grade_undetermined_even_without_scores():
    facts = Facts(period_start=START, period_end=END, investigations={1: [(D(2026, 1, 5), "县纪委监委")]})
    people = ten()
    people[0] = P("甲", None)
    graded, quota = grade(people, facts=facts)
    assert (graded["甲"].final, graded["甲"].code) == ("不定等次", 5)
    assert "立案审查:不定等次:2026-01-05 被县纪委监委立案审查，尚未结案" in text(graded["甲"])
    assert "评分完整性" in text(graded["甲"])  # the missing scores are still said
    assert quota.excluded == {"立案审查": 1}


def test_several_rules_fire_the_first_decides_and_each_is_explained():
    facts = Facts(
        period_start=START,
        period_end=END,
        leave_days={1: {"sick": 200}},
        investigations={1: [(D(2025, 5, 1), "")]},
        probation_end={1: D(2026, 3, 1)},
    )
    graded, quota = grade(ten(), facts=facts)
    assert graded["甲"].final == "不参加考核"
    assert [
        e["rule"] for e in graded["甲"].explanation if e["rule"] in ("长期请假", "立案审查", "试用期")
    ] == [
        "长期请假",
        "立案审查",
        "试用期",
    ]
    assert quota.excluded == {"长期请假": 1}


# --------------------------------------------------------------------------- missing components


def missing_democratic(score=92):
    """甲 lacks 民主测评; the others are complete."""
    people = ten()
    people[0] = P("甲", score, scores={"民主测评": None})
    return people


def test_by_default_a_missing_score_leaves_the_cadre_ungraded_and_out_of_the_base():
    graded, quota = grade(missing_democratic())
    assert (graded["甲"].total, graded["甲"].final) == (None, "")
    assert "评分完整性:不评定等次:缺少指标得分：民主测评" in text(graded["甲"])
    assert (quota.assessed, quota.excluded) == (9, {"缺少指标得分": 1})


def test_renormalised_over_the_other_indicators():
    people = missing_democratic()
    people[0] = P("甲", 92, scores={"民主测评": None, "绩": 80})
    resolver = policy(("missing_scores", {"mode": "renormalise", "codes": []}))
    graded, quota = grade(people, resolver=resolver)
    # 德能勤 15 each at 92, 绩 30 at 80, 廉 10 at 92, over 85 of weight: (92 × 55 + 80 × 30) / 85
    assert graded["甲"].total == Decimal("87.76")
    assert "缺项得分处理:按其余指标权重折算:缺民主测评，按其余指标权重折算" in text(graded["甲"])
    assert quota.assessed == 10 and quota.excluded == {}


def test_the_unit_average_is_put_in_for_the_missing_score():
    people = missing_democratic()
    resolver = policy(("missing_scores", {"mode": "unit_average", "codes": ["民主测评"]}))
    graded, _ = grade(people, resolver=resolver)
    # the others' 民主测评: 94 and 80..73 → (94 + 80+79+...+73) / 9 = 625/9 ... as two decimals
    others = [94, *(80 - i for i in range(8))]
    average = (Decimal(sum(others)) / 9).quantize(Decimal("0.01"))
    assert f"缺民主测评，民主测评取本单位平均分 {average}" in text(graded["甲"])
    expected = (Decimal(92) * 85 + average * 15) / 100
    assert graded["甲"].total == expected.quantize(Decimal("0.01"))


def test_a_mode_limited_to_some_indicators_does_not_cover_another_missing_one():
    people = ten()
    people[0] = P("甲", 92, scores={"绩": None})
    resolver = policy(("missing_scores", {"mode": "renormalise", "codes": ["民主测评"]}))
    graded, _ = grade(people, resolver=resolver)
    assert graded["甲"].total is None and "缺少指标得分：绩" in text(graded["甲"])


def test_no_unit_average_when_nobody_in_the_unit_has_the_score():
    people = [P(f"干部{i}", 85, scores={"民主测评": None}) for i in range(3)]
    resolver = policy(("missing_scores", {"mode": "unit_average", "codes": []}))
    graded, _ = grade(people, resolver=resolver)
    assert graded["干部0"].total is None
    assert "缺少指标得分：民主测评（本单位无人有民主测评得分，无法取平均分）" in text(graded["干部0"])


def test_renormalising_with_every_score_missing_leaves_the_cadre_ungraded():
    resolver = policy(("missing_scores", {"mode": "renormalise", "codes": []}))
    graded, _ = grade([P("甲", None), *ten()[1:]], resolver=resolver)
    assert graded["甲"].total is None and "（无其余指标可折算）" in text(graded["甲"])


# --------------------------------------------------------------------------- the quota's numbers


@pytest.mark.parametrize(
    ("assessed", "ratio", "rounding", "exact", "places"),
    [
        (10, 0.2, "floor", "2.00", 2),
        (9, 0.2, "floor", "1.80", 1),
        (5, 0.3, "floor", "1.50", 1),
        (5, 0.3, "round", "1.50", 2),
        (5, 0.3, "ceil", "1.50", 2),
        (7, 0.15, "round", "1.05", 1),
    ],
)
def test_the_exact_quota_beside_its_places(assessed, ratio, rounding, exact, places):
    people = [P(f"干部{i}", 95 - i) for i in range(assessed)]
    resolver = policy(("quota", {"ratio": ratio, "rounding": rounding, "tie_break": []}))
    _, quota = grade(people, resolver=resolver)
    assert (quota.assessed, quota.exact, quota.places, quota.rounding) == (
        assessed,
        Decimal(exact),
        places,
        rounding,
    )


def test_a_raised_ratio_applies_only_to_a_unit_with_an_approved_raise():
    people = [P(f"干部{i}", 96 - i) for i in range(12)]
    resolver = policy(("quota", {"ratio": 0.2, "rounding": "floor", "tie_break": [], "raised_ratio": 0.25}))
    _, plain = grade(people, resolver=resolver)
    assert (plain.exact, plain.places, plain.raised) == (Decimal("2.40"), 2, False)
    facts = Facts(
        period_start=START, period_end=END, quota_raises={TOWN_ID: ("抗洪抢险", "王部长", D(2025, 11, 3))}
    )
    graded, raised = grade(people, resolver=resolver, facts=facts)
    assert (raised.exact, raised.places, raised.raised, raised.ratio) == (
        Decimal("3.00"),
        3,
        True,
        Decimal("0.25"),
    )
    assert raised.raise_note == "完成重大任务（抗洪抢险），经王部长于 2025-11-03 批准，优秀比例按 25%"
    assert graded["干部2"].final == "优秀" and "（完成重大任务（抗洪抢险）" in text(graded["干部2"])
    assert graded["干部3"].final == "称职"


def test_a_raise_without_a_raised_ratio_in_the_policy_keeps_the_ratio_and_says_so():
    people = [P(f"干部{i}", 96 - i) for i in range(12)]
    facts = Facts(
        period_start=START, period_end=END, quota_raises={TOWN_ID: ("抗洪抢险", "王部长", D(2025, 11, 3))}
    )
    _, quota = grade(people, facts=facts)
    assert (quota.places, quota.raised, quota.ratio) == (2, False, Decimal("0.2"))
    assert quota.raise_note == "已登记完成重大任务，但评定规则未设上调比例，按一般比例"


# --------------------------------------------------------------------------- 复核 grades


def test_a_cadre_made_excellent_on_appeal_takes_a_place_from_the_last_candidate():
    people = [P("甲", 95), P("乙", 94), P("丙", 91), *(P(f"丁{i}", 80 - i) for i in range(7))]
    graded, quota = grade(people, appeal={"丙": "优秀"})
    assert [graded[n].final for n in ("甲", "乙", "丙")] == ["优秀", "称职", "优秀"]
    assert (quota.places, quota.fixed, quota.awarded) == (2, 1, 2)
    assert "经复核确定为优秀 1 名，余 1 名" in text(graded["乙"])
    assert "复核决定:优秀:计算等次为称职，经复核确定为优秀" in text(graded["丙"])
    assert graded["丙"].code == 1


def test_an_excellent_changed_on_appeal_frees_the_place_for_the_next_candidate():
    people = [P("甲", 95), P("乙", 94), P("丙", 91), *(P(f"丁{i}", 80 - i) for i in range(7))]
    graded, quota = grade(people, appeal={"甲": "称职"})
    assert [graded[n].final for n in ("甲", "乙", "丙")] == ["称职", "优秀", "优秀"]
    assert (quota.fixed, quota.awarded) == (0, 2)


def test_more_appeal_places_than_the_quota_leave_none_for_the_others():
    people = [P("甲", 95), P("乙", 94), *(P(f"丁{i}", 85 - i) for i in range(3))]  # 5 × 20% = 1
    graded, quota = grade(people, appeal={"丁0": "优秀", "丁1": "优秀"})
    assert [graded[n].final for n in ("甲", "乙", "丁0", "丁1")] == ["称职", "称职", "优秀", "优秀"]
    assert (quota.places, quota.fixed, quota.awarded) == (1, 2, 2)


def test_the_results_page_states_the_default_quota_a_unit_that_switches_its_rule_off_gets():
    from assessment.models import Period
    from assessment.reports import quota_rule_lines

    resolver = PolicyResolver([*BASE, RuleRow(TOWN, "quota", "", {}, False)])
    lines = quota_rule_lines(resolver.policy(TOWN), Period(name="2025年度考核", year=2025))
    assert lines[:2] == [
        "本单位停用了优秀比例规则，按默认比例 20%、向下取整计算名额。",
        "优秀名额 = 参加考核人数 × 20%，向下取整（各单位分别计算）。",
    ]
    people = [P("甲", 96), P("乙", 95), *(P(f"丙{i}", 80 - i) for i in range(7))]
    graded, quota = grade(people, resolver=resolver)  # what the engine does: 9 × 20% = 1.8 → 1
    assert (quota.places, graded["乙"].final) == (1, "称职")


def entry(result, rule) -> dict:
    [found] = [e for e in result.explanation if e["rule"] == rule]
    return found


# --------------------------------------------------------------------------- rule parameters at their defaults and ends


def test_a_leave_rule_without_share_or_effect_uses_half_and_not_assessed():
    resolver = policy(("long_leave", {"leave_kinds": ["sick"], "in_quota_base": "no"}))
    for days, grade in ((182, "优秀"), (183, "不参加考核")):
        facts = Facts(period_start=START, period_end=END, leave_days={1: {"sick": days}})
        graded, _ = grade_(facts, resolver)
        assert graded["甲"].final == grade


def grade_(facts, resolver):
    return grade(ten(), facts=facts, resolver=resolver)


def test_ungraded_rules_counting_in_the_quota_base_for_leave_and_investigation():
    facts = Facts(
        period_start=START,
        period_end=END,
        leave_days={3: {"sick": 200}},
        investigations={4: [(D(2025, 3, 1), "县纪委监委"), (D(2025, 9, 1), "")]},
    )
    resolver = policy(
        (
            "long_leave",
            {"share": "1/2", "leave_kinds": ["sick"], "effect": "undetermined", "in_quota_base": "yes"},
        ),
        ("investigation", {"effect": "not_assessed", "in_quota_base": "yes"}),
    )
    graded, quota = grade(ten(), facts=facts, resolver=resolver)
    assert (graded["丙0"].final, graded["丙1"].final) == ("不定等次", "不参加考核")
    assert (quota.assessed, quota.excluded, quota.places) == (10, {}, 2)
    assert entry(graded["丙1"], "立案审查") == {
        "rule": "立案审查",
        "effect": "不参加考核",
        "facts": "2025-03-01 被县纪委监委立案审查，尚未结案；2025-09-01 被立案审查，尚未结案",
    }


def test_rules_without_an_effect_give_their_defaults():
    facts = Facts(
        period_start=START,
        period_end=END,
        probation_end={1: END},
        investigations={2: [(D(2025, 3, 1), "")]},
    )
    resolver = policy(("probation", {"in_quota_base": "no"}), ("investigation", {"in_quota_base": "no"}))
    graded, _ = grade(ten(), facts=facts, resolver=resolver)
    assert (graded["甲"].final, graded["乙"].final) == ("不定等次", "不定等次")


def test_the_missing_score_explanations_word_for_word():
    graded, _ = grade(missing_democratic())
    assert entry(graded["甲"], "评分完整性") == {
        "rule": "评分完整性",
        "effect": "不评定等次",
        "facts": "缺少指标得分：民主测评",
    }
    people = ten()
    people[0] = P("甲", 92, scores={"民主测评": None, "廉": None})
    resolver = policy(("missing_scores", {"mode": "unit_average", "codes": []}))
    graded, _ = grade(people, resolver=resolver)
    others = [94, *(80 - i for i in range(8))]
    average = (Decimal(sum(others)) / 9).quantize(Decimal("0.01"))
    assert entry(graded["甲"], "缺项得分处理") == {
        "rule": "缺项得分处理",
        "effect": "取本单位平均分",
        "facts": f"缺廉、民主测评，廉取本单位平均分 {average}，民主测评取本单位平均分 {average}",
    }


def test_the_unit_average_is_rounded_half_up():
    people = [
        P("甲", 90, scores={"民主测评": None}),
        P("乙", 90, scores={"民主测评": 80}),
        P("丙", 90, scores={"民主测评": "80.05"}),
    ]
    resolver = policy(("missing_scores", {"mode": "unit_average", "codes": []}))
    graded, _ = grade(people, resolver=resolver)
    assert "民主测评取本单位平均分 80.03" in text(graded["甲"])  # 80.025, not 80.02


def test_the_exact_quota_is_rounded_half_up_and_names_its_unit():
    people = [P(f"干部{i}", 95 - i) for i in range(5)]
    resolver = policy(("quota", {"ratio": 0.125, "rounding": "floor", "tie_break": []}))
    _, quota = grade(people, resolver=resolver)
    assert (quota.unit_id, quota.exact, quota.raise_note, quota.raised) == (
        TOWN_ID,
        Decimal("0.63"),
        "",
        False,
    )


def test_a_stored_empty_raised_ratio_raises_nothing():
    facts = Facts(
        period_start=START, period_end=END, quota_raises={TOWN_ID: ("抗洪抢险", "王部长", D(2025, 11, 3))}
    )
    resolver = policy(("quota", {"ratio": 0.2, "rounding": "floor", "tie_break": [], "raised_ratio": ""}))
    _, quota = grade([P(f"干部{i}", 96 - i) for i in range(12)], resolver=resolver, facts=facts)
    assert (quota.raised, quota.places) == (False, 2)
    assert quota.raise_note == "已登记完成重大任务，但评定规则未设上调比例，按一般比例"


def test_talks_decided_tolerable_are_named_in_the_cadre_leader_and_team_explanations():
    """容错纠错 (issue 16): a 约谈 decided 可容 caps nothing and each explanation says so."""
    cited = "（已认定容错免责：县委组织部 2025-08-01 决定）"
    facts = Facts(
        period_start=START,
        period_end=END,
        yuetan_cadre_tolerated={1: [(D(2025, 6, 3), cited)]},
        yuetan_team_tolerated={TOWN_ID: [(D(2025, 7, 9), cited)]},
        main_leader_of={TOWN_ID: 2},
        team_members={TOWN_ID: [1, 2]},
        unit_paths={TOWN_ID: TOWN},
    )
    people = ten()
    rows = []
    for position, p in enumerate(people, start=1):
        rows.append(Row(100 + position, position, TOWN_ID, TOWN, p.kind, "", dict.fromkeys(CODES, p.score)))
    results, teams = grade_period(
        annual=True, rows=rows, indicators_for=ANNUAL, resolver=policy(), facts=facts
    )
    assert entry(results[101], "容错纠错") == {
        "rule": "容错纠错",
        "effect": "不计入约谈次数",
        "facts": f"2025-06-03 约谈{cited}，不因此限制等次",
    }
    assert entry(results[102], "容错纠错") == {
        "rule": "容错纠错",
        "effect": "不计入班子约谈次数",
        "facts": f"2025-07-09 所在领导班子约谈{cited}，不因此限制等次",
    }
    assert (results[101].final, results[102].final) == ("优秀", "优秀")
    [team] = teams
    assert entry(team, "容错纠错") == {
        "rule": "容错纠错",
        "effect": "不计入约谈次数",
        "facts": f"2025-07-09 领导班子约谈{cited}，不因此限制等次",
    }
