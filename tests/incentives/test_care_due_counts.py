"""The home page's 关爱提醒 待办 counts (``care_due_counts``) agree with the care-due list they
summarise (``care_due``), without building it: in a world with every rule at its edge (checks and
leave exactly met and one short, a hardship post visited this year, last year or not at all, a
unit with its own rule, a unit with the rule switched off, retired and departed cadres, a subsidy
due), for users of different scopes and on days either side of a new year; and in a number of
queries that does not grow with the cadres."""

import datetime

import pytest

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from cadres.models import CadreStatus, UnitKind
from incentives import services_care as services
from incentives.models import CareKind
from incentives.selectors_care import care_due, care_due_counts, due_counts
from tests.factories import CadreFactory, make_user, unit_child
from tests.incentives.test_care import record, set_care, village_cadre

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, tree, clock):
    clock.set("2026-06-01")
    staff = users["city_staff"]
    village = unit_child(tree["town_a"], "C01A0101", "甲村", UnitKind.VILLAGE)
    services.hardship_post_designate(actor=staff, unit=tree["town_a"])
    set_care(tree["county_b"], leave_min_days=2, health_checks_per_year=2)  # its own rule
    set_care(village, leave_min_days=0)  # leave reminders off below the village
    for unit in (tree["town_a"], village, tree["county_a"], tree["county_b"]):
        ok, short_leave, no_check, nothing = (CadreFactory(unit=unit) for _ in range(4))
        for cadre in (ok, short_leave):
            record(staff, cadre, CareKind.HEALTH_CHECK, "2026-03-01")
        record(staff, ok, CareKind.LEAVE, "2026-03-01", days=5)  # exactly the default minimum
        record(staff, short_leave, CareKind.LEAVE, "2026-03-01", days=4)  # one short
        record(staff, no_check, CareKind.LEAVE, "2026-03-01", days=9)
        record(staff, ok, CareKind.VISIT, "2026-01-25", occasion="spring_festival")
        record(staff, short_leave, CareKind.VISIT, "2025-12-31", occasion="other")  # last year
        record(staff, no_check, CareKind.HEALTH_CHECK, "2025-12-31")  # last year
    CadreFactory(unit=tree["town_a"], status=CadreStatus.RETIRED)
    departed = village_cadre(village, name="老支书")
    services.departure_register(
        actor=staff, cadre=departed, left_on="2026-01-20", years_served=15, monthly_subsidy="400"
    )
    return {
        "users": users,
        "tree": tree,
        "county_b_staff": make_user("b_staff", Role.STAFF, tree["county_b"]),
    }


@pytest.mark.parametrize("who", ["city", "county_a", "county_b"])
@pytest.mark.parametrize("on", ["2026-06-01", "2026-12-31", "2027-01-01"])
def test_the_counts_are_those_of_the_list(world, who, on, clock):
    clock.set(on)
    user = {
        "city": world["users"]["city_staff"],
        "county_a": world["users"][Role.STAFF],
        "county_b": world["county_b_staff"],
    }[who]
    day = datetime.date.fromisoformat(on)
    expected = due_counts(care_due(user, on=day))
    assert care_due_counts(user, on=day) == expected
    if who == "city" and on == "2026-06-01":
        # the world does have some of every kind (else the comparison proves little)
        assert all(expected.values()), expected


def test_a_switched_off_default_counts_only_the_units_with_a_rule_of_their_own(world):
    PolicyRule.objects.filter(unit=None, kind=RuleKind.CARE).update(enabled=False)
    user = world["users"]["city_staff"]
    day = datetime.date(2026, 6, 1)
    counts = care_due_counts(user, on=day)
    assert counts == due_counts(care_due(user, on=day))
    # county B's four cadres (fewer than its 2 checks) and the village's two without a check this
    # year: the units with a rule of their own
    assert counts["health_check"] == 6


@pytest.mark.parametrize("extra", [0, 30])
def test_the_counts_take_the_same_queries_for_few_or_many_cadres(world, extra, django_assert_num_queries):
    for _ in range(extra):
        CadreFactory(unit=world["tree"]["town_a"])
    # the CARE rules; the hardship posts; the ids of the units in scope and the cadres in scope
    # per unit, kind and status (the reads the home page shares); the departed among them per unit; this year's records per cadre
    # joined to the cadres in scope, grouped by unit id; those units' paths; the departures (with
    # their units)
    with django_assert_num_queries(8):
        care_due_counts(world["users"]["city_staff"], on=datetime.date(2026, 6, 1))


def test_a_user_without_a_unit_counts_nothing(world):
    nobody = make_user("no_unit", Role.STAFF, None)
    assert care_due_counts(nobody, on=datetime.date(2026, 6, 1)) == dict.fromkeys(
        ["hardship_visit", "health_check", "leave", "subsidy"], 0
    )
