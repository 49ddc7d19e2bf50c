"""``seed_demo`` above PROVINCE_MIN_CADRES: a province of cities built like 江州市, city by city
(the thresholds lowered here so a small province stands in for the million-cadre one)."""

import pytest

from accounts.models import User
from cadres import demo
from cadres.models import Cadre, Unit, UnitKind


@pytest.fixture
def small_province(db, monkeypatch):
    monkeypatch.setattr(demo, "PROVINCE_MIN_CADRES", 600)
    monkeypatch.setattr(demo, "CITY_CADRES", 300)
    return demo.seed_demo(cadres=900)


def test_below_the_threshold_the_demo_is_one_city(db, monkeypatch):
    monkeypatch.setattr(demo, "PROVINCE_MIN_CADRES", 600)
    demo.seed_demo(cadres=599)

    assert not Unit.objects.filter(kind=UnitKind.PROVINCE).exists()
    assert Unit.objects.get(depth=1).code == demo.CITY_CODE


def test_at_the_threshold_the_demo_is_a_province_of_cities_with_three_counties_each(small_province):
    root = Unit.objects.get(depth=1)
    assert (root.code, root.kind) == (demo.PROVINCE_CODE, UnitKind.PROVINCE)
    cities = list(Unit.objects.filter(kind=UnitKind.CITY).order_by("code").values_list("code", "name"))
    assert cities == [("JZ", "江州市"), ("QZ", "清州市"), ("YZ", "云州市")]
    per_city = {
        city.code: Cadre.objects.filter(unit__path__startswith=city.path).count()
        for city in Unit.objects.filter(kind=UnitKind.CITY)
    }
    assert per_city == {"JZ": 300, "QZ": 300, "YZ": 300}
    assert Unit.objects.filter(kind=UnitKind.COUNTY).count() == 9
    assert Unit.objects.filter(kind=UnitKind.COUNTY, name="青石区").exists()  # each city's third is a 区


def test_id_numbers_are_unique_across_the_cities(small_province):
    numbers = list(Cadre.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 900


def test_the_organization_department_users_reach_the_province_and_county_admins_stay_in_their_county(
    small_province,
):
    assert User.objects.get(username="zzb_staff").unit.code == demo.PROVINCE_CODE
    assert User.objects.get(username="zzb_staff").display_name == "省委组织部干部科"
    assert User.objects.get(username="county1_admin").unit.code == "JZ01"


def test_the_cadres_split_evenly_with_the_remainder_to_the_first_cities():
    shares = [count for _, count in demo.province_cities(1_000_001)]
    assert shares == [100_001] + [100_000] * 9
    assert [spec.code for spec, _ in demo.province_cities(250_000)] == ["JZ", "QZ"]
