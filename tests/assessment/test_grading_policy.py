"""The grading policy, case by case: each case builds a unit of cadres with scores and facts in
the database, recomputes the period through the real job path, and checks the grades, the
review marks and the explanations. Runs on SQLite and on PostgreSQL."""

import datetime
from dataclasses import dataclass, field

import pytest

from accounts.roles import Role
from assessment.models import Assessment, Period, PeriodStatus, PolicyRule, TeamAssessment
from assessment.services.recompute import period_recompute
from cadres.models import CadreKind, TeamMembership
from supervision.models import Interview, MatterType, Sanction
from tests.factories import CadreFactory, make_exemption, make_period, make_user

YEAR = 2025
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
D = datetime.date


@dataclass
class C:
    """A cadre of the case: every indicator scored ``score`` unless ``scores`` says otherwise."""

    name: str
    score: float
    kind: str = CadreKind.LEADER_KE
    scores: dict = field(default_factory=dict)
    yuetan: list = field(default_factory=list)
    sanctions: list = field(default_factory=list)  # (kind, date, decided 可容 by 容错纠错)
    quarters: list = field(default_factory=list)  # (quarter, grade)
    main_leader: bool = False
    member: bool = False


@dataclass
class Case:
    id: str
    cadres: list
    expect: dict
    review: set = field(default_factory=set)
    explain: dict = field(default_factory=dict)  # name -> text that must appear in the explanation
    team_yuetan: list = field(default_factory=list)
    expect_team: str | None = None
    team_explain: str | None = None
    # (where: "town" or "county" or None for the default, kind, key, params, enabled)
    overrides: list = field(default_factory=list)


def ten(top: list, rest_score=80, rest=None) -> list:
    """``top`` cadres followed by enough plain ones to make ten."""
    rest = rest if rest is not None else 10 - len(top)
    return top + [C(f"其他{i}", rest_score - i * 0.5) for i in range(rest)]


CASES = [
    Case(
        "quota_takes_the_top_twenty_percent",
        ten([C("甲", 96), C("乙", 95), C("丙", 94)]),
        {"甲": "优秀", "乙": "优秀", "丙": "称职", "其他0": "称职"},
        explain={"甲": "本单位参加考核 10 人 × 20% = 2，向下取整为 2 名", "丙": "未获优秀名额"},
    ),
    Case(
        "quota_rounds_down_by_default",
        [C("甲", 96), C("乙", 95), C("丙", 80), C("丁", 79), C("戊", 78), C("己", 77), C("庚", 76)],
        {"甲": "优秀", "乙": "称职"},
        explain={"甲": "7 人 × 20% = 1.4，向下取整为 1 名"},
    ),
    Case(
        "a_unit_override_of_the_rounding_applies_to_it",
        [C("甲", 96), C("乙", 95), C("丙", 80), C("丁", 79), C("戊", 78), C("己", 77), C("庚", 76)],
        {"甲": "优秀", "乙": "优秀"},
        overrides=[
            ("county", "quota", "", {"ratio": 0.2, "rounding": "ceil", "tie_break": ["绩", "德"]}, True)
        ],
        explain={"乙": "向上取整为 2 名"},
    ),
    Case(
        "a_tie_at_the_quota_boundary_is_broken_by_the_stated_rule_and_marked_for_review",
        ten(
            [
                C("甲", 96),
                C("乙", 92, scores={"绩": 90, "德": 95}),
                C("丙", 92, scores={"绩": 95, "德": 85}),
            ]
        ),
        {"甲": "优秀", "丙": "优秀", "乙": "称职"},
        review={"乙", "丙"},
        explain={"乙": "跨越名额边界", "丙": "依次比较“绩”得分、“德”得分"},
    ),
    Case(
        "a_tie_inside_the_quota_needs_no_review",
        ten([C("甲", 96), C("乙", 96)]),
        {"甲": "优秀", "乙": "优秀"},
        review=set(),
    ),
    Case(
        "below_the_excellent_line_nobody_is_excellent_whatever_the_quota",
        ten([C("甲", 89), C("乙", 88)]),
        {"甲": "称职", "乙": "称职"},
    ),
    Case(
        "thresholds_map_totals_to_competent_basic_and_incompetent",
        ten([C("甲", 70), C("乙", 69.99), C("丙", 60), C("丁", 59)]),
        {"甲": "称职", "乙": "基本称职", "丙": "基本称职", "丁": "不称职"},
        explain={"丁": "低于基本称职线 60"},
    ),
    Case(
        "a_county_threshold_override_is_inherited_by_its_towns",
        ten([C("甲", 72)]),
        {"甲": "基本称职"},
        overrides=[
            ("county", "thresholds", "", {"excellent_min": 90, "competent_min": 75, "basic_min": 60}, True)
        ],
    ),
    Case(
        "one_interview_bars_excellent_and_frees_the_slot_for_the_next",
        ten([C("甲", 98, yuetan=[D(2025, 3, 4)]), C("乙", 95), C("丙", 94)]),
        {"甲": "称职", "乙": "优秀", "丙": "优秀"},
        explain={"甲": "约谈 1 次（2025-03-04）→ 至多称职"},
    ),
    Case(
        "two_interviews_cap_a_leading_cadre_at_basic_competent",
        ten([C("甲", 98, yuetan=[D(2025, 3, 4), D(2025, 6, 10)])]),
        {"甲": "基本称职"},
        explain={"甲": "约谈 2 次（2025-03-04、2025-06-10）→ 至多基本称职"},
    ),
    Case(
        "interviews_of_another_year_do_not_count",
        ten([C("甲", 98, yuetan=[D(2024, 12, 30)])]),
        {"甲": "优秀"},
    ),
    Case(
        "the_interview_caps_apply_to_leading_cadres_only_by_default",
        ten([C("甲", 98, kind=CadreKind.GENERAL, yuetan=[D(2025, 3, 4), D(2025, 6, 10)])]),
        {"甲": "优秀"},
    ),
    Case(
        "a_cap_never_raises_a_grade",
        ten([C("甲", 55, yuetan=[D(2025, 3, 4), D(2025, 6, 10)])]),
        {"甲": "不称职"},
    ),
    Case(
        "a_unit_may_switch_an_interview_cap_off",
        ten([C("甲", 98, yuetan=[D(2025, 3, 4)])]),
        {"甲": "优秀"},
        overrides=[("town", "yuetan_cadre", "1", {"min_count": 1, "cap": "称职", "kinds": []}, False)],
    ),
    Case(
        "a_team_interviewed_twice_cannot_be_excellent_nor_its_main_leader",
        ten(
            [C("书记", 98, main_leader=True, member=True), C("镇长", 97, member=True), C("丙", 94)],
        ),
        {"书记": "称职", "镇长": "优秀", "丙": "优秀"},
        team_yuetan=[D(2025, 2, 1), D(2025, 5, 1)],
        expect_team="良好",
        explain={"书记": "所在领导班子约谈 2 次（2025-02-01、2025-05-01），本人为主要负责人 → 至多称职"},
        team_explain="领导班子约谈 2 次（2025-02-01、2025-05-01）→ 至多良好",
    ),
    Case(
        "a_team_interviewed_three_times_is_at_most_average",
        ten([C("书记", 98, main_leader=True, member=True), C("镇长", 97, member=True)]),
        {"书记": "称职"},
        team_yuetan=[D(2025, 2, 1), D(2025, 5, 1), D(2025, 9, 1)],
        expect_team="一般",
    ),
    Case(
        "a_team_interviewed_once_keeps_its_grade",
        ten([C("书记", 98, main_leader=True, member=True), C("镇长", 96, member=True)]),
        {"书记": "优秀"},
        team_yuetan=[D(2025, 2, 1)],
        expect_team="优秀",
    ),
    Case(
        "a_warning_in_the_year_bars_excellent",
        ten([C("甲", 98, sanctions=[("warning", D(2025, 4, 1), False)])]),
        {"甲": "称职"},
        explain={"甲": "2025-04-01 受警告处分（考核年度内）"},
    ),
    Case(
        "a_warning_of_the_previous_year_does_not_bar_excellent",
        ten([C("甲", 98, sanctions=[("warning", D(2024, 11, 1), False)])]),
        {"甲": "优秀"},
    ),
    Case(
        "during_a_demerit_the_grade_is_undetermined",
        ten([C("甲", 98, sanctions=[("demerit", D(2024, 8, 1), False)])]),
        {"甲": "不定等次"},
        explain={"甲": "影响期 12 个月至 2025-08-01"},
    ),
    Case(
        "a_demerit_whose_influence_ended_before_the_year_has_no_effect",
        ten([C("甲", 98, sanctions=[("demerit", D(2023, 6, 1), False)])]),
        {"甲": "优秀"},
    ),
    Case(
        "during_a_major_demerit_the_grade_is_undetermined",
        ten([C("甲", 75, sanctions=[("major_demerit", D(2024, 3, 1), False)])]),
        {"甲": "不定等次"},
    ),
    Case(
        "during_a_demotion_the_grade_is_undetermined",
        ten([C("甲", 75, sanctions=[("demotion", D(2023, 6, 1), False)])]),
        {"甲": "不定等次"},
    ),
    Case(
        "during_a_dismissal_the_grade_is_undetermined",
        ten([C("甲", 75, sanctions=[("dismissal", D(2025, 10, 1), False)])]),
        {"甲": "不定等次"},
    ),
    Case(
        "a_tolerated_sanction_lifts_its_effect",
        ten([C("甲", 98, sanctions=[("demotion", D(2025, 1, 5), True)])]),
        {"甲": "优秀"},
        explain={"甲": "受降级处分，影响期 24 个月至 2027-01-05，经容错纠错认定为可容（2025-01-05，"},
    ),
    Case(
        "a_unit_may_lengthen_an_influence_period",
        ten([C("甲", 98, sanctions=[("demerit", D(2023, 6, 1), False)])]),
        {"甲": "不定等次"},
        overrides=[
            (
                "county",
                "influence",
                "demerit",
                {"sanction": "demerit", "months": 24, "basis": "overlaps_period", "effect": "undetermined"},
                True,
            )
        ],
    ),
    Case(
        "a_poor_quarter_bars_excellent",
        ten([C("甲", 98, quarters=[(1, "好"), (2, "较差")])]),
        {"甲": "称职"},
        explain={"甲": "第2季度平时考核为较差或更差 → 至多称职"},
    ),
    Case(
        "two_poor_quarters_cap_at_basic_competent",
        ten([C("甲", 98, quarters=[(2, "较差"), (3, "较差")])]),
        {"甲": "基本称职"},
    ),
    Case(
        "an_average_quarter_does_not_bar_excellent",
        ten([C("甲", 98, quarters=[(1, "一般")])]),
        {"甲": "优秀"},
    ),
    Case(
        "a_default_rule_change_applies_everywhere",
        ten([C("甲", 98, quarters=[(1, "一般")])]),
        {"甲": "称职"},
        overrides=[(None, "quarter_feed", "poor_1", {"grade": "一般", "min_count": 1, "cap": "称职"}, True)],
    ),
]


def build(case: Case, tree) -> tuple[Period, dict]:
    staff = make_user("policy_staff", Role.STAFF, tree["city"])
    town = tree["town_a"]
    period = make_period(year=YEAR, status=PeriodStatus.GRADING)
    quarter_periods = {}
    cadres = {}
    for order, spec in enumerate(case.cadres):
        cadre = CadreFactory(unit=town, name=spec.name, kind=spec.kind)
        cadres[spec.name] = cadre
        scores = dict.fromkeys(CODES, spec.score) | spec.scores
        Assessment.objects.create(period=period, cadre=cadre, unit=town, scores=scores)
        for day in spec.yuetan:
            Interview.objects.create(
                kind="yuetan",
                subject_type="cadre",
                cadre=cadre,
                unit=town,
                status="conducted",
                conducted_on=day,
                proposed_by=staff,
            )
        for kind, day, tolerated in spec.sanctions:
            sanction = Sanction.objects.create(
                cadre=cadre, kind=kind, decided_on=day, reason="测试", created_by=staff
            )
            if tolerated:
                make_exemption(staff, MatterType.SANCTION, sanction)
        for quarter, grade in spec.quarters:
            qp = quarter_periods.get(quarter) or make_period(
                year=YEAR, quarter=quarter, status=PeriodStatus.PUBLISHED
            )
            quarter_periods[quarter] = qp
            Assessment.objects.create(
                period=qp, cadre=cadre, unit=town, final_grade=grade, computed_grade=grade
            )
        if spec.member or spec.main_leader:
            TeamMembership.objects.create(
                unit=town,
                cadre=cadre,
                role_title="书记" if spec.main_leader else "成员",
                is_main_leader=spec.main_leader,
                order=order,
            )
    for day in case.team_yuetan:
        Interview.objects.create(
            kind="yuetan",
            subject_type="team",
            unit=town,
            status="improved",
            conducted_on=day,
            proposed_by=staff,
        )
    where = {"town": town, "county": tree["county_a"], None: None}
    for place, kind, key, params, enabled in case.overrides:
        PolicyRule.objects.update_or_create(
            unit=where[place], kind=kind, key=key, defaults={"params": params, "enabled": enabled}
        )
    return period, cadres


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_grading_policy(case, tree):
    period, cadres = build(case, tree)
    period_recompute(period_id=period.pk)

    graded = {a.cadre.name: a for a in Assessment.objects.filter(period=period).select_related("cadre")}
    for name, grade in case.expect.items():
        assert graded[name].final_grade == grade, (name, graded[name].explanation)
        assert graded[name].computed_grade == grade
    assert {n for n, a in graded.items() if a.review_required} == case.review
    for name, text in case.explain.items():
        facts = " | ".join(f"{e['rule']}:{e['effect']}:{e['facts']}" for e in graded[name].explanation)
        assert text in facts, (name, facts)
    if case.expect_team is not None:
        team = TeamAssessment.objects.get(period=period, unit=tree["town_a"])
        assert team.final_grade == case.expect_team, team.explanation
        if case.team_explain:
            assert case.team_explain in " | ".join(e["facts"] for e in team.explanation)


def test_every_grade_carries_its_code_and_an_explanation(tree):
    period, _ = build(CASES[0], tree)
    period_recompute(period_id=period.pk)
    codes = {"优秀": 1, "称职": 2, "基本称职": 3, "不称职": 4, "不定等次": 5}
    for a in Assessment.objects.filter(period=period):
        assert a.grade_code == codes[a.final_grade]
        assert a.explanation and {"rule", "effect", "facts"} <= set(a.explanation[0])
        assert a.rank_in_unit is not None
