"""Work-order statistics for a unit subtree and a date range ([003]: 出具民情工单 4848 份，办结 4263
份，群众评价平均得分 95 分以上), overall and per child unit.

Every figure is about the orders *recorded* (点单) in the range: how they were dispatched,
completed and rated, whenever those later steps happened (the way [003] reports a year's
orders). ``BASIS`` says so on the page, in the API and in the workbook.

- dispatched on time: the first round's ``dispatched_on`` is on or before the order's
  ``dispatch_due`` (recorded day + the WORKORDER rule's days); late: after it; not dispatched:
  no round yet;
- completed: the order is closed (已办结); completed within the promise: closed, and its final
  round (the one not re-dispatched) was handled on or before the promised day;
- rated rounds: every round of those orders with a rating (a re-dispatched order was rated once
  per round); satisfaction share = (满意 + 基本满意) / rated rounds;
- average score: of the rounds that carry a 0–100 score (places that rate by 百分制);
- re-dispatched: orders with more than one round.

One grouped query over orders joined to their rounds gives every figure per child unit (the
unit path cut to the child's length); the totals are the sums of the rows (the average from the
summed scores and their count), so the page's table and its total line always agree.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404

from cadres.models import Unit
from cadres.selectors import scope_q, unit_in_scope, unit_label

from .models import Cause, OrderStatus, Rating
from .selectors import visible_orders

BASIS = [
    ("统计对象", "点单日期在统计期间内的民情工单；其派单、办理、评价等后续环节不论发生在何时都计入"),
    ("按期派单", "第一轮派单日期不晚于派单期限（点单日期加规定天数，默认 3 天），期限当天派单为按期"),
    ("办结", "工单状态为已办结（含不满意经回访属客观原因、解释说明后办结的）"),
    ("承诺期限内办结", "已办结且最后一轮（未重新派单的一轮）办理完成日期不晚于承诺限期"),
    ("评价", "有群众评价的派单轮次；重新派单的工单每轮各评价一次"),
    ("满意率", "（满意 + 基本满意）÷ 已评价轮次"),
    ("平均得分", "实行百分制评价、填写了 0–100 分的轮次的平均分"),
    ("重新派单", "派单轮次多于一轮的工单（不满意属干部个人原因而重新派单）"),
]

# (key, label) of the figures of a row, in the table's order.
COLUMNS = [
    ("issued", "点单（件）"),
    ("dispatched_on_time", "按期派单"),
    ("dispatched_late", "超期派单"),
    ("not_dispatched", "未派单"),
    ("completed", "办结（件）"),
    ("completion_rate", "办结率（%）"),
    ("completed_within_promise", "承诺期限内办结"),
    ("rated", "已评价（轮次）"),
    ("satisfied", "满意"),
    ("basic", "基本满意"),
    ("unsatisfied", "不满意"),
    ("satisfaction_rate", "满意率（%）"),
    ("scored", "百分制评价（轮次）"),
    ("average_score", "平均得分"),
    ("redispatched", "重新派单（件）"),
]
COUNTS = [
    "issued",
    "dispatched_on_time",
    "dispatched_late",
    "not_dispatched",
    "completed",
    "completed_within_promise",
    "rated",
    "satisfied",
    "basic",
    "unsatisfied",
    "scored",
    "redispatched",
]


class StatisticsError(ValueError):
    """Arguments that do not make a range (the views validate first; this guards the selector)."""


def _root(user, unit: Unit | None) -> Unit | None:
    """The unit whose subtree the report covers: the one asked for, else the user's own; None
    for a user who sees the whole tree and asked for no unit (the rows are then the top units)."""
    if unit is not None:
        if not unit_in_scope(user, unit):
            raise Http404("单位不存在或不在您的管辖范围内。")
        return unit
    if getattr(user, "scope_path", None) and getattr(user, "unit_id", None):
        return user.unit
    return None


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _finish(row: dict, score_sum: int) -> dict:
    """The derived figures of a row from its counts."""
    row["completion_rate"] = _percent(row["completed"], row["issued"])
    row["satisfaction_rate"] = _percent(row["satisfied"] + row["basic"], row["rated"])
    row["average_score"] = (
        (Decimal(score_sum) / Decimal(row["scored"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if row["scored"]
        else None
    )
    return row


def order_statistics(
    user,
    *,
    unit: Unit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    period=None,
) -> dict:
    """The work-order figures of ``unit``'s subtree (within the user's scope; outside it: 404)
    for the orders recorded from ``date_from`` to ``date_to`` (both included), or in an
    assessment ``period``'s bounds. Plain values only, so the page, the API and the workbook
    read the same thing."""
    if period is not None:
        from assessment.services.recompute import period_bounds

        if date_from or date_to:
            raise StatisticsError("按考核期统计时不再指定起止日期。")
        date_from, date_to = period_bounds(period)
    if date_from is None or date_to is None:
        raise StatisticsError("请指定统计期间。")
    if date_from > date_to:
        raise StatisticsError("开始日期不能晚于结束日期。")
    root = _root(user, unit)

    orders = visible_orders(user).filter(recorded_on__range=(date_from, date_to))
    if root is not None:
        orders = orders.filter(unit__path__startswith=root.path)
    first = Q(dispatches__round=1)
    final_round = ~Q(dispatches__rating=Rating.UNSATISFIED, dispatches__cause=Cause.CADRE)
    # 1. every figure per child unit: orders left-joined to their rounds (an order's own
    # figures count it once, distinct; a round's figures count each round)
    grouped = list(
        orders.values(row=Substr("unit__path", 1, (len(root.path) if root else 0) + Unit.steplen))
        .annotate(
            issued=Count("id", distinct=True),
            dispatched_on_time=Count(
                "id", distinct=True, filter=first & Q(dispatches__dispatched_on__lte=F("dispatch_due"))
            ),
            dispatched_late=Count(
                "id", distinct=True, filter=first & Q(dispatches__dispatched_on__gt=F("dispatch_due"))
            ),
            not_dispatched=Count("id", filter=Q(dispatches__isnull=True)),
            completed=Count("id", distinct=True, filter=Q(status=OrderStatus.CLOSED)),
            completed_within_promise=Count(
                "id",
                distinct=True,
                filter=Q(status=OrderStatus.CLOSED, dispatches__handled_on__lte=F("dispatches__promised_on"))
                & final_round,
            ),
            rated=Count("dispatches", filter=Q(dispatches__rating__in=Rating.values)),
            satisfied=Count("dispatches", filter=Q(dispatches__rating=Rating.SATISFIED)),
            basic=Count("dispatches", filter=Q(dispatches__rating=Rating.BASIC)),
            unsatisfied=Count("dispatches", filter=Q(dispatches__rating=Rating.UNSATISFIED)),
            scored=Count("dispatches__score"),
            score_sum=Sum("dispatches__score"),
            redispatched=Count("id", distinct=True, filter=Q(dispatches__round__gt=1)),
        )
        .order_by()
    )
    # 2. the rows' units: the root's children (and the root itself, 本级, when it has orders)
    if root is not None:
        units_qs = Unit.objects.filter(Q(pk=root.pk) | Q(path__startswith=root.path, depth=root.depth + 1))
    else:
        units_qs = Unit.objects.filter(depth=1).filter(scope_q(user, ""))
    row_units = list(units_qs.annotate(label=unit_label()).order_by("path").values("id", "path", "label"))

    by_path = {g["row"]: g for g in grouped}
    rows = []
    for u in row_units:
        own = root is not None and u["id"] == root.pk
        figures = by_path.get(u["path"], {})
        if own and not figures:
            continue
        row = {
            "unit_id": u["id"],
            "name": f"{u['label']}（本级）" if own else u["label"],
            "own": own,
            **{key: figures.get(key, 0) for key in COUNTS},
        }
        rows.append(_finish(row, figures.get("score_sum") or 0))
    total = _finish(
        {key: sum(g[key] for g in grouped) for key in COUNTS},
        sum(g["score_sum"] or 0 for g in grouped),
    )
    return {
        "scope": getattr(root, "label", None) or (root.name if root else "全部单位"),
        "unit": {"id": root.pk, "code": root.code, "name": getattr(root, "label", root.name)}
        if root
        else None,
        "date_from": date_from,
        "date_to": date_to,
        "period": {"id": period.pk, "name": period.name} if period is not None else None,
        "basis": [{"item": item, "rule": rule} for item, rule in BASIS],
        "total": total,
        "units": rows,
    }


# --------------------------------------------------------------------------- the workbook


def period_label(stats: dict) -> str:
    start, end = stats["date_from"], stats["date_to"]
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年"
    return f"{start:%Y年%m月%d日}至{end:%Y年%m月%d日}"


def statistics_title(stats: dict) -> str:
    return f"{stats['scope']}民情工单统计（{period_label(stats)}）"


def _cell(value):
    return "—" if value is None else (float(value) if isinstance(value, Decimal) else value)


def statistics_xlsx(stats: dict) -> bytes:
    """The report as a workbook: the per-unit table with its total line, then the basis."""
    import io

    from django.utils import timezone
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from core.xlsx import text_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "分单位统计"
    text_cell(ws, 1, 1, statistics_title(stats)).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=f"制表日期：{timezone.localdate():%Y年%m月%d日}")
    header = ["单位", *(label for _, label in COLUMNS)]
    for col, label in enumerate(header, start=1):
        ws.cell(row=4, column=col, value=label).font = Font(bold=True)
    line = 5
    for row in [*stats["units"], {**stats["total"], "name": "合计"}]:
        text_cell(ws, line, 1, row["name"])  # unit names are user text: never a formula
        for col, (key, _) in enumerate(COLUMNS, start=2):
            ws.cell(row=line, column=col, value=_cell(row[key]))
        line += 1
    ws.cell(row=line - 1, column=1).font = Font(bold=True)
    ws.column_dimensions["A"].width = 24
    basis = wb.create_sheet("统计口径")
    basis.append(["统计项目", "统计口径"])
    for b in stats["basis"]:
        basis.append([b["item"], b["rule"]])
    basis.column_dimensions["A"].width = 18
    basis.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
