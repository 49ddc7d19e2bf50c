"""``_calamine_rows`` on its own: the refusals it makes when a file passed the safety scan yet
calamine cannot read it. Through ``read_sheet`` most of these files are refused earlier by the
scan (safety.py), so these branches are tried here directly, each with its exact code, message
and HTTP status (the mutation run found them untested)."""

import pytest

from assessment.sheets import parse, safety
from assessment.sheets.parse import SheetRejected, _calamine_rows
from tests.sheet_corpus import _encrypted, _openpyxl, _xls

ENCRYPTED = "文件设置了密码保护，无法读取。请取消密码后重新上传。"
DAMAGED = "文件已损坏，无法作为 Excel 工作簿读取。请在 Excel 中重新保存后上传。"


def rows_of(data: bytes, kind: str, sheet=None) -> dict:
    seen: dict = {}

    def choose(name, rows):
        seen[name] = rows
        return False

    _calamine_rows(data, kind, sheet, None, choose)
    return seen


def refusal(data: bytes, kind: str, sheet=None) -> tuple:
    with pytest.raises(SheetRejected) as exc:
        rows_of(data, kind, sheet)
    return exc.value.code, exc.value.message, exc.value.status


def test_calamine_alone_reads_an_encrypted_workbook_as_damaged_so_the_scan_before_it_names_it():
    data = _encrypted(_openpyxl([["身份证号", "德"]]))
    assert refusal(data, "ole") == ("not_spreadsheet", DAMAGED, 415)
    with pytest.raises(SheetRejected) as exc:
        parse.read_sheet(data, filename="a.xlsx", indicator_codes=["德"])
    assert exc.value.code == "encrypted"
    assert (
        exc.value.message
        == "文件设置了打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后重新上传。"
    )


def test_bytes_calamine_cannot_open_are_a_damaged_workbook_with_a_415():
    assert refusal(b"PK\x03\x04 this is no workbook at all", "zip") == ("not_spreadsheet", DAMAGED, 415)


def test_an_error_naming_a_password_is_read_as_encryption(monkeypatch):
    from python_calamine import CalamineWorkbook

    def fail(_):
        raise ValueError("Workbook is Password protected")

    monkeypatch.setattr(CalamineWorkbook, "from_filelike", staticmethod(fail))
    assert refusal(b"x", "zip") == ("encrypted", ENCRYPTED, 400)


def test_an_error_naming_encryption_is_read_as_encryption(monkeypatch):
    from python_calamine import CalamineWorkbook

    def fail(_):
        raise ValueError("file is ENCRYPTED")

    monkeypatch.setattr(CalamineWorkbook, "from_filelike", staticmethod(fail))
    assert refusal(b"x", "zip") == ("encrypted", ENCRYPTED, 400)


def test_any_other_error_opening_is_a_damaged_workbook(monkeypatch):
    from python_calamine import CalamineWorkbook

    def fail(_):
        raise ValueError("invalid zip header")

    monkeypatch.setattr(CalamineWorkbook, "from_filelike", staticmethod(fail))
    assert refusal(b"x", "zip") == ("not_spreadsheet", DAMAGED, 415)


def test_a_password_error_opening_is_encryption(monkeypatch):
    from python_calamine import CalamineWorkbook, PasswordError

    def fail(_):
        raise PasswordError("protected")

    monkeypatch.setattr(CalamineWorkbook, "from_filelike", staticmethod(fail))
    assert refusal(b"x", "zip") == ("encrypted", ENCRYPTED, 400)


class _Sheet:
    def __init__(self, error):
        self.error = error

    def to_python(self, skip_empty_area=True):
        raise self.error


def _failing_sheet(monkeypatch, error):
    from python_calamine import CalamineWorkbook

    monkeypatch.setattr(CalamineWorkbook, "get_sheet_by_name", lambda self, name: _Sheet(error))


def test_a_sheet_that_fails_with_a_password_error_is_encryption(monkeypatch):
    from python_calamine import PasswordError

    _failing_sheet(monkeypatch, PasswordError("protected"))
    assert refusal(_openpyxl([["身份证号", "德"]]), "zip") == ("encrypted", ENCRYPTED, 400)


def test_a_sheet_that_cannot_be_read_is_named_as_damaged(monkeypatch):
    _failing_sheet(monkeypatch, ValueError("bad cell"))
    assert refusal(_openpyxl([["身份证号", "德"]]), "zip") == (
        "not_spreadsheet",
        "工作表“评分表”已损坏，无法读取。请在 Excel 中重新保存后上传。",
        415,
    )


def test_a_workbook_without_worksheets_is_refused(monkeypatch):
    from python_calamine import CalamineWorkbook

    monkeypatch.setattr(CalamineWorkbook, "sheets_metadata", property(lambda self: []))
    assert refusal(_openpyxl([["身份证号", "德"]]), "zip") == ("no_sheet", "工作簿中没有工作表。", 400)


def test_blank_rows_at_the_top_are_kept_so_row_numbers_match_the_sheet():
    data = _openpyxl([[None, None], [None, None], ["身份证号", "德"], ["x", 1]])
    rows = rows_of(data, "zip")["评分表"]
    assert rows[2] == ["身份证号", "德"] and len(rows) == 4


@pytest.mark.parametrize(("limit", "refused"), [(3, True), (4, False)])
def test_an_xls_sheet_with_more_rows_than_allowed_is_refused_and_one_at_the_limit_is_read(
    monkeypatch, limit, refused
):
    data = _xls([["身份证号", "德"], ["a", 1], ["b", 2], ["c", 3]])  # 4 rows
    monkeypatch.setattr(safety, "MAX_ROWS", limit)
    if refused:
        assert refusal(data, "ole") == (
            "too_many_rows",
            f"工作表“评分表”超过 {limit:,} 行，不能一次导入。",
            413,
        )
    else:
        assert len(rows_of(data, "ole")["评分表"]) == 4


def test_the_row_limit_of_old_xls_files_does_not_apply_to_xlsx_whose_scan_counted_them(monkeypatch):
    monkeypatch.setattr(safety, "MAX_ROWS", 3)
    data = _openpyxl([["身份证号", "德"], ["a", 1], ["b", 2], ["c", 3]])
    assert len(rows_of(data, "zip")["评分表"]) == 4
