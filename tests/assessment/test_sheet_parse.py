"""read_sheet on sheets as county offices really make them (SHEETS.md, "What real uploads contain")."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from assessment.sheets.parse import SheetRejected, parse_date, read_sheet
from tests.sheet_corpus import CADRES, CODES, HEADER, X_ID, raw_xlsx, sheet_xml

ID1, ID2, ID3 = CADRES[0][1], CADRES[1][1], CADRES[2][1]


def xlsx(*sheets, hidden_rows=()):
    """sheets: (title, rows) pairs written with openpyxl, as Excel users' files are."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for r in hidden_rows:
            ws.row_dimensions[r].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(n, cadre, scores, note=""):
    return [n, cadre[0], cadre[1], "城关镇", "镇长", *scores, note]


def read(data, filename="评分表.xlsx", **kw):
    kw.setdefault("indicator_codes", CODES)
    return read_sheet(data, filename=filename, **kw)


def good_values(sheet):
    bad = {e.row for e in sheet.errors}
    return {r.id_number: r.values for r in sheet.rows if r.row not in bad}


def test_the_header_is_found_below_title_rows_and_a_blank_row():
    data = xlsx(
        (
            "评分表",
            [["东岭县2025年度考核量化评分表"], ["填报单位：城关镇"], [], HEADER, row(1, CADRES[0], [90] * 6)],
        )
    )
    sheet = read(data)
    assert sheet.header_row == 4
    assert sheet.rows[0].row == 5
    assert sheet.rows[0].id_number == ID1
    assert sheet.rows[0].values["德"] == Decimal("90")
    assert sheet.errors == []


def test_a_two_row_merged_header_combines_group_label_and_indicator_names():
    top = ["序号", "姓名", "身份证号", "单位", "职务", "考核得分", None, None, None, None, None, "备注"]
    bottom = [None] * 5 + [
        "德（15%）",
        "能（15%）",
        "勤（15%）",
        "绩（30%）",
        "廉（10%）",
        "民主测评（15%）",
        None,
    ]
    sheet = read(xlsx(("S", [["标题"], top, bottom, row(1, CADRES[0], [1, 2, 3, 4, 5, 6])])))
    assert sheet.columns["德"] == 5 and sheet.columns["民主测评"] == 10
    assert sheet.rows[0].values == {c: Decimal(v) for c, v in zip(CODES, "123456", strict=True)}
    assert sheet.headers[5] == "德（15%）"


@pytest.mark.parametrize(
    "id_header",
    ["身份证号码", "公民身份号码", "身 份 证 号", "身份证号  ", "身份证号（必填）", "公民身份号码*"],
)
def test_header_variants_of_the_id_column_are_recognised(id_header):
    sheet = read(xlsx(("S", [["姓名", id_header, "德"], ["张三", ID1, 80]])), indicator_codes=["德"])
    assert sheet.rows[0].id_number == ID1
    assert sheet.headers[1] == id_header.strip()


def test_columns_in_another_order_with_extra_columns_and_weighted_headers():
    header = [
        "民主测评(15%)",
        "联系电话",
        "德（15%）",
        "身份证号",
        "姓　名",
        "能",
        "勤分",
        "绩 ",
        "廉",
        "职级",
        "工作单位",
    ]
    data = xlsx(("S", [header, [75, "138", 90, ID1, "张 三", 91, 92, 93, 94, "一级主任科员", "城关镇"]]))
    sheet = read(data)
    r = sheet.rows[0]
    assert r.values == {"德": 90, "能": 91, "勤": 92, "绩": 93, "廉": 94, "民主测评": 75}
    assert (r.name, r.unit) == ("张三", "城关镇")
    assert "联系电话" not in sheet.columns and sheet.errors == []


def test_an_id_number_stored_as_a_number_is_rejected_with_the_reason_never_matched():
    data = xlsx(("S", [HEADER, row(1, ("张三", int(ID1[:15] + "000")), [80] * 6)]))
    sheet = read(data)
    assert sheet.rows[0].id_number is None
    [error] = sheet.errors
    assert error.row == 2 and error.column == "身份证号" and error.col == 2
    assert "身份证号被 Excel 存成了数字（显示为 4.30121E+17），后几位已丢失" in error.message
    assert "请将该列设为文本后重新填写" in error.message


def test_an_id_number_typed_as_scientific_notation_text_is_rejected_too():
    sheet = read(xlsx(("S", [HEADER, row(1, ("张三", "4.30121E+17"), [80] * 6)])))
    assert sheet.rows[0].id_number is None
    assert "显示为 4.30121E+17" in sheet.errors[0].message


def test_id_numbers_with_spaces_full_width_digits_and_lower_case_x_are_normalised():
    spaced = f" {ID2[:6]} {ID2[6:14]} {ID2[14:]} "
    full = ID3.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    data = xlsx(
        (
            "S",
            [
                HEADER,
                row(1, ("李四", spaced), [1] * 6),
                row(2, ("王五", full), [2] * 6),
                row(3, ("钱七", X_ID.lower()), [3] * 6),
            ],
        )
    )
    sheet = read(data)
    assert [r.id_number for r in sheet.rows] == [ID2, ID3, X_ID]
    assert sheet.errors == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(ID1[:17] + ("0" if ID1[17] != "0" else "1"), "校验位"), (ID1[:16], "18位"), ("不详", "18位")],
)
def test_an_invalid_id_number_is_a_row_error_naming_the_value(value, fragment):
    sheet = read(xlsx(("S", [HEADER, row(1, ("张三", value), [80] * 6)])))
    assert sheet.rows[0].id_number is None
    assert fragment in sheet.errors[0].message and value in sheet.errors[0].message


def test_scores_as_text_with_units_full_width_digits_dashes_and_blanks():
    data = xlsx(
        (
            "S",
            [
                HEADER,
                row(1, CADRES[0], ["85", "85分", "８５", "—", None, "-"]),
                row(2, CADRES[1], ["８０．５", " 90 ", 88.25, "–", "", 0]),
            ],
        )
    )
    sheet = read(data)
    assert sheet.errors == []
    assert sheet.rows[0].values == {"德": 85, "能": 85, "勤": 85, "绩": None, "廉": None, "民主测评": None}
    assert sheet.rows[1].values == {
        "德": Decimal("80.5"),
        "能": 90,
        "勤": Decimal("88.25"),
        "绩": None,
        "廉": None,
        "民主测评": 0,
    }
    assert all(isinstance(v, Decimal) for r in sheet.rows for v in r.values.values() if v is not None)


def test_a_score_that_is_not_a_number_is_an_error_naming_column_and_value():
    sheet = read(xlsx(("S", [HEADER, row(1, CADRES[0], [80, "优秀", 80, 80, 80, 80])])))
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "能", 6)
    assert "“能”列的值“优秀”不是数字" in error.message


def test_formulas_use_the_cached_value_and_a_formula_without_one_is_an_error_for_that_cell():
    rows = [
        HEADER,
        row(1, CADRES[0], [("80+5", 85), 70, 70, 70, 70, 70]),
        row(2, CADRES[1], [60, ("SUM(A1:A2)", None), 60, 60, 60, 60]),
    ]
    sheet = read(raw_xlsx([("S", sheet_xml(rows))]))
    assert sheet.rows[0].values["德"] == 85
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (3, "能", 6)
    assert "公式但没有计算结果" in error.message


def test_blank_rows_in_the_middle_and_total_rows_at_the_bottom_are_skipped():
    rows = [HEADER, row(1, CADRES[0], [80] * 6), [], [None, None], row(2, CADRES[1], [70] * 6)]
    rows += [
        [None, "合计", None, None, None, 150, 150, 150, 150, 150, 150],
        ["平均分", None, None, None, None, 75],
    ]
    sheet = read(xlsx(("S", rows)))
    assert [r.row for r in sheet.rows] == [2, 5]
    assert sheet.skipped == [3, 4, 6, 7]
    assert sheet.errors == []


def test_hidden_rows_are_read_as_normal_data():
    sheet = read(
        xlsx(("S", [HEADER, row(1, CADRES[0], [80] * 6), row(2, CADRES[1], [70] * 6)]), hidden_rows=[3])
    )
    assert [r.id_number for r in sheet.rows] == [ID1, ID2]


def test_the_sheet_with_the_header_is_chosen_when_there_are_several():
    data = xlsx(
        ("填表说明", [["说明"], ["分数 0–100"]]),
        ("汇总", [["单位", "人数"], ["城关镇", 3]]),
        ("评分表", [HEADER, row(1, CADRES[0], [80] * 6)]),
    )
    sheet = read(data)
    assert sheet.sheet_name == "评分表" and sheet.rows[0].id_number == ID1


def test_the_sheet_named_by_the_uploader_is_used_and_a_missing_name_is_refused():
    data = xlsx(
        ("一月", [HEADER, row(1, CADRES[0], [80] * 6)]), ("二月", [HEADER, row(1, CADRES[0], [90] * 6)])
    )
    assert read(data, sheet="二月").rows[0].values["德"] == 90
    with pytest.raises(SheetRejected) as exc:
        read(data, sheet="三月")
    assert exc.value.code == "no_sheet" and "“一月”" in exc.value.message


def test_duplicate_rows_for_the_same_cadre_are_an_error_naming_both_rows():
    sheet = read(
        xlsx(
            (
                "S",
                [
                    HEADER,
                    row(1, CADRES[0], [80] * 6),
                    row(2, CADRES[1], [80] * 6),
                    row(3, CADRES[0], [90] * 6),
                ],
            )
        )
    )
    messages = {e.row: e.message for e in sheet.errors}
    assert set(messages) == {2, 4}
    assert "与第 4 行重复" in messages[2] and "与第 2 行重复" in messages[4]
    assert set(good_values(sheet)) == {ID2}


def test_a_gbk_csv_is_decoded():
    text = "姓名,身份证号,单位,德,能,勤,绩,廉,民主测评\r\n张三," + ID1 + ",城关镇,80,81,82,83,84,85\r\n"
    sheet = read(text.encode("gbk"), filename="评分.csv")
    assert sheet.rows[0].name == "张三" and sheet.rows[0].unit == "城关镇"
    assert sheet.rows[0].values["民主测评"] == 85 and sheet.rows[0].row == 2


def test_a_utf8_csv_with_bom_and_text_forced_ids_is_decoded():
    text = (
        '\ufeff序号,姓名,身份证号,德,能,勤,绩,廉,民主测评\n1,李四,="'
        + ID2
        + "\",90,90,90,90,90,90\n2,张三,'"
        + ID1
        + ",,,,,,\n"
    )
    sheet = read(text.encode("utf-8"), filename="评分.csv")
    assert [r.id_number for r in sheet.rows] == [ID2, ID1]
    assert sheet.rows[1].values["德"] is None and sheet.errors == []


def test_quarterly_sheets_read_quarter_grade_and_score():
    header = ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"]
    rows = [
        header,
        [1, "张三", ID1, "城关镇", "第二季度", "较好", "85分", "x"],
        [2, "李四", ID2, "城关镇", 2, "优", 70, ""],
    ]
    sheet = read(xlsx(("S", rows)), indicator_codes=["得分"], quarterly=True)
    first, second = sheet.rows
    assert (first.quarter, first.grade, first.values, first.note) == (2, "较好", {"得分": Decimal("85")}, "x")
    assert second.grade == "" and [e.row for e in sheet.errors] == [3]
    assert "不是有效等次" in sheet.errors[0].message


def test_a_sheet_without_an_id_column_has_no_header():
    with pytest.raises(SheetRejected) as exc:
        read(xlsx(("S", [["姓名", "德"], ["张三", 80]])))
    assert exc.value.code == "no_header" and exc.value.status == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45717, datetime.date(2025, 3, 1)),
        ("2025.3.1", datetime.date(2025, 3, 1)),
        ("2025年3月1日", datetime.date(2025, 3, 1)),
        ("2025-03-01", datetime.date(2025, 3, 1)),
        (datetime.datetime(2025, 3, 1, 8, 0), datetime.date(2025, 3, 1)),
        ("2025年2月30日", None),
        ("三月一日", None),
    ],
)
def test_dates_come_as_serials_text_or_real_dates(value, expected):
    assert parse_date(value) == expected


def test_a_path_is_read_and_its_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx(("S", [HEADER, row(1, CADRES[0], [80] * 6)])))
    assert read(path).rows[0].id_number == ID1
    with pytest.raises(SheetRejected) as exc:
        read(path, max_bytes=100)
    assert (exc.value.code, exc.value.status) == ("too_large", 413)


def test_xls_files_are_read_when_a_writer_is_available():
    xlwt = pytest.importorskip("xlwt", reason="no .xls writer installed (xlwt) and no LibreOffice")
    book = xlwt.Workbook()
    ws = book.add_sheet("评分表")
    for r, values in enumerate([HEADER, row(1, CADRES[0], [80] * 6)]):
        for c, v in enumerate(values):
            ws.write(r, c, v)
    out = io.BytesIO()
    book.save(out)
    assert read(out.getvalue(), filename="a.xls").rows[0].id_number == ID1


def _area_codes():
    """Every 6-digit area code python-stdnum knows, with the years its entry names."""
    from stdnum import numdb

    out = []
    for _, low, high, _, children in numdb.get("cn/loc").prefixes:
        for _, clow, chigh, props, _ in children:
            if low != high or clow != chigh:
                continue
            years = [
                int(y) for y in "".join(c if c.isdigit() else " " for c in props.get("county", "")).split()
            ]
            out.append((low + clow, years))
    return out


def test_the_fast_id_check_agrees_with_python_stdnum_on_every_area_code_and_boundary_year():
    from assessment.sheets.parse import IdChecker
    from cadres import idnumber

    checker = IdChecker()
    codes = _area_codes()
    assert len(codes) > 3000
    numbers = []
    for i, (area, years) in enumerate(codes):
        # the years an entry opens and closes and those either side; else an ordinary one
        for year in sorted({y + d for y in years for d in (-1, 0, 1)} or {1960 + i % 40}):
            if 1900 <= year <= 2020:
                numbers.append(idnumber.make(area, datetime.date(year, 6, 1), i % 1000))
    numbers.append(idnumber.make("999999", datetime.date(1980, 1, 1), 1))  # an unknown code
    disagree = []
    for number in numbers:
        try:
            idnumber.validate(number)
            expected = None
        except idnumber.IdNumberError as exc:
            expected = str(exc)
        if checker.check(number) != expected:
            disagree.append(number)
    assert not disagree, disagree[:5]
    assert any(checker.check(n) for n in numbers)  # some boundary years are outside their code


# ---------------------------------------------------------------- indicator headers, non-score cells

NAMES = {"政治素质和道德品行": "德", "工作实绩": "绩", "廉洁自律": "廉", "民主测评（群众评价）": "民主测评"}


def sheet_with_header(header_of: dict, scores=(1, 2, 3, 4, 5, 6), extra=()):
    """A sheet whose indicator columns are headed as ``header_of`` says (code -> header text)."""
    header = ["序号", "姓名", "身份证号", *(header_of.get(c, c) for c in CODES), *extra]
    return xlsx(("S", [header, [1, CADRES[0][0], ID1, *scores, *([""] * len(extra))]]))


@pytest.mark.parametrize(
    ("code", "header"),
    [
        ("民主测评", "民主测评得分"),
        ("民主测评", "民主测评（20分）"),
        ("民主测评", "民主 测评"),
        ("民主测评", "民主测评分数"),
        ("民主测评", "民主测评得分（15%）"),
        ("民主测评", "民主测评（群众评价）"),
        ("德", "德 得分"),
        ("德", "德分"),
        ("绩", "绩 得分"),
        ("绩", "绩分数"),
        ("绩", "工作实绩得分"),
        ("廉", "廉洁自律（10分）"),
    ],
)
def test_an_indicator_header_with_a_score_word_a_weight_or_its_name_is_recognised(code, header):
    sheet = read(sheet_with_header({code: header}), indicator_names=NAMES)

    assert sheet.columns[code] == 3 + CODES.index(code)
    assert sheet.rows[0].values[code] == Decimal(1 + CODES.index(code))
    assert sheet.headers[sheet.columns[code]] == header
    assert sheet.ignored == [] and sheet.errors == []


def test_an_unrecognised_column_is_listed_as_ignored_by_its_header_text():
    sheet = read(sheet_with_header({"民主测评": "民主测评结果"}, extra=["考核意见"]))

    assert "民主测评" not in sheet.columns
    assert sheet.ignored_headers == ["民主测评结果", "考核意见"]


def test_two_columns_for_one_indicator_are_an_error_on_the_second_header():
    header = ["序号", "姓名", "身份证号", *CODES, "德得分"]
    sheet = read(xlsx(("S", [["标题"], header, [1, CADRES[0][0], ID1, 1, 2, 3, 4, 5, 6, 7]])))

    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "德得分", 9)
    assert "“德得分”列与“德”列都对应“德”" in error.message


@pytest.mark.parametrize(
    ("cell", "shown", "problem"),
    [
        (True, "TRUE", "是逻辑值（TRUE/FALSE），不是分数"),
        (False, "FALSE", "是逻辑值（TRUE/FALSE），不是分数"),
        (datetime.date(2025, 3, 1), "2025-03-01", "是日期或时间，不是分数"),
        ("2025-03-01", "2025-03-01", "是日期，不是分数"),
        ("九十", "九十", "不是数字"),
        ("优", "优", "不是数字"),
        ("85-90", "85-90", "不是数字"),
        ("1e2", "1e2", "不是数字"),
        ("1_0", "1_0", "不是数字"),
        ("NaN", "NaN", "不是数字"),
        ("TRUE", "TRUE", "不是数字"),
    ],
)
def test_a_cell_that_is_not_a_score_is_an_error_naming_the_cell(cell, shown, problem):
    sheet = read(xlsx(("S", [HEADER, row(1, CADRES[0], [90, cell, 90, 90, 90, 90])])))

    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "能", 6)
    assert error.message == f"“能”列的值“{shown}”{problem}。"
    assert sheet.rows[0].values["能"] is None


def test_scores_typed_as_text_are_read_and_the_reading_is_reported():
    rows = [
        row(1, CADRES[0], ["８５", "85分", "８５分", "85 分", "85", 85]),
        row(2, CADRES[1], ["８５", 90, 90, 90, 90, 90]),
    ]
    sheet = read(xlsx(("S", [HEADER, *rows])))

    assert sheet.errors == []
    assert sheet.rows[0].values == dict.fromkeys(CODES, Decimal(85))
    readings = {(r["column"], r["text"]): (r["value"], r["rows"], r["count"]) for r in sheet.readings}
    assert readings == {
        ("德", "８５"): ("85", [2, 3], 2),
        ("能", "85分"): ("85", [2], 1),
        ("勤", "８５分"): ("85", [2], 1),
        ("绩", "85 分"): ("85", [2], 1),
    }  # "85" as text is what it says: nothing to report
