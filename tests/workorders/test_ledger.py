"""Entering a paper 民情工单本 in one batch (``services_ledger.orders_ledger_record``): a good ledger
is written with the steps the services would have written; one bad row refuses the whole ledger,
naming the row."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEntry
from cadres.models import UnitKind
from tests.factories import CadreFactory, make_user, unit_child, unit_root
from tests.scope.conftest import token_client
from workorders.models import Dispatch, OrderStatus, OrderStep, WorkOrder
from workorders.services_ledger import NO_NAME, orders_ledger_record


@pytest.fixture
def w(db, clock):
    clock.set("2015-12-31")
    city = unit_root()
    county = unit_child(city, "C01A", "甲县", UnitKind.COUNTY)
    town = unit_child(county, "C01A01", "城关镇", UnitKind.TOWNSHIP)
    village = unit_child(town, "C01A0101", "光明社区", UnitKind.VILLAGE)
    other = unit_child(city, "C01B", "乙县", UnitKind.COUNTY)

    class W:
        pass

    w = W()
    w.village, w.town, w.other = village, town, other
    w.staff = make_user("town_staff", Role.STAFF, town)
    w.reader = make_user("town_reader", Role.API_READER, town)
    w.cadre = CadreFactory(unit=village, name="张红")
    w.outsider = CadreFactory(unit=other, name="乙县干部")
    return w


def closed_row(w, **changes):
    row = {
        "channel": "民心墙",
        "title": "楼道灯不亮",
        "recorded_on": "2015-03-02",
        "cadre": w.cadre.pk,
        "dispatched_on": "2015-03-04",
        "accepted_on": "2015-03-04",
        "promised_on": "2015-03-10",
        "handled_on": "2015-03-06",
        "handling": "更换灯泡",
        "rating": "满意",
        "score": 98,
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not None}


def test_a_ledger_is_written_with_every_step_and_audited_once(w):
    rows = [
        closed_row(w),
        {"channel": "phone", "title": "路灯坏了", "recorded_on": "2015-04-01"},
        closed_row(
            w,
            recorded_on="2015-05-01",
            dispatched_on="2015-05-08",
            accepted_on="2015-05-08",
            promised_on="2015-05-20",
            handled_on="2015-05-12",
            rating="不满意",
            score=40,
            explanation="涉及产权单位，已解释",
            closed=True,
        ),  # fmt: skip
    ]
    audits = AuditEntry.objects.count()

    assert orders_ledger_record(actor=w.staff, unit=w.village, rows=rows) == 3

    orders = list(WorkOrder.objects.order_by("recorded_on"))
    assert [o.status for o in orders] == [OrderStatus.CLOSED, OrderStatus.RECORDED, OrderStatus.CLOSED]
    assert [o.number for o in orders] == [f"MQ2015-{o.pk:06d}" for o in orders]
    assert orders[1].resident_name == NO_NAME
    assert orders[0].dispatch_due == datetime.date(2015, 3, 5)  # three days, the default rule
    assert orders[0].closed_on == datetime.date(2015, 3, 6)  # rated the day it was handled
    assert orders[2].close_note == "涉及产权单位，已解释"
    first = Dispatch.objects.get(order=orders[0])
    assert (first.cadre, first.rating, first.score, first.on_time) == (w.cadre, "satisfied", 98, True)
    assert Dispatch.objects.get(order=orders[2]).cause == "objective"
    assert list(OrderStep.objects.filter(order=orders[0]).values_list("step", flat=True)) == [
        "record", "dispatch", "accept", "handle", "rate", "close",
    ]  # fmt: skip
    late = OrderStep.objects.get(order=orders[2], step="dispatch")
    assert "超过派单期限（2015-05-04）4天" in late.note
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.latest("id")
    assert "补录工单 3 件（派单 2 件，办结 2 件）" in entry.changes["民情工单台账补录"][1]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"handled_on": "2015-03-03"}, "第2行：办理完成日期不能早于接单日期（2015-03-04）。"),
        ({"handled_on": None, "handling": None}, "第2行：有群众评价的工单须先有办理完成日期。"),
        ({"cadre": "OUTSIDER"}, "不存在或不在您的管辖范围内"),
        ({"dispatched_on": "2015-03-01"}, "第2行：派单日期不能早于点单日期（2015-03-02）。"),
        ({"score": 101}, "第2行：评价得分应在 0 到 100 之间。"),
        ({"rating": "不满意", "closed": True}, "第2行：不满意的工单须经回访、属客观原因并填写解释说明后才能办结。"),
        ({"recorded_on": "2016-01-01", "dispatched_on": None, "cadre": None, "accepted_on": None,
          "promised_on": None, "handled_on": None, "rating": None, "score": None}, "第2行：点单日期不能晚于今天。"),
        ({"title": "张大爷家漏水 13812345678"}, "第2行：需求摘要会在民心墙公示，请勿写入电话号码等联系方式。"),
        ({"recorded_on": "2015-02-30"}, "第2行：点单日期格式不正确，应为 YYYY-MM-DD。"),
        ({"channel": "快递"}, "第2行：来源渠道应为"),
    ],
)  # fmt: skip
def test_one_bad_row_refuses_the_whole_ledger_naming_the_row(w, bad, message):
    if bad.get("cadre") == "OUTSIDER":
        bad = {**bad, "cadre": w.outsider.pk}
    rows = [closed_row(w), closed_row(w, **bad), closed_row(w)]
    audits = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as caught:
        orders_ledger_record(actor=w.staff, unit=w.village, rows=rows)

    messages = caught.value.message_dict["rows"]
    assert len(messages) == 1 and message in messages[0] and messages[0].startswith("第2行：")
    assert WorkOrder.objects.count() == Dispatch.objects.count() == OrderStep.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_every_bad_row_is_named(w):
    rows = [closed_row(w, handled_on="2015-03-01"), closed_row(w), {"title": ""}]
    with pytest.raises(ValidationError) as caught:
        orders_ledger_record(actor=w.staff, unit=w.village, rows=rows)
    messages = caught.value.message_dict["rows"]
    assert [m[:4] for m in messages] == ["第1行：", "第3行："]
    assert "请填写需求摘要。" in messages[1] and "请填写点单日期。" in messages[1]


def test_a_reader_or_a_unit_outside_scope_is_refused(w):
    with pytest.raises(PermissionDenied):
        orders_ledger_record(actor=w.reader, unit=w.village, rows=[closed_row(w)])
    with pytest.raises(PermissionDenied):
        orders_ledger_record(actor=w.staff, unit=w.other, rows=[closed_row(w)])
    assert WorkOrder.objects.count() == 0


def test_the_api_enters_a_ledger_and_refuses_a_bad_row_with_a_400(w):
    client = token_client(w.staff)
    bad = client.post(
        "/api/v1/work-orders/ledger/",
        {"unit": w.village.code, "rows": [closed_row(w), closed_row(w, cadre=w.outsider.pk)]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["rows"] == [
        f"第2行：承办干部（id {w.outsider.pk}）不存在或不在您的管辖范围内。"
    ]
    assert WorkOrder.objects.count() == 0

    good = client.post(
        "/api/v1/work-orders/ledger/", {"unit": w.village.pk, "rows": [closed_row(w)] * 2}, format="json"
    )
    assert good.status_code == 201 and good.json() == {"created": 2}
    assert WorkOrder.objects.filter(unit=w.village, status=OrderStatus.CLOSED).count() == 2

    refused = token_client(w.reader).post(
        "/api/v1/work-orders/ledger/", {"unit": w.village.pk, "rows": [closed_row(w)]}, format="json"
    )
    assert refused.status_code == 403
    outside = client.post(
        "/api/v1/work-orders/ledger/", {"unit": w.other.pk, "rows": [closed_row(w)]}, format="json"
    )
    assert outside.status_code == 400 and outside.json()["error"]["fields"]["unit"]
    assert WorkOrder.objects.count() == 2


def test_rows_that_are_not_records_or_an_empty_ledger_are_refused(w):
    with pytest.raises(ValidationError) as caught:
        orders_ledger_record(actor=w.staff, unit=w.village, rows=[closed_row(w), "楼道灯", None])
    assert caught.value.message_dict["rows"] == [
        "第2行：应为一条工单记录（字段与值）。",
        "第3行：应为一条工单记录（字段与值）。",
    ]
    with pytest.raises(ValidationError) as caught:
        orders_ledger_record(actor=w.staff, unit=w.village, rows=[])
    assert caught.value.message_dict["rows"] == ["台账为空：请至少填写一条工单。"]
    with pytest.raises(ValidationError) as caught:
        orders_ledger_record(actor=w.staff, unit=w.village, rows=[closed_row(w, colour="红")])
    assert caught.value.message_dict["rows"] == ["第1行：无法识别的字段：colour。"]
    assert WorkOrder.objects.count() == 0
