"""Editing the grading policy: overrides per unit, inheritance, validation, permissions, pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import PolicyRule
from assessment.services.policy import policy_rule_reset, policy_rule_save, rule_text
from assessment.services.recompute import policy_resolver
from audit.models import AuditEntry

THRESHOLDS = {"excellent_min": 92, "competent_min": 75, "basic_min": 60}


def test_a_county_override_is_inherited_by_its_towns_and_not_by_other_counties(users, tree):
    policy_rule_save(actor=users[Role.STAFF], unit=tree["county_a"], kind="thresholds", params=THRESHOLDS)
    resolver = policy_resolver()
    assert resolver.policy(tree["town_a"].path).one("thresholds")["competent_min"] == 75
    assert resolver.policy(tree["town_b"].path).one("thresholds")["competent_min"] == 70


def test_the_nearest_override_wins(users, tree):
    staff = users["city_staff"]
    policy_rule_save(actor=staff, unit=tree["county_a"], kind="thresholds", params=THRESHOLDS)
    policy_rule_save(
        actor=staff, unit=tree["town_a"], kind="thresholds", params={**THRESHOLDS, "competent_min": 80}
    )
    assert policy_resolver().policy(tree["town_a"].path).one("thresholds")["competent_min"] == 80


def test_a_disabled_rule_switches_it_off_below(users, tree):
    policy_rule_save(
        actor=users[Role.STAFF],
        unit=tree["county_a"],
        kind="yuetan_cadre",
        key="1",
        params={"min_count": 1, "cap": "称职", "kinds": []},
        enabled=False,
    )
    keys = [r.key for r in policy_resolver().policy(tree["town_a"].path).many("yuetan_cadre")]
    assert keys == ["2"]


def test_thresholds_out_of_order_are_refused_with_a_chinese_message(users, tree):
    with pytest.raises(ValidationError) as exc:
        policy_rule_save(
            actor=users[Role.STAFF],
            unit=tree["county_a"],
            kind="thresholds",
            params={"excellent_min": 60, "competent_min": 75, "basic_min": 60},
        )
    assert "分数线须从高到低" in str(exc.value)
    assert not PolicyRule.objects.filter(unit=tree["county_a"]).exists()


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("quota", {"ratio": "abc", "rounding": "floor"}, "须为数字"),
        ("quota", {"ratio": 150, "rounding": "floor"}, "须在 0 到 100 之间"),
        ("quota", {"ratio": 20, "rounding": "sometimes"}, "取值无效"),
        (
            "influence",
            {"sanction": "warning", "months": 6, "basis": "overlaps_period", "effect": "cap"},
            "等次至多",
        ),
        ("yuetan_cadre", {"min_count": 1.5, "cap": "称职"}, "须为整数"),
    ],
)
def test_bad_parameters_are_refused(users, tree, kind, params, message):
    with pytest.raises(ValidationError) as exc:
        policy_rule_save(actor=users[Role.STAFF], unit=tree["county_a"], kind=kind, key="x", params=params)
    assert message in str(exc.value)


def test_a_quota_percentage_is_stored_as_a_ratio_and_described_in_words(users, tree):
    rule = policy_rule_save(
        actor=users[Role.STAFF],
        unit=tree["county_a"],
        kind="quota",
        params={"ratio": 15, "rounding": "ceil", "tie_break": "绩、德"},
    )
    assert rule.params == {"ratio": 0.15, "rounding": "ceil", "tie_break": ["绩", "德"]}
    assert rule_text("quota", rule.params).startswith("优秀名额 = 本单位参加考核人数 × 15%，向上取整")


def test_county_admins_and_auditors_may_not_change_the_policy(users, tree):
    for role in (Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER):
        with pytest.raises(PermissionDenied):
            policy_rule_save(actor=users[role], unit=tree["county_a"], kind="thresholds", params=THRESHOLDS)


def test_staff_below_the_top_may_not_change_the_defaults_nor_other_counties(users, tree):
    with pytest.raises(PermissionDenied):
        policy_rule_save(actor=users[Role.STAFF], unit=None, kind="thresholds", params=THRESHOLDS)
    with pytest.raises(PermissionDenied):
        policy_rule_save(actor=users[Role.STAFF], unit=tree["county_b"], kind="thresholds", params=THRESHOLDS)


def test_resetting_an_override_restores_inheritance_and_is_audited(users, tree):
    staff = users[Role.STAFF]
    policy_rule_save(actor=staff, unit=tree["county_a"], kind="thresholds", params=THRESHOLDS)
    assert policy_rule_reset(actor=staff, unit=tree["county_a"], kind="thresholds") is True
    assert policy_resolver().policy(tree["town_a"].path).one("thresholds")["competent_min"] == 70
    actions = list(
        AuditEntry.objects.filter(scope_path=tree["county_a"].path).values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "delete"]
    assert policy_rule_reset(actor=staff, unit=tree["county_a"], kind="thresholds") is False


def test_the_policy_page_shows_where_each_rule_comes_from(client, users, tree):
    policy_rule_save(actor=users["city_staff"], unit=tree["county_a"], kind="thresholds", params=THRESHOLDS)
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("assessment:policy") + f"?unit={tree['town_a'].pk}").content.decode()
    assert "继承自甲县" in page
    assert "总分 ≥ 75 称职" in page
    assert "默认规则" in page


def test_the_policy_page_takes_a_fixed_number_of_queries(client, users, tree, django_assert_num_queries):
    client.force_login(users[Role.STAFF])
    url = reverse("assessment:policy") + f"?unit={tree['town_a'].pk}"
    client.get(url)
    # session, user, the unit (scoped), the user's unit (the select's indentation), the rules
    # with their units, the unit select's options
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_an_override_is_saved_through_the_edit_page(client, users, tree):
    client.force_login(users[Role.STAFF])
    url = reverse("assessment:policy_edit") + f"?kind=quota&unit={tree['town_a'].pk}"
    assert "优秀比例（%）" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "kind": "quota",
            "unit": tree["town_a"].pk,
            "ratio": "30",
            "rounding": "round",
            "tie_break": "绩",
            "enabled": "on",
            "note": "试点",
        },
    )
    assert response.status_code == 302
    rule = PolicyRule.objects.get(unit=tree["town_a"], kind="quota")
    assert rule.params["ratio"] == 0.3 and rule.note == "试点"


def test_the_edit_page_shows_errors_and_saves_nothing(client, users, tree):
    client.force_login(users[Role.STAFF])
    url = reverse("assessment:policy_edit") + f"?kind=thresholds&unit={tree['town_a'].pk}"
    response = client.post(
        url,
        {
            "kind": "thresholds",
            "unit": tree["town_a"].pk,
            "excellent_min": "50",
            "competent_min": "75",
            "basic_min": "60",
        },
    )
    assert response.status_code == 200
    assert "分数线须从高到低" in response.content.decode()
    assert not PolicyRule.objects.filter(unit=tree["town_a"]).exists()


def test_the_edit_page_is_forbidden_to_county_admins(client, users, tree):
    client.force_login(users[Role.COUNTY_ADMIN])
    url = reverse("assessment:policy_edit") + f"?kind=quota&unit={tree['town_a'].pk}"
    assert client.get(url).status_code == 403


def test_a_unit_outside_the_scope_is_not_found(client, users, tree):
    client.force_login(users[Role.STAFF])
    assert client.get(reverse("assessment:policy") + f"?unit={tree['town_b'].pk}").status_code == 404
