"""关爱: care records and their validation, hardship posts, departed village cadres and their
subsidy, and the care-due list at its edges (the year boundary of "this year", the month the
subsidy falls due, each threshold exactly met and one short)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from audit.models import AuditEntry
from cadres.models import CadreKind, CadreStatus, Identity, Rank, UnitKind
from incentives import services_care as services
from incentives.models import CareKind, CareRecord, DepartedVillageCadre, HardshipPost
from incentives.selectors_care import DueKind, care_due, due_by_unit, due_counts
from incentives.subsidy import cycle_end, subsidy_owed
from tests.factories import CadreFactory, unit_child

D = Decimal


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def village(tree):
    return unit_child(tree["town_a"], "C01A0101", "甲村", UnitKind.VILLAGE)


def village_cadre(unit, **extra):
    return CadreFactory(
        unit=unit,
        kind=CadreKind.VILLAGE,
        rank=Rank.NONE,
        identity=Identity.VILLAGE,
        post_title="村委委员",
        **extra,
    )


def record(staff, cadre, kind, day, **extra):
    extra.setdefault("content", "关爱")
    return services.care_record_create(actor=staff, cadre=cadre, kind=kind, date=day, **extra)


def set_care(unit=None, **changes):
    """Change the CARE default (or give ``unit`` its own rule)."""
    default = PolicyRule.objects.get(unit=None, kind=RuleKind.CARE)
    params = {**default.params, **changes}
    if unit is None:
        default.params = params
        default.save()
    else:
        PolicyRule.objects.create(unit=unit, kind=RuleKind.CARE, params=params)


def due(user, on, **kw):
    return {(r.kind, r.cadre.pk) for r in care_due(user, on=on, **kw)}


# --------------------------------------------------------------------------- records


def test_a_visit_is_recorded_and_audited(staff, cadre_a, clock):
    clock.set("2026-02-01")
    made = record(staff, cadre_a, CareKind.VISIT, "2026-01-25", occasion="spring_festival", amount="500")
    assert (made.unit, made.amount, made.created_by) == (cadre_a.unit, D("500"), staff)
    entry = AuditEntry.objects.get(model="incentives.carerecord", object_id=str(made.pk))
    assert entry.cadre_id == cadre_a.pk and entry.reason == "关爱：走访慰问"


def test_a_visit_needs_an_occasion(staff, cadre_a, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError) as caught:
        record(staff, cadre_a, CareKind.VISIT, "2026-01-25")
    assert "时机" in caught.value.message_dict["occasion"][0]
    assert not CareRecord.objects.exists()


def test_only_visits_take_an_occasion(staff, cadre_a, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="只有走访慰问填写时机"):
        record(staff, cadre_a, CareKind.TALK, "2026-01-25", occasion="july_first")


def test_leave_needs_whole_days_from_one(staff, cadre_a, clock):
    clock.set("2026-02-01")
    for days in (None, "", 0, "1.5", "abc"):
        with pytest.raises(ValidationError) as caught:
            record(staff, cadre_a, CareKind.LEAVE, "2026-01-25", days=days)
        assert "days" in caught.value.message_dict
    assert record(staff, cadre_a, CareKind.LEAVE, "2026-01-25", days=1).days == 1


def test_only_leave_takes_days(staff, cadre_a, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="只有带薪休假填写天数"):
        record(staff, cadre_a, CareKind.HEALTH_CHECK, "2026-01-25", days=2)


def test_the_date_may_be_today_but_not_tomorrow(staff, cadre_a, clock):
    clock.set("2026-02-01")
    assert record(staff, cadre_a, CareKind.TALK, datetime.date(2026, 2, 1)).date == datetime.date(2026, 2, 1)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        record(staff, cadre_a, CareKind.TALK, datetime.date(2026, 2, 2))
    with pytest.raises(ValidationError, match="格式不正确"):
        record(staff, cadre_a, CareKind.TALK, "2026-02-30")


def test_an_amount_may_be_zero_but_not_negative_or_finer_than_a_fen(staff, cadre_a, clock):
    clock.set("2026-02-01")
    assert record(staff, cadre_a, CareKind.HARDSHIP_HELP, "2026-01-05", amount="0").amount == D("0")
    for bad in ("-0.01", "1.001", "abc", "NaN"):
        with pytest.raises(ValidationError) as caught:
            record(staff, cadre_a, CareKind.HARDSHIP_HELP, "2026-01-05", amount=bad)
        assert "amount" in caught.value.message_dict


def test_content_is_required(staff, cadre_a, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="请填写内容"):
        record(staff, cadre_a, CareKind.TALK, "2026-01-05", content="  ")


def test_departed_kinds_need_a_departure(staff, cadre_a, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="未登记为离任村干部"):
        record(staff, cadre_a, CareKind.DEPARTED_VISIT, "2026-01-05", occasion="spring_festival")


def test_the_subsidy_is_not_recorded_by_hand(staff, village, clock):
    clock.set("2026-02-01")
    cadre = village_cadre(village)
    services.departure_register(
        actor=staff, cadre=cadre, left_on="2025-06-30", years_served=9, monthly_subsidy=300
    )
    with pytest.raises(ValidationError, match="离任村干部”页面登记发放"):
        record(staff, cadre, CareKind.DEPARTED_SUBSIDY, "2026-01-05", amount="300")


def test_read_only_roles_and_other_counties_cannot_record(users, cadre_a, cadre_b, clock):
    clock.set("2026-02-01")
    for role in (Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            record(users[role], cadre_a, CareKind.TALK, "2026-01-05")
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        record(users[Role.STAFF], cadre_b, CareKind.TALK, "2026-01-05")
    assert not CareRecord.objects.exists()


def test_an_update_keeps_what_is_not_given_and_checks_the_whole(staff, cadre_a, clock):
    clock.set("2026-02-01")
    made = record(staff, cadre_a, CareKind.LEAVE, "2026-01-05", days=5)
    services.care_record_update(actor=staff, record=made, days=7)
    made.refresh_from_db()
    assert (made.kind, made.days, made.content) == (CareKind.LEAVE, 7, "关爱")
    # turning it into a visit drops the days and asks for the occasion
    with pytest.raises(ValidationError, match="时机"):
        services.care_record_update(actor=staff, record=made, kind=CareKind.VISIT)
    services.care_record_update(actor=staff, record=made, kind=CareKind.VISIT, occasion="other")
    made.refresh_from_db()
    assert (made.kind, made.days, made.occasion) == (CareKind.VISIT, None, "other")


def test_a_delete_is_audited(staff, cadre_a, clock):
    clock.set("2026-02-01")
    made = record(staff, cadre_a, CareKind.TALK, "2026-01-05")
    services.care_record_delete(actor=staff, record=made, reason="重复登记")
    assert not CareRecord.objects.exists()
    assert AuditEntry.objects.filter(
        model="incentives.carerecord", action="delete", reason="重复登记"
    ).exists()


# --------------------------------------------------------------------------- hardship posts and departures


def test_a_unit_is_designated_a_hardship_post_once(staff, tree, clock):
    clock.set("2026-02-01")
    post = services.hardship_post_designate(actor=staff, unit=tree["town_a"], note="山区")
    assert post.since == datetime.date(2026, 2, 1)
    with pytest.raises(ValidationError, match="已认定"):
        services.hardship_post_designate(actor=staff, unit=tree["town_a"])
    services.hardship_post_undesignate(actor=staff, post=post)
    assert not HardshipPost.objects.exists()


def test_a_unit_outside_the_scope_cannot_be_designated(staff, tree):
    with pytest.raises(PermissionDenied):
        services.hardship_post_designate(actor=staff, unit=tree["town_b"])


def test_only_a_village_cadre_departs(staff, cadre_a, village, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="不是村（社区）干部"):
        services.departure_register(
            actor=staff, cadre=cadre_a, left_on="2025-06-30", years_served=9, monthly_subsidy=300
        )
    cadre = village_cadre(village)
    departure = services.departure_register(
        actor=staff,
        cadre=cadre,
        left_on="2025-06-30",
        years_served=9,
        monthly_subsidy="300",
        role_after="村民小组长",
    )
    assert (departure.unit, departure.paid_through) == (village, None)
    with pytest.raises(ValidationError, match="已登记离任"):
        services.departure_register(
            actor=staff, cadre=cadre, left_on="2025-06-30", years_served=9, monthly_subsidy=300
        )


def test_a_departure_is_not_in_the_future_nor_with_a_negative_subsidy(staff, village, clock):
    clock.set("2026-02-01")
    cadre = village_cadre(village)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.departure_register(
            actor=staff, cadre=cadre, left_on="2026-02-02", years_served=9, monthly_subsidy=300
        )
    with pytest.raises(ValidationError, match="不能为负数"):
        services.departure_register(
            actor=staff, cadre=cadre, left_on="2026-01-02", years_served=9, monthly_subsidy=-1
        )
    assert not DepartedVillageCadre.objects.exists()


def test_paying_the_subsidy_records_the_months_and_moves_paid_through(staff, village, clock):
    clock.set("2026-02-10")
    cadre = village_cadre(village)
    departure = services.departure_register(
        actor=staff, cadre=cadre, left_on="2025-10-15", years_served=9, monthly_subsidy="300"
    )
    # November (the month after leaving) to February: four months
    paid = services.departure_subsidy_pay(
        actor=staff, departure=departure, through="2026-02", by_whom="民政办"
    )
    departure.refresh_from_db()
    assert departure.paid_through == datetime.date(2026, 2, 28)
    assert (paid.kind, paid.amount, paid.date) == (
        CareKind.DEPARTED_SUBSIDY,
        D("1200"),
        datetime.date(2026, 2, 10),
    )
    assert paid.content == "发放2025年11月至2026年02月生活补贴（4个月 × 300.00元）"
    # nothing more to pay in this cycle; a month ahead of the monthly cycle is refused
    with pytest.raises(ValidationError, match="已发放"):
        services.departure_subsidy_pay(actor=staff, departure=departure, through="2026-02")
    with pytest.raises(ValidationError, match="本发放周期末（2026年02月）"):
        services.departure_subsidy_pay(actor=staff, departure=departure, through="2026-03")
    with pytest.raises(ValidationError, match="不能修改或删除"):
        services.care_record_delete(actor=staff, record=paid)


# --------------------------------------------------------------------------- the subsidy's month


@pytest.mark.parametrize(
    ("left_on", "paid_through", "on", "months"),
    [
        # left in March: nothing owed in March, April falls due on 1 April
        ("2025-03-15", None, "2025-03-31", None),
        ("2025-03-15", None, "2025-04-01", 1),
        # paid through April: due again from 1 May, not on 30 April
        ("2025-03-15", "2025-04-30", "2025-04-30", None),
        ("2025-03-15", "2025-04-30", "2025-05-01", 1),
        # three months unpaid
        ("2025-03-15", "2025-04-30", "2025-07-31", 3),
        # paid ahead
        ("2025-03-15", "2025-09-30", "2025-07-01", None),
        # left on the last day of a month: the next month is the first
        ("2025-01-31", None, "2025-02-01", 1),
    ],
)
def test_the_monthly_subsidy_falls_due_on_the_first_of_the_month(left_on, paid_through, on, months):
    departure = DepartedVillageCadre(
        left_on=datetime.date.fromisoformat(left_on),
        paid_through=datetime.date.fromisoformat(paid_through) if paid_through else None,
        monthly_subsidy=D("300"),
    )
    owed = subsidy_owed(departure, "monthly", datetime.date.fromisoformat(on))
    assert (owed.months if owed else None) == months
    if owed:
        assert owed.amount == D("300") * months


def test_a_quarterly_subsidy_is_due_for_the_whole_quarter_from_its_first_day():
    departure = DepartedVillageCadre(
        left_on=datetime.date(2025, 1, 10), paid_through=datetime.date(2025, 3, 31), monthly_subsidy=D("100")
    )
    assert subsidy_owed(departure, "quarterly", datetime.date(2025, 3, 31)) is None
    owed = subsidy_owed(departure, "quarterly", datetime.date(2025, 4, 1))
    assert (owed.months, owed.span, owed.amount) == (3, "2025年04月至2025年06月", D("300"))
    assert cycle_end(datetime.date(2025, 11, 3), "yearly") == datetime.date(2025, 12, 31)
    assert cycle_end(datetime.date(2025, 2, 3), "monthly") == datetime.date(2025, 2, 28)


# --------------------------------------------------------------------------- care due


def test_the_year_boundary_a_check_on_31_december_does_not_count_next_year(staff, cadre_a, clock):
    clock.set("2025-12-31")
    record(staff, cadre_a, CareKind.HEALTH_CHECK, "2025-12-31")
    record(staff, cadre_a, CareKind.LEAVE, "2025-12-31", days=5)
    assert due(staff, datetime.date(2025, 12, 31)) == set()
    # on 1 January the year starts again
    assert due(staff, datetime.date(2026, 1, 1)) == {
        (DueKind.HEALTH_CHECK, cadre_a.pk),
        (DueKind.LEAVE, cadre_a.pk),
    }
    clock.set("2026-01-01")
    record(staff, cadre_a, CareKind.HEALTH_CHECK, "2026-01-01")
    assert due(staff, datetime.date(2026, 1, 1)) == {(DueKind.LEAVE, cadre_a.pk)}


def test_leave_exactly_at_the_minimum_is_enough_one_day_short_is_not(staff, tree, clock):
    clock.set("2026-06-01")
    enough, short = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["town_a"])
    for cadre in (enough, short):
        record(staff, cadre, CareKind.HEALTH_CHECK, "2026-03-01")
    record(staff, enough, CareKind.LEAVE, "2026-03-01", days=2)
    record(staff, enough, CareKind.LEAVE, "2026-04-01", days=3)
    record(staff, short, CareKind.LEAVE, "2026-03-01", days=4)
    rows = care_due(staff, on=datetime.date(2026, 6, 1))
    assert [(r.kind, r.cadre.pk) for r in rows] == [(DueKind.LEAVE, short.pk)]
    assert rows[0].effect == "2026年带薪休假 4 天，应不少于 5 天"
    reason = rows[0].reasons[0]
    assert reason["rule"].startswith("关爱标准：") and reason["facts"]["2026年休假天数"] == 4


def test_hardship_post_cadres_not_visited_this_year_are_due(staff, tree, village, clock):
    clock.set("2026-06-01")
    services.hardship_post_designate(actor=staff, unit=tree["town_a"])
    visited = CadreFactory(unit=tree["town_a"], name="已走访")
    not_visited = CadreFactory(unit=village, name="未走访")  # below the post: a hardship post too
    last_year = CadreFactory(unit=tree["town_a"], name="去年走访")
    elsewhere = CadreFactory(unit=tree["county_a"], name="县直")
    for cadre in (visited, not_visited, last_year, elsewhere):
        record(staff, cadre, CareKind.HEALTH_CHECK, "2026-03-01")
        record(staff, cadre, CareKind.LEAVE, "2026-03-01", days=5)
    record(staff, visited, CareKind.VISIT, "2026-01-25", occasion="spring_festival")
    record(staff, last_year, CareKind.VISIT, "2025-12-31", occasion="other")
    record(staff, elsewhere, CareKind.TALK, "2026-01-25")
    rows = care_due(staff, on=datetime.date(2026, 6, 1), kind=DueKind.HARDSHIP_VISIT)
    assert {r.cadre.name for r in rows} == {"未走访", "去年走访"}
    assert "艰苦边远岗位（甲镇）干部2026年走访慰问 0 次" in rows[0].effect


def test_the_unit_rule_decides_and_zero_turns_a_reminder_off(staff, tree, clock):
    clock.set("2026-06-01")
    a, b = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["county_a"])
    set_care(tree["town_a"], health_checks_per_year=0, leave_min_days=0)
    assert due(staff, datetime.date(2026, 6, 1)) == {(DueKind.HEALTH_CHECK, b.pk), (DueKind.LEAVE, b.pk)}
    assert a.pk not in {pk for _, pk in due(staff, datetime.date(2026, 6, 1))}


def test_a_switched_off_rule_lists_nobody(staff, tree, clock):
    clock.set("2026-06-01")
    CadreFactory(unit=tree["town_a"])
    PolicyRule.objects.filter(unit=None, kind=RuleKind.CARE).update(enabled=False)
    assert care_due(staff, on=datetime.date(2026, 6, 1)) == []


def test_retired_and_departed_cadres_are_not_due_a_check_or_leave(staff, tree, village, clock):
    clock.set("2026-06-01")
    CadreFactory(unit=tree["town_a"], status=CadreStatus.RETIRED)
    departed = village_cadre(village)
    services.departure_register(
        actor=staff, cadre=departed, left_on="2026-05-31", years_served=3, monthly_subsidy=0
    )
    assert care_due(staff, on=datetime.date(2026, 5, 31)) == []


def test_a_departed_cadre_whose_subsidy_is_due_is_listed_with_the_amount(staff, village, clock):
    clock.set("2026-05-10")
    cadre = village_cadre(village, name="老支书")
    departure = services.departure_register(
        actor=staff, cadre=cadre, left_on="2026-01-20", years_served=15, monthly_subsidy="400"
    )
    services.departure_subsidy_pay(actor=staff, departure=departure, through="2026-04")
    assert care_due(staff, on=datetime.date(2026, 4, 30), kind=DueKind.SUBSIDY) == []
    (row,) = care_due(staff, on=datetime.date(2026, 5, 10), kind=DueKind.SUBSIDY)
    assert (row.cadre.name, row.owed.months, row.owed.amount) == ("老支书", 1, D("400"))
    assert row.effect == "生活补贴2026年05月未发放（1个月，共 400.00 元）"
    assert row.reasons[0]["facts"]["补贴已发放至"] == "2026-04-30"


def test_the_list_is_scoped_and_narrowed_to_a_unit(users, tree, clock):
    clock.set("2026-06-01")
    a, b = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["town_b"])
    seen = {pk for _, pk in due(users[Role.STAFF], datetime.date(2026, 6, 1))}
    assert a.pk in seen and b.pk not in seen
    assert {pk for _, pk in due(users["city_staff"], datetime.date(2026, 6, 1), unit=tree["county_b"])} == {
        b.pk
    }


def test_the_list_counts_per_unit_below_the_one_chosen(users, tree, village, clock):
    clock.set("2026-06-01")
    CadreFactory(unit=tree["town_a"])
    CadreFactory(unit=village)
    CadreFactory(unit=tree["county_a"])
    rows = care_due(users[Role.STAFF], on=datetime.date(2026, 6, 1))
    assert due_counts(rows)[DueKind.HEALTH_CHECK] == 3
    lines = due_by_unit(users[Role.STAFF], rows, tree["county_a"])
    assert [(line.name, line.total) for line in lines] == [("甲县（本级）", 2), ("甲镇", 4)]


def test_the_care_due_list_takes_four_queries_whatever_the_number_of_cadres(
    staff, tree, village, clock, django_assert_num_queries
):
    clock.set("2026-06-01")
    services.hardship_post_designate(actor=staff, unit=tree["town_a"])
    for _ in range(5):
        CadreFactory(unit=tree["town_a"])
    departed = village_cadre(village)
    services.departure_register(
        actor=staff, cadre=departed, left_on="2025-01-01", years_served=3, monthly_subsidy=1
    )
    # the CARE rules; the hardship posts; the cadres with this year's counts; the departures
    with django_assert_num_queries(4):
        rows = care_due(staff, on=datetime.date(2026, 6, 1))
    assert due_counts(rows) == {
        DueKind.HARDSHIP_VISIT: 5,
        DueKind.HEALTH_CHECK: 5,
        DueKind.LEAVE: 5,
        DueKind.SUBSIDY: 1,
    }


def test_each_unit_is_held_to_its_own_leave_minimum_at_its_edge(staff, tree, clock):
    clock.set("2026-06-01")
    set_care(tree["town_a"], leave_min_days=10)
    county = CadreFactory(unit=tree["county_a"], name="县直五天")
    town_short = CadreFactory(unit=tree["town_a"], name="镇九天")
    town_enough = CadreFactory(unit=tree["town_a"], name="镇十天")
    for cadre, days in ((county, 5), (town_short, 9), (town_enough, 10)):
        record(staff, cadre, CareKind.LEAVE, "2026-03-01", days=days)
    rows = care_due(staff, on=datetime.date(2026, 6, 1), kind=DueKind.LEAVE)
    assert [(r.cadre.name, r.effect) for r in rows] == [("镇九天", "2026年带薪休假 9 天，应不少于 10 天")]
