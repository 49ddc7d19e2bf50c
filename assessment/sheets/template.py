"""The score sheet handed out per period and unit, generated from the period's base scheme.

Layout (SHEETS.md): a title row, the header on row 2, one row per cadre. Annual:
``序号 | 姓名 | 身份证号 | 单位 | 职务 | <indicator codes> | 备注``; quarterly:
``序号 | 姓名 | 身份证号 | 单位 | 季度 | 等次 | 得分 | 备注``. Score cells carry decimal data
validation from the indicator's range, 等次 a list; 身份证号 is a text column holding strings;
the header is frozen; the sheet is protected without a password (the protection keeps people
from breaking the layout, it is not a security measure) and only the input cells are unlocked.
``read_sheet`` reads the filled template back exactly.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.xlsx import text_cell

from ..models import QUARTER_SCALE, Indicator, IndicatorSource, Period

TITLE_SUFFIX = "量化评分表"
HEADER_ROW = 2
FIRST_DATA_ROW = 3
MIN_INPUT_ROWS = 50  # blank, unlocked rows below the cadres for people the registry lacks
UNLOCKED = Protection(locked=False)
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFFDE7")


def _fmt(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def base_indicators(period: Period) -> list[Indicator]:
    scheme_id = period.scheme_id
    qs = (
        Indicator.objects.filter(scheme_id=scheme_id)
        if scheme_id
        else Indicator.objects.filter(scheme__period=period, scheme__category="")
    )
    # indicators scored from other records (民情工单) have no column to fill
    return list(qs.filter(source=IndicatorSource.INPUT).order_by("order", "id"))


def template_title(period: Period, unit) -> str:
    names = [u.name for u in type(unit).objects.get_ancestors(unit)]
    return "".join([*names, unit.name, period.name, TITLE_SUFFIX])


def _unit_labels(cadres: list) -> dict[int, str]:
    """The cadres' units as the registry pages name them (光明村（城关镇） where two villages
    share a name): one query for the sheet."""
    from cadres.models import Unit
    from cadres.selectors import unit_label

    ids = {c.unit_id for c in cadres}
    return dict(Unit.objects.filter(pk__in=ids).annotate(label=unit_label()).values_list("pk", "label"))


def build_template(*, period: Period, unit, cadres: list) -> bytes:
    quarterly = period.quarter is not None
    indicators = base_indicators(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"

    if quarterly:
        spec = next((i for i in indicators if i.code == "得分"), indicators[0] if indicators else None)
        headers = ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"]
        score_cols = {7: spec}
        grade_col, quarter_col, note_col = 6, 5, 8
    else:
        headers = ["序号", "姓名", "身份证号", "单位", "职务", *[i.code for i in indicators], "备注"]
        score_cols = {6 + n: ind for n, ind in enumerate(indicators)}
        grade_col = quarter_col = None
        note_col = len(headers)
    width = len(headers)

    title = text_cell(ws, 1, 1, template_title(period, unit))
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 28
    for col, text in enumerate(headers, start=1):
        cell = text_cell(ws, HEADER_ROW, col, text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    last_row = FIRST_DATA_ROW + max(len(cadres), MIN_INPUT_ROWS) - 1
    labels = _unit_labels(cadres)
    for n, cadre in enumerate(cadres):
        r = FIRST_DATA_ROW + n
        ws.cell(row=r, column=1, value=n + 1)
        text_cell(ws, r, 2, cadre.name)
        id_cell = text_cell(ws, r, 3, str(cadre.id_number))
        id_cell.data_type = "s"
        text_cell(ws, r, 4, labels.get(cadre.unit_id, cadre.unit.name))
        if quarterly:
            ws.cell(row=r, column=quarter_col, value=period.quarter)
        else:
            text_cell(ws, r, 5, cadre.post_title)
    input_cols = set(score_cols) | {note_col} | ({grade_col} if grade_col else set())
    for r in range(FIRST_DATA_ROW, last_row + 1):
        for col in range(1, width + 1):
            cell = ws.cell(row=r, column=col)
            cell.border = BORDER
            if col == 3:
                cell.number_format = "@"  # text: Excel keeps all 18 digits
            if col in input_cols or r >= FIRST_DATA_ROW + len(cadres):
                cell.protection = UNLOCKED  # rows below the cadres are free to fill
                if col in input_cols:
                    cell.fill = INPUT_FILL

    # Data validation: one rule per column over the whole input area.
    for col, ind in score_cols.items():
        if ind is None:
            continue
        low, high = _fmt(ind.min_score), _fmt(ind.max_score)
        dv = DataValidation(
            type="decimal",
            operator="between",
            formula1=low,
            formula2=high,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="得分超出范围",
            error=f"“{ind.code}”的得分应为 {low}–{high} 之间的数字。",
            promptTitle=ind.code,
            prompt=f"{ind.name}：{low}–{high} 分",
            showInputMessage=True,
        )
        ws.add_data_validation(dv)
        letter = get_column_letter(col)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
    if grade_col:
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(str(g) for g in QUARTER_SCALE) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="等次无效",
            error="等次只能是：" + "、".join(str(g) for g in QUARTER_SCALE) + "。",
        )
        ws.add_data_validation(dv)
        letter = get_column_letter(grade_col)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        qdv = DataValidation(
            type="whole",
            operator="between",
            formula1="1",
            formula2="4",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="季度无效",
            error="季度应为 1–4。",
        )
        ws.add_data_validation(qdv)
        letter = get_column_letter(quarter_col)
        qdv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")

    widths = {"序号": 6, "姓名": 10, "身份证号": 22, "单位": 22, "职务": 24, "备注": 24, "季度": 6, "等次": 8}
    for col, text in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(text, max(8, len(text) * 2 + 4))
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.protection.sheet = True  # no password: guards the layout, not a secret
    ws.protection.formatRows = False  # people may resize rows, sort and filter
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False
    ws.protection.sort = False

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
