"""The scope helpers every read goes through (``cadres.selectors``) and the role checks
(``User.can``), row by row on the small two-county tree: who sees which units and cadres, what
an id outside the scope or a malformed id answers, and who holds which capability."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.roles import CAPABILITIES, Role, has_capability
from cadres.selectors import cadre_get, cadres_visible_to, unit_get, unit_in_scope, units_visible_to
from tests.factories import CadreFactory, make_user

ALL = {"city", "county_a", "county_b", "town_a", "town_b"}

# (user's unit or None, superuser?, units seen)
SCOPES = [
    pytest.param(None, False, set(), id="a_user_without_a_unit_sees_nothing"),
    pytest.param(None, True, ALL, id="a_superuser_without_a_unit_sees_everything"),
    pytest.param("county_a", True, {"county_a", "town_a"}, id="a_superuser_with_a_unit_sees_its_subtree"),
    pytest.param("city", False, ALL, id="the_city_sees_the_whole_tree"),
    pytest.param("county_a", False, {"county_a", "town_a"}, id="a_county_sees_itself_and_its_towns"),
    pytest.param("town_b", False, {"town_b"}, id="a_town_sees_only_itself"),
]


@pytest.fixture
def cadres(tree):
    return {key: CadreFactory(unit=unit, name=f"{unit.name}干部") for key, unit in tree.items()}


@pytest.mark.parametrize(("unit", "superuser", "seen"), SCOPES)
def test_units_and_cadres_visible_to(tree, cadres, unit, superuser, seen):
    user = make_user("u", Role.STAFF, tree[unit] if unit else None, is_superuser=superuser)
    assert set(units_visible_to(user)) == {tree[k] for k in seen}
    assert set(cadres_visible_to(user)) == {cadres[k] for k in seen}
    for key in ALL:
        assert unit_in_scope(user, tree[key]) is (key in seen), key
        if key in seen:
            assert unit_get(user, tree[key].pk) == tree[key]
            assert unit_get(user, str(tree[key].pk)) == tree[key]
            assert cadre_get(user, cadres[key].pk) == cadres[key]
        else:
            with pytest.raises(Http404) as unit_refused:
                unit_get(user, tree[key].pk)
            assert str(unit_refused.value) == "单位不存在或不在您的管辖范围内。"
            with pytest.raises(Http404) as cadre_refused:
                cadre_get(user, cadres[key].pk)
            assert str(cadre_refused.value) == "干部不存在或不在您的管辖范围内。"


def test_an_anonymous_visitor_sees_nothing(tree, cadres):
    visitor = AnonymousUser()
    assert not units_visible_to(visitor).exists()
    assert not cadres_visible_to(visitor).exists()
    assert unit_in_scope(visitor, tree["city"]) is False
    with pytest.raises(Http404):
        unit_get(visitor, tree["city"].pk)


@pytest.mark.parametrize(
    "pk", ["abc", None, "", 10**12, [1]], ids=["text", "none", "empty", "unknown", "a_list"]
)
def test_a_malformed_or_unknown_id_is_not_found(tree, cadres, pk):
    root = make_user("root", Role.STAFF, None, is_superuser=True)
    with pytest.raises(Http404, match="单位不存在"):
        unit_get(root, pk)
    with pytest.raises(Http404, match="干部不存在"):
        cadre_get(root, pk)


def test_the_cadre_comes_with_its_unit_in_one_query(tree, cadres, django_assert_num_queries):
    user = make_user("u", Role.STAFF, tree["county_a"])
    with django_assert_num_queries(1):  # the cadre joined to its unit
        assert cadre_get(user, cadres["town_a"].pk).unit.name == "甲镇"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_each_role_holds_its_capabilities(tree, role, capability):
    user = make_user("u", role, tree["county_a"])
    assert user.can(capability) is (role in CAPABILITIES[capability])


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_a_superuser_holds_every_capability_unless_inactive(tree, capability):
    root = make_user("root", Role.API_READER, None, is_superuser=True)
    assert root.can(capability) is True
    root.is_active = False
    assert root.can(capability) is False
    assert has_capability(AnonymousUser(), capability) is False


def test_no_user_at_all_holds_no_capability():
    # What a service sees when called without an actor (a job, a shell).
    assert not any(has_capability(None, capability) for capability in CAPABILITIES)
