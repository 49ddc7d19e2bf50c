"""Units with the same name are told apart by their parent (光明村（城关镇）) wherever units are
listed or picked; the unit page adds team members through the cadre search, not a drop-down."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.services.periods import period_create
from assessment.sheets.template import build_template
from cadres.models import TeamMembership, UnitKind
from tests.factories import CadreFactory, unit_child


@pytest.fixture
def namesakes(tree):
    """Two villages called 光明村: one under 甲镇, one under 城关镇 (both in 甲县)."""
    chengguan = unit_child(tree["county_a"], "C01A02", "城关镇", UnitKind.TOWNSHIP)
    return {
        "town_a": unit_child(tree["town_a"], "C01A0101", "光明村", UnitKind.VILLAGE),
        "chengguan": unit_child(chengguan, "C01A0201", "光明村", UnitKind.VILLAGE),
    }


def _login(client, users, role=Role.STAFF):
    client.force_login(users[role])
    return client


def test_the_unit_tree_tells_namesake_villages_apart(client, users, tree, namesakes):
    html = _login(client, users).get(reverse("cadres:units")).content.decode()
    assert "光明村（城关镇）" in html and "光明村（甲镇）" in html
    assert "甲镇（" not in html  # a name nobody else has stays as it is


def test_the_cadre_list_names_the_unit_with_its_parent_when_needed(client, users, namesakes):
    CadreFactory(unit=namesakes["chengguan"], name="王村官")
    html = _login(client, users).get(reverse("cadres:list")).content.decode()
    assert "光明村（城关镇）" in html


def test_unit_pickers_tell_namesake_villages_apart(client, users, namesakes):
    html = _login(client, users).get(reverse("cadres:create")).content.decode()
    assert re.search(r"<option[^>]*>[^<]*光明村（城关镇）</option>", html)
    assert re.search(r"<option[^>]*>[^<]*光明村（甲镇）</option>", html)


def test_the_sheet_template_names_the_unit_with_its_parent(users, namesakes):
    period = period_create(actor=users["city_staff"], name="2026年度考核", year=2026)
    cadre = CadreFactory(unit=namesakes["chengguan"], name="王村官")
    data = build_template(period=period, unit=namesakes["chengguan"], cadres=[cadre])
    ws = load_workbook(io.BytesIO(data)).active
    assert "光明村（城关镇）" in [c.value for c in ws[3]]


def test_the_cadre_list_keeps_its_query_count_with_namesakes(
    client, users, namesakes, django_assert_num_queries
):
    for unit in namesakes.values():
        CadreFactory.create_batch(3, unit=unit)
    _login(client, users)
    url = reverse("cadres:list")
    client.get(url)
    # session, user, the user's unit (scope), the unit filter's options (labels computed in
    # the same query), COUNT for the pager, the page of cadres with their units and labels, the
    # audit entry recording that full ID numbers were shown
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------- the team member picker


def test_the_unit_page_offers_a_cadre_search_not_every_cadre(client, users, tree):
    CadreFactory.create_batch(30, unit=tree["town_a"])
    html = _login(client, users).get(reverse("cadres:unit_detail", args=[tree["town_a"].pk])).content.decode()
    team = html[html.index("增加班子成员") :]
    assert 'name="cadre_query"' in team
    assert team.count("<option") < 10  # the unit select of the search, not 30 cadres


def test_a_team_member_is_found_by_name_and_added(client, users, tree, cadre_a):
    url = reverse("cadres:team_add", args=[tree["town_a"].pk])
    _login(client, users).post(url, {"cadre_query": cadre_a.name, "role_title": "党委书记"})
    assert TeamMembership.objects.get().cadre == cadre_a


def test_namesake_cadres_are_offered_to_choose_from(client, users, tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"], name=cadre_a.name)
    url = reverse("cadres:team_add", args=[tree["town_a"].pk])
    html = _login(client, users).post(url, {"cadre_query": cadre_a.name, "role_title": "党委书记"})
    html = html.content.decode()
    assert "找到2名符合" in html
    assert f'value="{other.pk}"' in html
    assert not TeamMembership.objects.exists()


def test_a_cadre_outside_the_unit_is_refused_with_a_reason(client, users, tree, cadre_a, cadre_b):
    url = reverse("cadres:team_add", args=[tree["town_a"].pk])
    response = _login(client, users).post(url, {"cadre": cadre_b.pk, "role_title": "镇长"})
    assert "不在“甲镇”及其下级单位内" in response.content.decode()
    assert not TeamMembership.objects.exists()
