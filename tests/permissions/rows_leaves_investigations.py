"""Permission matrix rows of leave records (请假记录) and investigations (立案审查): their pages and
``leave-records/`` and ``investigations/`` of the API.

Pages look the cadre, the leave or the investigation up first (outside the subtree or missing:
404), then the role: writing needs ``edit_registry`` (403); the matrix's empty form is shown
again with its errors (200). The API checks the role before the object (``role_first``); an empty
POST is refused (400), an empty PATCH changes nothing (200), a DELETE removes the leave (204).
``build`` adds per unit a 5-day sick leave and an open investigation of the unit's cadre."""

import datetime

from cadres.models import LeaveRecord
from supervision.models import Investigation
from tests.permissions.test_permission_matrix import EDIT, GET, READ, Row, W, obj, url

ROWS = {
    "cadres:leave_create": Row(url("cadres:leave_create", obj("cadres")), {"GET": W(EDIT), "POST": W(EDIT)}),
    "cadres:leave_edit": Row(
        url("cadres:leave_edit", obj("cadres"), obj("leaves")), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "cadres:leave_delete": Row(
        url("cadres:leave_delete", obj("cadres"), obj("leaves")), {"POST": W(EDIT, 302)}
    ),
    "supervision:investigation_list": Row(url("supervision:investigation_list"), GET, scoped=False),
    "supervision:investigation_create": Row(
        url("supervision:investigation_create", query={"cadre": obj("cadres")}),
        {"GET": W(EDIT), "POST": W(EDIT)},
    ),
    "supervision:investigation_edit": Row(
        url("supervision:investigation_edit", obj("investigations")), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "supervision:investigation_close": Row(
        url("supervision:investigation_close", obj("investigations")), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "leave-record-list": Row(url("leave-record-list"), {"GET": READ, "POST": W(EDIT, 400)}, scoped=False),
    "leave-record-detail": Row(
        url("leave-record-detail", obj("leaves")),
        {"GET": READ, "PATCH": W(EDIT, role_first=True), "DELETE": W(EDIT, 204, role_first=True)},
    ),
    "investigation-list": Row(url("investigation-list"), {"GET": READ, "POST": W(EDIT, 400)}, scoped=False),
    "investigation-detail": Row(
        url("investigation-detail", obj("investigations")), {"GET": READ, "PATCH": W(EDIT, role_first=True)}
    ),
}

COUNTED = [LeaveRecord, Investigation]


def build(world) -> None:
    actor = world.users["city_staff"]
    world.leaves, world.investigations = {}, {}
    for key, cadre in world.cadres.items():
        world.leaves[key] = LeaveRecord.objects.create(
            cadre=cadre,
            kind="sick",
            start_date=datetime.date(2025, 3, 3),
            end_date=datetime.date(2025, 3, 7),
            created_by=actor,
        )
        world.investigations[key] = Investigation.objects.create(
            cadre=cadre,
            opened_on=datetime.date(2025, 4, 1),
            authority="县纪委监委",
            reason="涉嫌违纪",
            created_by=actor,
        )
