"""Deadlines that surface by themselves ([001] 千阳县: 党小组 "在三天内对居民点单内容进行派单";
[003] 舟山: 承办责任单位 "作出书面承诺限期办结").

The daily reminder job (``core.scan_reminders``) runs ``reminders_scan``: a recorded need not
dispatched by its dispatch deadline, and a round accepted but not handled by its promised
deadline, each raise one ``OrderReminder`` per due event. They show in the 待办 of whoever must
act: the staff who manage work orders over the order's unit, and the round's dispatcher.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cadres.selectors import scope_q, unit_label
from core import registry

from .models import Dispatch, OrderReminder, OrderStatus, WorkOrder
from .models import OrderReminderKind as Kind

BADGES = {Kind.DISPATCH_OVERDUE: "派单逾期", Kind.DEADLINE_OVERDUE: "承诺逾期"}
NOTES = {Kind.DISPATCH_OVERDUE: "派单期限", Kind.DEADLINE_OVERDUE: "承诺限期"}


def _later_round(order_ref: str, round_ref: str):
    return Exists(Dispatch.objects.filter(order=OuterRef(order_ref), round__gt=OuterRef(round_ref)))


def _holds() -> Q:
    """Reminders whose condition still holds: the order still waits for its dispatch with the same
    deadline, or the round is still the order's current one, accepted, unhandled, with the same
    promise. (Both deadlines lie before the scan's day once a reminder exists.)"""
    dispatch_late = Q(
        kind=Kind.DISPATCH_OVERDUE, order__status=OrderStatus.RECORDED, order__dispatch_due=F("due_date")
    )
    deadline_late = Q(
        kind=Kind.DEADLINE_OVERDUE,
        order__status=OrderStatus.ACCEPTED,
        dispatch__handled_on__isnull=True,
        dispatch__promised_on=F("due_date"),
    ) & ~_later_round("dispatch__order", "dispatch__round")
    return dispatch_late | deadline_late


def reminders_scan(*, today: datetime.date | None = None) -> dict:
    """Raise one reminder per due event and resolve those whose condition no longer holds.

    Due events: an order still 待派单 whose ``dispatch_due`` is before ``today`` (on the deadline
    day itself it is still in time), and the current round of an order 办理中 whose promised
    deadline is before ``today``. A re-dispatched round with its own promise is a new event.
    Idempotent and safe to run twice at once: the unique (order, kind, due_date) with
    ``ignore_conflicts`` means a second run adds nothing."""
    today = today or timezone.localdate()
    now = timezone.now()
    candidates = [
        OrderReminder(order_id=pk, kind=Kind.DISPATCH_OVERDUE, due_date=due)
        for pk, due in WorkOrder.objects.filter(status=OrderStatus.RECORDED, dispatch_due__lt=today)
        .values_list("pk", "dispatch_due")
        .iterator()
    ]
    late_rounds = (
        Dispatch.objects.filter(
            order__status=OrderStatus.ACCEPTED,
            accepted_on__isnull=False,
            handled_on__isnull=True,
            promised_on__lt=today,
        )
        .exclude(_later_round("order", "round"))
        .values_list("pk", "order_id", "promised_on", "dispatched_by_id")
    )
    candidates += [
        OrderReminder(
            order_id=order_id, dispatch_id=pk, kind=Kind.DEADLINE_OVERDUE, due_date=due, responsible_id=by
        )
        for pk, order_id, due, by in late_rounds.iterator()
    ]
    before = OrderReminder.objects.count()
    OrderReminder.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=1000)
    created = OrderReminder.objects.count() - before
    resolved = (
        OrderReminder.objects.filter(resolved_at__isnull=True).exclude(_holds()).update(resolved_at=now)
    )
    # a condition that holds again (a deadline moved back to a date already reminded of) reopens it
    OrderReminder.objects.filter(resolved_at__isnull=False).filter(_holds()).update(resolved_at=None)
    return {"checked": len(candidates), "created": created, "resolved": resolved, "date": today.isoformat()}


def reminders_for(user):
    """The open reminders this user must act on: every one of the orders in scope for those who
    manage work orders, and the broken promises of the rounds the user dispatched (in scope)."""
    mine = Q(kind=Kind.DEADLINE_OVERDUE, responsible=user)
    if user.can("manage_workorders"):
        mine = Q()
    return (
        OrderReminder.objects.filter(resolved_at__isnull=True)
        .filter(scope_q(user, prefix="order__unit__"))
        .filter(mine)
        .select_related("order")
        .annotate(unit_label=unit_label("order__unit__"))
        .order_by("due_date", "id")
    )


def _todo(user, limit: int) -> list[registry.TodoItem]:
    today = timezone.localdate()
    items = []
    for reminder in reminders_for(user)[:limit]:
        order, due = reminder.order, reminder.due_date
        items.append(
            registry.TodoItem(
                kind=BADGES[reminder.kind],
                tone="overdue",
                title=f"{order.number} {order.title}",
                url=reverse("workorders:order_detail", args=[order.pk]),
                detail=reminder.unit_label,
                note=f"{NOTES[reminder.kind]} {due:%Y-%m-%d}（已逾期{(today - due).days}天）",
                due=due,
                overdue=True,
            )
        )
    return items


def register() -> None:
    registry.reminder_scan("workorders.orders", label="民情工单", scan=reminders_scan)
    registry.todo_source("workorders.reminders", order=250, items=_todo)
