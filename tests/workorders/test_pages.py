"""The work-order pages: the list (filters, overdue, a constant number of queries), recording a
need, an order's page (the resident's contact masked by role, only the step its status allows,
each step posted and refused as a user sees it), the party groups and the profile section."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import CadreFactory
from workorders import services
from workorders.models import Dispatch, OrderStatus, OrderStep, PartyGroup, WorkOrder

TODAY = "2026-06-30"
CONTACT = "13812345678"


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


def record(actor, unit, *, on="2026-06-01", **extra) -> WorkOrder:
    values = {
        "channel": "wall",
        "title": "楼道路灯不亮",
        "resident_name": "王秀兰",
        "resident_contact": CONTACT,
    }
    values.update(extra)
    return services.order_record(actor=actor, unit=unit, recorded_on=d(on), **values)


def detail(client, user, order):
    client.force_login(user)
    response = client.get(reverse("workorders:order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def step_url(order, step: str) -> str:
    return reverse("workorders:order_step", args=[order.pk, step])


def step_forms(html: str, order) -> set[str]:
    return {
        s
        for s in ("dispatch", "accept", "handle", "rate", "followup")
        if f'action="{step_url(order, s)}"' in html
    }


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_orders_of_the_subtree_only(client, users, tree, cadre_a):
    mine = record(users["city_staff"], tree["town_a"], title="甲镇的需求")
    record(users["city_staff"], tree["town_b"], title="乙镇的需求")
    client.force_login(users[Role.AUDITOR])
    html = client.get(reverse("workorders:home")).content.decode()
    assert mine.number in html and "甲镇的需求" in html
    assert "乙镇的需求" not in html
    assert reverse("workorders:order_create") not in html  # a reader records nothing


def test_the_overdue_filter_keeps_undispatched_past_due_and_accepted_past_promise(
    client, staff, tree, cadre_a
):
    waiting = record(staff, tree["town_a"], on="2026-06-26", title="派单期限已过")  # due 06-29
    due_today = record(staff, tree["town_a"], on="2026-06-27", title="今天到期")  # due 06-30: not yet late
    promised = record(staff, tree["town_a"], on="2026-06-01", title="承诺已过")
    services.order_dispatch(actor=staff, order=promised, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    services.order_accept(
        actor=staff, order=promised, accepted_on=d("2026-06-02"), promised_on=d("2026-06-29")
    )
    keeps = record(staff, tree["town_a"], on="2026-06-01", title="承诺今天")
    services.order_dispatch(actor=staff, order=keeps, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    services.order_accept(actor=staff, order=keeps, accepted_on=d("2026-06-02"), promised_on=d("2026-06-30"))
    client.force_login(staff)
    html = client.get(reverse("workorders:home"), {"overdue": "on"}).content.decode()
    assert waiting.number in html and promised.number in html
    assert due_today.number not in html and keeps.number not in html
    assert "逾期1天" in html


def test_the_list_filters_by_status_channel_cadre_unit_and_date(client, staff, tree, cadre_a, cadre_b):
    a = record(staff, tree["town_a"], on="2026-06-01", channel="phone")
    services.order_dispatch(actor=staff, order=a, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    b = record(staff, tree["county_a"], on="2026-06-20")
    client.force_login(staff)

    def listed(**params):
        html = client.get(reverse("workorders:home"), params).content.decode()
        return {o.number for o in (a, b) if o.number in html}

    assert listed(status="dispatched") == {a.number}
    assert listed(status="recorded") == {b.number}
    assert listed(channel="phone") == {a.number}
    assert listed(cadre="张") == {a.number}
    assert listed(unit=tree["town_a"].pk) == {a.number}
    assert listed(unit=tree["county_a"].pk) == {a.number, b.number}
    assert listed(date_from="2026-06-02") == {b.number}
    assert listed(date_to="2026-06-01") == {a.number}


def test_a_reversed_date_range_is_explained_not_applied(client, staff, tree):
    record(staff, tree["town_a"])
    client.force_login(staff)
    response = client.get(reverse("workorders:home"), {"date_from": "2026-06-10", "date_to": "2026-06-01"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期。" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_queries_for_3_or_30_orders(
    client, staff, tree, cadre_a, count, django_assert_num_queries
):
    for n in range(count):
        order = record(staff, tree["town_a"])
        if n % 2:
            services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    client.force_login(staff)
    # session, user, the user's unit (scope); the filter's unit select; the count and the page
    # (the latest round's cadre, promise and cause as subqueries of it)
    with django_assert_num_queries(6):
        response = client.get(reverse("workorders:home"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == count


# ---------------------------------------------------------------- recording


def test_recording_a_need_through_the_page(client, staff, tree):
    client.force_login(staff)
    response = client.post(
        reverse("workorders:order_create"),
        {
            "unit": tree["town_a"].pk,
            "channel": "proxy",
            "recorded_on": "2026-06-29",
            "title": "独居老人需要探望",
            "resident_name": "李桂英",
            "resident_contact": "13900001111",
            "relayed_by": "女儿 张丽",
        },
        follow=True,
    )
    order = WorkOrder.objects.get()
    assert response.redirect_chain[-1][0] == reverse("workorders:order_detail", args=[order.pk])
    assert f"已登记民情工单 {order.number}，请在 2026-07-02 前派单。" in response.content.decode()


def test_a_bad_recording_is_shown_again_with_its_errors_and_nothing_saved(client, staff, tree):
    client.force_login(staff)
    response = client.post(
        reverse("workorders:order_create"),
        {
            "unit": tree["town_a"].pk,
            "channel": "proxy",
            "recorded_on": "2026-07-01",
            "title": "路灯",
            "resident_name": "李",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "点单日期不能晚于今天。" in html and "他人代为诉说的，请填写代为诉说人。" in html
    assert not WorkOrder.objects.exists()


def test_a_reader_may_not_open_the_recording_page(client, users):
    client.force_login(users[Role.AUDITOR])
    assert client.get(reverse("workorders:order_create")).status_code == 403


# ---------------------------------------------------------------- an order's page


def test_the_contact_is_masked_for_a_role_that_may_not_see_id_numbers(client, users, tree):
    order = record(users[Role.STAFF], tree["town_a"])
    assert "138****5678" in detail(client, users[Role.AUDITOR], order)
    assert CONTACT not in detail(client, users[Role.AUDITOR], order)
    assert CONTACT in detail(client, users[Role.COUNTY_ADMIN], order)


@pytest.mark.parametrize(
    ("to", "forms"),
    [
        ("record", {"dispatch"}),
        ("dispatch", {"accept"}),
        ("accept", {"handle"}),
        ("handle", {"rate"}),
        ("rate", {"followup"}),
        ("followup", {"dispatch"}),
        ("closed", set()),
    ],
)
def test_the_page_offers_only_the_step_the_status_allows(client, staff, tree, cadre_a, to, forms):
    order = record(staff, tree["town_a"])
    steps = ["dispatch", "accept", "handle", "rate", "followup", "closed"]
    done = steps[: steps.index(to) + 1] if to != "record" else []
    if "dispatch" in done:
        services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    if "accept" in done:
        services.order_accept(
            actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-10")
        )
    if "handle" in done:
        services.order_handle(actor=staff, order=order, handled_on=d("2026-06-05"), handling="更换灯泡")
    if to == "closed":
        services.order_rate(actor=staff, order=order, rating="satisfied", rated_on=d("2026-06-06"))
    elif "rate" in done:
        services.order_rate(actor=staff, order=order, rating="unsatisfied", rated_on=d("2026-06-06"))
    if to == "followup":
        services.order_followup(
            actor=staff, order=order, followup_on=d("2026-06-07"), reason="未按约上门", cause="cadre"
        )
    html = detail(client, staff, order)
    assert step_forms(html, order) == forms
    if to == "followup":
        assert "下一步：重新派单" in html and "待重新派单" in html


def test_a_reader_sees_the_life_but_no_step_form(client, users, tree):
    order = record(users[Role.STAFF], tree["town_a"])
    html = detail(client, users[Role.AUDITOR], order)
    assert step_forms(html, order) == set()
    assert "居民点单" in html and "组织部工作人员" not in html  # the step, by its actor's name
    client.force_login(users[Role.AUDITOR])
    response = client.post(step_url(order, "dispatch"), {})
    assert response.status_code == 403


def test_the_life_lists_each_step_with_who_and_when(client, users, tree, cadre_a):
    staff = users[Role.STAFF]
    order = record(staff, tree["town_a"])
    services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    html = detail(client, users[Role.AUDITOR], order)
    life = html[html.index('data-testid="order-life"') :]
    assert "居民点单" in life and "派单" in life and "2026-06-02" in life
    assert str(staff) in life and "2026-06-30" in life  # who, and when it was entered


def test_dispatching_through_the_page(client, staff, tree, cadre_a):
    order = record(staff, tree["town_a"], on="2026-06-20")
    client.force_login(staff)
    response = client.post(
        step_url(order, "dispatch"),
        {"cadre_query": "张三", "dispatched_on": "2026-06-24", "note": "就近派单"},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("workorders:order_detail", args=[order.pk])
    assert "已派单给张三（第1轮）（超过派单期限 1 天），等待接单。" in html
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED
    assert step_forms(html, order) == {"accept"}


def test_a_bad_step_is_shown_again_with_its_error_and_nothing_changes(client, staff, tree, cadre_a):
    order = record(staff, tree["town_a"])
    services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    client.force_login(staff)
    response = client.post(
        step_url(order, "accept"), {"accepted_on": "2026-06-05", "promised_on": "2026-06-04"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "承诺限期不能早于接单日期。" in html
    assert step_forms(html, order) == {"accept"}
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED and Dispatch.objects.get().accepted_on is None


def test_a_step_out_of_order_is_refused_with_its_reason(client, staff, tree, cadre_a):
    order = record(staff, tree["town_a"])
    steps_before = OrderStep.objects.count()
    client.force_login(staff)
    response = client.post(step_url(order, "rate"), {"rating": "satisfied", "rated_on": "2026-06-05"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "该工单当前状态为“待派单”，不能登记群众评价。" in html
    assert step_forms(html, order) == {"dispatch"}
    assert OrderStep.objects.count() == steps_before


def test_rating_and_following_up_through_the_page(client, staff, tree, cadre_a):
    order = record(staff, tree["town_a"])
    services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
    services.order_accept(actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-10"))
    services.order_handle(actor=staff, order=order, handled_on=d("2026-06-05"), handling="更换灯泡")
    client.force_login(staff)
    response = client.post(
        step_url(order, "rate"),
        {"rating": "unsatisfied", "rated_on": "2026-06-06", "score": "55"},
        follow=True,
    )
    assert "已登记群众评价“不满意”，请及时回访了解不满意的原因。" in response.content.decode()
    response = client.post(
        step_url(order, "followup"),
        {
            "followup_on": "2026-06-08",
            "reason": "灯泡又坏了",
            "cause": "objective",
            "explanation": "线路老化，已报修",
        },
        follow=True,
    )
    assert "已登记回访：属客观原因，经解释说明，工单已办结。" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.closed_on == d("2026-06-08")


def test_an_order_outside_the_subtree_is_not_found(client, users, tree):
    order = record(users["city_staff"], tree["town_b"])
    client.force_login(users[Role.STAFF])
    assert client.get(reverse("workorders:order_detail", args=[order.pk])).status_code == 404
    assert client.post(step_url(order, "dispatch"), {}).status_code == 404


# ---------------------------------------------------------------- party groups


def test_adding_and_changing_a_party_group(client, staff, tree):
    client.force_login(staff)
    response = client.post(
        reverse("workorders:groups"),
        {"unit": tree["town_a"].pk, "name": "第一党小组", "leader": "刘建国", "active": "on"},
        follow=True,
    )
    assert "已新增党小组“第一党小组”（甲镇）。" in response.content.decode()
    group = PartyGroup.objects.get()
    response = client.post(
        reverse("workorders:group_edit", args=[group.pk]),
        {"unit": tree["town_a"].pk, "name": "幸福路党小组", "leader": "刘建国"},
        follow=True,
    )
    assert "已修改党小组“幸福路党小组”（甲镇）。" in response.content.decode()
    group.refresh_from_db()
    assert (group.name, group.active) == ("幸福路党小组", False)


def test_a_duplicate_group_name_is_shown_again(client, staff, tree):
    services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组")
    client.force_login(staff)
    response = client.post(reverse("workorders:groups"), {"unit": tree["town_a"].pk, "name": "第一党小组"})
    assert response.status_code == 200
    assert "“甲镇”已有名为“第一党小组”的党小组。" in response.content.decode()
    assert PartyGroup.objects.count() == 1


def test_a_reader_sees_the_groups_without_a_form(client, users, tree):
    services.party_group_save(actor=users[Role.STAFF], unit=tree["town_a"], name="第一党小组")
    client.force_login(users[Role.AUDITOR])
    html = client.get(reverse("workorders:groups")).content.decode()
    assert "第一党小组" in html and "新增党小组" not in html
    assert (
        client.post(reverse("workorders:groups"), {"unit": tree["town_a"].pk, "name": "x"}).status_code == 403
    )


@pytest.mark.parametrize("count", [2, 12])
def test_the_group_list_takes_the_same_queries_for_2_or_12_groups(
    client, staff, tree, count, django_assert_num_queries
):
    for n in range(count):
        services.party_group_save(actor=staff, unit=tree["town_a"], name=f"第{n}党小组")
    client.force_login(staff)
    # session, user, the user's unit (scope); the form's unit select; the count and the page
    with django_assert_num_queries(6):
        response = client.get(reverse("workorders:groups"))
    assert len(response.context["page"].object_list) == count


# ---------------------------------------------------------------- the profile


def test_the_profile_counts_the_cadres_rounds_and_links_the_latest(client, staff, tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"], name="赵六")
    for n, (rating, handled) in enumerate([("satisfied", "2026-06-05"), ("basic", "2026-06-12")]):
        order = record(staff, tree["town_a"], title=f"需求{n}")
        services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))
        services.order_accept(
            actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-10")
        )
        services.order_handle(actor=staff, order=order, handled_on=d(handled), handling="办好")
        services.order_rate(actor=staff, order=order, rating=rating, rated_on=d("2026-06-13"), score=90)
    record_other = record(staff, tree["town_a"], title="别人的")
    services.order_dispatch(actor=staff, order=record_other, cadre=other, dispatched_on=d("2026-06-02"))
    client.force_login(staff)
    response = client.get(reverse("cadres:detail", args=[cadre_a.pk]))
    html = response.content.decode()
    section = html[html.index('data-testid="workorders-section"') :]
    assert "承办 2 件" in section
    assert 'data-testid="wo-on-time">1<' in section  # the second one was handled past its promise
    assert "满意 <strong>1</strong>，基本满意 <strong>1</strong>" in section
    assert "别人的" not in section
    assert reverse("workorders:order_detail", args=[order.pk]) in section
    titles = {e.title for e in response.context["events"] if e.kind == "民情工单"}
    assert "派单：需求0" in titles and "群众评价基本满意：需求1" in titles


def test_a_cadre_without_rounds_has_no_section(client, staff, cadre_a):
    client.force_login(staff)
    html = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert 'id="workorders"' not in html
