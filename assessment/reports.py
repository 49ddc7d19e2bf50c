"""Grade reports: one row per cadre of a period (API, xlsx download) and the results page summary.

Reads only, always through the caller's scope. The xlsx is written with openpyxl's write-only
mode from a server-side iterator, so a province-wide report (100k rows) neither loads every row
into memory nor builds the whole sheet there.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, F, QuerySet

from cadres import idnumber
from cadres.selectors import unit_label
from core.xlsx import safe_row, styled_row

from .grading import ROUNDING_LABELS
from .models import INDIVIDUAL_SCALE, QUARTER_SCALE, Grade, Period, RuleKind
from .selectors import assessments_visible_to

REPORT_FIELDS = (
    "id",
    "cadre_id",
    "unit_id",
    "unit__name",
    "cadre__name",
    "cadre__id_number",
    "track",
    "total_score",
    "rank_in_unit",
    "final_grade",
    "grade_code",
    "review_required",
    "explanation",
)

XLSX_HEADERS = ["序号", "单位", "姓名", "身份证号", "加权总分", "单位内排名", "等次", "等次代码", "等次依据"]
XLSX_WIDTHS = [8, 28, 12, 22, 10, 10, 10, 9, 80]


def grade_report_rows(user, *, period: Period, unit=None, grade: str = "") -> QuerySet:
    """The rows of a grade report as dicts (``REPORT_FIELDS``), ordered by unit then rank.

    ``unit`` (already checked to be in scope) narrows to its subtree; ``grade`` is a final grade."""
    qs = assessments_visible_to(user).filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if grade:
        qs = qs.filter(final_grade=grade)
    return qs.order_by("unit__path", F("rank_in_unit").asc(nulls_last=True), "cadre_id").values(
        *REPORT_FIELDS, unit_label=unit_label("unit__")
    )


def explanation_text(explanation) -> str:
    """The explanation entries as one line of text: ``rule：effect（facts）；…``."""
    parts = []
    for entry in explanation or []:
        if not isinstance(entry, dict):
            continue
        text = f"{entry.get('rule', '')}：{entry.get('effect', '')}"
        if entry.get("facts"):
            text += f"（{entry['facts']}）"
        parts.append(text)
    return "；".join(parts)


def id_number_for(number: str, *, full: bool) -> str:
    return number if full else idnumber.mask(number)


def grade_report_xlsx(rows: Iterable[dict], *, title: str, full_id_numbers: bool):
    """Write the rows to an .xlsx in a temporary file; returns the open file, positioned at 0."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("考核等次")
    for column, width in enumerate(XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    # the title row and the header row stay in view while scrolling
    ws.freeze_panes = "A3"
    ws.append(styled_row(ws, [title], font=Font(size=14, bold=True)))
    ws.append(
        styled_row(
            ws,
            XLSX_HEADERS,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    for index, row in enumerate(rows, start=1):
        ws.append(
            safe_row(
                ws,
                [
                    index,
                    row["unit_label"],
                    row["cadre__name"],
                    id_number_for(row["cadre__id_number"], full=full_id_numbers),
                    row["total_score"],
                    row["rank_in_unit"],
                    row["final_grade"],
                    row["grade_code"],
                    explanation_text(row["explanation"]),
                ],
            )
        )
    # closed by the FileResponse that streams it
    out = tempfile.TemporaryFile()  # noqa: SIM115
    wb.save(out)
    out.seek(0)
    return out


# --------------------------------------------------------------------------- results page


def grade_scale(period: Period) -> list[str]:
    if period.is_annual:
        return [*INDIVIDUAL_SCALE, Grade.UNDETERMINED, Grade.NOT_ASSESSED]
    return list(QUARTER_SCALE)


def grade_distribution(qs: QuerySet, period: Period) -> dict:
    """Counts and percentages of the final grades in ``qs``: one bar per grade of the scale,
    in scale order, then 未评定 for rows without a grade yet."""
    counts = Counter(
        dict(qs.order_by().values("final_grade").annotate(n=Count("id")).values_list("final_grade", "n"))
    )
    total = sum(counts.values())
    bars = []
    for grade in grade_scale(period):
        bars.append(_bar(str(grade), counts.pop(grade, 0), total, grade))
    ungraded = counts.pop("", 0)
    # a grade off the period's scale (data entered under an older scheme) is still counted
    for grade, n in sorted(counts.items()):
        bars.append(_bar(grade, n, total, grade))
    if ungraded:
        bars.append(_bar("未评定", ungraded, total, ""))
    return {"total": total, "bars": bars}


def _bar(label: str, count: int, total: int, grade: str) -> dict:
    percent = round(count * 100 / total, 1) if total else 0
    return {"label": label, "grade": grade, "count": count, "percent": percent}


def quota_rule_lines(policy, period: Period) -> list[str]:
    """The effective grading rules of a unit stated in words, for the results page."""
    if not period.is_annual:
        th = policy.one(RuleKind.QUARTER_THRESHOLDS) or {}
        return [
            f"季度平时考核：{_num(th.get('good_min', 90))} 分以上为好，{_num(th.get('fair_min', 80))} 分以上为较好，"
            f"{_num(th.get('average_min', 60))} 分以上为一般，其余为较差；不设优秀名额。"
        ]
    quota = policy.one(RuleKind.QUOTA)
    th = policy.one(RuleKind.THRESHOLDS) or {}
    switched_off = quota is None
    # as the engine does: a unit that switches the rule off gets the documented 20%, rounded down
    quota = quota or {"ratio": 0.2, "rounding": "floor", "tie_break": []}
    ratio = float(quota.get("ratio", 0.2))
    rounding = quota.get("rounding", "floor")
    lines = [
        f"优秀名额 = 参加考核人数 × {ratio:.0%}，{ROUNDING_LABELS.get(rounding, rounding)}（各单位分别计算）。",
        f"总分不低于优秀线 {_num(th.get('excellent_min', 90))} 分且未受等次限制的干部，按总分从高到低占用名额。",
    ]
    tie_codes = list(quota.get("tie_break", []))
    if tie_codes:
        order = "、".join(f"“{code}”得分" for code in tie_codes)
        lines.append(f"总分相同时依次比较{order}，仍相同按干部登记顺序；跨越名额边界的同分者标记为待复核。")
    else:
        lines.append("总分相同时按干部登记顺序；跨越名额边界的同分者标记为待复核。")
    if switched_off:
        lines.insert(0, "本单位停用了优秀比例规则，按默认比例 20%、向下取整计算名额。")
    return lines


def _num(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)
