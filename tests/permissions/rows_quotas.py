"""Permission-matrix rows of the 优秀 quotas (issue 17): every unit's quota (pages and
``unit-quotas/``) and 优秀比例上调 (pages and ``quota-raises/``). Every role reads within its
subtree (a unit, quota or raise outside it answers 404 like a missing one); recording, changing
and withdrawing a raise need ``manage_assessment``: the pages look the object (or the ?unit=
preset) up first, the API checks the role first. An empty form is shown again (200); an empty
API body is refused (400); an empty PATCH changes nothing (200)."""

import datetime

from assessment.models import QuotaRaise, UnitQuota
from tests.permissions.test_permission_matrix import GET, MANAGE, READ, Row, W, obj, period, url

ROWS = {
    # ---------------------------------------------------------------- pages
    "assessment:quota_raises": Row(
        url("assessment:quota_raises", period, query={"unit": obj("units")}),
        {"GET": READ, "POST": W(MANAGE)},
    ),
    "assessment:quota_raise_edit": Row(
        url("assessment:quota_raise_edit", obj("quota_raises")), {"GET": W(MANAGE), "POST": W(MANAGE)}
    ),
    "assessment:quota_raise_delete": Row(
        url("assessment:quota_raise_delete", obj("quota_raises")), {"POST": W(MANAGE, 302)}
    ),
    "assessment:unit_quotas": Row(url("assessment:unit_quotas", period, obj("units")), GET),
    # ---------------------------------------------------------------- API
    "unit-quota-list": Row(url("unit-quota-list", query={"period": period, "unit": obj("units")}), GET),
    "unit-quota-detail": Row(url("unit-quota-detail", obj("unit_quotas")), GET),
    "quota-raise-list": Row(
        url("quota-raise-list", query={"period": period, "unit": obj("units")}),
        {"GET": READ, "POST": W(MANAGE, 400, scoped=False)},
    ),
    "quota-raise-detail": Row(
        url("quota-raise-detail", obj("quota_raises")),
        {
            "GET": READ,
            "PATCH": W(MANAGE, role_first=True),
            "DELETE": W(MANAGE, 204, role_first=True),
        },
    ),
}

COUNTED = [QuotaRaise, UnitQuota]


def build(world) -> None:
    """Per unit: a 优秀比例上调 and a quota in the world's (annual, open) period."""
    actor = world.users["city_staff"]
    world.quota_raises, world.unit_quotas = {}, {}
    for key, unit in world.units.items():
        world.quota_raises[key] = QuotaRaise.objects.create(
            period=world.period,
            unit=unit,
            reason=f"{unit.name}完成防汛任务",
            approved_by="市委",
            approved_on=datetime.date.today(),
            created_by=actor,
        )
        world.unit_quotas[key] = UnitQuota.objects.create(
            period=world.period,
            unit=unit,
            assessed=1,
            ratio="0.2",
            exact="0.20",
            rounding="floor",
            places=0,
        )
