"""Permission matrix rows of the work-order pages (民情工单): the list, recording a need, an
order's page and its steps, the party groups.

Every role reads the orders and groups of its subtree; an order or a group outside answers 404
(looked up before the role). Recording, the steps and the groups need ``manage_workorders``
(403); the matrix's empty form is shown again with its errors (200). ``build`` adds per unit a
party group and an order recorded at the unit (waiting for dispatch, so the empty dispatch form
is the one its page offers)."""

import datetime

from tests.permissions.test_permission_matrix import GET, READ, Row, W, obj, url
from workorders import services
from workorders.models import Dispatch, OrderStep, PartyGroup, WorkOrder

WO = "manage_workorders"

ROWS = {
    "workorders:home": Row(url("workorders:home"), GET, scoped=False),
    "workorders:order_create": Row(
        url("workorders:order_create"), {"GET": W(WO), "POST": W(WO)}, scoped=False
    ),
    "workorders:order_detail": Row(url("workorders:order_detail", obj("wo_orders")), GET),
    "workorders:order_step": Row(url("workorders:order_step", obj("wo_orders"), "dispatch"), {"POST": W(WO)}),
    "workorders:groups": Row(url("workorders:groups"), {"GET": READ, "POST": W(WO)}, scoped=False),
    "workorders:group_edit": Row(
        url("workorders:group_edit", obj("wo_groups")), {"GET": W(WO), "POST": W(WO)}
    ),
}

COUNTED = [WorkOrder, Dispatch, OrderStep, PartyGroup]


def build(world) -> None:
    actor = world.users["city_staff"]
    world.wo_orders, world.wo_groups = {}, {}
    for key, unit in world.units.items():
        group = services.party_group_save(actor=actor, unit=unit, name="第一党小组")
        world.wo_groups[key] = group
        world.wo_orders[key] = services.order_record(
            actor=actor,
            unit=unit,
            channel="wall",
            title="路灯不亮",
            resident_name="赵大娘",
            resident_contact="13800001111",
            recorded_on=datetime.date(2025, 5, 6),
            party_group=group,
        )
