"""The score sheet template: layout, validation, protection, and that it reads back exactly."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from assessment.sheets.parse import read_sheet
from assessment.sheets.template import build_template
from cadres.models import Cadre
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cadres(tree, cadre_a):
    second = CadreFactory(unit=tree["town_a"], name='=HYPERLINK("x")', post_title="副镇长")
    return list(Cadre.objects.filter(pk__in=[cadre_a.pk, second.pk]).select_related("unit").order_by("pk"))


def codes(period):
    return list(period.scheme.indicators.order_by("order", "id").values_list("code", flat=True))


def sheet_of(data):
    return load_workbook(io.BytesIO(data)).active


def test_the_annual_template_has_title_header_and_the_units_cadres(annual_period, tree, cadres):
    ws = sheet_of(build_template(period=annual_period, unit=tree["town_a"], cadres=cadres))
    assert ws["A1"].value == "示范市甲县甲镇2025年度干部考核量化评分表"
    header = [c.value for c in ws[2]]
    assert header == [
        "序号",
        "姓名",
        "身份证号",
        "单位",
        "职务",
        "德",
        "能",
        "勤",
        "绩",
        "廉",
        "民主测评",
        "备注",
    ]
    assert [ws.cell(3, c).value for c in range(1, 6)] == [
        1,
        "张三",
        cadres[0].id_number,
        "甲镇",
        cadres[0].post_title,
    ]
    # a name that looks like a formula stays text
    assert ws["B4"].data_type == "s" and ws["B4"].value.startswith("=")
    assert ws.freeze_panes == "A3"


def test_the_id_column_is_text_holding_strings(annual_period, tree, cadres):
    ws = sheet_of(build_template(period=annual_period, unit=tree["town_a"], cadres=cadres))
    for r in (3, 4):
        cell = ws.cell(r, 3)
        assert cell.number_format == "@" and cell.data_type == "s" and isinstance(cell.value, str)
    assert ws.cell(30, 3).number_format == "@"  # the empty rows below too


def test_score_cells_validate_the_indicator_range_with_a_chinese_message(annual_period, tree, cadres):
    ws = sheet_of(build_template(period=annual_period, unit=tree["town_a"], cadres=cadres))
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    de = rules["F3:F52"]
    assert (de.type, de.operator, de.formula1, de.formula2) == ("decimal", "between", "0", "100")
    assert de.showErrorMessage and "0–100" in de.error and "德" in de.error
    assert len(rules) == 6


def test_the_sheet_is_protected_except_the_input_cells(annual_period, tree, cadres):
    ws = sheet_of(build_template(period=annual_period, unit=tree["town_a"], cadres=cadres))
    assert ws.protection.sheet is True
    assert ws["C3"].protection.locked and ws["B3"].protection.locked and ws["A2"].protection.locked
    for ref in ("F3", "K3", "L3", "F4"):
        assert ws[ref].protection.locked is False, ref


def test_the_filled_template_reads_back_exactly(annual_period, tree, cadres):
    data = build_template(period=annual_period, unit=tree["town_a"], cadres=cadres)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    for col, value in zip("FGHIJK", [90, 85.5, "88", None, 95, 70], strict=True):
        ws[f"{col}3"] = value
    ws["L3"] = "表现突出"
    ws["F4"] = 60
    out = io.BytesIO()
    wb.save(out)
    sheet = read_sheet(out.getvalue(), filename="template.xlsx", indicator_codes=codes(annual_period))
    assert sheet.errors == [] and sheet.header_row == 2
    first, second = sheet.rows
    assert (first.id_number, first.name, first.unit, first.note) == (
        cadres[0].id_number,
        "张三",
        "甲镇",
        "表现突出",
    )
    assert first.values == {"德": 90, "能": Decimal("85.5"), "勤": 88, "绩": None, "廉": 95, "民主测评": 70}
    assert second.id_number == cadres[1].id_number and second.values["德"] == 60
    assert second.values["能"] is None


def test_the_quarterly_template_has_quarter_grade_and_score(quarter_period, tree, cadres):
    data = build_template(period=quarter_period, unit=tree["town_a"], cadres=cadres)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    assert [c.value for c in ws[2]] == ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["F3:F52"].type == "list" and rules["F3:F52"].formula1 == '"好,较好,一般,较差"'
    assert rules["G3:G52"].type == "decimal"
    assert ws["F3"].protection.locked is False and ws["G3"].protection.locked is False
    ws["F3"], ws["G3"] = "好", 93
    out = io.BytesIO()
    wb.save(out)
    sheet = read_sheet(out.getvalue(), filename="q.xlsx", indicator_codes=["得分"], quarterly=True)
    first = sheet.rows[0]
    assert (first.quarter, first.grade, first.values) == (1, "好", {"得分": 93})
    assert sheet.errors == []
