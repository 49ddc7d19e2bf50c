"""Shared fixtures: a small org tree with two counties, and a user of every role in county A."""

import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.roles import Role
from cadres.models import UnitKind
from tests.core.broker import broker_down, sent_messages  # noqa: F401 (fixtures for every test)
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


class Clock:
    """The day the code under test sees. The code reads the time through ``django.utils.timezone``
    (``now``, and ``localdate`` which calls it), so that is what is patched. The clock starts at
    10:00 Asia/Shanghai on the chosen day and ticks on from there, so records made one after the
    other keep their order."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.today: datetime.date | None = None

    def set(self, day: datetime.date | str, hour: int = 10) -> datetime.date:
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))
        started = time.monotonic()

        def frozen_now():
            elapsed = datetime.timedelta(seconds=time.monotonic() - started)
            return (start + elapsed).astimezone(datetime.UTC)

        self._monkeypatch.setattr(timezone, "now", frozen_now)
        self.today = day
        return day


@pytest.fixture
def clock(monkeypatch):
    """``clock.set("2026-01-31")`` makes that day today for the rest of the test."""
    return Clock(monkeypatch)
