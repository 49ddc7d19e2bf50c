"""The grade-report API's period and unit lookups, written as SQL (``period_visible``,
``unit_visible``): the same answers as the ORM querysets they replace, at the scope's edges."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from accounts.roles import Role
from assessment.models import Period
from assessment.selectors import period_visible, periods_visible_to
from cadres.selectors import unit_visible, units_visible_to
from tests.assessment.test_api import api, open_period
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who, unit, seen",
    [
        ("county_admin_a", "county_a", True),  # the user's own unit
        ("county_admin_a", "town_a", True),  # one level below
        ("county_admin_a", "city", False),  # one level above
        ("county_admin_a", "county_b", False),  # the sibling
        ("county_admin_a", "town_b", False),  # the sibling's child
        ("city_staff", "town_b", True),
    ],
)
def test_a_unit_is_found_only_inside_the_callers_subtree(who, unit, seen, users, tree):
    user = User.objects.get(username=who)
    found = unit_visible(user, tree[unit].pk)
    assert (found is not None) is seen
    assert units_visible_to(user).filter(pk=tree[unit].pk).exists() is seen
    if seen:
        orm = units_visible_to(user).get(pk=tree[unit].pk)
        assert [getattr(found, f.attname) for f in found._meta.concrete_fields] == [
            getattr(orm, f.attname) for f in orm._meta.concrete_fields
        ]


def test_a_user_without_a_unit_sees_no_unit_unless_superuser(tree):
    nobody = make_user("no_unit", Role.STAFF, None)
    root = User.objects.create_superuser("root_lookup", password="x" * 12)
    assert unit_visible(nobody, tree["town_a"].pk) is None
    assert unit_visible(AnonymousUser(), tree["town_a"].pk) is None
    assert unit_visible(root, tree["town_b"].pk).name == "乙镇"


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, 10**30, 0, -1])
def test_an_id_no_key_can_hold_finds_nothing(pk, users, tree):
    assert unit_visible(users["city_staff"], pk) is None
    assert period_visible(users["city_staff"], pk) is None


def test_the_largest_key_is_still_looked_up(users):
    assert unit_visible(users["city_staff"], 2**63 - 1) is None
    assert period_visible(users["city_staff"], -(2**63)) is None


def test_a_period_is_loaded_as_the_orm_loads_it_and_hidden_from_the_anonymous(users):
    period = open_period(users["city_staff"])
    found = period_visible(users[Role.API_READER], period.pk)
    orm = periods_visible_to(users[Role.API_READER]).get(pk=period.pk)
    for field in Period._meta.concrete_fields:
        value = getattr(found, field.attname)
        assert value == getattr(orm, field.attname) and type(value) is type(getattr(orm, field.attname)), (
            field.name
        )
    assert found.scheme == orm.scheme  # read on first use
    assert period_visible(AnonymousUser(), period.pk) is None


@pytest.mark.parametrize("param", ["period", "unit"])
def test_an_id_too_large_for_a_key_is_a_clear_answer_not_an_error(param, users, tree):
    period = open_period(users["city_staff"])
    query = {"period": f"period={10**20}", "unit": f"period={period.pk}&unit={10**20}"}[param]
    response = api(users[Role.STAFF]).get(f"/api/v1/grade-reports/?{query}")
    # a period names no row (400, as any period that is not there); a unit id no key can hold is
    # refused as every API id filter is (core.api.int_param)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"]
    if param == "unit":
        assert error["fields"] == {"unit": ["应为整数 id。"]}
