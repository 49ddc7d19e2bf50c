"""The policy page names rules in Chinese and lists sanctions by severity (no internal keys)."""

import re

from django.urls import reverse

from accounts.roles import Role

SEVERITY = ["警告", "记过", "记大过", "降级", "撤职"]


def _policy_page(client, user):
    client.force_login(user)
    return client.get(reverse("assessment:policy")).content.decode()


def test_the_policy_page_shows_no_internal_rule_keys(client, users):
    html = _policy_page(client, users["city_staff"])
    for key in ("poor_1", "poor_2", "demerit", "major_demerit", "warning", "dismissal", "demotion"):
        assert f">{key}<" not in html and f"> {key} <" not in html
        assert not re.search(rf">\s*{key}\s*<", html), key
    assert "1个季度较差" in html
    assert "约谈2次" in html


def test_sanction_influence_periods_are_listed_by_severity(client, users):
    html = _policy_page(client, users["city_staff"])
    start = html.index("处分影响期")
    positions = [html.index(f"{name}：影响期", start) for name in SEVERITY]
    assert positions == sorted(positions)


def test_the_edit_page_of_a_rule_names_it_in_chinese(client, users, tree):
    client.force_login(users["city_staff"])
    url = reverse("assessment:policy_edit") + f"?kind=influence&key=major_demerit&unit={tree['county_a'].pk}"
    html = client.get(url).content.decode()
    assert "记大过" in html
    assert "major_demerit" not in html.replace('value="major_demerit"', "")
    assert "规则标识" not in html


def test_the_edit_page_still_saves_an_existing_rule(client, users, tree):
    client.force_login(users["city_staff"])
    url = reverse("assessment:policy_edit")
    response = client.post(
        url,
        {
            "kind": "influence",
            "unit": tree["county_a"].pk,
            "original_key": "demerit",
            "sanction": "demerit",
            "months": "10",
            "basis": "overlaps_period",
            "effect": "undetermined",
            "enabled": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "已保存“处分影响期（记过）”规则" in html
    assert "记过：影响期 10 个月" in html


def test_sanction_choices_are_offered_by_severity(client, users, tree):
    client.force_login(users[Role.STAFF])
    for url in (
        reverse("supervision:sanction_list"),
        reverse("supervision:sanction_create"),
        reverse("assessment:policy_edit") + f"?kind=influence&unit={tree['county_a'].pk}",
    ):
        html = client.get(url).content.decode()
        positions = [html.index(f">{name}</option>") for name in SEVERITY]
        assert positions == sorted(positions), url
