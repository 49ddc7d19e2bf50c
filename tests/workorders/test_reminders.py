"""Deadlines surface by themselves: the daily reminder job raises one reminder per overdue
dispatch and per broken promise, resolves them once acted on, and the 待办 of whoever must act
shows them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from cadres.models import UnitKind
from core.tasks import scan_reminders
from tests.factories import CadreFactory, make_user, unit_child
from workorders import services as svc
from workorders.models import Cause, OrderReminder, OrderReminderKind, Rating
from workorders.reminders import _todo, reminders_for, reminders_scan

DISPATCH, DEADLINE = OrderReminderKind.DISPATCH_OVERDUE, OrderReminderKind.DEADLINE_OVERDUE


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def village(tree):
    return unit_child(tree["town_a"], "C01A0101", "光明村", UnitKind.VILLAGE)


@pytest.fixture
def helper(village):
    return CadreFactory(unit=village, name="赵干部")


@pytest.fixture
def record(users, village, clock):
    """Record a need on ``on`` (due for dispatch three days later, the default rule)."""

    def make(on: str = "2026-03-02", title: str = "楼道灯不亮"):
        clock.set(on)
        return svc.order_record(
            actor=users[Role.STAFF],
            unit=village,
            channel="wall",
            title=title,
            resident_name="王大妈",
            recorded_on=day(on),
        )

    return make


@pytest.fixture
def accepted(record, users, helper, clock):
    """A need dispatched on 03-03 and accepted on 03-04 with the promise to be done by 03-10."""

    def make(title: str = "楼道灯不亮", promised: str = "2026-03-10", actor=None):
        order = record(title=title)
        clock.set("2026-03-04")
        svc.order_dispatch(
            actor=actor or users[Role.STAFF], order=order, cadre=helper, dispatched_on=day("2026-03-03")
        )
        svc.order_accept(
            actor=users[Role.STAFF], order=order, accepted_on=day("2026-03-04"), promised_on=day(promised)
        )
        return order

    return make


def open_reminders(kind=None):
    qs = OrderReminder.objects.filter(resolved_at__isnull=True)
    return qs.filter(kind=kind) if kind else qs


# ---------------------------------------------------------------- the scan


def test_a_need_is_in_time_on_its_dispatch_deadline_and_overdue_the_day_after(record):
    order = record("2026-03-02")
    assert order.dispatch_due == day("2026-03-05")
    assert reminders_scan(today=day("2026-03-05"))["created"] == 0
    assert not OrderReminder.objects.exists()
    assert reminders_scan(today=day("2026-03-06"))["created"] == 1
    reminder = OrderReminder.objects.get()
    assert (reminder.order, reminder.kind, reminder.due_date) == (order, DISPATCH, day("2026-03-05"))
    assert reminder.responsible is None and reminder.resolved_at is None


def test_the_job_run_twice_raises_one_reminder_per_due_event(record, accepted, clock):
    accepted()  # promised by 03-10
    record("2026-03-02", title="下水道堵塞")  # due for dispatch by 03-05
    clock.set("2026-03-12")
    first = scan_reminders.delay().get()["workorders.orders"]
    second = scan_reminders.delay().get()["workorders.orders"]
    assert (first["checked"], first["created"]) == (2, 2)
    assert (second["checked"], second["created"], second["resolved"]) == (2, 0, 0)
    assert sorted(OrderReminder.objects.values_list("kind", flat=True)) == sorted([DISPATCH, DEADLINE])
    assert open_reminders().count() == 2


def test_dispatching_resolves_the_reminder_at_the_next_scan(record, users, helper, clock):
    order = record("2026-03-02")
    reminders_scan(today=day("2026-03-06"))
    clock.set("2026-03-07")
    svc.order_dispatch(actor=users[Role.STAFF], order=order, cadre=helper, dispatched_on=day("2026-03-07"))
    summary = reminders_scan()
    assert (summary["created"], summary["resolved"]) == (0, 1)
    assert OrderReminder.objects.get().resolved_at is not None
    assert reminders_for(users[Role.STAFF]).count() == 0
    assert reminders_scan()["resolved"] == 0  # resolved once


def test_a_promise_is_kept_on_its_day_and_broken_the_day_after(accepted, users):
    order = accepted(promised="2026-03-10")
    assert reminders_scan(today=day("2026-03-10"))["created"] == 0
    assert reminders_scan(today=day("2026-03-11"))["created"] == 1
    reminder = OrderReminder.objects.get()
    dispatch = order.dispatches.get()
    assert (reminder.kind, reminder.due_date, reminder.dispatch) == (DEADLINE, day("2026-03-10"), dispatch)
    assert reminder.responsible == users[Role.STAFF]  # the round's dispatcher


def test_handling_the_order_resolves_the_broken_promise(accepted, users, clock):
    order = accepted(promised="2026-03-10")
    reminders_scan(today=day("2026-03-11"))
    clock.set("2026-03-12")
    svc.order_handle(actor=users[Role.STAFF], order=order, handled_on=day("2026-03-12"), handling="换了灯泡")
    assert reminders_scan()["resolved"] == 1
    assert not open_reminders().exists()


def test_a_redispatched_round_with_a_new_promise_is_a_new_due_event(accepted, users, helper, clock):
    staff = users[Role.STAFF]
    order = accepted(promised="2026-03-10")
    reminders_scan(today=day("2026-03-11"))
    clock.set("2026-03-14")
    svc.order_handle(actor=staff, order=order, handled_on=day("2026-03-12"), handling="换了灯泡")
    svc.order_rate(actor=staff, order=order, rating=Rating.UNSATISFIED, rated_on=day("2026-03-13"))
    svc.order_followup(
        actor=staff, order=order, followup_on=day("2026-03-14"), reason="灯又坏了", cause=Cause.CADRE
    )
    svc.order_dispatch(actor=staff, order=order, cadre=helper, dispatched_on=day("2026-03-14"))
    svc.order_accept(actor=staff, order=order, accepted_on=day("2026-03-14"), promised_on=day("2026-03-20"))
    assert reminders_scan(today=day("2026-03-20"))["created"] == 0
    assert not open_reminders().exists()  # the first round's was resolved when it was handled
    assert reminders_scan(today=day("2026-03-21"))["created"] == 1
    second = order.dispatches.get(round=2)
    assert [(r.dispatch, r.due_date) for r in open_reminders()] == [(second, day("2026-03-20"))]
    assert OrderReminder.objects.count() == 2


# ---------------------------------------------------------------- who sees them


@pytest.fixture
def staff_b(tree):
    return make_user("staff_b", Role.STAFF, tree["county_b"])


def test_the_reminders_reach_the_staff_over_the_unit_and_not_another_county(
    record, accepted, users, staff_b, clock
):
    accepted(title="路灯不亮")
    record(title="下水道堵塞")
    reminders_scan(today=day("2026-03-11"))
    assert reminders_for(users[Role.STAFF]).count() == 2
    assert reminders_for(users["city_staff"]).count() == 2  # the city above the county
    assert reminders_for(staff_b).count() == 0
    assert reminders_for(users[Role.AUDITOR]).count() == 0  # may not manage work orders


def test_the_dispatcher_sees_the_broken_promise_even_without_managing_work_orders(
    record, accepted, users, tree, clock
):
    dispatcher = make_user("dispatcher", Role.STAFF, tree["county_a"])
    accepted(title="路灯不亮", actor=dispatcher)
    record(title="下水道堵塞")
    reminders_scan(today=day("2026-03-11"))
    dispatcher.role = Role.AUDITOR  # moved to a role that only reads
    dispatcher.save()
    assert [r.kind for r in reminders_for(dispatcher)] == [DEADLINE]
    assert reminders_for(users[Role.AUDITOR]).count() == 0


# ---------------------------------------------------------------- the 待办 panel


def test_the_todo_items_name_the_order_the_unit_and_the_deadline(record, accepted, users, clock):
    order = accepted(title="路灯不亮")
    late = record(title="下水道堵塞")
    clock.set("2026-03-12")
    reminders_scan()
    items = {item.kind: item for item in _todo(users[Role.STAFF], 20)}
    assert set(items) == {"派单逾期", "承诺逾期"}
    assert items["派单逾期"].title == f"{late.number} 下水道堵塞"
    assert items["派单逾期"].note == "派单期限 2026-03-05（已逾期7天）"
    assert items["承诺逾期"].title == f"{order.number} 路灯不亮"
    assert items["承诺逾期"].note == "承诺限期 2026-03-10（已逾期2天）"
    assert items["承诺逾期"].url == reverse("workorders:order_detail", args=[order.pk])
    assert all(item.detail == "光明村" and item.tone == "overdue" and item.overdue for item in items.values())


def test_the_todo_source_reads_in_one_query(record, users, clock, django_assert_num_queries):
    for n in range(5):
        record(title=f"需求{n}")
    clock.set("2026-03-12")
    reminders_scan()
    staff = users[Role.STAFF]
    staff.unit  # noqa: B018 (the session's user comes with its unit on the home page)
    # the open reminders with their orders and the units' labels
    with django_assert_num_queries(1):
        assert len(_todo(staff, 20)) == 5


def test_the_home_page_shows_the_reminders_and_drops_them_once_dispatched(
    client, record, users, helper, staff_b, clock
):
    order = record(title="下水道堵塞")
    clock.set("2026-03-06")
    client.force_login(users[Role.STAFF])
    assert "派单逾期" not in client.get(reverse("home")).content.decode()
    scan_reminders.delay().get()
    html = client.get(reverse("home")).content.decode()
    assert "派单逾期" in html and f"{order.number} 下水道堵塞" in html
    assert "派单期限 2026-03-05（已逾期1天）" in html
    assert reverse("workorders:order_detail", args=[order.pk]) in html
    client.force_login(staff_b)
    assert "下水道堵塞" not in client.get(reverse("home")).content.decode()
    svc.order_dispatch(actor=users[Role.STAFF], order=order, cadre=helper, dispatched_on=day("2026-03-06"))
    scan_reminders.delay().get()
    client.force_login(users[Role.STAFF])
    assert "派单逾期" not in client.get(reverse("home")).content.decode()


def _home_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_home_page_costs_the_same_queries_for_one_or_many_reminders(client, record, users, clock):
    record(title="需求0")
    clock.set("2026-03-12")
    reminders_scan()
    one = _home_queries(client, users[Role.STAFF])
    for n in range(1, 6):
        record(title=f"需求{n}")
    clock.set("2026-03-12")
    reminders_scan()
    assert open_reminders().count() == 6
    assert _home_queries(client, users[Role.STAFF]) == one
