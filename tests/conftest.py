"""Shared fixtures: a small org tree with two counties, and a user of every role in county A."""

import pytest

from accounts.roles import Role
from cadres.models import UnitKind
from tests.factories import CadreFactory, make_user, unit_child, unit_root


@pytest.fixture
def tree(db):
    """示范市 > 甲县 > 甲镇, 示范市 > 乙县 > 乙镇."""
    city = unit_root()
    county_a = unit_child(city, "C01A", "甲县", UnitKind.COUNTY)
    county_b = unit_child(city, "C01B", "乙县", UnitKind.COUNTY)
    town_a = unit_child(county_a, "C01A01", "甲镇", UnitKind.TOWNSHIP)
    town_b = unit_child(county_b, "C01B01", "乙镇", UnitKind.TOWNSHIP)
    return {"city": city, "county_a": county_a, "county_b": county_b, "town_a": town_a, "town_b": town_b}


@pytest.fixture
def users(tree):
    """One user per role, all belonging to 甲县; plus a city-level staff user."""
    made = {role: make_user(f"{role}_a", role, tree["county_a"]) for role in Role.values}
    made["city_staff"] = make_user("city_staff", Role.STAFF, tree["city"])
    return made


@pytest.fixture
def cadre_a(tree):
    return CadreFactory(unit=tree["town_a"], name="张三")


@pytest.fixture
def cadre_b(tree):
    return CadreFactory(unit=tree["town_b"], name="李四")
