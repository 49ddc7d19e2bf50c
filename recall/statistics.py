"""Recall statistics for a period and a unit subtree (the figures [002] reports), and their xlsx.

Which date puts a record in the period (``BASIS``, shown on the page, in the API and in the
workbook):

- a recall is a case *approved* in the period (``approved_on``); its level is the case's level,
  its unit the unit the case was addressed to. A cadre recalled twice counts twice (人次);
- an outcome counts on its date (``outcome_on``) once the case is closed: a case still on its
  front-line stint counts when its final outcome is set;
- a study class counts on its last day (``study_end``), a front-line stint on its first day;
- a penalty counts on the day the withheld bonus was recorded (the case's ``penalize`` step),
  when the amount is above zero; its cadres are counted once each;
- an adjustment decision counts on its approval (``approved_on``), approved decisions only;
- a flag counts as raised on ``raised_at`` and as reviewed on ``reviewed_at`` (local dates);
- the headcount is every cadre on the register of the unit subtree now, whatever the status.

退居二线 ([002]: 65 免职, 33 改任非领导职务, 99 退休) is reported apart from the recall outcomes:
[002]'s 1334 outcomes (1080 + 165 + 67 + 22) do not include those 197. The section adds the recall
outcomes of the step-back kinds to the approved adjustment decisions marked 退居二线.

Every figure comes from a grouped or aggregated query (eight in all, none per row); pandas pivots
the level × outcome table and writes the workbook.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from assessment.models import Period
from cadres.models import Cadre, Unit
from cadres.selectors import scope_q, unit_in_scope, unit_label
from core.xlsx import text_cell

from .models import (
    FINAL_OUTCOMES,
    REVIEWED_FLAG_STATUSES,
    AdjustmentDecision,
    AdjustmentMethod,
    CadreLevel,
    DecisionStatus,
    Flag,
    FlagStatus,
    Outcome,
    RecallCase,
    RecallStep,
    Stage,
)

# Which date counts, per figure (page, API, workbook).
BASIS = [
    ("召回人数、干部层级、分单位召回人数", "批准召回日期在统计期间内的召回案件；同一干部召回两次计两人次"),
    (
        "处理结果、回原岗位",
        "处理日期在统计期间内且已办结的案件；一线锻炼的案件待锻炼考察后按最终处理结果计入",
    ),
    ("退居二线", "处理日期在统计期间内的退居二线处理结果，加上批准日期在统计期间内、标明退居二线的调整决定"),
    ("召回学习", "学习班结束日期在统计期间内；学习天数按起止日期计（含首尾两天）"),
    ("一线锻炼", "锻炼开始日期在统计期间内"),
    ("扣发绩效奖励", "登记扣发的日期在统计期间内且金额大于零；人数按干部计，不重复"),
    ("组织调整", "批准日期在统计期间内的调整决定（已批准）"),
    ("不适宜担任现职预警", "产生日期、研判日期分别在统计期间内"),
    ("在册干部", "统计时单位（含下级单位）登记在册的全部干部，不论状态"),
]

# The outcome lines as [002] reports them: 转岗 and 免职 together; 退居二线 in its own section.
OUTCOME_LINES = [
    ("back_to_post", "回原岗位", [Outcome.BACK_TO_POST]),
    ("transfer_or_removal", "转岗或免职", [Outcome.TRANSFER, Outcome.REMOVAL]),
    ("demotion", "降职", [Outcome.DEMOTION]),
    ("grade_down", "降级", [Outcome.GRADE_DOWN]),
    ("awaiting", "待岗", [Outcome.AWAITING]),
    ("dismissal", "辞退", [Outcome.DISMISSAL]),
    ("termination", "解聘", [Outcome.TERMINATION]),
    (
        "step_back",
        "退居二线",
        [Outcome.STEP_BACK_REMOVAL, Outcome.STEP_BACK_NON_LEADING, Outcome.STEP_BACK_RETIRE],
    ),
]

# 退居二线 lines: the recall outcome and the adjustment method that each stands for.
STEP_BACK_LINES = [
    ("removal", "免职", Outcome.STEP_BACK_REMOVAL, AdjustmentMethod.REMOVAL),
    ("non_leading", "改任非领导职务", Outcome.STEP_BACK_NON_LEADING, AdjustmentMethod.NON_LEADING),
    ("retire", "退休", Outcome.STEP_BACK_RETIRE, AdjustmentMethod.RETIRE),
]
STEP_BACK_OTHER = ("other", "其他方式")

LEVELS = list(CadreLevel.choices)
# The level × outcome table's columns: every final outcome, in the model's order.
OUTCOME_COLUMNS = [(value, label) for value, label in Outcome.choices if value in FINAL_OUTCOMES]


class StatisticsError(ValueError):
    """Arguments that do not make a period (the views validate first; this guards the selector)."""


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _moment(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the site's time zone (flags carry times, the period dates)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _root(user, unit: Unit | None) -> Unit | None:
    """The unit whose subtree the report covers: the one asked for, else the user's own; None
    for a user who sees everything and asked for no unit (the rows are then the top units)."""
    if unit is not None:
        if not unit_in_scope(user, unit):
            raise Http404("单位不存在或不在您的管辖范围内。")
        return unit
    if getattr(user, "scope_path", None) and getattr(user, "unit_id", None):
        return user.unit
    return None


def recall_statistics(
    user,
    *,
    unit: Unit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    period: Period | None = None,
) -> dict:
    """The recall figures of ``unit``'s subtree (within the user's scope) for the dates given,
    or for the calendar year of an assessment ``period``. Plain values only (ints, Decimals,
    strings, lists, dicts), so the page, the API and the workbook read the same thing."""
    if period is not None:
        if date_from or date_to:
            raise StatisticsError("按考核期统计时不再指定起止日期。")
        date_from, date_to = year_range(period.year)
    if date_from is None or date_to is None:
        raise StatisticsError("请指定统计期间。")
    if date_from > date_to:
        raise StatisticsError("开始日期不能晚于结束日期。")
    root = _root(user, unit)
    prefix_len = (len(root.path) if root else 0) + Unit.steplen
    bucket = Substr("unit__path", 1, prefix_len)
    days = (date_from, date_to)

    def scoped(qs, prefix="unit__"):
        qs = qs.filter(scope_q(user, prefix))
        return qs.filter(**{f"{prefix}path__startswith": root.path}) if root else qs

    cases = scoped(RecallCase.objects.all())

    # 1. recalls by level and by unit row
    recalled = list(
        cases.filter(approved_on__range=days)
        .exclude(stage=Stage.REJECTED)  # a refusal has an approved_on (the day it was refused) too
        .values("level", row=bucket)
        .annotate(n=Count("id"))
        .order_by()
    )
    # 2. final outcomes by level
    outcomes = list(
        cases.filter(stage=Stage.CLOSED, outcome__in=FINAL_OUTCOMES, outcome_on__range=days)
        .values("level", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    # 3. study classes, front-line stints and penalties over the whole subtree
    penalized = Exists(RecallStep.objects.filter(case=OuterRef("pk"), step="penalize", on__range=days)) & Q(
        bonus_withheld__gt=0
    )
    study = Q(study_end__range=days, study_start__isnull=False)
    totals = cases.aggregate(
        classes=Count("id", filter=study),
        class_days=Sum(
            ExpressionWrapper(F("study_end") - F("study_start"), output_field=DurationField()), filter=study
        ),
        frontline=Count("id", filter=Q(frontline_start__range=days)),
        penalized=Count("cadre", distinct=True, filter=penalized),
        penalty=Sum("bonus_withheld", filter=penalized),
    )
    # 4. penalties by unit row
    penalties = list(
        cases.filter(penalized)
        .values(row=bucket)
        .annotate(cadres=Count("cadre", distinct=True), amount=Sum("bonus_withheld"))
        .order_by()
    )
    # 5. headcount by unit row
    headcount = list(scoped(Cadre.objects.all()).values(row=bucket).annotate(n=Count("id")).order_by())
    # 6. the rows' units: the root's children (and the root itself, 本级)
    if root:
        units_qs = Unit.objects.filter(Q(pk=root.pk) | Q(path__startswith=root.path, depth=root.depth + 1))
    else:
        units_qs = Unit.objects.filter(depth=1).filter(scope_q(user, ""))
    row_units = list(units_qs.annotate(label=unit_label()).order_by("path").values("id", "path", "label"))
    # 7. approved adjustment decisions by method
    adjustments = list(
        scoped(AdjustmentDecision.objects.all())
        .filter(status=DecisionStatus.APPROVED, approved_on__range=days)
        .values("method", "step_back")
        .annotate(n=Count("id"))
        .order_by()
    )
    # 8. flags raised and reviewed
    start, end = _moment(date_from), _moment(date_to + datetime.timedelta(days=1))
    reviewed = Q(status__in=REVIEWED_FLAG_STATUSES, reviewed_at__gte=start, reviewed_at__lt=end)
    flags = scoped(Flag.objects.all()).aggregate(
        raised=Count("id", filter=Q(raised_at__gte=start, raised_at__lt=end)),
        reviewed=Count("id", filter=reviewed),
        dismissed=Count("id", filter=reviewed & Q(status=FlagStatus.DISMISSED)),
        decided=Count("id", filter=reviewed & Q(status=FlagStatus.DECIDED)),
    )

    by_level = {code: 0 for code, _ in LEVELS}
    for r in recalled:
        by_level[r["level"]] = by_level.get(r["level"], 0) + r["n"]
    outcome_counts = {code: 0 for code, _ in OUTCOME_COLUMNS}
    for r in outcomes:
        outcome_counts[r["outcome"]] += r["n"]
    lines = [
        {
            "key": key,
            "label": label,
            "count": sum(outcome_counts[o] for o in members),
            "parts": [{"outcome": o, "label": Outcome(o).label, "count": outcome_counts[o]} for o in members]
            if len(members) > 1
            else [],
        }
        for key, label, members in OUTCOME_LINES
    ]
    class_days = totals["class_days"] or datetime.timedelta(0)

    return {
        "scope": _scope_name(user, root),
        "unit": {"id": root.pk, "name": getattr(root, "label", root.name)} if root else None,
        "date_from": date_from,
        "date_to": date_to,
        "period": {"id": period.pk, "name": period.name} if period else None,
        "basis": [{"item": item, "rule": rule} for item, rule in BASIS],
        "recalls": {
            "total": sum(by_level.values()),
            "by_level": [{"level": code, "label": label, "count": by_level[code]} for code, label in LEVELS],
        },
        "outcomes": {"total": sum(outcome_counts.values()), "lines": lines},
        "back_to_post": outcome_counts[Outcome.BACK_TO_POST],
        "level_outcome": _level_outcome(outcomes),
        "step_back": _step_back(outcome_counts, adjustments),
        "study": {"classes": totals["classes"], "cadre_days": class_days.days + totals["classes"]},
        "frontline": totals["frontline"],
        "penalties": {
            "cadres": totals["penalized"],
            "amount": (totals["penalty"] or Decimal("0")).quantize(Decimal("0.01")),
        },
        **_unit_rows(root, row_units, recalled, penalties, headcount, totals),
        "adjustments": _adjustments(adjustments),
        "flags": flags,
    }


def _scope_name(user, root: Unit | None) -> str:
    if root is not None:
        return getattr(root, "label", None) or root.name
    return "全部单位"


def _level_outcome(outcomes: list[dict]) -> dict:
    """The level × outcome cross-table with its margins (pandas pivots the grouped rows)."""
    import pandas as pd  # heavy; only the statistics need it

    levels = [code for code, _ in LEVELS]
    columns = [code for code, _ in OUTCOME_COLUMNS]
    frame = pd.DataFrame(outcomes, columns=["level", "outcome", "n"])
    table = (
        frame.pivot_table(index="level", columns="outcome", values="n", aggfunc="sum", fill_value=0)
        .reindex(index=levels, columns=columns, fill_value=0)
        .fillna(0)
        .astype(int)
    )
    table["total"] = table.sum(axis=1)
    column_totals = table.sum(axis=0)
    labels = dict(LEVELS)
    return {
        "columns": [{"outcome": code, "label": label} for code, label in OUTCOME_COLUMNS],
        "rows": [
            {
                "level": level,
                "label": labels[level],
                "counts": [int(table.at[level, c]) for c in columns],
                "total": int(table.at[level, "total"]),
            }
            for level in levels
        ],
        "totals": [int(column_totals[c]) for c in columns],
        "total": int(column_totals["total"]),
    }


def _step_back(outcome_counts: dict, adjustments: list[dict]) -> dict:
    by_method: dict[str, int] = {}
    for r in adjustments:
        if r["step_back"]:
            by_method[r["method"]] = by_method.get(r["method"], 0) + r["n"]
    rows = []
    for key, label, outcome, method in STEP_BACK_LINES:
        from_recalls, from_adjustments = outcome_counts[outcome], by_method.pop(method, 0)
        rows.append(
            {
                "key": key,
                "label": label,
                "recalls": from_recalls,
                "adjustments": from_adjustments,
                "count": from_recalls + from_adjustments,
            }
        )
    other = sum(by_method.values())
    rows.append(
        {
            "key": STEP_BACK_OTHER[0],
            "label": STEP_BACK_OTHER[1],
            "recalls": 0,
            "adjustments": other,
            "count": other,
        }
    )
    return {
        "rows": rows,
        "recalls": sum(r["recalls"] for r in rows),
        "adjustments": sum(r["adjustments"] for r in rows),
        "total": sum(r["count"] for r in rows),
    }


def _unit_rows(root, row_units, recalled, penalties, headcount, totals) -> dict:
    recalled_by: dict[str, int] = {}
    for r in recalled:
        recalled_by[r["row"]] = recalled_by.get(r["row"], 0) + r["n"]
    penalties_by = {r["row"]: r for r in penalties}
    heads_by = {r["row"]: r["n"] for r in headcount}
    rows = []
    for u in row_units:
        own = root is not None and u["id"] == root.pk
        penalty = penalties_by.get(u["path"], {})
        row = {
            "unit_id": u["id"],
            "name": f"{u['label']}（本级）" if own else u["label"],
            "own": own,
            "headcount": heads_by.get(u["path"], 0),
            "recalled": recalled_by.get(u["path"], 0),
            "penalized": penalty.get("cadres", 0),
            "penalty_amount": (penalty.get("amount") or Decimal("0")).quantize(Decimal("0.01")),
        }
        # the root's own row only when it has anything to show
        if own and not any((row["headcount"], row["recalled"], row["penalized"])):
            continue
        rows.append(row)
    return {
        "units": rows,
        "units_total": {
            "headcount": sum(r["headcount"] for r in rows),
            "recalled": sum(r["recalled"] for r in rows),
            "penalized": totals["penalized"],
            "penalty_amount": sum((r["penalty_amount"] for r in rows), Decimal("0.00")),
        },
    }


def _adjustments(adjustments: list[dict]) -> dict:
    counts = {code: [0, 0] for code in AdjustmentMethod.values}
    for r in adjustments:
        counts[r["method"]][0] += r["n"]
        if r["step_back"]:
            counts[r["method"]][1] += r["n"]
    return {
        "total": sum(c[0] for c in counts.values()),
        "step_back": sum(c[1] for c in counts.values()),
        "by_method": [
            {"method": code, "label": label, "count": counts[code][0], "step_back": counts[code][1]}
            for code, label in AdjustmentMethod.choices
        ],
    }


# --------------------------------------------------------------------------- the workbook


def period_label(stats: dict) -> str:
    start, end = stats["date_from"], stats["date_to"]
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年"
    return f"{start:%Y年%m月%d日}至{end:%Y年%m月%d日}"


def statistics_title(stats: dict) -> str:
    return f"{stats['scope']}干部召回情况统计（{period_label(stats)}）"


def summary_lines(stats: dict) -> list[tuple[str, object, int]]:
    """(item, figure, indent) of the summary, in the order [002] tells them."""
    lines: list[tuple[str, object, int]] = [("召回干部（人次）", stats["recalls"]["total"], 0)]
    lines += [(f"其中：{r['label']}", r["count"], 1) for r in stats["recalls"]["by_level"]]
    lines.append(("处理结果合计（人）", stats["outcomes"]["total"], 0))
    for line in stats["outcomes"]["lines"]:
        lines.append((line["label"], line["count"], 1))
        lines += [(f"其中：{p['label']}", p["count"], 2) for p in line["parts"]]
    step_back = stats["step_back"]
    lines.append(("退居二线合计（含调整决定）", step_back["total"], 0))
    lines += [(r["label"], r["count"], 1) for r in step_back["rows"]]
    lines += [
        ("召回学习（人次）", stats["study"]["classes"], 0),
        ("召回学习天数（人·天）", stats["study"]["cadre_days"], 0),
        ("安排一线岗位或重点项目锻炼（人次）", stats["frontline"], 0),
        ("扣发绩效奖励（人）", stats["penalties"]["cadres"], 0),
        ("扣发绩效奖励金额（元）", stats["penalties"]["amount"], 0),
        ("组织调整（人）", stats["adjustments"]["total"], 0),
        ("其中：退居二线", stats["adjustments"]["step_back"], 1),
    ]
    flags = stats["flags"]
    lines += [
        ("不适宜担任现职预警：产生", flags["raised"], 0),
        ("不适宜担任现职预警：已研判", flags["reviewed"], 0),
        ("其中：排除", flags["dismissed"], 1),
        ("其中：作出处理决定", flags["decided"], 1),
    ]
    return lines


def statistics_frames(stats: dict) -> dict:
    """The report as DataFrames with Chinese headers, one per sheet."""
    import pandas as pd  # heavy; only the statistics need it

    summary = pd.DataFrame(
        [("\u3000" * indent + item, value) for item, value, indent in summary_lines(stats)],
        columns=["项目", "数量"],
    )
    table = stats["level_outcome"]
    cross = pd.DataFrame(
        [[*r["counts"], r["total"]] for r in table["rows"]] + [[*table["totals"], table["total"]]],
        index=pd.Index([r["label"] for r in table["rows"]] + ["合计"], name="干部层级"),
        columns=[c["label"] for c in table["columns"]] + ["合计"],
    )
    step_back = stats["step_back"]
    step_back_frame = pd.DataFrame(
        [(r["label"], r["recalls"], r["adjustments"], r["count"]) for r in step_back["rows"]]
        + [("合计", step_back["recalls"], step_back["adjustments"], step_back["total"])],
        columns=["方式", "召回处理结果", "调整决定", "合计"],
    )
    total = stats["units_total"]
    units = pd.DataFrame(
        [
            (r["name"], r["headcount"], r["recalled"], r["penalized"], r["penalty_amount"])
            for r in stats["units"]
        ]
        + [("合计", total["headcount"], total["recalled"], total["penalized"], total["penalty_amount"])],
        columns=["单位", "在册干部（人）", "召回（人次）", "扣发绩效奖励（人）", "扣发金额（元）"],
    )
    adjustments = stats["adjustments"]
    adjustment_frame = pd.DataFrame(
        [(r["label"], r["count"], r["step_back"]) for r in adjustments["by_method"]]
        + [("合计", adjustments["total"], adjustments["step_back"])],
        columns=["调整方式", "人数", "其中退居二线"],
    )
    basis = pd.DataFrame([(b["item"], b["rule"]) for b in stats["basis"]], columns=["统计项目", "统计口径"])
    return {
        "汇总": summary,
        "层级与处理结果": cross,
        "退居二线": step_back_frame,
        "分单位": units,
        "组织调整": adjustment_frame,
        "统计口径": basis,
    }


def statistics_xlsx(stats: dict) -> bytes:
    """The report as a workbook: a title line over each sheet, then its table."""
    import pandas as pd  # heavy; only the statistics need it

    title = statistics_title(stats)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in statistics_frames(stats).items():
            frame.to_excel(writer, sheet_name=name, startrow=2, index=name == "层级与处理结果")
            ws = writer.sheets[name]
            text_cell(ws, 1, 1, f"{title}——{name}")
            ws.cell(row=2, column=1, value=f"制表日期：{timezone.localdate():%Y年%m月%d日}")
            for row in ws.iter_rows(min_row=4):
                for cell in row:
                    if isinstance(cell.value, str):  # unit names are user text: never a formula
                        text_cell(ws, cell.row, cell.column, cell.value)
                    elif isinstance(cell.value, Decimal):
                        cell.number_format = "#,##0.00"
            # CJK characters take about two columns each
            for column in ws.iter_cols(min_row=3):
                widest = max((len(str(c.value)) * 2 + 2 for c in column if c.value is not None), default=8)
                ws.column_dimensions[column[0].column_letter].width = min(max(widest, 8), 60)
    return buffer.getvalue()
