"""Every write of residents' work orders (民情工单): recording a need, dispatching it to a cadre,
the cadre's acceptance with a promised deadline, the handling, the resident's rating and the
follow-up of a 不满意; and the party groups that dispatch.

Each step checks the capability (``manage_workorders``) and the scope (PermissionDenied), locks
the order (``select_for_update``: two people taking the same step at once, the second is refused
with the status the first one left), refuses a step the order's status does not allow and bad
dates with Chinese messages (ValidationError), then writes the change, one ``OrderStep`` (what,
on which day, who) and the audit trail in the same transaction. A change of a dispatch round
asks the grading engine to rescore the round's cadre (``score_source.orders_changed``).

The life of an order (``OrderStatus``)::

    待派单 --派单--> 待接单 --接单--> 办理中 --办理--> 待评价 --满意/基本满意--> 已办结
                                                         \\--不满意--> 不满意待回访
    不满意待回访 --回访：客观原因--> 已办结
    不满意待回访 --回访：干部个人原因--> (待重新派单) --重新派单--> 待接单 (a new round)
"""

from __future__ import annotations

import datetime
import re
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, CadreStatus, Unit
from cadres.selectors import unit_in_scope

from . import policy, score_source
from .models import (
    Cause,
    Channel,
    Dispatch,
    OrderStatus,
    OrderStep,
    PartyGroup,
    Rating,
    Step,
    WorkOrder,
)

EARLIEST_YEAR = 2000
TITLE_MAX = 100
CONTENT_MAX = 2000
NAME_MAX = 30
CONTACT_MAX = 50
NOTE_MAX = 200
TEXT_MAX = 2000
STEP_NOTE_MAX = 300
# A promise further out than this is a typing error, not a deadline.
PROMISE_MAX_DAYS = 366
# Cadres no longer in service are not dispatched to.
GONE = (CadreStatus.RETIRED, CadreStatus.DISMISSED)
# A run of digits this long in the public summary looks like a phone number.
PHONE_LIKE = re.compile(r"\d{7,}")

# The label of a status as the pages say it: an UNSATISFIED order whose follow-up found the
# cadre's fault waits for its re-dispatch.
AWAITING_REDISPATCH = "待重新派单"


# ---------------------------------------------------------------- reading the state


def last_round(order: WorkOrder) -> Dispatch | None:
    return order.dispatches.order_by("-round").first()


def stage_label(order: WorkOrder, last: Dispatch | None) -> str:
    """The order's status as a user reads it (``待重新派单`` for an UNSATISFIED order whose
    follow-up found the cadre at fault)."""
    if order.status == OrderStatus.UNSATISFIED and last is not None and last.cause == Cause.CADRE:
        return AWAITING_REDISPATCH
    return OrderStatus(order.status).label


def allowed_steps(order: WorkOrder, last: Dispatch | None) -> list[str]:
    """The steps (``Step`` values) the order's status allows next; ``last`` is its latest round."""
    status = order.status
    if status == OrderStatus.RECORDED:
        return [Step.DISPATCH]
    if status == OrderStatus.DISPATCHED:
        return [Step.ACCEPT]
    if status == OrderStatus.ACCEPTED:
        return [Step.HANDLE]
    if status == OrderStatus.HANDLED:
        return [Step.RATE]
    if status == OrderStatus.UNSATISFIED:
        if last is not None and last.cause == Cause.CADRE:
            return [Step.REDISPATCH]
        return [Step.FOLLOWUP]
    return []


# ---------------------------------------------------------------- checks


def _require_manage(actor) -> None:
    if not actor.can("manage_workorders"):
        raise PermissionDenied("您的角色只能查阅民情工单，不能登记或办理。")


def _require_unit(actor, unit: Unit | None) -> None:
    if unit is None:
        raise ValidationError({"unit": "请选择工单所属村（社区）。"})
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def _not_future(errors: dict, field: str, value: datetime.date | None, label: str) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(field, f"{label}不能晚于今天。")


def _date(errors: dict, field: str, value, label: str, *, after: datetime.date | None, after_label: str = ""):
    """Required, not in the future, not before ``after`` (the previous step's date)."""
    if value is None:
        errors[field] = f"请填写{label}。"
        return
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = f"请填写正确的{label}。"
        return
    _not_future(errors, field, value, label)
    if after is not None and value < after:
        errors.setdefault(field, f"{label}不能早于{after_label}（{after:%Y-%m-%d}）。")


def _text(errors: dict, field: str, value, label: str, *, limit: int, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors[field] = f"请填写{label}。"
    elif len(text) > limit:
        errors[field] = f"{label}不能超过{limit}个字。"
    return text


def _check_group(errors: dict, group: PartyGroup | None, unit: Unit, field: str = "party_group") -> None:
    if group is None:
        return
    if group.unit_id != unit.pk:
        errors[field] = f"党小组“{group.name}”不属于“{unit.name}”，请选择本村（社区）的党小组。"
    elif not group.active:
        errors[field] = f"党小组“{group.name}”已停用。"


class StepOutOfOrder(ValidationError):
    """A step the order's state does not allow (rating before handling, accepting twice): the
    message says what the order is waiting for. Pages show it like any refusal; the API answers
    409 ``step_out_of_order`` (``core.api.call_service`` reads ``conflict_code``)."""

    conflict_code = "step_out_of_order"


def _refuse(order: WorkOrder, last: Dispatch | None, what: str, hint: str = "") -> None:
    raise StepOutOfOrder(f"该工单当前状态为“{stage_label(order, last)}”，不能{what}。{hint}")


# ---------------------------------------------------------------- writing


def _audit(actor, action, instance, order: WorkOrder, *, before=None, cadre_id=None, reason: str = ""):
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=snapshot(instance),
        cadre_id=cadre_id,
        scope_path=order.unit.path,
        reason=reason,
    )


def _step(actor, order: WorkOrder, step: str, on: datetime.date, note: str, dispatch: Dispatch | None = None):
    return OrderStep.objects.create(
        order=order, dispatch=dispatch, step=step, on=on, note=note[:STEP_NOTE_MAX], actor=actor
    )


def _set_status(actor, order: WorkOrder, status: str, *, reason: str, closed_on=None, close_note: str = ""):
    before = snapshot(order)
    order.status = status
    fields = ["status", "updated_at"]
    if status == OrderStatus.CLOSED:
        order.closed_on, order.close_note = closed_on, close_note
        fields += ["closed_on", "close_note"]
    order.save(update_fields=fields)
    _audit(actor, AuditAction.UPDATE, order, order, before=before, reason=reason)


def _changed(actor, dispatch: Dispatch) -> None:
    score_source.orders_changed(cadres=[dispatch.cadre], actor=actor)


def _locked(actor, order: WorkOrder) -> tuple[WorkOrder, Dispatch | None]:
    """The order, locked, and its latest round (the lock on the order covers its rounds: every
    write locks the order first)."""
    _require_manage(actor)
    try:
        current = WorkOrder.objects.select_for_update(of=("self",)).select_related("unit").get(pk=order.pk)
    except WorkOrder.DoesNotExist:
        raise ValidationError("该工单不存在或已被删除。") from None
    if not unit_in_scope(actor, current.unit):
        raise PermissionDenied("该工单不在您的管辖范围内。")
    last = current.dispatches.select_related("cadre").order_by("-round").first()
    return current, last


# ---------------------------------------------------------------- recording a need


def _number(order: WorkOrder) -> str:
    return f"MQ{order.recorded_on.year}-{order.pk:06d}"


@transaction.atomic
def order_record(
    *,
    actor,
    unit: Unit,
    channel: str,
    title: str,
    resident_name: str,
    recorded_on: datetime.date,
    content: str = "",
    resident_contact: str = "",
    relayed_by: str = "",
    party_group: PartyGroup | None = None,
) -> WorkOrder:
    """Record a resident's need (居民点单) at ``unit``; it is due for dispatch by the unit's
    WORKORDER rule (``policy.dispatch_due``: three days by default)."""
    _require_manage(actor)
    _require_unit(actor, unit)
    errors: dict[str, str] = {}
    if channel not in Channel.values:
        errors["channel"] = "请选择来源渠道。"
    title = _text(errors, "title", title, "需求摘要", limit=TITLE_MAX, required=True)
    content = _text(errors, "content", content, "需求详情", limit=CONTENT_MAX, required=False)
    resident_name = _text(errors, "resident_name", resident_name, "居民姓名", limit=NAME_MAX, required=True)
    resident_contact = _text(
        errors, "resident_contact", resident_contact, "联系方式", limit=CONTACT_MAX, required=False
    )
    relayed_by = _text(errors, "relayed_by", relayed_by, "代为诉说人", limit=NAME_MAX, required=False)
    if channel == Channel.PROXY and not relayed_by and "relayed_by" not in errors:
        errors["relayed_by"] = "他人代为诉说的，请填写代为诉说人。"
    # the summary is shown on the public board: no resident's name or phone number in it
    if "title" not in errors and title:
        if resident_name and resident_name in title:
            errors["title"] = "需求摘要会在民心墙公示，请勿写入居民姓名。"
        elif PHONE_LIKE.search(title) or (resident_contact and resident_contact in title):
            errors["title"] = "需求摘要会在民心墙公示，请勿写入电话号码等联系方式。"
    _date(errors, "recorded_on", recorded_on, "点单日期", after=None)
    if "recorded_on" not in errors and recorded_on.year < EARLIEST_YEAR:
        errors["recorded_on"] = f"点单日期不能早于{EARLIEST_YEAR}年。"
    _check_group(errors, party_group, unit)
    if errors:
        raise ValidationError(errors)
    order = WorkOrder.objects.create(
        number=f"T{uuid.uuid4().hex[:19]}",  # replaced by the readable number once the id is known
        unit=unit,
        party_group=party_group,
        channel=channel,
        title=title,
        content=content,
        resident_name=resident_name,
        resident_contact=resident_contact,
        relayed_by=relayed_by,
        recorded_on=recorded_on,
        dispatch_due=policy.dispatch_due(unit, recorded_on),
        recorded_by=actor,
    )
    order.number = _number(order)
    order.save(update_fields=["number"])
    via = Channel(channel).label + (f"，{relayed_by}代为诉说" if relayed_by else "")
    group = f"，{party_group.name}" if party_group else ""
    _step(actor, order, Step.RECORD, recorded_on, f"{via}{group}；派单期限 {order.dispatch_due:%Y-%m-%d}")
    _audit(actor, AuditAction.CREATE, order, order)
    return order


# ---------------------------------------------------------------- the round's steps


@transaction.atomic
def order_dispatch(
    *,
    actor,
    order: WorkOrder,
    cadre: Cadre,
    dispatched_on: datetime.date,
    party_group: PartyGroup | None = None,
    note: str = "",
) -> Dispatch:
    """Dispatch the order to ``cadre`` (派单): the first round of a recorded need, or a new round
    (重新派单) after a follow-up found the last cadre at fault. A dispatch after the order's
    dispatch deadline goes through and is recorded as late."""
    current, last = _locked(actor, order)
    redispatch = current.status == OrderStatus.UNSATISFIED and last is not None and last.cause == Cause.CADRE
    if current.status != OrderStatus.RECORDED and not redispatch:
        if current.status == OrderStatus.UNSATISFIED:
            _refuse(current, last, "派单", "须先回访了解不满意原因；属干部个人原因的，才能重新派单。")
        _refuse(current, last, "重新派单" if current.status == OrderStatus.CLOSED else "派单")
    if cadre is None:
        raise ValidationError({"cadre": "请选择承办干部。"})
    if not unit_in_scope(actor, cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内，不能向其派单。")
    errors: dict[str, str] = {}
    if cadre.status in GONE:
        errors["cadre"] = f"{cadre.name}当前状态为“{cadre.get_status_display()}”，不能向其派单。"
    if redispatch:
        _date(
            errors, "dispatched_on", dispatched_on, "派单日期", after=last.followup_on, after_label="回访日期"
        )
    else:
        _date(
            errors,
            "dispatched_on",
            dispatched_on,
            "派单日期",
            after=current.recorded_on,
            after_label="点单日期",
        )
    note = _text(errors, "note", note, "派单说明", limit=NOTE_MAX, required=False)
    _check_group(errors, party_group, current.unit)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                order=current,
                round=(last.round + 1) if last else 1,
                cadre=cadre,
                party_group=party_group,
                dispatched_on=dispatched_on,
                dispatch_note=note,
                dispatched_by=actor,
            )
    except IntegrityError:
        raise StepOutOfOrder("该工单刚刚已被他人派单，请刷新页面后查看。") from None
    by = f"{party_group.name}派单" if party_group else "单位派单"
    words = [f"{by}给{cadre.name}（第{dispatch.round}轮）"]
    if not redispatch and dispatched_on > current.dispatch_due:
        late = (dispatched_on - current.dispatch_due).days
        words.append(f"超过派单期限（{current.dispatch_due:%Y-%m-%d}）{late}天")
    if note:
        words.append(note)
    _step(
        actor,
        current,
        Step.REDISPATCH if redispatch else Step.DISPATCH,
        dispatched_on,
        "；".join(words),
        dispatch,
    )
    _audit(actor, AuditAction.CREATE, dispatch, current, cadre_id=cadre.pk)
    _set_status(actor, current, OrderStatus.DISPATCHED, reason="重新派单" if redispatch else "派单")
    _changed(actor, dispatch)
    return dispatch


def _round_update(actor, current: WorkOrder, last: Dispatch, status: str, reason: str, **values) -> Dispatch:
    before = snapshot(last)
    for name, value in values.items():
        setattr(last, name, value)
    last.save(update_fields=[*values, "updated_at"])
    _audit(actor, AuditAction.UPDATE, last, current, before=before, cadre_id=last.cadre_id, reason=reason)
    if status != current.status:
        _set_status(actor, current, status, reason=reason)
    return last


@transaction.atomic
def order_accept(
    *, actor, order: WorkOrder, accepted_on: datetime.date, promised_on: datetime.date
) -> Dispatch:
    """The cadre accepts the dispatched order (接单) and promises a deadline (承诺限期)."""
    current, last = _locked(actor, order)
    if current.status != OrderStatus.DISPATCHED:
        hint = "该工单已接单。" if current.status == OrderStatus.ACCEPTED else ""
        _refuse(current, last, "登记接单", hint)
    errors: dict[str, str] = {}
    _date(errors, "accepted_on", accepted_on, "接单日期", after=last.dispatched_on, after_label="派单日期")
    if promised_on is None:
        errors["promised_on"] = "请填写承诺限期。"
    elif not isinstance(promised_on, datetime.date) or isinstance(promised_on, datetime.datetime):
        errors["promised_on"] = "请填写正确的承诺限期。"
    elif "accepted_on" not in errors:
        if promised_on < accepted_on:
            errors["promised_on"] = "承诺限期不能早于接单日期。"
        elif (promised_on - accepted_on).days > PROMISE_MAX_DAYS:
            errors["promised_on"] = "承诺限期距接单日期不能超过一年。"
    if errors:
        raise ValidationError(errors)
    _round_update(
        actor, current, last, OrderStatus.ACCEPTED, "接单", accepted_on=accepted_on, promised_on=promised_on
    )
    _step(
        actor,
        current,
        Step.ACCEPT,
        accepted_on,
        f"{last.cadre.name}接单，承诺{promised_on:%Y-%m-%d}前办结",
        last,
    )
    _changed(actor, last)
    return last


@transaction.atomic
def order_handle(*, actor, order: WorkOrder, handled_on: datetime.date, handling: str) -> Dispatch:
    """Record that the cadre has handled the need (办理完成) and what was done."""
    current, last = _locked(actor, order)
    if current.status != OrderStatus.ACCEPTED:
        hint = "须先登记接单。" if current.status == OrderStatus.DISPATCHED else ""
        _refuse(current, last, "登记办理情况", hint)
    errors: dict[str, str] = {}
    _date(errors, "handled_on", handled_on, "办理完成日期", after=last.accepted_on, after_label="接单日期")
    handling = _text(errors, "handling", handling, "办理情况", limit=TEXT_MAX, required=True)
    if errors:
        raise ValidationError(errors)
    _round_update(
        actor, current, last, OrderStatus.HANDLED, "办理完成", handled_on=handled_on, handling=handling
    )
    late = (
        "" if handled_on <= last.promised_on else f"（超过承诺限期{(handled_on - last.promised_on).days}天）"
    )
    _step(actor, current, Step.HANDLE, handled_on, f"{last.cadre.name}办理完成{late}：{handling}", last)
    _changed(actor, last)
    return last


def _parse_score(errors: dict, score) -> int | None:
    if score is None or score == "":
        return None
    if isinstance(score, bool):
        errors["score"] = "评价得分应为 0–100 的整数。"
        return None
    try:
        value = int(score)
    except (TypeError, ValueError):
        errors["score"] = "评价得分应为 0–100 的整数。"
        return None
    if value != score and str(value) != str(score).strip():
        errors["score"] = "评价得分应为 0–100 的整数。"
    elif not 0 <= value <= 100:
        errors["score"] = "评价得分应在 0 到 100 之间。"
    return value


@transaction.atomic
def order_rate(
    *, actor, order: WorkOrder, rating: str, rated_on: datetime.date, score=None, note: str = ""
) -> Dispatch:
    """The resident rates the handling (群众评单): 满意 or 基本满意 close the order; 不满意 awaits
    the follow-up talk. ``score`` is the 0–100 score where the locality uses one."""
    current, last = _locked(actor, order)
    if current.status != OrderStatus.HANDLED:
        hint = (
            "须先登记办理情况。" if current.status in (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED) else ""
        )
        _refuse(current, last, "登记群众评价", hint)
    errors: dict[str, str] = {}
    if rating not in Rating.values:
        errors["rating"] = "请选择群众评价：满意、基本满意或不满意。"
    _date(errors, "rated_on", rated_on, "评价日期", after=last.handled_on, after_label="办理完成日期")
    value = _parse_score(errors, score)
    note = _text(errors, "note", note, "评价意见", limit=NOTE_MAX, required=False)
    if errors:
        raise ValidationError(errors)
    closes = rating != Rating.UNSATISFIED
    status = OrderStatus.CLOSED if closes else OrderStatus.UNSATISFIED
    before = snapshot(last)
    last.rating, last.rated_on, last.score, last.rating_note = rating, rated_on, value, note
    last.save(update_fields=["rating", "rated_on", "score", "rating_note", "updated_at"])
    _audit(actor, AuditAction.UPDATE, last, current, before=before, cadre_id=last.cadre_id, reason="群众评单")
    label = Rating(rating).label
    words = [label + (f"，{value}分" if value is not None else "")]
    if note:
        words.append(note)
    _step(actor, current, Step.RATE, rated_on, "；".join(words), last)
    if closes:
        _set_status(
            actor, current, status, reason="群众评单", closed_on=rated_on, close_note=f"群众评价{label}"
        )
        _step(actor, current, Step.CLOSE, rated_on, f"群众评价{label}，办结", last)
    else:
        _set_status(actor, current, status, reason="群众评单")
    _changed(actor, last)
    return last


@transaction.atomic
def order_followup(
    *, actor, order: WorkOrder, followup_on: datetime.date, reason: str, cause: str, explanation: str = ""
) -> Dispatch:
    """The follow-up talk after 不满意 (回访): the reason and its cause. An objective cause is
    explained to the resident and the order closes; the cadre's own leaves it for re-dispatch."""
    current, last = _locked(actor, order)
    if current.status != OrderStatus.UNSATISFIED or last is None or last.cause:
        if current.status == OrderStatus.UNSATISFIED:
            _refuse(current, last, "再次回访", "已回访，属干部个人原因，请重新派单。")
        _refuse(current, last, "登记不满意回访", "群众评价为“不满意”的工单才需回访。")
    errors: dict[str, str] = {}
    _date(errors, "followup_on", followup_on, "回访日期", after=last.rated_on, after_label="评价日期")
    reason = _text(errors, "reason", reason, "不满意原因", limit=TEXT_MAX, required=True)
    if cause not in Cause.values:
        errors["cause"] = "请选择原因类别：干部个人原因或客观原因。"
    objective = cause == Cause.OBJECTIVE
    explanation = _text(errors, "explanation", explanation, "解释说明", limit=TEXT_MAX, required=objective)
    if errors:
        raise ValidationError(errors)
    _round_update(
        actor,
        current,
        last,
        current.status,
        "不满意回访",
        followup_on=followup_on,
        followup_reason=reason,
        cause=cause,
        explanation=explanation,
    )
    why = "客观原因" if objective else "干部个人原因，待重新派单"
    _step(actor, current, Step.FOLLOWUP, followup_on, f"{why}：{reason}", last)
    if objective:
        _set_status(
            actor,
            current,
            OrderStatus.CLOSED,
            reason="回访解释后办结",
            closed_on=followup_on,
            close_note=explanation,
        )
        _step(actor, current, Step.CLOSE, followup_on, f"解释说明后办结：{explanation}", last)
    _changed(actor, last)
    return last


# ---------------------------------------------------------------- party groups


@transaction.atomic
def party_group_save(
    *, actor, unit: Unit, name: str, leader: str = "", active: bool = True, group: PartyGroup | None = None
) -> PartyGroup:
    """Create a party group (党小组) of ``unit``, or change ``group``. A group that has recorded
    orders stays with its unit (their party group must be of the order's unit)."""
    _require_manage(actor)
    _require_unit(actor, unit)
    if group is not None:
        group = PartyGroup.objects.select_for_update().select_related("unit").get(pk=group.pk)
        if not unit_in_scope(actor, group.unit):
            raise PermissionDenied("该党小组不在您的管辖范围内。")
    errors: dict[str, str] = {}
    name = _text(errors, "name", name, "党小组名称", limit=50, required=True)
    leader = _text(errors, "leader", leader, "党小组长", limit=NAME_MAX, required=False)
    if (
        group is not None
        and group.unit_id != unit.pk
        and WorkOrder.objects.filter(party_group=group).exists()
    ):
        errors["unit"] = "该党小组已有民情工单，不能改到其他村（社区）；可停用后在新村（社区）另建。"
    if "name" not in errors:
        same = PartyGroup.objects.filter(unit=unit, name=name)
        if group is not None:
            same = same.exclude(pk=group.pk)
        if same.exists():
            errors["name"] = f"“{unit.name}”已有名为“{name}”的党小组。"
    if errors:
        raise ValidationError(errors)
    values = {"unit": unit, "name": name, "leader": leader, "active": bool(active)}
    if group is None:
        group = PartyGroup.objects.create(**values)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=group,
            after=snapshot(group),
            scope_path=unit.path,
        )
        return group
    before = snapshot(group)
    for field, value in values.items():
        setattr(group, field, value)
    group.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=group,
        before=before,
        after=snapshot(group),
        scope_path=unit.path,
    )
    return group
