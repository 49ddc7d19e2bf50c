"""Permission matrix rows of the work-order API (``work-orders/`` with its step actions and
``ledger/``, ``party-groups/``, ``work-order-statistics/``) and of the statistics page and its
xlsx.

Every role reads in its subtree; an order outside it, or a ``?unit=`` outside it for the
statistics, answers 404. Writing needs ``manage_workorders``, checked before the order is looked
up (``role_first``); an empty body is refused by the service: 400 where a field is missing (no
unit, no cadre to dispatch to), 409 ``step_out_of_order`` for a step the recorded order does not
allow yet (accept, handle, rate, follow up). ``build`` adds per unit an order recorded at the unit (its own,
so the rows do not lean on another area's objects)."""

import datetime

from tests.permissions.test_permission_matrix import GET, READ, Row, W, obj, url
from workorders import services
from workorders.models import Dispatch, OrderStep, PartyGroup, WorkOrder

WO = "manage_workorders"


def _step(name: str, refused: int = 409) -> Row:
    return Row(url(f"work-order-{name}", obj("wo_api_orders")), {"POST": W(WO, refused, role_first=True)})


ROWS = {
    "workorders:statistics": Row(url("workorders:statistics", query={"unit": obj("units")}), GET),
    "workorders:statistics_export": Row(
        url("workorders:statistics_export", query={"unit": obj("units")}), GET
    ),
    "work-order-list": Row(url("work-order-list"), {"GET": READ, "POST": W(WO, 400)}, scoped=False),
    "work-order-detail": Row(url("work-order-detail", obj("wo_api_orders")), GET),
    "work-order-dispatch": _step("dispatch", 400),
    "work-order-accept": _step("accept"),
    "work-order-handle": _step("handle"),
    "work-order-rate": _step("rate"),
    "work-order-followup": _step("followup"),
    "work-order-ledger": Row(url("work-order-ledger"), {"POST": W(WO, 400)}, scoped=False),
    "party-group-list": Row(url("party-group-list"), {"GET": READ, "POST": W(WO, 400)}, scoped=False),
    "work-order-statistics": Row(url("work-order-statistics", query={"unit": obj("units")}), GET),
}

COUNTED = [WorkOrder, Dispatch, OrderStep, PartyGroup]


def build(world) -> None:
    actor = world.users["city_staff"]
    world.wo_api_orders = {
        key: services.order_record(
            actor=actor,
            unit=unit,
            channel="phone",
            title="下水道堵塞",
            resident_name="钱大爷",
            resident_contact="13900002222",
            recorded_on=datetime.date(2025, 6, 2),
        )
        for key, unit in world.units.items()
    }
