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


# ---------------------------------------------------------------- edges (issue 13, point 11)
# Each of these pins one thing an uploader sees: the value read, or the message text.

CSV_HEADER = "序号,姓名,身份证号,单位,德,能,勤,绩,廉,民主测评"


def csv_read(lines, header=CSV_HEADER, encoding="utf-8", **kw):
    text = "\n".join([header, *lines]) + "\n"
    return read(text.encode(encoding), filename="评分.csv", **kw)


def one_score(cell, code="能"):
    """The sheet read from one row whose ``code`` cell is ``cell`` (the others 90)."""
    scores = [cell if c == code else 90 for c in CODES]
    return read(xlsx(("S", [HEADER, row(1, CADRES[0], scores)])))


def test_the_header_on_the_very_first_row_is_found_and_the_data_starts_below_it():
    sheet = read(xlsx(("S", [HEADER, row(1, CADRES[0], [80] * 6), row(2, CADRES[1], [70] * 6)])))
    assert sheet.header_row == 1
    assert [(r.row, r.id_number) for r in sheet.rows] == [(2, ID1), (3, ID2)]


def test_a_header_on_row_20_is_found_and_one_on_row_22_is_not():
    # (on row 21 it is the lower half of a two-row header starting on row 20)
    filler = [[f"说明第{i}行"] for i in range(1, 20)]
    sheet = read(xlsx(("S", [*filler, HEADER, row(1, CADRES[0], [80] * 6)])))
    assert sheet.header_row == 20 and sheet.rows[0].id_number == ID1

    with pytest.raises(SheetRejected) as exc:
        read(xlsx(("S", [*filler, ["再一行"], ["又一行"], HEADER, row(1, CADRES[0], [80] * 6)])))
    assert exc.value.code == "no_header"
    assert exc.value.message == (
        "在“S”的前 20 行中找不到表头（至少需要“身份证号”列和一个评分列：身份证号、德、能、勤、绩、廉、民主测评）。"
        "请使用下载的模板，或检查表头文字。"
    )


def test_without_a_header_every_sheet_looked_at_is_named_and_a_csv_is_the_file():
    data = xlsx(("说明", [["填表说明"]]), ("汇总", [["单位", "人数"]]))
    with pytest.raises(SheetRejected) as exc:
        read(data, indicator_codes=["德"])
    assert exc.value.message.startswith("在“说明”、“汇总”的前 20 行中找不到表头")
    assert "身份证号、德）" in exc.value.message

    with pytest.raises(SheetRejected) as exc:
        read("姓名,德\n张三,80\n".encode(), filename="a.csv", indicator_codes=["德"])
    assert exc.value.message.startswith("在文件的前 20 行中找不到表头")


def test_a_header_needs_a_score_column_as_well_as_the_id_column():
    with pytest.raises(SheetRejected) as exc:
        read(xlsx(("S", [["姓名", "身份证号", "单位"], ["张三", ID1, "城关镇"]])))
    assert exc.value.code == "no_header"


def test_the_fullest_header_near_the_top_wins_and_a_later_header_like_row_is_data():
    # Row 1 names the ID and one score; row 2 names them all: row 2 is the header.
    sheet = read(xlsx(("S", [["身份证号", "德"], HEADER, row(1, CADRES[0], [80] * 6)])))
    assert sheet.header_row == 2 and set(sheet.columns) >= set(CODES)
    # Once a header is found, a fuller one two rows further down is not looked for.
    rows = [["身份证号", "德"], [ID1, 80], [ID2, 70], [ID3, 60], HEADER, row(1, CADRES[3], [50] * 6)]
    sheet = read(xlsx(("S", rows)))
    assert sheet.header_row == 1
    assert [r.values["德"] for r in sheet.rows[:3]] == [80, 70, 60]
    assert sheet.rows[3].id_number is None  # the repeated header row is a row with a bad ID


def test_a_one_row_header_does_not_swallow_the_first_data_row():
    sheet = read(xlsx(("S", [["身份证号", "德"], [ID1, 80]])), indicator_codes=["德"])
    assert sheet.header_row == 1 and [r.row for r in sheet.rows] == [2]
    assert sheet.rows[0].values == {"德": 80}


def test_a_two_row_header_whose_lower_row_is_shorter_reads_every_column():
    top = ["姓名", "身份证号", "得分", None, "备注"]
    bottom = [None, None, "德", "能"]
    sheet = read(xlsx(("S", [top, bottom, ["张三", ID1, 70, 71, "注"]])), indicator_codes=["德", "能"])
    assert sheet.header_row == 1
    assert sheet.rows[0].values == {"德": 70, "能": 71}
    assert (sheet.rows[0].name, sheet.rows[0].note) == ("张三", "注")


@pytest.mark.parametrize(
    "header",
    [
        "德(15%)",
        "德（15%）",
        "德[15]",
        "德【15分】",
        "德<15>",
        "德《满分15》",
        "德得分",
        "德分数",
        "德评分",
        "德分值",
        "德分",
        "德_得分",
        "德-得分",
        "德—得分",
        "德·得分",
        "德：得分",
        "德/得分",
        "德、得分",
        "德得分(15%)",
        "德(15%)得分",
        "德 （ 15% ）",
        "德*",
        "德：",
        "德:",
        " 德 ",
        "德\n(15%)",
        "德_(15%)",
        "德：（15分）",
    ],
)
def test_an_indicator_header_with_brackets_score_words_separators_or_spaces_is_recognised(header):
    sheet = read(xlsx(("S", [["身份证号", header], [ID1, 77]])), indicator_codes=["德"])
    assert sheet.rows[0].values == {"德": 77}
    assert sheet.ignored == []


@pytest.mark.parametrize("header", ["德育", "品德", "德得分合计", "分", "(德)", "德(15%)备注"])
def test_a_header_that_only_contains_an_indicator_is_not_that_indicator(header):
    with pytest.raises(SheetRejected) as exc:
        read(xlsx(("S", [["身份证号", header], [ID1, 77]])), indicator_codes=["德"])
    assert exc.value.code == "no_header"


@pytest.mark.parametrize(
    ("field_name", "aliases"),
    [
        (
            "id_number",
            [
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "公民身份证号",
                "公民身份证号码",
                "身份证",
                "证件号码",
                "身份证件号码",
            ],
        ),
        ("name", ["姓名", "干部姓名", "名字"]),
        ("unit", ["单位", "工作单位", "所在单位", "单位名称", "所在单位名称"]),
        ("post", ["职务", "现任职务", "职务职级", "现职务"]),
        ("seq", ["序号", "编号", "序"]),
        ("note", ["备注", "说明"]),
    ],
)
def test_every_header_alias_of_a_field_is_read_as_that_field(field_name, aliases):
    for alias in aliases:
        header = {"id_number": "身份证号", field_name: alias}
        cells = {"id_number": ID1, field_name: "甲 乙" if field_name != "id_number" else ID1}
        keys = list(header)
        sheet = read(
            xlsx(("S", [[header[k] for k in keys] + ["德"], [cells[k] for k in keys] + [80]])),
            indicator_codes=["德"],
        )
        assert sheet.columns[field_name] == keys.index(field_name), alias
        assert sheet.ignored == [], alias
        r = sheet.rows[0]
        assert r.id_number == ID1
        if field_name == "name":
            assert r.name == "甲乙"
        elif field_name == "unit":
            assert r.unit == "甲 乙"
        elif field_name == "note":
            assert r.note == "甲 乙"


def test_quarter_and_grade_headers_are_read_only_for_a_quarterly_sheet():
    header = ["身份证号", "考核季度", "考核等次", "平时考核得分"]
    data = xlsx(("S", [header, [ID1, 3, "好", 80]]))
    sheet = read(data, indicator_codes=["得分"], quarterly=True)
    assert (sheet.rows[0].quarter, sheet.rows[0].grade, sheet.rows[0].values) == (3, "好", {"得分": 80})
    annual = read(
        xlsx(("S", [["身份证号", "季度", "等次", "德"], [ID1, 3, "好", 80]])), indicator_codes=["德"]
    )
    assert annual.ignored_headers == ["季度", "等次"]
    assert (annual.rows[0].quarter, annual.rows[0].grade) == (None, "")


@pytest.mark.parametrize(
    "alias", ["分数", "考核得分", "平时考核得分", "季度得分", "得分", "评定等次", "等级"]
)
def test_quarterly_score_and_grade_header_variants(alias):
    sheet = read(
        xlsx(("S", [["身份证号", alias], [ID1, "较好" if "等" in alias else 66]])),
        indicator_codes=["得分"],
        quarterly=True,
    )
    r = sheet.rows[0]
    assert (r.grade, r.values) == (("较好", {}) if "等" in alias else ("", {"得分": 66}))
    assert sheet.errors == []


def test_an_indicator_name_shared_by_two_indicators_names_neither():
    names = {"工作实绩得分": "绩", "工作实绩": "能"}  # both give the form 工作实绩
    header = ["身份证号", "工作实绩", "工作实绩得分", "德"]
    sheet = read(
        xlsx(("S", [header, [ID1, 1, 2, 3]])), indicator_codes=["德", "能", "绩"], indicator_names=names
    )
    assert sheet.rows[0].values == {"德": 3, "绩": 2}
    assert sheet.ignored_headers == ["工作实绩"]


def test_an_indicator_name_does_not_take_a_field_header_nor_name_an_unknown_indicator():
    names = {"单位": "德", "勤勉": "勤"}
    header = ["身份证号", "单位", "勤勉", "德"]
    sheet = read(xlsx(("S", [header, [ID1, "城关镇", 5, 9]])), indicator_codes=["德"], indicator_names=names)
    assert sheet.rows[0].unit == "城关镇" and sheet.rows[0].values == {"德": 9}
    assert sheet.ignored_headers == ["勤勉"]


def test_a_second_column_for_a_field_is_ignored_and_the_first_one_read():
    header = ["身份证号", "姓名", "德", "姓名"]
    sheet = read(xlsx(("S", [header, [ID1, "张三", 80, "李四"]])), indicator_codes=["德"])
    assert sheet.rows[0].name == "张三" and sheet.errors == []
    assert sheet.ignored == [(3, "姓名")]


# --- scores


@pytest.mark.parametrize(
    "blank",
    ["", " ", "—", "-", "–", "－", "——", "--", "---", "/", "／", "无", "空", "N/A", "n/a", "NA", None],
)
def test_every_way_of_leaving_a_score_blank_reads_as_no_score(blank):
    sheet = one_score(blank)
    assert sheet.errors == [] and sheet.rows[0].values["能"] is None and sheet.readings == []


@pytest.mark.parametrize(
    ("cell", "value", "reading"),
    [
        ("85", Decimal(85), None),
        ("-5", Decimal(-5), None),
        ("+5", Decimal(5), "5"),
        ("85.50", Decimal("85.50"), None),
        ("85.", Decimal(85), "85"),
        (".5", Decimal("0.5"), "0.5"),
        ("８０．５０", Decimal("80.50"), "80.5"),
        ("８０", Decimal(80), "80"),
        ("85分", Decimal(85), "85"),
        ("85 分", Decimal(85), "85"),
        ("8 5", Decimal(85), "85"),
        ("85.5分", Decimal("85.5"), "85.5"),
        (85, Decimal(85), None),
        (85.0, Decimal(85), None),
        (88.25, Decimal("88.25"), None),
        (-0.5, Decimal("-0.5"), None),
        (0, Decimal(0), None),
    ],
)
def test_a_score_is_read_as_the_number_it_shows(cell, value, reading):
    sheet = one_score(cell)
    assert sheet.errors == []
    got = sheet.rows[0].values["能"]
    assert got == value and isinstance(got, Decimal) and str(got) == str(value)
    if reading is None:
        assert sheet.readings == []
    else:
        [entry] = sheet.readings
        assert entry == {"column": "能", "text": cell.strip(), "value": reading, "rows": [2], "count": 1}


def test_a_float_score_keeps_its_shortest_decimal_form():
    sheet = one_score(0.1)
    assert str(sheet.rows[0].values["能"]) == "0.1"
    sheet = one_score(90.0)
    assert str(sheet.rows[0].values["能"]) == "90"


@pytest.mark.parametrize(
    ("cell", "shown", "problem"),
    [
        (datetime.datetime(2025, 3, 1, 8, 30), "2025-03-01 08:30", "是日期或时间，不是分数"),
        (datetime.datetime(2025, 3, 1, 0, 0), "2025-03-01", "是日期或时间，不是分数"),
        (datetime.datetime(2025, 3, 1, 0, 5), "2025-03-01 00:05", "是日期或时间，不是分数"),
        (datetime.datetime(2025, 3, 1, 1, 0), "2025-03-01 01:00", "是日期或时间，不是分数"),
        (datetime.datetime(2025, 3, 1, 0, 1), "2025-03-01 00:01", "是日期或时间，不是分数"),
        (datetime.datetime(2025, 3, 1, 0, 0, 30), "2025-03-01", "是日期或时间，不是分数"),
        (datetime.time(8, 30), "08:30:00", "是日期或时间，不是分数"),
        ("2025年3月1日", "2025年3月1日", "是日期，不是分数"),
        ("2025/3/1", "2025/3/1", "是日期，不是分数"),
        ("2025.3.1", "2025.3.1", "是日期，不是分数"),
        ("85..5", "85..5", "不是数字"),
        ("8.5.5", "8.5.5", "不是数字"),
        ("85分分", "85分分", "不是数字"),
        ("分", "分", "不是数字"),
        ("Infinity", "Infinity", "不是数字"),
        ("-", None, None),
        ("1E2", "1E2", "不是数字"),
        ("85%", "85%", "不是数字"),
        ("(85)", "(85)", "不是数字"),
        ("1,000", "1,000", "不是数字"),
    ],
)
def test_a_score_cell_that_is_no_number_is_an_error_with_its_text(cell, shown, problem):
    sheet = one_score(cell)
    if problem is None:
        assert sheet.errors == []
        return
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "能", 6)
    assert error.message == f"“能”列的值“{shown}”{problem}。"
    assert sheet.rows[0].values["能"] is None


def test_the_same_bad_or_float_score_in_several_rows_is_handled_in_every_row():
    rows = [HEADER] + [row(i, CADRES[i], ["优", 88.5, " 八十 ", 80, 80, 80]) for i in range(3)]
    sheet = read(xlsx(("S", rows)))
    assert [(e.row, e.column, e.message) for e in sheet.errors] == [
        (r, col, f"“{col}”列的值“{text}”不是数字。")
        for r in (2, 3, 4)
        for col, text in (("德", "优"), ("勤", "八十"))
    ]
    assert [r.values["能"] for r in sheet.rows] == [Decimal("88.5")] * 3


def test_a_float_nan_or_infinity_is_not_a_valid_number():
    rows = [HEADER, row(1, CADRES[0], [80, 80, 80, 80, 80, 80])]
    rows[1][5] = ("1/0", "#DIV/0!")
    xml = sheet_xml(rows)
    sheet = read(raw_xlsx([("S", xml)]))
    assert sheet.rows[0].values["德"] is None
    assert [e.row for e in sheet.errors] in ([], [2])


def test_a_score_read_from_text_is_reported_once_per_text_with_the_first_five_rows():
    lines = [f"{i},张三,{ID1 if i == 1 else ''},城关镇,８５,90,90,90,90,90" for i in range(1, 8)]
    sheet = csv_read(lines)
    [entry] = sheet.readings
    assert entry == {"column": "德", "text": "８５", "value": "85", "rows": [2, 3, 4, 5, 6], "count": 7}


def test_at_most_200_score_readings_are_listed():
    lines = [
        ",".join([str(i), "张三", "", "城关镇", *(f"{i * 6 + k}分" for k in range(6))]) for i in range(34)
    ]
    sheet = csv_read(lines)
    assert len(sheet.readings) == 200
    assert sheet.readings[0] == {"column": "德", "text": "0分", "value": "0", "rows": [2], "count": 1}
    assert sheet.readings[-1]["text"] == "199分"
    assert all(r.values["德"] is not None for r in sheet.rows)
    # the same text again still counts once the list is full
    lines.append(",".join(["99", "张三", "", "城关镇", "0分", "1分", "2分", "3分", "4分", "5分"]))
    assert csv_read(lines).readings[0]["count"] == 2


# --- ID numbers


def numeric_id_message(shown):
    return (
        f"身份证号被 Excel 存成了数字（显示为 {shown}），后几位已丢失，无法确认是哪位干部；"
        "请将该列设为文本后重新填写"
    )


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (320102198001010000, "3.20102E+17"),
        (3.20102e17, "3.20102E+17"),
        (4e17, "4E+17"),
        (3.2e17, "3.2E+17"),
        (123456789012, "1.23457E+11"),
        (100000000000, "1E+11"),
        (99999999999, "99999999999"),
        (12345, "12345"),
        (1.5, "1.5"),
        ("3.20102E+17", "3.20102E+17"),
        ("3.20102e+17", "3.20102e+17"),
        ("3.20102E17", "3.20102E17"),
        (" 3.20102E+17 ", "3.20102E+17"),
        ("３.２０１０２Ｅ＋１７", "３.２０１０２Ｅ＋１７"),
        ("3.20102E +17", "3.20102E +17"),
        ("-3E+17", "-3E+17"),
    ],
)
def test_an_id_number_excel_made_a_number_is_an_error_showing_it_as_excel_does(cell, shown):
    sheet = read(xlsx(("S", [HEADER, row(1, ("张三", cell), [80] * 6)])))
    assert sheet.rows[0].id_number is None
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "身份证号", 2)
    assert error.message == numeric_id_message(shown)


@pytest.mark.parametrize(("cell", "shown"), [(datetime.datetime(2025, 3, 1), "2025-03-01"), (True, "True")])
def test_an_id_cell_holding_a_date_or_a_truth_value_is_not_an_id_number(cell, shown):
    sheet = read(xlsx(("S", [HEADER, row(1, ("张三", cell), [80] * 6)])))
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "身份证号", 2)
    assert error.message == f"身份证号“{shown}”不是身份证号码。"
    assert sheet.rows[0].id_number is None


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (ID1[:17] + "5", f"身份证号“{ID1[:17]}5”无效：身份证号校验位不正确，请核对是否录入有误。"),
        (" " + ID1[:17] + "5", f"身份证号“{ID1[:17]}5”无效：身份证号校验位不正确，请核对是否录入有误。"),
        ("430121800101011", "身份证号“430121800101011”无效：身份证号应为18位，当前为15位。"),
        (ID1 + "1", f"身份证号“{ID1}1”无效：身份证号应为18位，当前为19位。"),
        (
            "43012119800101011Y",
            "身份证号“43012119800101011Y”无效：身份证号格式不正确：前17位应为数字，最后一位为数字或X。",
        ),
    ],
)
def test_an_invalid_id_number_gives_the_exact_reason(cell, message):
    sheet = read(xlsx(("S", [HEADER, row(1, ("张三", cell), [80] * 6)])))
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "身份证号", 2)
    assert error.message == message and sheet.rows[0].id_number is None


def test_an_id_number_with_an_impossible_birth_date_or_unknown_area_is_refused():
    from tests.sheet_corpus import make_id

    bad_date = make_id("19800230", 11)
    bad_area = make_id("19800101", 11, area="990000")
    sheet = read(
        xlsx(("S", [HEADER, row(1, ("张三", bad_date), [80] * 6), row(2, ("李四", bad_area), [80] * 6)]))
    )
    assert [e.message for e in sheet.errors] == [
        f"身份证号“{bad_date}”无效：身份证号中的出生日期无效。",
        f"身份证号“{bad_area}”无效：身份证号中的行政区划代码无效。",
    ]
    assert [r.id_number for r in sheet.rows] == [None, None]


def test_id_numbers_typed_with_a_lower_case_x_full_width_or_spaces_are_read():
    full = X_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    lines = [f"1,钱七,{X_ID.lower()},,1,1,1,1,1,1", f"2,李四, {ID2[:6]} {ID2[6:]} ,,1,1,1,1,1,1"]
    sheet = csv_read(lines)
    assert [r.id_number for r in sheet.rows] == [X_ID, ID2] and sheet.errors == []
    sheet = read(xlsx(("S", [HEADER, row(1, ("钱七", full), [1] * 6)])))
    assert sheet.rows[0].id_number == X_ID and sheet.errors == []


def test_the_same_cadre_typed_three_ways_is_a_duplicate_naming_the_other_rows():
    lines = [
        f"1,钱七,{X_ID},,1,1,1,1,1,1",
        f"2,钱七,{X_ID.lower()},,1,1,1,1,1,1",
        f"3,钱七, {X_ID} ,,1,1,1,1,1,1",
    ]
    sheet = csv_read(lines)
    assert [(e.row, e.column, e.col, e.message) for e in sheet.errors] == [
        (2, "身份证号", 2, f"同一干部（身份证号 {X_ID}）在表中出现多次：与第 3 行、第 4 行重复。"),
        (3, "身份证号", 2, f"同一干部（身份证号 {X_ID}）在表中出现多次：与第 2 行、第 4 行重复。"),
        (4, "身份证号", 2, f"同一干部（身份证号 {X_ID}）在表中出现多次：与第 2 行、第 3 行重复。"),
    ]


def test_a_row_with_scores_but_no_id_number_is_an_error_and_keeps_its_values():
    sheet = csv_read(["1,张三,  ,城关镇,80,,,,,"])
    [error] = sheet.errors
    assert (error.row, error.column, error.col, error.message) == (
        2,
        "身份证号",
        2,
        "身份证号为空，无法确认是哪位干部。",
    )
    assert (sheet.rows[0].id_number, sheet.rows[0].name, sheet.rows[0].values["德"]) == (None, "张三", 80)


def test_errors_are_listed_by_row_then_column():
    lines = [f"1,张三,{ID1},,优,80,良,80,80,80", "2,李四,,,80,80,80,80,80,差"]
    sheet = csv_read(lines)
    assert [(e.row, e.col) for e in sheet.errors] == [(2, 4), (2, 6), (3, 2), (3, 9)]


# --- summary and blank rows


@pytest.mark.parametrize(
    "word", ["合计", "总计", "小计", "平均", "平均分", "平均值", "汇总", "合 计", "合计：", "总计(人)"]
)
def test_a_summary_row_without_an_id_number_is_skipped(word):
    for where in (0, 1, 3):  # 序号, 姓名, 单位 columns
        cells = [None] * 4
        cells[where] = word
        sheet = read(xlsx(("S", [HEADER, row(1, CADRES[0], [80] * 6), [*cells, None, 160, 160]])))
        assert sheet.skipped == [3] and sheet.errors == [], (word, where)
        assert [r.row for r in sheet.rows] == [2]


def test_a_summary_word_in_the_third_column_counts_and_one_further_right_does_not():
    header = ["身份证号", "职务", "备注", "德", "能"]
    sheet = read(
        xlsx(("S", [header, [ID1, "镇长", "", 80, 80], [None, None, "合计", 160, 160]])),
        indicator_codes=["德", "能"],
    )
    assert sheet.skipped == [3] and sheet.errors == []
    header = ["身份证号", "职务", "德", "备注", "能"]
    sheet = read(
        xlsx(("S", [header, [ID1, "镇长", 80, "", 80], [None, None, 160, "合计", 160]])),
        indicator_codes=["德", "能"],
    )
    assert sheet.skipped == [] and [e.message for e in sheet.errors] == ["身份证号为空，无法确认是哪位干部。"]


def test_a_row_naming_a_cadre_called_like_a_summary_is_kept_when_it_has_an_id():
    sheet = read(xlsx(("S", [HEADER, row(1, ("合计", ID1), [80] * 6)])))
    assert sheet.skipped == [] and sheet.rows[0].name == "合计"


def test_a_row_of_spaces_and_empty_texts_is_blank_and_skipped():
    sheet = csv_read([" , ,  ,,,,,,,", f"1,张三,{ID1},,80,,,,,"])
    assert sheet.skipped == [2] and [r.row for r in sheet.rows] == [3] and sheet.errors == []


def test_a_short_data_row_is_padded_and_read():
    sheet = read(xlsx(("S", [[*HEADER[:6], "能", "勤", "绩", "廉", "民主测评", "备注"], [1, "张三", ID1]])))
    assert sheet.rows[0].values == dict.fromkeys(CODES) and sheet.rows[0].note == ""


def test_names_units_and_notes_are_read_as_shown():
    rows = [
        HEADER,
        [1, "张　三", ID1, 301.0, "镇长", 80, 80, 80, 80, 80, 80, "  去年调入  "],
        [2, None, ID2, None, "", 1, 1, 1, 1, 1, 1, 7.5],
    ]
    sheet = read(xlsx(("S", rows)))
    first, second = sheet.rows
    assert (first.name, first.unit, first.note) == ("张三", "301", "去年调入")
    assert (second.name, second.unit, second.note) == ("", "", "7.5")


# --- quarterly fields


@pytest.mark.parametrize(
    ("cell", "quarter"),
    [
        ("一", 1),
        ("第二季度", 2),
        ("3季", 3),
        ("第4季", 4),
        ("Q1", 1),
        ("q4", 4),
        ("４", 4),
        ("第 三 季度", 3),
        (2, 2),
        (3.0, 3),
        ("二季度", 2),
        (1, 1),
        (1.0, 1),
        (4, 4),
    ],
)
def test_the_quarter_is_read_from_its_usual_forms(cell, quarter):
    sheet = read(
        xlsx(("S", [["身份证号", "季度", "得分"], [ID1, cell, 80]])), indicator_codes=["得分"], quarterly=True
    )
    assert sheet.rows[0].quarter == quarter and sheet.errors == []


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (5, "5"),
        (0, "0"),
        (2.5, "2.5"),
        ("第五季度", "第五季度"),
        ("Q5", "Q5"),
        ("上半年", "上半年"),
        (True, "True"),
    ],
)
def test_a_quarter_that_is_not_1_to_4_is_an_error(cell, shown):
    sheet = read(
        xlsx(("S", [["身份证号", "考核季度", "得分"], [ID1, cell, 80]])),
        indicator_codes=["得分"],
        quarterly=True,
    )
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "考核季度", 1)
    assert error.message == f"“考核季度”列的值“{shown}”不是 1–4 季度。"
    assert sheet.rows[0].quarter is None


@pytest.mark.parametrize(
    ("cell", "grade"),
    [
        ("好", "好"),
        ("较好", "较好"),
        ("一般", "一般"),
        ("较差", "较差"),
        (" 较 好 ", "较好"),
        (None, ""),
        ("  ", ""),
    ],
)
def test_a_quarterly_grade_is_read_from_the_four_grades(cell, grade):
    sheet = read(
        xlsx(("S", [["身份证号", "季度", "等次", "得分"], [ID1, None, cell, 80]])),
        indicator_codes=["得分"],
        quarterly=True,
    )
    assert sheet.rows[0].grade == grade and sheet.errors == [] and sheet.rows[0].quarter is None


def test_any_other_grade_is_an_error_listing_the_four():
    sheet = read(
        xlsx(("S", [["身份证号", "评定等次", "得分"], [ID1, "优 秀", 80]])),
        indicator_codes=["得分"],
        quarterly=True,
    )
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "评定等次", 1)
    assert error.message == "“评定等次”列的值“优秀”不是有效等次（应为好、较好、一般、较差之一）。"


def test_a_quarterly_sheet_may_give_the_grade_without_a_score():
    sheet = read(xlsx(("S", [["身份证号", "等次"], [ID1, "好"]])), indicator_codes=["得分"], quarterly=True)
    assert sheet.rows[0].grade == "好" and sheet.rows[0].values == {}


# --- CSV decoding


def test_csv_in_utf8_with_and_without_bom_gbk_and_gb18030():
    text = f"{CSV_HEADER}\n1,张三,{ID1},城关镇,80,,,,,\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gbk")):
        sheet = read(data, filename="a.csv")
        assert (sheet.rows[0].name, sheet.rows[0].unit, sheet.rows[0].values["德"]) == ("张三", "城关镇", 80)
        assert sheet.columns["id_number"] == 2
        assert sheet.columns["seq"] == 0 and sheet.ignored == []  # the BOM is not part of 序号
    rare = text.replace("张三", "张䶮")  # a name only GB18030 (not GBK) can write
    sheet = read(rare.encode("gb18030"), filename="a.csv")
    assert sheet.rows[0].name == "张䶮"


def test_csv_in_utf16_with_its_bom_is_decoded():
    text = f"{CSV_HEADER}\n1,张三,{ID1},城关镇,80,,,,,\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = "\ufeff".encode(encoding)
        sheet = read(bom + text.encode(encoding), filename="a.csv")
        assert sheet.rows[0].name == "张三" and sheet.rows[0].id_number == ID1


BAD_ENCODING = (
    "无法识别 CSV 文件的文字编码（支持 UTF-8、带 BOM 的 UTF-8 和 GBK）。请在 Excel 中另存为 .xlsx 后上传。"
)


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + "姓名,身份证号".encode("gbk"),  # a UTF-8 BOM on GBK text
        b"\xff\xfe" + b"\x00\xd8",  # a UTF-16 BOM on a broken surrogate
        "身份证号,德".encode("utf-16-le"),  # UTF-16 without its BOM: NULs
        b"\x81\x30",  # GB18030's first half of a four-byte character
    ],
)
def test_a_csv_in_no_known_encoding_is_refused(data):
    with pytest.raises(SheetRejected) as exc:
        read(data, filename="a.csv")
    assert (exc.value.code, exc.value.message) == ("bad_encoding", BAD_ENCODING)


def test_a_csv_with_a_nul_past_the_first_4096_bytes_is_binary():
    head = f"{CSV_HEADER}\n".encode()
    for nul_at in (4096, 5000):
        data = head + b"x" * (nul_at - len(head)) + b"\x00\n"
        with pytest.raises(SheetRejected) as exc:
            read(data, filename="a.csv")
        assert (exc.value.code, exc.value.status, exc.value.message) == (
            "not_spreadsheet",
            415,
            "CSV 文件中含有二进制内容，不是文本表格。",
        )
    # within the first 4096 bytes a NUL means UTF-16 or binary: no encoding known
    data = head + b"x" * (4095 - len(head)) + b"\x00\n"
    with pytest.raises(SheetRejected) as exc:
        read(data, filename="a.csv")
    assert exc.value.code == "bad_encoding"


@pytest.mark.parametrize("sep", ["\t", ";", "，"])
def test_csv_separated_by_tabs_semicolons_or_full_width_commas(sep):
    text = (
        sep.join(["姓名", "身份证号", "德", "能"])
        + "\n"
        + sep.join(["张三", ID1, "80", "8,5" if sep != "，" else "85"])
        + "\n"
    )
    sheet = read(text.encode(), filename="a.csv", indicator_codes=["德", "能"])
    assert sheet.rows[0].name == "张三" and sheet.rows[0].values["德"] == 80


def test_a_full_width_comma_inside_a_quoted_cell_is_kept_in_a_csv_separated_by_them():
    text = f'姓名，身份证号，德，备注\n张三，{ID1}，80，"同意，无异议"\n'
    sheet = read(text.encode(), filename="a.csv", indicator_codes=["德"])
    assert (sheet.rows[0].values["德"], sheet.rows[0].note) == (80, "同意，无异议")


def test_csv_quoted_cells_and_forced_text_ids():
    text = f'姓名,身份证号,德,单位,备注\n"张,三",="{ID1}",80,\'城关镇,"见""附件"""\n李四,\'{ID2},70,"=",=""\n'
    sheet = read(text.encode(), filename="a.csv", indicator_codes=["德"])
    assert [(r.name, r.id_number, r.unit, r.note) for r in sheet.rows] == [
        ("张,三", ID1, "城关镇", '见"附件"'),
        ("李四", ID2, "=", ""),
    ]


def test_a_csv_cell_too_long_for_the_csv_reader_is_a_format_error():
    text = f'姓名,身份证号,德\n张三,{ID1},"' + "9" * 200_000 + '"\n'
    with pytest.raises(SheetRejected) as exc:
        read(text.encode(), filename="a.csv", indicator_codes=["德"])
    assert (exc.value.code, exc.value.status, exc.value.message) == (
        "not_spreadsheet",
        415,
        "CSV 文件格式错误，无法读取。",
    )


def test_a_csv_with_more_rows_than_allowed_is_refused():
    from assessment.sheets import safety

    head = "身份证号,德\n".encode()
    limit = safety.MAX_ROWS + 20  # rows read, the header rows included
    sheet = read(head + b"\n" * (limit - 1), filename="a.csv", indicator_codes=["德"])
    assert sheet.rows == []
    with pytest.raises(SheetRejected) as exc:
        read(head + b"\n" * limit, filename="a.csv", indicator_codes=["德"])
    assert (exc.value.code, exc.value.status) == ("too_many_rows", 413)
    assert exc.value.message == "CSV 文件超过 200,000 行，不能一次导入。"


# --- sheets and sources


def test_the_sheet_name_given_is_trimmed_and_only_that_sheet_is_read():
    data = xlsx(("一月", [HEADER, row(1, CADRES[0], [80] * 6)]), ("二月", [["无表头"]]))
    assert read(data, sheet=" 一月 ").sheet_name == "一月"
    with pytest.raises(SheetRejected) as exc:
        read(data, sheet="二月")
    assert exc.value.message.startswith("在“二月”的前 20 行中找不到表头")
    with pytest.raises(SheetRejected) as exc:
        read(data, sheet="三月")
    assert exc.value.message == "工作簿中没有名为“三月”的工作表（现有：“一月”、“二月”）。"


def test_the_first_sheet_with_a_header_is_used_even_if_a_later_one_has_one_too():
    data = xlsx(("甲", [HEADER, row(1, CADRES[0], [80] * 6)]), ("乙", [HEADER, row(1, CADRES[1], [70] * 6)]))
    sheet = read(data)
    assert sheet.sheet_name == "甲" and [r.id_number for r in sheet.rows] == [ID1]


def test_a_missing_file_bytearray_and_memoryview_sources(tmp_path):
    with pytest.raises(SheetRejected) as exc:
        read(tmp_path / "nowhere.xlsx")
    assert (exc.value.code, exc.value.status, exc.value.message) == (
        "not_spreadsheet",
        400,
        "找不到上传的文件。",
    )
    data = xlsx(("S", [HEADER, row(1, CADRES[0], [80] * 6)]))
    assert read(bytearray(data)).rows[0].id_number == ID1
    assert read(memoryview(data)).rows[0].id_number == ID1
    with pytest.raises(SheetRejected) as exc:
        read(data, max_bytes=len(data) - 1)
    assert exc.value.code == "too_large"
    assert (
        read(
            str(tmp_path / "x.csv") if (tmp_path / "x.csv").write_bytes(f"{CSV_HEADER}\n".encode()) else None,
            filename="x.csv",
        ).rows
        == []
    )


def test_a_damaged_workbook_is_refused_with_a_clear_message():
    data = xlsx(("S", [HEADER]))
    broken = data[: len(data) // 2]
    with pytest.raises(SheetRejected) as exc:
        read(broken)
    assert exc.value.code == "not_spreadsheet" and exc.value.status == 415


# --- dates and names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, datetime.date(1899, 12, 31)),
        (0, None),
        (-1, None),
        (2958465, datetime.date(9999, 12, 31)),
        (2958466, None),
        (45717.75, datetime.date(2025, 3, 1)),
        (True, None),
        (None, None),
        ("", None),
        (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1)),
        ("2025/3/1", datetime.date(2025, 3, 1)),
        (" 2025 年 3 月 1 日 ", datetime.date(2025, 3, 1)),
        ("２０２５年３月１日", datetime.date(2025, 3, 1)),
        ("2025-3-1日", datetime.date(2025, 3, 1)),
        ("2025-13-01", None),
        ("2025-03", None),
        ("25-03-01", None),
    ],
)
def test_dates_at_the_edges(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("typed", "registered", "same"),
    [
        ("张  三", "张三", True),
        ("张　三", "张三", True),
        ("阿依古丽", "阿依 古丽", True),
        (None, "", True),
        ("张三", "张四", False),
        ("张三", None, False),
    ],
)
def test_names_are_compared_without_spaces(typed, registered, same):
    from assessment.sheets.parse import same_name

    assert same_name(typed, registered) is same


def test_the_separator_is_taken_from_the_header_line_alone():
    lines = [
        "姓名\t身份证号\t德\t备注",
        f"张三\t{ID1}\t80\t甲,乙,丙,丁,戊,己,庚",
        f"李四\t{ID2}\t70\t子,丑,寅,卯,辰,巳,午",
        "",
    ]
    sheet = read("\n".join(lines).encode(), filename="a.csv", indicator_codes=["德"])
    assert [(r.name, r.values["德"], r.note) for r in sheet.rows] == [
        ("张三", 80, "甲,乙,丙,丁,戊,己,庚"),
        ("李四", 70, "子,丑,寅,卯,辰,巳,午"),
    ]
    assert sheet.errors == []


def test_a_multi_line_csv_cell_keeps_its_line_break_as_written():
    text = f'姓名,身份证号,德,备注\r\n张三,{ID1},80,"第一行\r\n第二行"\r\n李四,{ID2},70,\r\n'
    sheet = read(text.encode(), filename="a.csv", indicator_codes=["德"])
    assert [(r.row, r.name, r.note) for r in sheet.rows] == [(2, "张三", "第一行\r\n第二行"), (3, "李四", "")]


def test_a_name_for_an_indicator_not_asked_for_does_not_hide_the_names_after_it():
    names = {"勤勉敬业": "勤", "政治品德": "德"}
    sheet = read(
        xlsx(("S", [["身份证号", "勤勉敬业", "政治品德"], [ID1, 5, 9]])),
        indicator_codes=["德"],
        indicator_names=names,
    )
    assert sheet.rows[0].values == {"德": 9} and sheet.ignored_headers == ["勤勉敬业"]


def test_the_quarterly_score_words_are_not_read_on_an_annual_sheet():
    sheet = read(
        xlsx(("S", [["身份证号", "德", "考核得分", "分数"], [ID1, 80, 85, 86]])), indicator_codes=["德"]
    )
    assert sheet.rows[0].values == {"德": 80}
    assert sheet.ignored_headers == ["考核得分", "分数"]


def test_a_lower_header_row_adding_one_score_column_makes_a_two_row_header():
    top = ["姓名", "身份证号", "德", "成绩"]
    bottom = [None, None, None, "能"]
    sheet = read(xlsx(("S", [top, bottom, ["张三", ID1, 80, 81]])), indicator_codes=["德", "能"])
    assert (sheet.header_row, sheet.rows[0].row) == (1, 3)
    assert sheet.rows[0].values == {"德": 80, "能": 81} and sheet.errors == []


def test_of_two_equally_good_header_rows_the_first_is_the_header():
    sheet = read(xlsx(("S", [["身份证号", "德"], ["身份证号", "德"], [ID1, 80]])), indicator_codes=["德"])
    assert sheet.header_row == 1
    # the repeated header line is a data row: an invalid ID number and a score that is no number
    assert [(e.row, e.col) for e in sheet.errors] == [(2, 0), (2, 1)]
    assert [r.values for r in sheet.rows] == [{"德": None}, {"德": 80}]


def test_a_fuller_header_three_rows_below_a_partial_one_is_still_found():
    rows = [["身份证号", "德"], [ID1, 80], [ID2, 70], HEADER, row(1, CADRES[3], [50] * 6)]
    sheet = read(xlsx(("S", rows)))
    assert sheet.header_row == 4
    assert [r.id_number for r in sheet.rows] == [CADRES[3][1]]


def test_every_wrong_check_digit_and_impossible_birth_dates_are_caught():
    from tests.sheet_corpus import make_id

    valid = [number for _, number in CADRES] + [make_id("19991231", s) for s in range(1, 60)]
    wrong = [number[:17] + c for number in valid for c in "0123456789X" if c != number[17]]
    lines = [f"{i},某,{number},,1,,,,," for i, number in enumerate(wrong, start=1)]
    bad_dates = [make_id("19800100", 111), make_id("19810229", 11)]  # day 00; 29 February 1981
    lines += [f"0,某,{number},,1,,,,," for number in bad_dates]
    sheet = csv_read(lines)
    messages = [e.message for e in sheet.errors]
    assert messages[:-2] == [f"身份证号“{n}”无效：身份证号校验位不正确，请核对是否录入有误。" for n in wrong]
    assert messages[-2:] == [f"身份证号“{n}”无效：身份证号中的出生日期无效。" for n in bad_dates]
    assert all(r.id_number is None for r in sheet.rows)


# ---------------------------------------------------------------- 民主测评 vote columns
# Optional columns read like scores (the services check them as counts): row.votes, never values.

VOTE_HEADER = [*HEADER, "优秀票", "称职票", "基本称职票", "不称职票", "弃权票"]
VOTE_KEYS = ["votes_excellent", "votes_competent", "votes_basic", "votes_incompetent", "votes_abstain"]


def vote_sheet(votes, header=VOTE_HEADER):
    return read(xlsx(("S", [header, [*row(1, CADRES[0], [90] * 6), *votes]])))


def test_vote_columns_are_read_into_votes_and_leave_the_scores_alone():
    sheet = vote_sheet([10, 20, 5, 3, 2])
    [r] = sheet.rows
    assert r.votes == dict(zip(VOTE_KEYS, map(Decimal, [10, 20, 5, 3, 2]), strict=True))
    assert r.values == dict.fromkeys(CODES, Decimal(90))
    assert sheet.columns["votes_excellent"] == 12 and sheet.columns["votes_abstain"] == 16
    assert sheet.errors == [] and sheet.ignored_headers == []


def test_a_sheet_without_vote_columns_reads_no_votes():
    [r] = read(xlsx(("S", [HEADER, row(1, CADRES[0], [90] * 6)]))).rows
    assert r.votes == {}


@pytest.mark.parametrize(
    ("cell", "read_as"),
    [(0, Decimal(0)), ("0", Decimal(0)), (None, None), ("", None), (-1, Decimal(-1)), (1.5, Decimal("1.5"))],
)
def test_a_vote_cell_is_read_as_written_and_judged_by_the_services(cell, read_as):
    sheet = vote_sheet([1, 1, 1, cell, 1])
    assert sheet.rows[0].votes["votes_incompetent"] == read_as
    assert sheet.errors == []


def test_a_vote_cell_that_is_no_number_is_an_error_naming_the_cell():
    sheet = vote_sheet([1, 1, 1, "三", 1])
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (2, "不称职票", 15)
    assert error.message == "“不称职票”列的值“三”不是数字。"
    assert sheet.rows[0].votes["votes_incompetent"] is None


VOTE_ALIASES = {
    "votes_excellent": [
        "优秀票",
        "优秀票数",
        "优秀（票）",
        "民主测评优秀票",
        "民主测评优秀票数",
        "民主测评（优秀票）",
    ],
    "votes_competent": [
        "称职票",
        "称职票数",
        "称职（票）",
        "民主测评称职票",
        "民主测评称职票数",
        "民主测评（称职票）",
    ],
    "votes_basic": [
        "基本称职票",
        "基本称职票数",
        "基本称职(票)",
        "民主测评基本称职票",
        "民主测评基本称职票数",
        "民主测评(基本称职票)",
    ],
    "votes_incompetent": [
        "不称职票",
        "不称职票数",
        "不称职（票）",
        "民主测评不称职票",
        "民主测评不称职票数",
        "民主测评（不称职票）",
    ],
    "votes_abstain": [
        "弃权票",
        "弃权票数",
        "弃权(票)",
        "民主测评弃权票",
        "民主测评弃权票数",
        "民主测评(弃权票)",
    ],
}


@pytest.mark.parametrize(
    ("header", "key"),
    [
        *((header, key) for key, headers in VOTE_ALIASES.items() for header in headers),
        ("弃 权 票", "votes_abstain"),
        ("不称职票（张）", "votes_incompetent"),
        ("民主测评不称职票*", "votes_incompetent"),
    ],
)
def test_header_variants_of_the_vote_columns_are_recognised(header, key):
    sheet = read(xlsx(("S", [["身份证号", "民主测评", header], [ID1, 80, 7]])))
    assert sheet.columns == {"id_number": 0, "民主测评": 1, key: 2}
    assert sheet.rows[0].votes == {key: Decimal(7)}
    assert sheet.rows[0].values == {"民主测评": Decimal(80)}


def test_vote_columns_alone_are_no_header():
    with pytest.raises(SheetRejected) as caught:
        read(xlsx(("S", [["身份证号", "优秀票"], [ID1, 7]])))
    assert caught.value.code == "no_header"


def test_two_columns_for_one_count_are_an_error_naming_the_count():
    sheet = read(xlsx(("S", [["身份证号", "德", "不称职票", "民主测评不称职票"], [ID1, 80, 3, 4]])))
    [error] = sheet.errors
    assert (error.row, error.column, error.col) == (1, "民主测评不称职票", 3)  # on the header
    assert error.message == (
        "“民主测评不称职票”列与“不称职票”列都对应“不称职票”，无法确定以哪一列为准；请删除或改名其中一列后重新上传。"
    )
    assert sheet.rows[0].votes == {"votes_incompetent": Decimal(3)}


def test_vote_cells_typed_as_text_are_noted_as_readings():
    sheet = vote_sheet([1, 1, 1, "１２", 1])
    assert sheet.rows[0].votes["votes_incompetent"] == Decimal(12)
    assert sheet.readings == [{"column": "不称职票", "text": "１２", "value": "12", "rows": [2], "count": 1}]


def test_vote_columns_in_a_csv_are_read_too():
    sheet = csv_read([f"1,张三,{ID1},,90,90,90,90,90,90,0,1"], header=CSV_HEADER + ",弃权票,不称职票")
    assert sheet.rows[0].votes == {"votes_incompetent": Decimal(1), "votes_abstain": Decimal(0)}


def _boundary_numbers():
    """ID numbers born in the years each area code's entry opens and closes and those either
    side (else an ordinary year), with python-stdnum's answer for each (None: valid)."""
    from cadres import idnumber

    out = []
    for i, (area, years) in enumerate(_area_codes()):
        for year in sorted({y + d for y in years for d in (-1, 0, 1)} or {1960 + i % 40}):
            if 1900 <= year <= 2020:
                number = idnumber.make(area, datetime.date(year, 6, 1), i % 1000)
                try:
                    idnumber.validate(number)
                    out.append((number, None))
                except idnumber.IdNumberError as exc:
                    out.append((number, str(exc)))
    return out


def test_the_fast_id_check_answers_every_valid_number_itself_and_sends_only_invalid_ones_on(monkeypatch):
    """The fast path is what makes 100,000 rows cheap: a valid number (on the first and last
    year of its area code's entry too) never reaches python-stdnum; an invalid one always does,
    so the message is the reference's."""
    from assessment.sheets import parse

    slow = []
    monkeypatch.setattr(parse.IdChecker, "_slow", staticmethod(lambda n: slow.append(n) or "slow"))
    checker = parse.IdChecker()
    numbers = _boundary_numbers()
    valid = [n for n, problem in numbers if problem is None]
    invalid = [n for n, problem in numbers if problem is not None]
    assert len(valid) > 3000 and len(invalid) > 100
    assert [n for n in valid if checker.check(n) is not None] == []
    assert slow == []
    assert [n for n in invalid if checker.check(n) != "slow"] == []
    assert slow == invalid


def test_the_fast_id_check_sends_on_a_bad_check_digit_a_bad_date_a_short_or_lettered_number(monkeypatch):
    from assessment.sheets import parse
    from cadres import idnumber

    slow = []
    monkeypatch.setattr(parse.IdChecker, "_slow", staticmethod(lambda n: slow.append(n) or "slow"))
    good = idnumber.make("110101", datetime.date(1980, 2, 29), 12)
    wrong_digit = good[:17] + ("0" if good[17] != "0" else "1")
    bad_dates = [
        idnumber.make("110101", datetime.date(1980, 2, 28), 12).replace("19800228", d)
        for d in ("19810229", "19801301", "19800100")
    ]
    bad_dates = [b[:17] + idnumber.ric.calc_check_digit(b[:17] + "0") for b in bad_dates]
    cases = [wrong_digit, *bad_dates, good[:17], good + "1", "11010A" + good[6:]]
    checker = parse.IdChecker()
    assert checker.check(good) is None
    assert [checker.check(n) for n in cases] == ["slow"] * len(cases)
    assert slow == cases


def test_the_fast_id_check_looks_each_area_code_and_birth_date_up_once(monkeypatch):
    from assessment.sheets import parse
    from cadres import idnumber

    looked = []
    real = parse.place_years
    monkeypatch.setattr(parse, "place_years", lambda area: looked.append(area) or real(area))
    checker = parse.IdChecker()
    born = datetime.date(1975, 5, 5)
    numbers = [idnumber.make("110101", born, s) for s in (1, 2, 3)] + [idnumber.make("310101", born, 4)]
    assert [checker.check(n) for n in numbers * 2] == [None] * 8
    assert looked == ["110101", "310101"]
    assert checker.dates == {"19750505": True}
    assert set(checker.places) == {"110101", "310101"}


def test_a_formula_without_a_cached_value_is_an_error_with_the_whole_message():
    rows = [HEADER, row(1, CADRES[0], [60, ("SUM(A1:A2)", None), 60, 60, 60, ("B1*2", None)])]
    sheet = read(raw_xlsx([("S", sheet_xml(rows))]))
    assert [(e.row, e.column, e.col, e.message) for e in sheet.errors] == [
        (2, code, col, f"“{code}”列是公式但没有计算结果，请在 Excel 中打开、重新计算并保存后上传。")
        for code, col in (("能", 6), ("民主测评", 10))
    ]
    assert sheet.rows[0].values["能"] is None and sheet.rows[0].values["德"] == 60


def test_a_float_that_is_no_number_is_an_error_in_every_row_it_appears():
    """No workbook cell reads as NaN or infinity (calamine gives #DIV/0! as text), so the float
    path's refusal is checked on the rows themselves."""
    from assessment.sheets.parse import ParsedSheet, _parse_rows

    columns = {"id_number": 2, **{code: 5 + i for i, code in enumerate(CODES)}}
    headers = {2: "身份证号", **{5 + i: f"{code}得分" for i, code in enumerate(CODES)}}
    sheet = ParsedSheet(sheet_name="S", header_row=1, columns=columns, headers=headers)
    nan, inf = float("nan"), float("inf")
    rows = [
        HEADER,
        [1, "甲", ID1, "", "", nan, 80.5, 80.5, 80.0, inf, 70.0],
        [2, "乙", ID2, "", "", nan, 80.5, -inf, 80.0, 80.0, 70.0],
    ]
    _parse_rows(sheet, rows, 1, CODES, False, set())
    assert [(e.row, e.column, e.col, e.message) for e in sheet.errors] == [
        (2, "德得分", 5, "“德得分”列的值“nan”不是有效数字。"),
        (2, "廉得分", 9, "“廉得分”列的值“inf”不是有效数字。"),
        (3, "德得分", 5, "“德得分”列的值“nan”不是有效数字。"),
        (3, "勤得分", 7, "“勤得分”列的值“-inf”不是有效数字。"),
    ]
    assert [r.values for r in sheet.rows] == [
        {"德": None, "能": Decimal("80.5"), "勤": Decimal("80.5"), "绩": 80, "廉": None, "民主测评": 70},
        {"德": None, "能": Decimal("80.5"), "勤": None, "绩": 80, "廉": 80, "民主测评": 70},
    ]


@pytest.mark.parametrize(("short_by", "scores"), [(1, 6), (2, 5), (7, 0)])
def test_a_data_row_shorter_than_the_header_by_one_or_more_cells_is_padded(short_by, scores):
    full = row(1, CADRES[0], [80] * 6, "备注")
    sheet = read(xlsx(("S", [HEADER, full[: len(full) - short_by], row(2, CADRES[1], [70] * 6)])))
    first, second = sheet.rows
    assert (first.id_number, first.note, sheet.errors) == (ID1, "", [])
    assert first.values == {code: (80 if i < scores else None) for i, code in enumerate(CODES)}
    assert second.values == dict.fromkeys(CODES, 70)


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_a_csv_with_old_mac_windows_or_unix_line_ends_is_read(newline):
    """Excel for Mac (2011 and older) ends CSV lines with a bare CR."""
    lines = [CSV_HEADER, f"1,张三,{ID1},城关镇,85,90,90,90,90,90", f"2,李四,{ID2},城关镇,70,70,70,70,70,70"]
    sheet = read(newline.join(lines).encode() + newline.encode(), filename="评分.csv")
    assert [(r.row, r.id_number, r.values["德"]) for r in sheet.rows] == [(2, ID1, 85), (3, ID2, 70)]
    assert sheet.errors == []


def test_a_summary_word_in_a_seq_column_right_of_the_third_counts():
    header = ["身份证号", "职务", "备注", "序号", "德", "能"]
    sheet = read(
        xlsx(("S", [header, [ID1, "镇长", "", 1, 80, 80], [None, None, None, "合计", 160, 160]])),
        indicator_codes=["德", "能"],
    )
    assert sheet.skipped == [3] and sheet.errors == []


def test_a_csv_row_short_of_the_header_by_exactly_one_cell_is_padded():
    """calamine pads workbook rows to the sheet's width; a CSV row ends where its text does."""
    sheet = csv_read([f"1,张三,{ID1},城关镇,85,90,90,90,90"], header=CSV_HEADER)
    [parsed] = sheet.rows
    assert parsed.values == {"德": 85, "能": 90, "勤": 90, "绩": 90, "廉": 90, "民主测评": None}
    assert sheet.errors == []


def test_an_id_cell_of_spaces_in_an_otherwise_empty_row_is_a_blank_row():
    rows = [HEADER, row(1, CADRES[0], [80] * 6), [None, None, "   ", None], row(2, CADRES[1], [70] * 6)]
    sheet = read(xlsx(("S", rows)))
    assert sheet.skipped == [3] and sheet.errors == []
    rows[2] = [None, None, "  ", None, None, 80]
    sheet = read(xlsx(("S", rows)))
    assert [(e.row, e.column, e.message) for e in sheet.errors] == [
        (3, "身份证号", "身份证号为空，无法确认是哪位干部。")
    ]


def test_the_same_text_read_in_two_columns_is_reported_once_per_column():
    sheet = read(xlsx(("S", [HEADER, row(1, CADRES[0], ["８５", "８５", 90, 90, 90, 90])])))
    assert [(r["column"], r["text"], r["count"]) for r in sheet.readings] == [
        ("德", "８５", 1),
        ("能", "８５", 1),
    ]


def test_a_name_typed_as_a_number_is_read_as_excel_shows_it():
    rows = [HEADER, [1, 12345, ID1, "城关镇", "镇长", 80, 80, 80, 80, 80, 80, ""]]
    assert read(xlsx(("S", rows))).rows[0].name == "12345"


def test_without_unit_and_note_columns_they_are_read_as_empty():
    header = ["姓名", "身份证号", "德", "能"]
    sheet = read(xlsx(("S", [header, ["张三", ID1, 80, 80]])), indicator_codes=["德", "能"])
    assert (sheet.rows[0].unit, sheet.rows[0].note) == ("", "")


def test_a_duplicate_after_a_cadre_who_appears_once_is_still_found():
    rows = [HEADER, row(1, CADRES[0], [80] * 6), row(2, CADRES[1], [70] * 6), row(3, CADRES[1], [75] * 6)]
    sheet = read(xlsx(("S", rows)))
    assert [(e.row, e.message) for e in sheet.errors] == [
        (3, f"同一干部（身份证号 {ID2}）在表中出现多次：与第 4 行重复。"),
        (4, f"同一干部（身份证号 {ID2}）在表中出现多次：与第 3 行重复。"),
    ]
