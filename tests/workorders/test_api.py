"""``work-orders/`` and ``party-groups/`` of the API: an order's life step by step, each step's
refusals (400 with the service's Chinese message, 409 for a step out of order, 403 for a reading role, 404 outside the
subtree), the masked resident contact, the list's filters and its query count."""

import datetime

import pytest

from accounts.roles import Role
from cadres.models import UnitKind
from tests.factories import CadreFactory, make_user, unit_child, unit_root
from tests.scope.conftest import token_client
from workorders import services
from workorders.models import Dispatch, OrderStatus, PartyGroup, WorkOrder

URL = "/api/v1/work-orders/"
CONTACT = "13812345678"


class W:
    pass


@pytest.fixture
def w(db, clock):
    clock.set("2026-05-20")
    city = unit_root()
    county = unit_child(city, "C01A", "甲县", UnitKind.COUNTY)
    town = unit_child(county, "C01A01", "城关镇", UnitKind.TOWNSHIP)
    w = W()
    w.town = town
    w.east = unit_child(town, "C01A0101", "东门社区", UnitKind.VILLAGE)
    w.west = unit_child(town, "C01A0102", "西门社区", UnitKind.VILLAGE)
    w.other_town = unit_child(county, "C01A02", "河口镇", UnitKind.TOWNSHIP)
    w.staff = make_user("town_staff", Role.STAFF, town)
    w.reader = make_user("town_reader", Role.API_READER, town)
    w.auditor = make_user("town_auditor", Role.AUDITOR, town)
    w.county_staff = make_user("county_staff", Role.STAFF, county)
    w.cadre = CadreFactory(unit=w.east, name="张东")
    w.outsider = CadreFactory(unit=w.other_town, name="河口干部")
    w.api = token_client(w.staff)
    return w


def record(w, unit=None, day=datetime.date(2026, 5, 4), **extra):
    values = {"channel": "wall", "title": "路灯不亮", "resident_name": "王大妈", "resident_contact": CONTACT}
    values.update(extra)
    return services.order_record(actor=w.staff, unit=unit or w.east, recorded_on=day, **values)


def post(client, order, step, body):
    return client.post(f"{URL}{order.pk}/{step}/", body, format="json")


# ------------------------------------------------------------------ an order's life


def test_an_order_goes_through_its_life_step_by_step(w):
    created = w.api.post(
        URL,
        {"unit": w.east.code, "channel": "民心墙", "title": "楼道灯不亮", "resident_name": "王大妈",
         "resident_contact": CONTACT, "recorded_on": "2026-05-04"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201
    order = WorkOrder.objects.get(pk=created.json()["id"])
    assert created.json()["status"] == "待派单" and created.json()["dispatch_due"] == "2026-05-07"

    steps = [
        ("dispatch", {"cadre": w.cadre.pk, "dispatched_on": "2026-05-06"}, "待接单"),
        ("accept", {"accepted_on": "2026-05-06", "promised_on": "2026-05-12"}, "办理中"),
        ("handle", {"handled_on": "2026-05-10", "handling": "更换灯泡"}, "待评价"),
        ("rate", {"rating": "不满意", "rated_on": "2026-05-11", "score": 40}, "不满意待回访"),
        ("followup", {"followup_on": "2026-05-12", "reason": "又坏了", "cause": "cadre"}, "不满意待回访"),
        ("dispatch", {"cadre": w.cadre.pk, "dispatched_on": "2026-05-13"}, "待接单"),
        ("accept", {"accepted_on": "2026-05-13", "promised_on": "2026-05-15"}, "办理中"),
        ("handle", {"handled_on": "2026-05-14", "handling": "更换线路"}, "待评价"),
        ("rate", {"rating": "satisfied", "rated_on": "2026-05-15", "score": 100}, "已办结"),
    ]
    for step, body, status in steps:
        answer = post(w.api, order, step, body)
        assert answer.status_code == 200, (step, answer.json())
        assert answer.json()["status"] == status, step

    body = answer.json()
    assert [r["rating"] for r in body["rounds"]] == ["不满意", "满意"]
    assert [r["cause"] for r in body["rounds"]] == ["干部个人原因（重新派单）", ""]
    assert body["closed_on"] == "2026-05-15" and body["status_code"] == "closed"
    assert [s["step"] for s in body["steps"]][-2:] == ["群众评单", "办结"]
    detail = w.api.get(f"{URL}{order.pk}/").json()
    assert len(detail["steps"]) == 11 and detail["steps"][0]["step"] == "居民点单"


def test_an_objective_cause_closes_the_order_after_its_followup(w):
    order = record(w)
    for step, body in [
        ("dispatch", {"cadre": w.cadre.pk, "dispatched_on": "2026-05-05"}),
        ("accept", {"accepted_on": "2026-05-05", "promised_on": "2026-05-10"}),
        ("handle", {"handled_on": "2026-05-08", "handling": "协调物业"}),
        ("rate", {"rating": "不满意", "rated_on": "2026-05-09"}),
    ]:
        assert post(w.api, order, step, body).status_code == 200
    answer = post(
        w.api,
        order,
        "followup",
        {
            "followup_on": "2026-05-10",
            "reason": "嫌慢",
            "cause": "客观原因（解释说明后办结）",
            "explanation": "需产权单位审批",
        },
    )
    assert answer.status_code == 200 and answer.json()["status"] == "已办结"
    assert answer.json()["close_note"] == "需产权单位审批"


@pytest.mark.parametrize(
    "step, body, field, message",
    [
        ("dispatch", {"cadre": None, "dispatched_on": "2026-05-06"}, "cadre", "请选择承办干部。"),
        ("dispatch", {"cadre": "CADRE", "dispatched_on": "2026-05-03"}, "dispatched_on",
         "派单日期不能早于点单日期（2026-05-04）。"),
        ("dispatch", {"cadre": "CADRE", "dispatched_on": "2026-05-21"}, "dispatched_on", "派单日期不能晚于今天。"),
        ("dispatch", {"cadre": "OUTSIDER", "dispatched_on": "2026-05-06"}, "cadre", "干部不存在或不在您的管辖范围内。"),
        ("accept", {"accepted_on": "2026-05-06", "promised_on": "2026-05-12"}, None,
         "该工单当前状态为“待派单”，不能登记接单。"),
        ("handle", {"handled_on": "2026-05-06", "handling": "已办"}, None, "该工单当前状态为“待派单”，不能登记办理情况。"),
        ("rate", {"rating": "满意", "rated_on": "2026-05-06"}, None, "该工单当前状态为“待派单”，不能登记群众评价。"),
        ("followup", {"followup_on": "2026-05-06", "reason": "慢", "cause": "cadre"}, None,
         "该工单当前状态为“待派单”，不能登记不满意回访。群众评价为“不满意”的工单才需回访。"),
    ],
)  # fmt: skip
def test_a_step_the_order_does_not_allow_is_a_409_and_bad_input_a_400_saying_why(
    w, step, body, field, message
):
    order = record(w)
    body = {k: {"CADRE": w.cadre.pk, "OUTSIDER": w.outsider.pk}.get(v, v) for k, v in body.items()}
    answer = post(w.api, order, step, body)
    error = answer.json()["error"]
    if field:
        assert answer.status_code == 400
        assert error["fields"][field] == [message]
    else:
        assert (answer.status_code, error["code"]) == (409, "step_out_of_order")
        assert error["message"] == message
    assert Dispatch.objects.count() == 0
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.RECORDED


def test_later_steps_refuse_with_the_services_message(w):
    order = record(w)
    post(w.api, order, "dispatch", {"cadre": w.cadre.pk, "dispatched_on": "2026-05-06"})
    answer = post(w.api, order, "accept", {"accepted_on": "2026-05-08", "promised_on": "2026-05-07"})
    assert answer.json()["error"]["fields"] == {"promised_on": ["承诺限期不能早于接单日期。"]}
    post(w.api, order, "accept", {"accepted_on": "2026-05-07", "promised_on": "2026-05-09"})
    answer = post(w.api, order, "handle", {"handled_on": "2026-05-06", "handling": "已办"})
    assert answer.json()["error"]["fields"] == {
        "handled_on": ["办理完成日期不能早于接单日期（2026-05-07）。"]
    }
    post(w.api, order, "handle", {"handled_on": "2026-05-08", "handling": "已办"})
    answer = post(w.api, order, "rate", {"rating": "满意", "rated_on": "2026-05-09", "score": 101})
    assert answer.json()["error"]["fields"] == {"score": ["评价得分应在 0 到 100 之间。"]}
    answer = post(w.api, order, "rate", {"rating": "很好", "rated_on": "2026-05-09"})
    assert answer.json()["error"]["fields"] == {"rating": ["请选择群众评价：满意、基本满意或不满意。"]}
    post(w.api, order, "rate", {"rating": "不满意", "rated_on": "2026-05-09"})
    answer = post(
        w.api, order, "followup", {"followup_on": "2026-05-10", "reason": "慢", "cause": "objective"}
    )
    assert answer.json()["error"]["fields"] == {"explanation": ["请填写解释说明。"]}
    answer = post(w.api, order, "dispatch", {"cadre": w.cadre.pk, "dispatched_on": "2026-05-10"})
    assert answer.status_code == 409
    assert "须先回访了解不满意原因" in answer.json()["error"]["message"]


@pytest.mark.parametrize("role", ["reader", "auditor"])
def test_a_reading_role_is_refused_every_write_with_a_403(w, role):
    order = record(w)
    client = token_client(getattr(w, role))
    bodies = {
        "dispatch": {"cadre": w.cadre.pk, "dispatched_on": "2026-05-06"},
        "accept": {"accepted_on": "2026-05-06", "promised_on": "2026-05-12"},
        "handle": {"handled_on": "2026-05-10", "handling": "已办"},
        "rate": {"rating": "满意", "rated_on": "2026-05-11"},
        "followup": {"followup_on": "2026-05-12", "reason": "慢", "cause": "cadre"},
    }
    for step, body in bodies.items():
        answer = post(client, order, step, body)
        assert answer.status_code == 403, step
        assert answer.json()["error"]["message"] == "您的角色只能查阅民情工单，不能登记或办理。"
    create = client.post(URL, {"unit": w.east.pk, "channel": "wall", "title": "x", "resident_name": "y",
                               "recorded_on": "2026-05-04"}, format="json")  # fmt: skip
    assert create.status_code == 403
    assert client.post("/api/v1/party-groups/", {"unit": w.east.pk, "name": "第一党小组"}).status_code == 403
    assert (
        WorkOrder.objects.count() == 1 and Dispatch.objects.count() == 0 and PartyGroup.objects.count() == 0
    )
    assert client.get(f"{URL}{order.pk}/").status_code == 200


def test_an_order_outside_the_subtree_is_a_404_for_every_step(w):
    elsewhere = services.order_record(
        actor=w.county_staff, unit=w.other_town, channel="wall", title="修桥", resident_name="李四",
        recorded_on=datetime.date(2026, 5, 4),
    )  # fmt: skip
    assert w.api.get(f"{URL}{elsewhere.pk}/").status_code == 404
    for step in ("dispatch", "accept", "handle", "rate", "followup"):
        answer = post(w.api, elsewhere, step, {"cadre": w.cadre.pk, "dispatched_on": "2026-05-06"})
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found", step
    created = w.api.post(URL, {"unit": w.other_town.pk, "channel": "wall", "title": "修桥", "resident_name": "李四",
                               "recorded_on": "2026-05-04"}, format="json")  # fmt: skip
    assert created.status_code == 400
    assert created.json()["error"]["fields"]["unit"] == ["单位不存在或不在您的管辖范围内。"]
    assert Dispatch.objects.count() == 0 and WorkOrder.objects.count() == 1


def test_creating_without_the_required_fields_names_them(w):
    answer = w.api.post(URL, {"unit": w.east.pk, "channel": "快递"}, format="json")
    assert answer.status_code == 400
    fields = answer.json()["error"]["fields"]
    assert fields["channel"] == ["请选择来源渠道。"]
    assert fields["title"] == ["请填写需求摘要。"] and fields["resident_name"] == ["请填写居民姓名。"]
    assert fields["recorded_on"] == ["请填写点单日期。"]
    answer = w.api.post(URL, {}, format="json")
    assert answer.json()["error"]["fields"] == {"unit": ["请选择工单所属村（社区）（单位 id 或代码）。"]}
    assert WorkOrder.objects.count() == 0


# ------------------------------------------------------------------ reading


def test_the_contact_is_masked_for_reader_and_auditor_and_whole_for_staff(w):
    order = record(w)
    for user, expected in [(w.reader, "138****5678"), (w.auditor, "138****5678"), (w.staff, CONTACT)]:
        client = token_client(user)
        assert client.get(f"{URL}{order.pk}/").json()["resident_contact"] == expected
        assert client.get(URL).json()["results"][0]["resident_contact"] == expected


def test_the_list_filters(w, clock):
    east = record(w, day=datetime.date(2026, 5, 1), channel="phone")
    west = record(w, unit=w.west, day=datetime.date(2026, 5, 10))
    dispatched = record(w, day=datetime.date(2026, 5, 12))
    services.order_dispatch(
        actor=w.staff, order=dispatched, cadre=w.cadre, dispatched_on=datetime.date(2026, 5, 12)
    )
    late_promise = record(w, day=datetime.date(2026, 5, 2))
    services.order_dispatch(
        actor=w.staff, order=late_promise, cadre=w.cadre, dispatched_on=datetime.date(2026, 5, 3)
    )
    services.order_accept(
        actor=w.staff,
        order=late_promise,
        accepted_on=datetime.date(2026, 5, 3),
        promised_on=datetime.date(2026, 5, 19),
    )

    def ids(**params):
        answer = w.api.get(URL, params)
        assert answer.status_code == 200, answer.json()
        return sorted(r["id"] for r in answer.json()["results"])

    assert ids() == sorted([east.pk, west.pk, dispatched.pk, late_promise.pk])
    assert ids(unit=w.west.code) == ids(unit=w.west.pk) == [west.pk]
    assert ids(unit=w.town.code) == ids()
    assert ids(unit=w.other_town.pk) == []  # outside the subtree: nothing
    assert ids(status="待派单") == ids(status="recorded") == sorted([east.pk, west.pk])
    assert ids(status="open") == ids()
    assert ids(channel="电话") == [east.pk]
    assert ids(cadre=w.cadre.pk) == sorted([dispatched.pk, late_promise.pk])
    assert ids(recorded_from="2026-05-02", recorded_to="2026-05-10") == sorted([west.pk, late_promise.pk])
    # today 5-20: east's deadline (5-04) and west's (5-13) have passed; the promise of 5-19 too
    assert ids(overdue="true") == sorted([east.pk, west.pk, late_promise.pk])
    assert ids(overdue="false") == [dispatched.pk]
    clock.set("2026-05-13")  # west's deadline day: not yet overdue
    assert west.pk not in ids(overdue="true")
    for param, value in [("status", "完成"), ("channel", "x"), ("cadre", "abc"), ("recorded_from", "5月1日"),
                         ("overdue", "maybe")]:  # fmt: skip
        answer = w.api.get(URL, {param: value})
        assert answer.status_code == 400 and param in answer.json()["error"]["fields"]


def test_the_order_list_costs_the_same_queries_for_1_or_20_orders(w, django_assert_num_queries):
    client = token_client(w.auditor)
    for n in (1, 19):
        for _ in range(n):
            order = record(w)
            services.order_dispatch(
                actor=w.staff, order=order, cadre=w.cadre, dispatched_on=datetime.date(2026, 5, 5)
            )
        # the token with its user and their unit (scope, one query), the count, the page (units joined),
        # the rounds (cadres joined)
        with django_assert_num_queries(4):
            answer = client.get(URL)
    assert answer.json()["count"] == 20
    assert all(r["rounds"][0]["cadre_name"] == "张东" for r in answer.json()["results"])


# ------------------------------------------------------------------ party groups


def test_party_groups_are_created_listed_and_refused_outside(w, django_assert_num_queries):
    answer = w.api.post(
        "/api/v1/party-groups/", {"unit": w.east.code, "name": "第一党小组", "leader": "张三"}
    )
    assert answer.status_code == 201
    assert answer.json()["unit"] == w.east.pk and answer.json()["unit_name"] == "东门社区"
    again = w.api.post("/api/v1/party-groups/", {"unit": w.east.pk, "name": "第一党小组"})
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["name"] == ["“东门社区”已有名为“第一党小组”的党小组。"]
    outside = w.api.post("/api/v1/party-groups/", {"unit": w.other_town.pk, "name": "第二党小组"})
    assert outside.status_code == 400 and PartyGroup.objects.count() == 1

    client = token_client(w.reader)
    for n in (1, 19):
        for i in range(n):
            services.party_group_save(actor=w.staff, unit=w.west, name=f"党小组{n}-{i}")
        # the token with its user and their unit (scope, one query), the count, the page (units joined)
        with django_assert_num_queries(3):
            listed = client.get("/api/v1/party-groups/")
    assert listed.json()["count"] == 21
    assert [
        g["name"] for g in client.get("/api/v1/party-groups/", {"unit": w.east.pk}).json()["results"]
    ] == ["第一党小组"]


def test_an_order_names_its_party_group_of_the_same_community(w):
    group = services.party_group_save(actor=w.staff, unit=w.east, name="第一党小组")
    body = {"unit": w.west.pk, "channel": "wall", "title": "修路", "resident_name": "赵", "recorded_on": "2026-05-04",
            "party_group": group.pk}  # fmt: skip
    answer = w.api.post(URL, body, format="json")
    assert answer.status_code == 400
    assert "不属于“西门社区”" in answer.json()["error"]["fields"]["party_group"][0]
    answer = w.api.post(URL, {**body, "unit": w.east.pk}, format="json")
    assert answer.status_code == 201 and answer.json()["party_group"] == group.pk


@pytest.mark.parametrize(
    "path, body",
    [
        ("", {"unit": "C01A\x0001", "channel": "wall", "title": "路灯", "resident_name": "王", "recorded_on": "2026-05-04"}),
        ("", {"unit": "EAST", "channel": "wall", "title": "路\x00灯", "resident_name": "王", "recorded_on": "2026-05-04"}),
        ("ledger/", {"unit": "C01A\x0001", "rows": [{"channel": "wall", "title": "路灯", "recorded_on": "2026-05-04"}]}),
        ("ledger/", {"unit": "EAST", "rows": [{"channel": "wall", "title": "路\x00灯", "recorded_on": "2026-05-04"}]}),
    ],
)  # fmt: skip
def test_a_nul_character_in_a_body_is_a_400_not_a_server_error(w, path, body):
    body = {k: (w.east.pk if v == "EAST" else v) for k, v in body.items()}
    answer = w.api.post(URL + path, body, format="json")
    assert answer.status_code == 400
    assert WorkOrder.objects.count() == 0
