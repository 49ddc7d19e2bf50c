"""The GRASSROOTS (基层服务年限) and CARE (关爱标准) kinds: seeded defaults citing their sources,
shown in the policy page's 激励规则 section with their sentence, edited per unit with Chinese
messages, and read by the township rule and the care pages from the nearest unit's row."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from assessment.services.policy import params_for, policy_rule_save


def test_the_defaults_are_seeded_with_their_sources(db):
    grassroots = PolicyRule.objects.get(unit=None, kind=RuleKind.GRASSROOTS)
    care = PolicyRule.objects.get(unit=None, kind=RuleKind.CARE)
    assert grassroots.params == {"recruit_min_years": 3, "move_min_years": 2, "recruit_window_months": 12}
    assert "不足两年的，不允许借调上级机关或调离乡镇机关" in grassroots.note
    assert (care.params["village_pay"], care.params["community_pay"]) == (18900, 23300)
    assert care.params["leave_min_days"] == 5 and care.params["subsidy_cycle"] == "monthly"
    assert "1.89 万元" in care.note and "带薪年休假条例" in care.note


def test_both_kinds_are_shown_in_the_incentive_section_with_their_sentence(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("assessment:policy"))
    sections = {s["anchor"]: s for s in response.context["sections"]}
    kinds = {r["kind"] for r in sections["incentive-rules"]["rows"]}
    assert {RuleKind.GRASSROOTS, RuleKind.CARE} <= kinds
    page = response.content.decode()
    assert "到乡镇工作未满 2 年的，不得调出乡镇或借调（部长审批同意的除外）" in page
    assert "村干部报酬 1.89万元/年，社区干部报酬 2.33万元/年" in page


def test_a_county_sets_its_own_care_standard_and_its_townships_inherit_it(users, tree):
    params = {
        "village_pay": "20000",
        "community_pay": 25000,
        "health_checks_per_year": 1,
        "hardship_visits_per_year": 2,
        "leave_min_days": 10,
        "subsidy_cycle": "quarterly",
    }
    policy_rule_save(actor=users[Role.STAFF], unit=tree["county_a"], kind=RuleKind.CARE, params=params)
    assert params_for(RuleKind.CARE, tree["town_a"])["leave_min_days"] == 10
    assert params_for(RuleKind.CARE, tree["town_b"])["leave_min_days"] == 5


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subsidy_cycle": "weekly"}, "subsidy_cycle", "取值无效"),
        ({"leave_min_days": 31}, "leave_min_days", "0 到 30 之间"),
        ({"village_pay": -1}, "village_pay", "0 到 999999 之间"),
    ],
)
def test_bad_care_parameters_are_refused_in_chinese(users, tree, changes, field, message):
    params = {**PolicyRule.objects.get(unit=None, kind=RuleKind.CARE).params, **changes}
    with pytest.raises(ValidationError) as caught:
        policy_rule_save(actor=users[Role.STAFF], unit=tree["county_a"], kind=RuleKind.CARE, params=params)
    assert message in caught.value.message_dict[field][0]


def test_a_move_minimum_of_zero_reads_as_no_limit(users, tree):
    params = {"recruit_min_years": 3, "move_min_years": 0, "recruit_window_months": 12}
    policy_rule_save(actor=users[Role.STAFF], unit=tree["county_a"], kind=RuleKind.GRASSROOTS, params=params)
    rule = PolicyRule.objects.get(unit=tree["county_a"], kind=RuleKind.GRASSROOTS)
    from incentives.policy_care import grassroots_text

    assert grassroots_text(rule.params).endswith("调出乡镇或借调不限工作年限")
