"""The life of a residents' work order through its services: each step, the steps refused out of
order (with the message, and nothing changed), the date edges, the scope edges and the resident's
contact kept out of the audit trail in clear."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.roles import Role
from audit.models import AuditEntry
from tests.factories import CadreFactory, make_user
from workorders import score_source, services
from workorders.models import Dispatch, OrderStatus, OrderStep, PartyGroup, Step, WorkOrder

TODAY = "2026-06-30"
CONTACT = "13812345678"


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def changed(monkeypatch):
    """The cadres each call of ``score_source.orders_changed`` named."""
    calls = []
    monkeypatch.setattr(
        score_source, "orders_changed", lambda *, cadres, actor=None: calls.append(list(cadres))
    )
    return calls


def record(actor, unit, **extra) -> WorkOrder:
    values = {
        "channel": "wall",
        "title": "楼道路灯不亮",
        "resident_name": "王秀兰",
        "resident_contact": CONTACT,
        "recorded_on": d("2026-06-01"),
    }
    values.update(extra)
    return services.order_record(actor=actor, unit=unit, **values)


def walk(actor, order, cadre, *, to: str) -> WorkOrder:
    """Take ``order`` through the first round up to the step ``to`` (dispatch … followup)."""
    services.order_dispatch(actor=actor, order=order, cadre=cadre, dispatched_on=d("2026-06-02"))
    if to == "dispatch":
        return order
    services.order_accept(actor=actor, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-10"))
    if to == "accept":
        return order
    services.order_handle(actor=actor, order=order, handled_on=d("2026-06-08"), handling="更换灯泡")
    if to == "handle":
        return order
    rating = to.split(":")[1] if to.startswith("rate:") else "unsatisfied"
    services.order_rate(actor=actor, order=order, rating=rating, rated_on=d("2026-06-09"))
    if to.startswith("rate"):
        return order
    cause = to.split(":")[1]
    services.order_followup(
        actor=actor,
        order=order,
        followup_on=d("2026-06-11"),
        reason="未按约上门",
        cause=cause,
        explanation="需纳入明年改造计划" if cause == "objective" else "",
    )
    return order


def state(order: WorkOrder) -> tuple:
    """What a refused step must leave as it was."""
    order.refresh_from_db()
    return (
        order.status,
        order.closed_on,
        list(Dispatch.objects.filter(order=order).values_list("round", "rating", "cause", "accepted_on")),
        OrderStep.objects.filter(order=order).count(),
        AuditEntry.objects.count(),
    )


def refused(call, message: str, order: WorkOrder) -> None:
    before = state(order)
    with pytest.raises(ValidationError) as exc:
        call()
    assert message in " ".join(exc.value.messages)
    assert state(order) == before


# ---------------------------------------------------------------- each step


def test_a_recorded_need_gets_a_readable_number_a_dispatch_due_and_its_first_step(staff, tree):
    order = record(staff, tree["town_a"])
    assert order.number == f"MQ2026-{order.pk:06d}"
    assert order.status == OrderStatus.RECORDED
    assert order.dispatch_due == d("2026-06-04")  # three days by the default rule
    step = order.steps.get()
    assert (step.step, step.on, step.actor) == (Step.RECORD, d("2026-06-01"), staff)
    assert step.at.date() == d(TODAY)


def test_every_step_of_a_satisfied_order_writes_who_and_when(staff, tree, cadre_a, changed):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:satisfied")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.closed_on == d("2026-06-09")
    life = list(order.steps.order_by("at", "id").values_list("step", "on", "actor"))
    assert life == [
        (Step.RECORD, d("2026-06-01"), staff.pk),
        (Step.DISPATCH, d("2026-06-02"), staff.pk),
        (Step.ACCEPT, d("2026-06-03"), staff.pk),
        (Step.HANDLE, d("2026-06-08"), staff.pk),
        (Step.RATE, d("2026-06-09"), staff.pk),
        (Step.CLOSE, d("2026-06-09"), staff.pk),
    ]
    round_ = order.dispatches.get()
    assert round_.on_time is True and round_.rating == "satisfied"
    # every change of the round asked for the cadre's grade to be recomputed
    assert changed == [[cadre_a]] * 4


def test_basic_satisfaction_closes_the_order_too(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:basic")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.close_note == "群众评价基本满意"


def test_unsatisfied_waits_for_the_follow_up_talk(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:unsatisfied")
    order.refresh_from_db()
    assert order.status == OrderStatus.UNSATISFIED and order.closed_on is None
    assert services.allowed_steps(order, services.last_round(order)) == [Step.FOLLOWUP]


def test_a_cadre_caused_follow_up_leaves_the_order_for_re_dispatch_to_another_cadre(
    staff, tree, cadre_a, changed
):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="followup:cadre")
    order.refresh_from_db()
    last = services.last_round(order)
    assert order.status == OrderStatus.UNSATISFIED and last.cause == "cadre"
    assert services.stage_label(order, last) == "待重新派单"
    other = CadreFactory(unit=tree["town_a"], name="赵六")
    again = services.order_dispatch(actor=staff, order=order, cadre=other, dispatched_on=d("2026-06-11"))
    order.refresh_from_db()
    assert (again.round, again.cadre, order.status) == (2, other, OrderStatus.DISPATCHED)
    assert order.steps.order_by("-at", "-id").first().step == Step.REDISPATCH
    # the first round keeps its rating and cadre
    assert order.dispatches.get(round=1).rating == "unsatisfied"
    assert changed[-1] == [other]


def test_an_objective_follow_up_is_explained_and_closes_the_order(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="followup:objective")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.closed_on == d("2026-06-11") and order.close_note == "需纳入明年改造计划"
    assert list(order.steps.order_by("at", "id").values_list("step", flat=True))[-2:] == [
        Step.FOLLOWUP,
        Step.CLOSE,
    ]


def test_an_objective_cause_needs_an_explanation(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:unsatisfied")
    with pytest.raises(ValidationError) as exc:
        services.order_followup(
            actor=staff, order=order, followup_on=d("2026-06-11"), reason="超出范围", cause="objective"
        )
    assert exc.value.message_dict == {"explanation": ["请填写解释说明。"]}


def test_a_dispatch_after_the_due_day_goes_through_recorded_as_late(staff, tree, cadre_a):
    on_time = record(staff, tree["town_a"])
    services.order_dispatch(actor=staff, order=on_time, cadre=cadre_a, dispatched_on=d("2026-06-04"))
    late = record(staff, tree["town_a"])
    services.order_dispatch(actor=staff, order=late, cadre=cadre_a, dispatched_on=d("2026-06-05"))
    assert "超过派单期限" not in on_time.steps.get(step=Step.DISPATCH).note
    assert "超过派单期限（2026-06-04）1天" in late.steps.get(step=Step.DISPATCH).note


# ---------------------------------------------------------------- out of order


def test_a_rating_before_the_handling_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="accept")
    refused(
        lambda: services.order_rate(actor=staff, order=order, rating="satisfied", rated_on=d("2026-06-09")),
        "该工单当前状态为“办理中”，不能登记群众评价。",
        order,
    )


def test_accepting_twice_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="accept")
    refused(
        lambda: services.order_accept(
            actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-20")
        ),
        "该工单当前状态为“办理中”，不能登记接单。该工单已接单。",
        order,
    )


def test_a_follow_up_after_satisfied_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:satisfied")
    refused(
        lambda: services.order_followup(
            actor=staff, order=order, followup_on=d("2026-06-11"), reason="x", cause="cadre"
        ),
        "该工单当前状态为“已办结”，不能登记不满意回访。",
        order,
    )


def test_a_re_dispatch_after_an_objective_follow_up_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="followup:objective")
    refused(
        lambda: services.order_dispatch(
            actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-12")
        ),
        "该工单当前状态为“已办结”，不能重新派单。",
        order,
    )


def test_a_re_dispatch_before_the_follow_up_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:unsatisfied")
    refused(
        lambda: services.order_dispatch(
            actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-12")
        ),
        "须先回访了解不满意原因",
        order,
    )


def test_a_second_follow_up_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="followup:cadre")
    refused(
        lambda: services.order_followup(
            actor=staff,
            order=order,
            followup_on=d("2026-06-12"),
            reason="x",
            cause="objective",
            explanation="y",
        ),
        "该工单当前状态为“待重新派单”，不能再次回访。",
        order,
    )


def test_a_dispatch_of_a_dispatched_order_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="dispatch")
    refused(
        lambda: services.order_dispatch(
            actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-03")
        ),
        "该工单当前状态为“待接单”，不能派单。",
        order,
    )


def test_handling_before_acceptance_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="dispatch")
    refused(
        lambda: services.order_handle(actor=staff, order=order, handled_on=d("2026-06-08"), handling="x"),
        "该工单当前状态为“待接单”，不能登记办理情况。须先登记接单。",
        order,
    )


# ---------------------------------------------------------------- dates


def test_a_promise_on_the_acceptance_day_is_accepted(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="dispatch")
    done = services.order_accept(
        actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-03")
    )
    assert done.promised_on == d("2026-06-03")


def test_a_promise_the_day_before_the_acceptance_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="dispatch")
    before = state(order)
    with pytest.raises(ValidationError) as exc:
        services.order_accept(
            actor=staff, order=order, accepted_on=d("2026-06-03"), promised_on=d("2026-06-02")
        )
    assert exc.value.message_dict == {"promised_on": ["承诺限期不能早于接单日期。"]}
    assert state(order) == before


def test_handling_on_the_acceptance_day_is_accepted_and_the_day_before_is_not(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="accept")
    with pytest.raises(ValidationError) as exc:
        services.order_handle(actor=staff, order=order, handled_on=d("2026-06-02"), handling="更换灯泡")
    assert exc.value.message_dict == {"handled_on": ["办理完成日期不能早于接单日期（2026-06-03）。"]}
    done = services.order_handle(actor=staff, order=order, handled_on=d("2026-06-03"), handling="更换灯泡")
    assert done.handled_on == d("2026-06-03")


def test_a_date_after_today_is_refused_and_today_is_not(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="dispatch")
    with pytest.raises(ValidationError) as exc:
        services.order_accept(
            actor=staff, order=order, accepted_on=d("2026-07-01"), promised_on=d("2026-07-05")
        )
    assert exc.value.message_dict["accepted_on"] == ["接单日期不能晚于今天。"]
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["town_a"], recorded_on=d("2026-07-01"))
    assert exc.value.message_dict == {"recorded_on": ["点单日期不能晚于今天。"]}
    # the promise itself lies ahead
    done = services.order_accept(actor=staff, order=order, accepted_on=d(TODAY), promised_on=d("2026-07-05"))
    assert done.accepted_on == d(TODAY)


def test_a_dispatch_before_the_recording_day_is_refused(staff, tree, cadre_a):
    order = record(staff, tree["town_a"])
    with pytest.raises(ValidationError) as exc:
        services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-05-31"))
    assert exc.value.message_dict == {"dispatched_on": ["派单日期不能早于点单日期（2026-06-01）。"]}


def test_a_re_dispatch_before_the_follow_up_day_is_refused(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="followup:cadre")
    with pytest.raises(ValidationError) as exc:
        services.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-10"))
    assert exc.value.message_dict == {"dispatched_on": ["派单日期不能早于回访日期（2026-06-11）。"]}


@pytest.mark.parametrize(
    ("score", "ok"), [(0, True), (100, True), (101, False), (-1, False), ("九十", False)]
)
def test_the_score_is_a_whole_number_from_0_to_100(staff, tree, cadre_a, score, ok):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="handle")
    call = lambda: services.order_rate(  # noqa: E731
        actor=staff, order=order, rating="satisfied", rated_on=d("2026-06-09"), score=score
    )
    if ok:
        assert call().score == score
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert "评价得分" in exc.value.message_dict["score"][0]


# ---------------------------------------------------------------- recording


def test_a_need_told_on_someones_behalf_names_who_told_it(staff, tree):
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["town_a"], channel="proxy")
    assert exc.value.message_dict == {"relayed_by": ["他人代为诉说的，请填写代为诉说人。"]}
    assert record(staff, tree["town_a"], channel="proxy", relayed_by="女儿 张丽").relayed_by == "女儿 张丽"


def test_the_public_summary_may_not_hold_the_residents_name_or_phone(staff, tree):
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["town_a"], title="王秀兰家路灯不亮")
    assert exc.value.message_dict == {"title": ["需求摘要会在民心墙公示，请勿写入居民姓名。"]}
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["town_a"], title="路灯不亮 13812345678")
    assert exc.value.message_dict == {"title": ["需求摘要会在民心墙公示，请勿写入电话号码等联系方式。"]}


def test_the_party_group_must_be_of_the_orders_unit(staff, tree):
    group = services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组")
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["county_a"], party_group=group)
    assert exc.value.message_dict == {
        "party_group": ["党小组“第一党小组”不属于“甲县”，请选择本村（社区）的党小组。"]
    }
    assert record(staff, tree["town_a"], party_group=group).party_group == group


# ---------------------------------------------------------------- roles and scope


def test_a_county_admin_cannot_dispatch_to_a_cadre_of_another_county(users, tree, cadre_b):
    admin = users[Role.COUNTY_ADMIN]
    order = record(admin, tree["town_a"])
    before = state(order)
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        services.order_dispatch(actor=admin, order=order, cadre=cadre_b, dispatched_on=d("2026-06-02"))
    assert state(order) == before


def test_a_user_one_level_below_the_orders_unit_cannot_act_on_it(users, tree, cadre_a):
    township_staff = make_user("town_staff", Role.STAFF, tree["town_a"])
    order = record(users[Role.STAFF], tree["county_a"])
    with pytest.raises(PermissionDenied, match="该工单不在您的管辖范围内"):
        services.order_dispatch(
            actor=township_staff, order=order, cadre=cadre_a, dispatched_on=d("2026-06-02")
        )
    with pytest.raises(PermissionDenied):
        record(township_staff, tree["county_a"])
    # the order of its own township it may dispatch
    own = record(township_staff, tree["town_a"])
    assert services.order_dispatch(
        actor=township_staff, order=own, cadre=cadre_a, dispatched_on=d("2026-06-02")
    )


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.API_READER])
def test_a_reading_role_cannot_record_or_act(users, tree, cadre_a, role):
    order = record(users[Role.STAFF], tree["town_a"])
    with pytest.raises(PermissionDenied, match="不能登记或办理"):
        record(users[role], tree["town_a"])
    with pytest.raises(PermissionDenied):
        services.order_dispatch(actor=users[role], order=order, cadre=cadre_a, dispatched_on=d("2026-06-02"))


# ---------------------------------------------------------------- personal data


def test_the_residents_contact_is_kept_encrypted_and_masked_in_the_audit_trail(staff, tree, cadre_a):
    order = walk(staff, record(staff, tree["town_a"]), cadre_a, to="rate:satisfied")
    trail = json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)), ensure_ascii=False)
    assert CONTACT not in trail
    assert "138****5678" in trail
    assert WorkOrder.objects.get(pk=order.pk).resident_contact == CONTACT
    with connection.cursor() as cursor:
        cursor.execute("SELECT resident_contact FROM workorders_workorder WHERE id = %s", [order.pk])
        assert CONTACT not in cursor.fetchone()[0]  # encrypted at rest


# ---------------------------------------------------------------- party groups


def test_party_groups_are_unique_by_name_within_a_unit(staff, tree):
    services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组", leader="刘建国")
    with pytest.raises(ValidationError) as exc:
        services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组")
    assert exc.value.message_dict == {"name": ["“甲镇”已有名为“第一党小组”的党小组。"]}
    assert (
        services.party_group_save(actor=staff, unit=tree["county_a"], name="第一党小组").unit
        == tree["county_a"]
    )


def test_a_group_with_orders_stays_with_its_unit_and_may_be_switched_off(staff, tree):
    group = services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组")
    record(staff, tree["town_a"], party_group=group)
    with pytest.raises(ValidationError) as exc:
        services.party_group_save(actor=staff, unit=tree["county_a"], name="第一党小组", group=group)
    assert "不能改到其他村（社区）" in exc.value.message_dict["unit"][0]
    services.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组", active=False, group=group)
    group.refresh_from_db()
    assert group.active is False
    with pytest.raises(ValidationError) as exc:
        record(staff, tree["town_a"], party_group=group)
    assert exc.value.message_dict == {"party_group": ["党小组“第一党小组”已停用。"]}


def test_a_group_outside_the_scope_cannot_be_changed(users, tree):
    group = services.party_group_save(actor=users["city_staff"], unit=tree["town_b"], name="第一党小组")
    with pytest.raises(PermissionDenied):
        services.party_group_save(actor=users[Role.STAFF], unit=tree["town_a"], name="改名", group=group)
    with pytest.raises(PermissionDenied):
        services.party_group_save(actor=users[Role.STAFF], unit=tree["town_b"], name="新党小组")
    assert PartyGroup.objects.get(pk=group.pk).name == "第一党小组"


# ---------------------------------------------------------------- the demo


def _demo(clock, day: str) -> dict:
    """The demo city's registry, then this step alone (later steps add ledger orders of their own)."""
    from cadres.demo import seed_demo
    from workorders.registry_orders import seed_workorders

    clock.set(day)
    seed_demo(cadres=300)
    return seed_workorders()


def test_the_demo_has_orders_in_every_status_within_the_year(db, clock):
    _demo(clock, "2026-11-30")
    orders = WorkOrder.objects.all()
    assert 40 <= orders.count() <= 80
    assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values)
    assert PartyGroup.objects.values("unit").distinct().count() in (2, 3)
    assert not orders.filter(recorded_on__lt=d("2026-01-01")).exists()
    assert not Dispatch.objects.filter(dispatched_on__gt=d("2026-11-30")).exists()
    closed = Dispatch.objects.filter(order__status=OrderStatus.CLOSED)
    assert {"satisfied", "basic", "unsatisfied"} <= set(closed.values_list("rating", flat=True))
    assert {"cadre", "objective"} <= set(Dispatch.objects.values_list("cause", flat=True))
    assert Dispatch.objects.filter(round=2).exists()  # a re-dispatch
    today = d("2026-11-30")
    assert orders.filter(status=OrderStatus.RECORDED, dispatch_due__lt=today).exists()
    assert Dispatch.objects.filter(order__status=OrderStatus.ACCEPTED, promised_on__lt=today).exists()
    assert Dispatch.objects.exclude(score=None).exists()
    # every step went through the services: who and when, and an audit entry
    assert not OrderStep.objects.filter(actor=None).exists()
    assert AuditEntry.objects.filter(model="workorders.workorder").count() >= orders.count()


def test_the_demo_early_in_january_stays_within_the_year_and_before_today(db, clock):
    from workorders.registry_orders import seed_workorders

    assert _demo(clock, "2026-01-06")["work_orders"] > 40
    assert not WorkOrder.objects.filter(recorded_on__lt=d("2026-01-01")).exists()
    assert not Dispatch.objects.filter(rated_on__gt=d("2026-01-06")).exists()
    assert seed_workorders() == {}  # a second run adds nothing
