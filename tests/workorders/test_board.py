"""The public board (民心墙晾晒): anyone reads a village's four columns on a phone; no resident's
personal data and no user of the system ever shows; cadres are named as the unit's rule says."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from cadres.models import UnitKind
from tests.factories import CadreFactory, unit_child
from workorders import services as svc
from workorders.models import Cause, Rating
from workorders.views.board import COLUMN_LIMIT

NAME, CONTACT, RELAYED = "欧阳翠花", "13987654321", "慕容代言"
CONTENT, RATING_NOTE = "详情保密甲乙丙", "评价意见保密丁戊"


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def village(tree):
    return unit_child(tree["town_a"], "C01A0101", "光明村", UnitKind.VILLAGE)


@pytest.fixture
def group(users, village):
    return svc.party_group_save(actor=users[Role.STAFF], unit=village, name="第一党小组", leader="孙组长")


@pytest.fixture
def helper(village):
    return CadreFactory(unit=village, name="赵建国")


@pytest.fixture
def life(users, village, helper, group, clock):
    """Record (03-01), dispatch (03-02), accept (03-03, promised 03-09), handle (03-05) and
    rate (03-06) orders at the village, each step taken only as far as asked."""
    staff = users[Role.STAFF]

    def make(
        title: str, upto: str = "record", *, rating=Rating.SATISFIED, handling="更换了楼道灯泡", **extra
    ):
        clock.set("2026-03-10")
        fields = {"channel": "proxy", "relayed_by": RELAYED, **extra}
        order = svc.order_record(
            actor=staff,
            unit=village,
            title=title,
            resident_name=NAME,
            resident_contact=CONTACT,
            content=CONTENT,
            recorded_on=day("2026-03-01"),
            party_group=group,
            **fields,
        )
        steps = [
            ("dispatch", lambda: svc.order_dispatch(
                actor=staff, order=order, cadre=helper, party_group=group, dispatched_on=day("2026-03-02")
            )),
            ("accept", lambda: svc.order_accept(
                actor=staff, order=order, accepted_on=day("2026-03-03"), promised_on=day("2026-03-09")
            )),
            ("handle", lambda: svc.order_handle(
                actor=staff, order=order, handled_on=day("2026-03-05"), handling=handling
            )),
            ("rate", lambda: svc.order_rate(
                actor=staff, order=order, rating=rating, rated_on=day("2026-03-06"), note=RATING_NOTE
            )),
        ]  # fmt: skip
        for name, step in steps:
            if upto == "record":
                break
            step()
            if name == upto:
                break
        return order

    return make


def board_url(unit, **query) -> str:
    url = reverse("workorders:board", args=[unit.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def column(response, key: str) -> str:
    """The HTML of one column."""
    html = response.content.decode()
    start = html.index(f'data-column="{key}"')
    end = html.find("data-column=", start + 1)
    return html[start : end if end != -1 else len(html)]


def set_board_names(unit, mode: str) -> None:
    PolicyRule.objects.create(
        unit=unit, kind=RuleKind.WORKORDER, params={"dispatch_days": 3, "board_names": mode}
    )


# ---------------------------------------------------------------- who may read it


def test_anyone_reads_the_board_without_signing_in(client, village, life):
    life("楼道灯不亮")
    response = client.get(board_url(village))
    assert response.status_code == 200
    html = response.content.decode()
    assert "光明村民心墙" in html and "楼道灯不亮" in html
    for title in ("居民点单", "党小组派单", "党员接单", "群众评单"):
        assert title in html
    assert 'name="csrfmiddlewaretoken"' not in html and "退出" not in html


def test_a_unit_that_is_not_a_village_or_community_has_no_board(client, tree, village):
    assert client.get(board_url(tree["town_a"])).status_code == 404
    assert client.get(reverse("workorders:board", args=["NO-SUCH"])).status_code == 404


def test_the_board_is_read_only(client, village, life):
    order = life("楼道灯不亮")
    assert client.post(board_url(village), {"status": "closed"}).status_code == 405
    order.refresh_from_db()
    assert order.status == "recorded"
    assert client.head(board_url(village)).status_code == 200


def test_the_page_carries_the_content_security_policy_and_no_inline_code(client, village):
    response = client.get(board_url(village))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "<script>" not in html and "style=" not in html and "<style" not in html


# ---------------------------------------------------------------- the columns


def test_each_order_stands_in_the_column_of_its_step(client, village, life, clock):
    life("需求甲")
    life("需求乙", "dispatch")
    life("需求丙", "accept")
    life("需求丁", "handle", handling="已疏通下水道")
    life("需求戊", "rate", rating=Rating.BASIC)
    response = client.get(board_url(village))
    point, send, take, rate = (column(response, k) for k in ("point", "send", "take", "rate"))
    assert "需求甲" in point and "代为诉说" in point and "2026-03-01 点单" in point
    assert "应于 2026-03-04 前派单" in point and "已超过派单期限" in point  # today is 03-10
    assert "需求乙" in send and "第一党小组" in send and "2026-03-02 派单" in send and "承办：赵同志" in send
    assert "需求丙" in take and "需求丁" in take
    assert "承诺 2026-03-09 前办结" in take and "2026-03-05 办理完成" in take and "已疏通下水道" in take
    assert "已超过承诺限期" in take  # 需求丙: promised 03-09, today 03-10, not handled
    assert "需求戊" in rate and "基本满意" in rate and "2026-03-06 评价" in rate
    assert "需求戊" not in take and "需求甲" not in send


def test_an_unsatisfied_order_redispatched_shows_its_second_round(client, users, village, life, helper):
    order = life("需求己", "rate", rating=Rating.UNSATISFIED)
    staff = users[Role.STAFF]
    svc.order_followup(
        actor=staff, order=order, followup_on=day("2026-03-07"), reason="没修好", cause=Cause.CADRE
    )
    svc.order_dispatch(actor=staff, order=order, cadre=helper, dispatched_on=day("2026-03-08"))
    response = client.get(board_url(village))
    assert "2026-03-08 派单（第2轮）" in column(response, "send")
    rate = column(response, "rate")
    assert "不满意" in rate and "已回访，重新派单" in rate


def test_the_handling_summary_is_truncated(client, village, life):
    life("需求庚", "handle", handling="办" * 100)
    take = column(client.get(board_url(village)), "take")
    assert "办" * 59 + "…" in take and "办" * 60 not in take


# ---------------------------------------------------------------- no personal data


def test_no_resident_data_and_no_user_ever_shows(client, users, village, life):
    life("需求甲")
    life("需求乙", "dispatch")
    life("需求丙", "accept")
    life("需求丁", "handle", handling=f"联系{NAME}（{CONTACT}，{RELAYED}转告）后更换灯泡")
    life("需求戊", "rate")
    html = client.get(board_url(village)).content.decode()
    for secret in (NAME, CONTACT, RELAYED, CONTENT, RATING_NOTE, "孙组长"):
        assert secret not in html, secret
    assert "9876" not in html  # no part of the phone number either
    for user in users.values():
        assert user.username not in html
    assert "联系**（**，**转告）后更换灯泡" in html  # what was typed into the handling, scrubbed


def test_a_phone_number_typed_into_the_handling_is_hidden(client, village, life):
    life("需求甲", "handle", handling="请拨打13700001111预约")
    html = client.get(board_url(village)).content.decode()
    assert "13700001111" not in html and "请拨打**预约" in html


@pytest.mark.parametrize(
    ("mode", "shown", "absent"),
    [
        ("full", "承办：赵建国", "赵同志"),
        ("surname", "承办：赵同志", "赵建国"),
        ("none", "承办：在职党员", "赵"),
    ],
)
def test_cadres_are_named_as_the_units_rule_says(client, village, life, mode, shown, absent):
    set_board_names(village, mode)
    life("需求乙", "dispatch")
    life("需求丁", "handle", handling="赵建国上门更换灯泡")
    life("需求戊", "rate")
    html = client.get(board_url(village)).content.decode()
    assert html.count(shown) == 3  # 派单, 接单 and 评单
    assert absent not in html


def test_the_rule_of_a_unit_above_applies(client, tree, village, life):
    set_board_names(tree["county_a"], "full")
    life("需求乙", "dispatch")
    assert "承办：赵建国" in client.get(board_url(village)).content.decode()


# ---------------------------------------------------------------- the window


def _rated(users, order, helper, on: datetime.date) -> None:
    staff = users[Role.STAFF]
    svc.order_dispatch(actor=staff, order=order, cadre=helper, dispatched_on=on)
    svc.order_accept(actor=staff, order=order, accepted_on=on, promised_on=on)
    svc.order_handle(actor=staff, order=order, handled_on=on, handling="办好了")
    svc.order_rate(actor=staff, order=order, rating=Rating.SATISFIED, rated_on=on)


@pytest.mark.parametrize(
    ("days", "inside", "outside", "note"),
    [
        ("7", "2026-06-24", "2026-06-23", ""),  # today and the 6 days before
        ("365", "2025-07-01", "2025-06-30", ""),
        ("6", "2026-06-24", "2026-06-23", "天数应在 7–365 之间，已按 7 天显示。"),
        ("366", "2025-07-01", "2025-06-30", "天数应在 7–365 之间，已按 365 天显示。"),
        ("", "2026-04-02", "2026-04-01", ""),  # 90 days by default
        ("九十", "2026-04-02", "2026-04-01", "天数应为 7–365 之间的整数，已按 90 天显示。"),
    ],
)
def test_the_days_parameter_at_its_edges(client, users, village, helper, clock, days, inside, outside, note):
    for title, on in (("窗口内", inside), ("窗口外", outside)):
        clock.set(on)
        order = svc.order_record(
            actor=users[Role.STAFF],
            unit=village,
            channel="wall",
            title=title,
            resident_name=NAME,
            recorded_on=day(on),
        )
        _rated(users, order, helper, day(on))
    clock.set("2026-06-30")
    response = client.get(board_url(village, days=days))
    assert response.status_code == 200
    rate = column(response, "rate")
    assert "窗口内" in rate and "窗口外" not in rate
    html = response.content.decode()
    assert (note in html) if note else ("alert-warning" not in html)


def test_an_open_column_lists_at_most_its_limit_the_longest_waiting_first(client, users, village, clock):
    clock.set("2026-03-10")
    for n in range(COLUMN_LIMIT + 1):
        svc.order_record(
            actor=users[Role.STAFF],
            unit=village,
            channel="wall",
            title=f"需求{n:03d}",
            resident_name=NAME,
            recorded_on=day("2026-03-01") + datetime.timedelta(days=n % 9),
        )
    point = column(client.get(board_url(village)), "point")
    assert point.count("点单</div>") == COLUMN_LIMIT
    assert f"仅列出等待最久的 {COLUMN_LIMIT} 件" in point
    assert point.index("2026-03-01 点单") < point.index("2026-03-09 点单")


def test_a_need_waiting_longer_than_the_window_stays_on_the_wall(client, users, village, clock):
    clock.set("2026-06-30")
    svc.order_record(
        actor=users[Role.STAFF],
        unit=village,
        channel="wall",
        title="路灯坏了半年",
        resident_name=NAME,
        recorded_on=day("2026-01-02"),
    )
    point = column(client.get(board_url(village) + "?days=7"), "point")
    assert "路灯坏了半年" in point
    assert "已超过派单期限" in point


@pytest.mark.parametrize("count", [1, 8])
def test_the_board_costs_the_same_queries_for_few_or_many_orders(
    client, village, life, count, django_assert_num_queries
):
    for n in range(count):
        for upto in ("record", "dispatch", "accept", "rate"):
            life(f"需求{n}{upto}", upto)
    # the unit (with its label), its WORKORDER rule, then one query per column
    with django_assert_num_queries(6):
        response = client.get(board_url(village))
    assert column(response, "rate").count("评价") >= count


# ---------------------------------------------------------------- the index of boards


def test_the_index_lists_the_villages_in_scope_with_their_addresses(client, users, tree, village, life):
    other = unit_child(tree["town_b"], "C01B0101", "幸福村", UnitKind.VILLAGE)
    life("需求甲")
    life("需求乙", "accept")
    client.force_login(users[Role.AUDITOR])
    response = client.get(reverse("workorders:boards"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "光明村" in html and "幸福村" not in html and "甲镇" not in html
    assert f"http://testserver{board_url(village)}" in html
    [row] = response.context["page"].object_list
    assert (row.waiting, row.working) == (1, 1)  # 待派单, 办理中
    assert board_url(other) not in html


def test_the_index_needs_signing_in(client, village):
    response = client.get(reverse("workorders:boards"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("count", [1, 6])
def test_the_index_costs_the_same_queries_for_few_or_many_villages(
    client, users, tree, count, django_assert_num_queries
):
    for n in range(count):
        unit_child(tree["town_a"], f"C01A01{n:02d}", f"村{n}", UnitKind.VILLAGE)
    client.force_login(users[Role.STAFF])
    # session, user, the user's unit (scope), the paginator's count, the page of villages with
    # their labels and open counts
    with django_assert_num_queries(5):
        response = client.get(reverse("workorders:boards"))
    assert response.content.decode().count("/workorders/board/") == count * 2


# ---------------------------------------------------------------- on a phone (a real browser)
