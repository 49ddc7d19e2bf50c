"""Entering a community's paper ledger of work orders (民情工单本) in one batch.

[003]: every township and community kept a 民情工单本; entering years of it through the step
services would be one transaction per step and order. ``orders_ledger_record`` checks every row
first, against the same rules the step services enforce (dates in the order of the steps, none in
the future; a round's cadre in the caller's scope; a rating only after the handling, a score
0–100; 满意 and 基本满意 close the order, 不满意 closes only with an explanation of an objective
cause), and refuses the whole ledger with every bad row named (第 N 行) when any is wrong. A good
ledger is written with ``bulk_create`` (orders, their one round each and their steps), numbered as
``order_record`` numbers (``MQ<year>-<id>``), audited once for the batch, and the cadres' open
periods are rescored once (``score_source.orders_changed``).

Differences from the step services, on purpose: a ledger row is one round (a re-dispatched order
is entered through the pages); a cadre who has retired since may still appear (the ledger is
history: the services refuse to *dispatch* to a retired cadre today); the resident's name may be
``（台账补录）`` and the handling text ``（台账补录）`` where the paper has none.
"""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from cadres.models import Cadre, Unit
from cadres.selectors import cadres_visible_to, unit_in_scope

from . import policy, score_source
from .models import Cause, Channel, Dispatch, OrderStatus, OrderStep, PartyGroup, Rating, Step, WorkOrder
from .services import (
    CONTACT_MAX,
    CONTENT_MAX,
    EARLIEST_YEAR,
    NAME_MAX,
    PHONE_LIKE,
    PROMISE_MAX_DAYS,
    STEP_NOTE_MAX,
    TEXT_MAX,
    TITLE_MAX,
)

NO_NAME = "（台账补录）"
NO_HANDLING = "（台账补录）"
MAX_ROWS = 10000  # and the request body is capped at DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)
# How many row errors one answer lists (the rest are counted).
MAX_ERRORS = 50
FIELDS = (
    "channel",
    "title",
    "content",
    "resident_name",
    "resident_contact",
    "recorded_on",
    "party_group",
    "cadre",
    "dispatched_on",
    "accepted_on",
    "promised_on",
    "handled_on",
    "handling",
    "rating",
    "score",
    "rated_on",
    "closed",
    "explanation",
)
DATES = {
    "recorded_on": "点单日期",
    "dispatched_on": "派单日期",
    "accepted_on": "接单日期",
    "promised_on": "承诺限期",
    "handled_on": "办理完成日期",
    "rated_on": "评价日期",
}
BATCH_SIZE = 500


def _choice(enum, value) -> str | None:
    """A choice given as its code or its Chinese label."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    for code, label in enum.choices:
        if value in (code, label):
            return code
    return None


def _as_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError


def _as_id(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (Cadre, PartyGroup)):
        return value.pk
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise ValueError


def _as_bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是", "已办结"):
        return True
    if text in ("false", "0", "no", "否", "未办结"):
        return False
    raise ValueError


def _text(value) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


class _Row:
    """One ledger row, parsed; ``problems`` holds what is wrong with it."""

    def __init__(self, number: int, raw):
        self.number = number
        self.problems: list[str] = []
        self.raw_given = raw
        if not isinstance(raw, dict):
            self.problems.append("应为一条工单记录（字段与值）。")
            raw = {}
        unknown = sorted(str(k) for k in raw if k not in FIELDS)
        if unknown:
            self.problems.append(f"无法识别的字段：{'、'.join(unknown)}。")
        if any(isinstance(v, str) and "\x00" in v for v in raw.values()):
            # PostgreSQL refuses NUL in any string; say so instead of failing at the insert
            self.problems.append("内容含有空字符（\\x00），请删除后重新提交。")
            raw = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in raw.items()}
        self.raw = raw
        self.dates: dict[str, datetime.date | None] = {}
        self.bad_dates: set[str] = set()
        for field, label in DATES.items():
            try:
                self.dates[field] = _as_date(raw.get(field))
            except ValueError:
                self.dates[field] = None
                self.bad_dates.add(field)
                self.problems.append(f"{label}格式不正确，应为 YYYY-MM-DD。")
        self.cadre_id = self._id("cadre", "承办干部")
        self.group_id = self._id("party_group", "党小组")
        try:
            self.closed = _as_bool(raw.get("closed"))
        except ValueError:
            self.closed = None
            self.problems.append("是否办结应为 true 或 false。")

    def _id(self, field: str, label: str) -> int | None:
        try:
            return _as_id(self.raw.get(field))
        except ValueError:
            self.problems.append(f"{label}应为整数 id。")
            return None

    def error(self, message: str) -> None:
        self.problems.append(message)


def _check(row: _Row, *, today: datetime.date, cadres: dict, groups: dict, unit: Unit) -> dict | None:
    """The row's values for writing, after checking them (problems go to ``row.problems``)."""
    if row.problems and not isinstance(row.raw_given, dict):
        return None  # not a record at all: saying so is enough
    raw, d = row.raw, row.dates
    channel = _choice(Channel, raw.get("channel"))
    if channel is None:
        row.error("来源渠道应为：" + "、".join(Channel.labels) + "。")
    title = _text(raw.get("title"))
    resident_name = _text(raw.get("resident_name")) or NO_NAME
    contact = _text(raw.get("resident_contact"))
    if not title:
        row.error("请填写需求摘要。")
    elif len(title) > TITLE_MAX:
        row.error(f"需求摘要不能超过{TITLE_MAX}个字。")
    elif resident_name != NO_NAME and resident_name in title:
        row.error("需求摘要会在民心墙公示，请勿写入居民姓名。")
    elif PHONE_LIKE.search(title) or (contact and contact in title):
        row.error("需求摘要会在民心墙公示，请勿写入电话号码等联系方式。")
    content = _text(raw.get("content"))
    for value, label, limit in (
        (content, "需求详情", CONTENT_MAX),
        (resident_name, "居民姓名", NAME_MAX),
        (contact, "联系方式", CONTACT_MAX),
        (_text(raw.get("handling")), "办理情况", TEXT_MAX),
        (_text(raw.get("explanation")), "解释说明", TEXT_MAX),
    ):
        if len(value) > limit:
            row.error(f"{label}不能超过{limit}个字。")

    for field, label in DATES.items():
        if d[field] is not None and d[field] > today:
            row.error(f"{label}不能晚于今天。")
    recorded = d["recorded_on"]
    if recorded is None and "recorded_on" not in row.bad_dates:
        row.error("请填写点单日期。")
    elif recorded is not None and recorded.year < EARLIEST_YEAR:
        row.error(f"点单日期不能早于{EARLIEST_YEAR}年。")

    group = None
    if row.group_id is not None:
        group = groups.get(row.group_id)
        if group is None or group.unit_id != unit.pk:
            row.error(f"党小组（id {row.group_id}）不是“{unit.name}”的党小组。")
        elif not group.active:
            row.error(f"党小组“{group.name}”已停用。")

    # each step needs the one before it, on or after its day
    cadre = None
    if row.cadre_id is not None:
        cadre = cadres.get(row.cadre_id)
        if cadre is None:
            row.error(f"承办干部（id {row.cadre_id}）不存在或不在您的管辖范围内。")
    chain = [
        ("dispatched_on", "recorded_on"),
        ("accepted_on", "dispatched_on"),
        ("handled_on", "accepted_on"),
        ("rated_on", "handled_on"),
    ]
    if (row.cadre_id is None) != (d["dispatched_on"] is None):
        row.error("派单须同时填写承办干部和派单日期。")
    for step, before in chain:
        if d[step] is None:
            continue
        if d[before] is None:
            if before != "recorded_on":
                row.error(f"填写了{DATES[step]}，须先有{DATES[before]}。")
        elif d[step] < d[before]:
            row.error(f"{DATES[step]}不能早于{DATES[before]}（{d[before]:%Y-%m-%d}）。")
    accepted, promised = d["accepted_on"], d["promised_on"]
    if (accepted is None) != (promised is None):
        row.error("接单须同时填写接单日期和承诺限期。")
    elif accepted is not None and promised is not None:
        if promised < accepted:
            row.error("承诺限期不能早于接单日期。")
        elif (promised - accepted).days > PROMISE_MAX_DAYS:
            row.error("承诺限期距接单日期不能超过一年。")

    rating = None
    if raw.get("rating") not in (None, ""):
        rating = _choice(Rating, raw.get("rating"))
        if rating is None:
            row.error("群众评价应为：满意、基本满意或不满意。")
        elif d["handled_on"] is None:
            row.error("有群众评价的工单须先有办理完成日期。")
    elif d["rated_on"] is not None:
        row.error("填写了评价日期，须同时填写群众评价。")
    score = raw.get("score")
    if score in (None, ""):
        score = None
    elif isinstance(score, bool) or not (
        isinstance(score, int) or (isinstance(score, str) and score.strip().isdigit())
    ):
        row.error("评价得分应为 0–100 的整数。")
        score = None
    else:
        score = int(score)
        if not 0 <= score <= 100:
            row.error("评价得分应在 0 到 100 之间。")
        elif rating is None and raw.get("rating") in (None, ""):
            row.error("有评价得分的工单须同时填写群众评价。")

    explanation = _text(raw.get("explanation"))
    closed = row.closed
    if rating in (Rating.SATISFIED, Rating.BASIC):
        if closed is False:
            row.error("群众评价为满意或基本满意的工单即已办结。")
        closed = True
        if explanation:
            row.error("解释说明只用于不满意且属客观原因办结的工单。")
    elif rating == Rating.UNSATISFIED:
        if closed and not explanation:
            row.error("不满意的工单须经回访、属客观原因并填写解释说明后才能办结。")
        elif explanation and closed is False:
            row.error("填写了解释说明（客观原因）的不满意工单即已办结。")
        closed = bool(explanation)
    else:
        if closed:
            row.error("办结的工单须有群众评价（满意、基本满意；不满意的须填写解释说明）。")
        if explanation:
            row.error("解释说明只用于不满意且属客观原因办结的工单。")
        closed = False
    if row.problems:
        return None
    return {
        "channel": channel,
        "title": title,
        "content": content,
        "resident_name": resident_name,
        "resident_contact": contact,
        "group": group,
        "cadre": cadre,
        "dates": d,
        "handling": _text(raw.get("handling")) or NO_HANDLING,
        "rating": rating,
        "score": score,
        "rated_on": d["rated_on"] or (d["handled_on"] if rating else None),
        "closed": closed,
        "explanation": explanation,
    }


def _status(v: dict) -> str:
    d = v["dates"]
    if v["closed"]:
        return OrderStatus.CLOSED
    if v["rating"] == Rating.UNSATISFIED:
        return OrderStatus.UNSATISFIED
    if d["handled_on"]:
        return OrderStatus.HANDLED
    if d["accepted_on"]:
        return OrderStatus.ACCEPTED
    if d["dispatched_on"]:
        return OrderStatus.DISPATCHED
    return OrderStatus.RECORDED


def _number_expression():
    """``MQ<year>-<id, six digits>``, as ``services.order_record`` numbers an order (an id of
    seven digits or more is written whole, as ``f"{pk:06d}"`` does; LPAD would cut it)."""
    text_id = Cast("id", CharField())
    return Concat(
        Value("MQ"),
        Cast(ExtractYear("recorded_on"), CharField()),
        Value("-"),
        Case(When(id__gte=1_000_000, then=text_id), default=LPad(text_id, 6, Value("0"))),
        output_field=CharField(),
    )


@transaction.atomic
def orders_ledger_record(*, actor, unit: Unit, rows) -> int:
    """Enter the ledger ``rows`` of ``unit`` (each a dict: channel, title, recorded_on and
    optionally content, resident_name, resident_contact, party_group, cadre, dispatched_on,
    accepted_on, promised_on, handled_on, handling, rating, score, rated_on, closed,
    explanation). All or nothing: any bad row raises ValidationError ``{"rows": [...]}`` naming
    every bad row (第 N 行, counting from 1). Returns how many orders were written."""
    if not actor.can("manage_workorders"):
        raise PermissionDenied("您的角色只能查阅民情工单，不能登记或办理。")
    if unit is None:
        raise ValidationError({"unit": "请选择工单所属村（社区）。"})
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValidationError({"rows": ["台账为空：请至少填写一条工单。"]})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": [f"一次最多补录 {MAX_ROWS} 条工单，请分批提交。"]})

    parsed = [_Row(i, raw) for i, raw in enumerate(rows, start=1)]
    # one query for the cadres, one for the party groups, one for the dispatch rule
    cadre_ids = {r.cadre_id for r in parsed if r.cadre_id is not None}
    cadres = {c.pk: c for c in cadres_visible_to(actor).filter(pk__in=cadre_ids)} if cadre_ids else {}
    group_ids = {r.group_id for r in parsed if r.group_id is not None}
    groups = {g.pk: g for g in PartyGroup.objects.filter(pk__in=group_ids)} if group_ids else {}
    today = timezone.localdate()
    values = [_check(r, today=today, cadres=cadres, groups=groups, unit=unit) for r in parsed]
    bad = [r for r in parsed if r.problems]
    if bad:
        messages = [f"第{r.number}行：{''.join(r.problems)}" for r in bad[:MAX_ERRORS]]
        if len(bad) > MAX_ERRORS:
            messages.append(f"另有 {len(bad) - MAX_ERRORS} 行有误，未逐一列出。")
        raise ValidationError({"rows": messages})

    days = int(policy.limits_for(unit).get("dispatch_days") or policy.DEFAULT_DISPATCH_DAYS)
    due = datetime.timedelta(days=days)
    token = uuid.uuid4().hex[:12]
    orders = [
        WorkOrder(
            number=f"L{token}{i:06d}",  # numbered MQ<year>-<id> below, once the ids are known
            unit=unit,
            party_group=v["group"],
            channel=v["channel"],
            title=v["title"],
            content=v["content"],
            resident_name=v["resident_name"],
            resident_contact=v["resident_contact"],
            recorded_on=v["dates"]["recorded_on"],
            dispatch_due=v["dates"]["recorded_on"] + due,
            status=_status(v),
            closed_on=v["rated_on"] if v["closed"] else None,
            close_note=(v["explanation"] or f"群众评价{Rating(v['rating']).label}") if v["closed"] else "",
            recorded_by=actor,
        )
        for i, v in enumerate(values)
    ]
    WorkOrder.objects.bulk_create(orders, batch_size=BATCH_SIZE)
    if any(o.pk is None for o in orders):  # a backend that does not return ids
        ids = dict(WorkOrder.objects.filter(number__startswith=f"L{token}").values_list("number", "pk"))
        for o in orders:
            o.pk = o.id = ids[o.number]
    WorkOrder.objects.filter(number__startswith=f"L{token}").update(number=_number_expression())

    dispatches = []
    for order, v in zip(orders, values, strict=True):
        d = v["dates"]
        if v["cadre"] is None:
            continue
        unsatisfied = v["rating"] == Rating.UNSATISFIED
        dispatches.append(
            Dispatch(
                order=order,
                round=1,
                cadre=v["cadre"],
                party_group=v["group"],
                dispatched_on=d["dispatched_on"],
                dispatched_by=actor,
                accepted_on=d["accepted_on"],
                promised_on=d["promised_on"],
                handled_on=d["handled_on"],
                handling=v["handling"] if d["handled_on"] else "",
                rating=v["rating"] or "",
                score=v["score"] if v["rating"] else None,
                rated_on=v["rated_on"],
                followup_on=v["rated_on"] if unsatisfied and v["closed"] else None,
                followup_reason=NO_HANDLING if unsatisfied and v["closed"] else "",
                cause=Cause.OBJECTIVE if unsatisfied and v["closed"] else "",
                explanation=v["explanation"],
            )
        )
    Dispatch.objects.bulk_create(dispatches, batch_size=BATCH_SIZE)
    by_order = {dispatch.order_id: dispatch for dispatch in dispatches}

    steps = []
    for order, v in zip(orders, values, strict=True):
        steps += _steps(actor, order, v, by_order.get(order.pk))
    OrderStep.objects.bulk_create(steps, batch_size=BATCH_SIZE)

    closed = sum(1 for v in values if v["closed"])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=unit,
        after={
            "民情工单台账补录": f"{unit.name}：补录工单 {len(orders)} 件（派单 {len(dispatches)} 件，办结 {closed} 件），"
            f"点单日期 {min(o.recorded_on for o in orders):%Y-%m-%d} 至 {max(o.recorded_on for o in orders):%Y-%m-%d}"
        },
        scope_path=unit.path,
        batch=f"workorder-ledger:{token}",
        reason="民情工单台账补录",
    )
    involved = list({v["cadre"].pk: v["cadre"] for v in values if v["cadre"] is not None}.values())
    if involved:
        score_source.orders_changed(cadres=involved, actor=actor, reason="民情工单台账补录")
    return len(orders)


def _steps(actor, order: WorkOrder, v: dict, dispatch: Dispatch | None) -> list[OrderStep]:
    """The order's life as the step services would have written it, marked as a ledger entry."""
    d = v["dates"]

    def step(kind, on, note):
        return OrderStep(
            order=order, dispatch=dispatch, step=kind, on=on, note=note[:STEP_NOTE_MAX], actor=actor
        )

    out = [
        OrderStep(
            order=order,
            step=Step.RECORD,
            on=d["recorded_on"],
            note=f"台账补录；{Channel(v['channel']).label}；派单期限 {order.dispatch_due:%Y-%m-%d}",
            actor=actor,
        )
    ]
    if dispatch is None:
        return out
    cadre = v["cadre"].name
    words = [f"台账补录：派单给{cadre}（第1轮）"]
    if d["dispatched_on"] > order.dispatch_due:
        words.append(
            f"超过派单期限（{order.dispatch_due:%Y-%m-%d}）{(d['dispatched_on'] - order.dispatch_due).days}天"
        )
    out.append(step(Step.DISPATCH, d["dispatched_on"], "；".join(words)))
    if d["accepted_on"]:
        out.append(step(Step.ACCEPT, d["accepted_on"], f"{cadre}接单，承诺{d['promised_on']:%Y-%m-%d}前办结"))
    if d["handled_on"]:
        out.append(step(Step.HANDLE, d["handled_on"], f"{cadre}办理完成：{v['handling']}"))
    if v["rating"]:
        label = Rating(v["rating"]).label
        score = f"，{v['score']}分" if v["score"] is not None else ""
        out.append(step(Step.RATE, v["rated_on"], f"{label}{score}"))
        if v["closed"] and v["rating"] != Rating.UNSATISFIED:
            out.append(step(Step.CLOSE, v["rated_on"], f"群众评价{label}，办结"))
        elif v["closed"]:
            out.append(step(Step.FOLLOWUP, v["rated_on"], f"客观原因：{v['explanation']}"))
            out.append(step(Step.CLOSE, v["rated_on"], f"解释说明后办结：{v['explanation']}"))
    return out
