"""Reading uploaded score sheets as county offices really make them.

``read_sheet`` checks the file (``safety``), reads it with calamine (xlsx/xlsm/xls; macros are
never run) or the csv module, finds the header row wherever it is, maps header variants to
fields and indicator codes, and returns every data row with the problems found in it. It never
guesses: an ID number Excel has turned into ``3.20102E+17`` is an error for that row, not a
lookup. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cadres import idnumber

from ..models import QUARTER_SCALE, VOTE_LABELS, VOTE_NAMES
from . import safety
from .safety import SheetRejected

__all__ = ["CellError", "ParsedRow", "ParsedSheet", "SheetRejected", "parse_date", "read_sheet", "same_name"]

HEADER_SEARCH_ROWS = 20

FIELD_ALIASES = {
    "id_number": [
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号",
        "公民身份证号码",
        "身份证",
        "证件号码",
        "身份证件号码",
    ],
    "name": ["姓名", "干部姓名", "名字"],
    "unit": ["单位", "工作单位", "所在单位", "单位名称", "所在单位名称"],
    "post": ["职务", "现任职务", "职务职级", "现职务"],
    "seq": ["序号", "编号", "序"],
    "note": ["备注", "说明"],
    "quarter": ["季度", "考核季度"],
    "grade": ["等次", "考核等次", "评定等次", "等级"],
    # 民主测评 vote counts (optional columns, read like scores; services check them as counts)
    "votes_excellent": [
        "优秀票",
        "优秀票数",
        "优秀(票)",
        "民主测评优秀票",
        "民主测评优秀票数",
        "民主测评(优秀票)",
    ],
    "votes_competent": [
        "称职票",
        "称职票数",
        "称职(票)",
        "民主测评称职票",
        "民主测评称职票数",
        "民主测评(称职票)",
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
        "不称职(票)",
        "民主测评不称职票",
        "民主测评不称职票数",
        "民主测评(不称职票)",
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
SUMMARY_WORDS = ("合计", "总计", "小计", "平均", "平均分", "平均值", "汇总")
BLANK_SCORES = {"", "—", "-", "–", "－", "——", "--", "/", "／", "无", "空", "N/A", "n/a", "NA"}
SCI_RE = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
BRACKET_SUFFIX_RE = re.compile(r"[(\[【<《][^()\[\]【】<>《》]*[)\]】>》]$")
# What people write after an indicator's name: 德得分, 绩分数, 德分, 民主测评（20分）; the longest
# first, so 绩分数 gives 绩 rather than 绩分.
SCORE_SUFFIXES = ("得分", "分数", "评分", "分值", "分")
SUFFIX_SEPARATORS = "_-—–·.:：/、"
# A score typed as text, once full-width forms are folded and 分 is dropped: digits with at most
# one decimal point. Decimal() alone would also take 1e2, 1_0, NaN and Infinity.
SCORE_TEXT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
# How many distinct cell texts read as numbers (８５分 -> 85) the preview lists.
READINGS_LIMIT = 200
READING_ROWS = 5
QUARTER_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
QUARTER_RE = re.compile(r"^(?:第)?([一二三四1-4])(?:季度|季)?$|^Q([1-4])$", re.I)
DATE_TEXT_RE = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)


@dataclass
class CellError:
    row: int  # 1-based row number as Excel shows it (CSV: the line number)
    column: str  # header text as in the uploaded sheet ("" for a row-level error)
    message: str
    col: int | None = None  # 0-based column index in the sheet


@dataclass
class ParsedRow:
    row: int
    id_number: str | None
    name: str
    unit: str
    values: dict[str, Decimal | None]
    quarter: int | None = None
    grade: str = ""
    note: str = ""
    # 民主测评 vote counts of the sheet's vote columns, read as scores are: {field: number or None}
    votes: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class ParsedSheet:
    sheet_name: str
    header_row: int
    columns: dict[str, int]
    headers: dict[int, str]
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # Header cells that name nothing the importer reads (or a field already read from an
    # earlier column): (0-based column, header text), shown to the uploader as ignored.
    ignored: list[tuple[int, str]] = field(default_factory=list)
    # Score cells typed as text that were read as a number, one entry per column and text:
    # {"column", "text", "value", "rows": first few row numbers, "count"}; at most READINGS_LIMIT.
    readings: list[dict] = field(default_factory=list)

    @property
    def ignored_headers(self) -> list[str]:
        return [text for _, text in self.ignored]


# --- header matching -------------------------------------------------------------------------


def norm_header(value) -> str:
    """Full-width to half-width, all whitespace removed, trailing ``*``/``:`` dropped."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    return text.rstrip("*:：")


def header_candidates(text: str) -> list[str]:
    """All the forms of a header to look up, most literal first: a trailing bracket (a weight
    or a range: ``德(15%)``, ``民主测评(20分)``) and a trailing score word (``德得分``, ``绩分数``,
    ``德分``) are taken off, in either order and repeatedly (``德得分(15%)``, ``德(15%)得分``).
    (Inner spaces are already gone: ``norm_header``.)"""
    out = [text]
    for form in out:  # grows while it is walked: breadth first
        shorter = []
        new = BRACKET_SUFFIX_RE.sub("", form).rstrip(SUFFIX_SEPARATORS)
        if new != form:
            shorter.append(new)
        for suffix in SCORE_SUFFIXES:
            if form.endswith(suffix) and len(form) > len(suffix):
                shorter.append(form[: -len(suffix)].rstrip(SUFFIX_SEPARATORS))
                break
        out.extend(s for s in shorter if s and s not in out)
    return out


def build_lookup(
    indicator_codes: list[str], quarterly: bool, indicator_names: dict[str, str] | None = None
) -> dict[str, str]:
    """{normalised header: field key or indicator code}. An indicator is found by its code and
    by its name (``廉洁自律`` for 廉), a name shared by two indicators by neither."""
    lookup: dict[str, str] = {}
    for key, aliases in FIELD_ALIASES.items():
        if key in ("quarter", "grade") and not quarterly:
            continue
        for alias in aliases:
            lookup[norm_header(alias)] = key
    names: dict[str, str | None] = {}
    for name, code in (indicator_names or {}).items():
        if code not in indicator_codes:
            continue
        for form in header_candidates(norm_header(name)):
            if names.get(form, code) != code:
                names[form] = None  # two indicators' names: neither
            else:
                names[form] = code
    for form, code in names.items():
        if code is not None:
            lookup.setdefault(form, code)  # a field's own header wins over a name
    for code in indicator_codes:
        lookup[norm_header(code)] = code  # an indicator code wins over an alias
    if quarterly and "得分" in indicator_codes:
        for alias in ("分数", "考核得分", "平时考核得分", "季度得分", "得分"):
            lookup.setdefault(norm_header(alias), "得分")
    return lookup


def match_header(value, lookup: dict[str, str]) -> str | None:
    text = norm_header(value)
    if not text:
        return None
    for form in header_candidates(text):
        key = lookup.get(form)
        if key is not None:
            return key
    return None


def _row_text(row: list, c: int):
    return row[c] if c < len(row) else None


def find_header(rows: list[list], lookup: dict[str, str], value_keys: set[str]):
    """(header index, data start index, columns, headers, repeats) or None. Two-row headers (a
    merged group label above the indicator names) combine both rows' texts column by column.
    ``repeats`` are the later columns naming a key an earlier column already named:
    (key, column)."""
    best = None
    limit = min(len(rows), HEADER_SEARCH_ROWS)
    for i in range(limit):
        for span in (1, 2):
            if span == 2 and i + 1 >= len(rows):
                continue
            top = rows[i]
            bottom = rows[i + 1] if span == 2 else []
            width = max(len(top), len(bottom))
            columns: dict[str, int] = {}
            headers: dict[int, str] = {}
            repeats: list[tuple[str, int]] = []
            for c in range(width):
                t, b = _row_text(top, c), _row_text(bottom, c)
                t_text = "" if t is None else str(t).strip()
                b_text = "" if b is None else str(b).strip()
                key, shown = None, ""
                for candidate in [b_text, t_text + b_text, t_text] if span == 2 else [t_text]:
                    if candidate:
                        key = match_header(candidate, lookup)
                        if key:
                            shown = candidate
                            break
                if key and key not in columns:
                    columns[key] = c
                    headers[c] = shown
                elif t_text or b_text:
                    headers[c] = shown or b_text or t_text
                    if key:
                        repeats.append((key, c))
            if "id_number" not in columns or not value_keys.intersection(columns):
                continue
            score = len(columns) - (0.5 if span == 2 else 0)
            if best is None or score > best[0]:
                best = (score, i, i + span, columns, headers, repeats)
        if best is not None and i > best[1] + 1:
            break
    if best is None:
        return None
    return best[1:]


# --- cell values -----------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _excel_display(value) -> str:
    """How Excel's General format shows a long number: 3.20102E+17."""
    number = float(value)
    if abs(number) < 1e11:
        return _text(value)
    mantissa, exponent = f"{number:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


def _shown(value) -> str:
    """A cell's value as Excel shows it, for a message."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d %H:%M}" if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    return _text(value)


def parse_score(value) -> tuple[Decimal | None, str | None]:
    """(number, problem). Blank, ``—`` and ``-`` give (None, None). A score is a number, or
    text that is one (``"85"``, ``"85分"``, full-width ``８５``); TRUE/FALSE, dates, times and
    any other text (九十, 优, 85-90, 1e2) are a problem, never a guess."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, "是逻辑值（TRUE/FALSE），不是分数"
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, "不是有效数字"
        return (Decimal(int(value)) if value.is_integer() else Decimal(repr(value))), None
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return None, "是日期或时间，不是分数"
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text in BLANK_SCORES or text.strip("-—–") == "":
        return None, None
    text = "".join(text.split())
    if text.endswith("分"):
        text = text[:-1]
    if not SCORE_TEXT_RE.match(text):
        if DATE_TEXT_RE.match(text):
            return None, "是日期，不是分数"
        return None, "不是数字"
    try:
        return Decimal(text), None
    except (InvalidOperation, ValueError):  # pragma: no cover - the pattern admits only numbers
        return None, "不是数字"


def parse_date(value) -> datetime.date | None:
    """Excel serials, real dates, ``2025.3.1``, ``2025-03-01``, ``2025年3月1日``; None if not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        return None
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    m = DATE_TEXT_RE.match(text)
    if not m:
        return None
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


class IdChecker:
    """``cadres.idnumber.validate`` with a fast path for 100,000 rows: the check digit in C,
    the birth date checked once per date and the area code once per code (~60 µs each against
    python-stdnum's historical list, then only the birth year is compared with its years)."""

    CHECK = "10X98765432"

    def __init__(self):
        self.places: dict[str, bool | list[tuple[int | None, int | None]] | None] = {}
        self.dates: dict[str, bool] = {}

    def check(self, number: str) -> str | None:
        """Error message, or None when valid. ``number`` is already normalised."""
        if len(number) != 18 or not number[:17].isdigit():
            return self._slow(number)
        # GB 11643's weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11): reading the 17 digits
        # as a base-13 number gives the weighted sum (halved) modulo 11, parsed in C.
        if self.CHECK[int(number[:17], 13) * 2 % 11] != number[17]:
            return self._slow(number)
        birth = number[6:14]
        ok = self.dates.get(birth)
        if ok is None:
            try:
                datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
                ok = True
            except ValueError:
                ok = False
            self.dates[birth] = ok
        if not ok:
            return self._slow(number)
        area = number[:6]
        try:
            place = self.places[area]
        except KeyError:
            place = self.places[area] = place_years(area)
        if place is True:
            return None
        if place:
            year = int(birth[:4])
            for start, end in place:
                if (start is None or year >= start) and (end is None or year <= end):
                    return None
        return self._slow(number)  # says why

    @staticmethod
    def _slow(number: str) -> str | None:
        try:
            idnumber.validate(number)
        except idnumber.IdNumberError as exc:
            return str(exc)
        return None


def place_years(area: str) -> bool | list[tuple[int | None, int | None]] | None:
    """When an area code was valid, by python-stdnum's list (``stdnum.cn.ric.get_birth_place``
    reads the same entries): True for always, else the (first, last) years of each county
    the code named (None: open-ended); None or [] for a code it does not know."""
    from stdnum import numdb

    info = {k: v for _, props in numdb.get("cn/loc").info(area) for k, v in props.items()}
    if not info:
        return None
    years = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            return True
        start, end = county[1:].split("]")[0].split("-")
        years.append((int(start) if start else None, int(end) if end else None))
    return years


# --- reading the file ------------------------------------------------------------------------


def _load(source, max_bytes: int | None) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        safety.check_size(len(data), max_bytes)
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError:
        raise SheetRejected("not_spreadsheet", "找不到上传的文件。", 400) from None
    safety.check_size(size, max_bytes)  # before reading a byte of it
    return path.read_bytes()


def _calamine_rows(data: bytes, kind: str, sheet: str | None, report, choose):
    """Yield (sheet name, rows) for the requested sheet, or every sheet in order."""
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise SheetRejected("encrypted", "文件设置了密码保护，无法读取。请取消密码后重新上传。") from None
    except Exception as exc:  # calamine raises several error types for damaged files
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise SheetRejected("encrypted", "文件设置了密码保护，无法读取。请取消密码后重新上传。") from None
        raise SheetRejected(
            "not_spreadsheet", "文件已损坏，无法作为 Excel 工作簿读取。请在 Excel 中重新保存后上传。", 415
        ) from None
    with workbook:
        names = [
            m.name
            for m in workbook.sheets_metadata
            if str(m.typ).endswith("WorkSheet")  # chart sheets and macro sheets hold no rows
        ]
        if sheet is not None:
            wanted = sheet.strip()
            if wanted not in names:
                shown = "、".join(f"“{n}”" for n in names)
                raise SheetRejected("no_sheet", f"工作簿中没有名为“{wanted}”的工作表（现有：{shown}）。")
            names = [wanted]
        if not names:
            raise SheetRejected("no_sheet", "工作簿中没有工作表。")
        for name in names:
            try:
                loaded = workbook.get_sheet_by_name(name)
                rows = loaded.to_python(skip_empty_area=False)
            except PasswordError:
                raise SheetRejected(
                    "encrypted", "文件设置了密码保护，无法读取。请取消密码后重新上传。"
                ) from None
            except Exception:
                raise SheetRejected(
                    "not_spreadsheet", f"工作表“{name}”已损坏，无法读取。请在 Excel 中重新保存后上传。", 415
                ) from None
            if kind == "ole" and len(rows) > safety.MAX_ROWS:
                raise SheetRejected(
                    "too_many_rows", f"工作表“{name}”超过 {safety.MAX_ROWS:,} 行，不能一次导入。", 413
                )
            if choose(name, rows):
                return


def _decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:4096]:
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise SheetRejected(
        "bad_encoding",
        "无法识别 CSV 文件的文字编码（支持 UTF-8、带 BOM 的 UTF-8 和 GBK）。请在 Excel 中另存为 .xlsx 后上传。",
    )


def _csv_rows(data: bytes) -> list[list]:
    text = _decode_text(data)
    if "\x00" in text:
        raise SheetRejected("not_spreadsheet", "CSV 文件中含有二进制内容，不是文本表格。", 415)
    first = text[:4096].split("\n", 1)[0]
    # (a full-width comma is a delimiter of its own: quoted cells keep theirs, 同意，无异议)
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    rows: list[list] = []
    try:
        for line in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([_csv_cell(v) for v in line])
            if len(rows) > safety.MAX_ROWS + HEADER_SEARCH_ROWS:
                raise SheetRejected(
                    "too_many_rows", f"CSV 文件超过 {safety.MAX_ROWS:,} 行，不能一次导入。", 413
                )
    except csv.Error:
        raise SheetRejected("not_spreadsheet", "CSV 文件格式错误，无法读取。", 415) from None
    return rows


def _csv_cell(value: str):
    # ="320102..." and '320102... are how people force text in CSV
    if value.startswith('="') and value.endswith('"'):
        return value[2:-1]
    if value.startswith("'"):
        return value[1:]
    return value if value.strip() else None


# --- the entry point -------------------------------------------------------------------------


def read_sheet(
    source: bytes | str | Path,
    *,
    filename: str,
    indicator_codes: list[str],
    quarterly: bool = False,
    sheet: str | None = None,
    max_bytes: int | None = None,
    indicator_names: dict[str, str] | None = None,
) -> ParsedSheet:
    """``indicator_names`` ({name: code}) lets a header give an indicator's name instead of
    its code (``廉洁自律（10分）`` for 廉)."""
    data = _load(source, max_bytes)
    kind = safety.sniff(data, filename)
    lookup = build_lookup(indicator_codes, quarterly, indicator_names)
    value_keys = set(indicator_codes) | ({"grade"} if quarterly else set())
    found: list = []
    looked: list[str] = []

    def choose(name: str, rows: list[list]) -> bool:
        looked.append(name)
        header = find_header(rows, lookup, value_keys)
        if header is not None:
            found.append((name, rows, header))
            return True
        return False

    report = None
    if kind == "text":
        choose("CSV", _csv_rows(data))
    else:
        if kind == "zip":
            report = safety.check_zip(data)
        else:
            safety.check_ole(data)
        _calamine_rows(data, kind, sheet, report, choose)
    if not found:
        expected = "身份证号、" + "、".join(indicator_codes)
        where = "、".join(f"“{n}”" for n in looked) if kind != "text" else "文件"
        raise SheetRejected(
            "no_header",
            f"在{where}的前 {HEADER_SEARCH_ROWS} 行中找不到表头（至少需要“身份证号”列和一个评分列：{expected}）。"
            "请使用下载的模板，或检查表头文字。",
        )
    name, rows, (header_index, data_start, columns, headers, repeats) = found[0]
    blank_formulas = set()
    if report is not None and name in report.sheets:
        blank_formulas = report.sheets[name].blank_formulas
    result = ParsedSheet(sheet_name=name, header_row=header_index + 1, columns=columns, headers=headers)
    read = set(columns.values())
    result.ignored = [(c, text) for c, text in sorted(headers.items()) if c not in read and text]
    for key, c in repeats:
        # two columns for one score (or count): which one counts is not ours to guess
        if key in value_keys or key in VOTE_NAMES:
            first = headers.get(columns[key], key)
            result.errors.append(
                CellError(
                    data_start,
                    headers[c],
                    f"“{headers[c]}”列与“{first}”列都对应“{VOTE_LABELS.get(key, key)}”，无法确定以哪一列为准；"
                    "请删除或改名其中一列后重新上传。",
                    c,
                )
            )
    _parse_rows(result, rows, data_start, indicator_codes, quarterly, blank_formulas)
    return result


def _parse_rows(
    result: ParsedSheet, rows, start: int, codes: list[str], quarterly: bool, blank_formulas
) -> None:
    columns, headers = result.columns, result.headers
    errors, out, skipped = result.errors, result.rows, result.skipped
    id_col = columns["id_number"]
    id_header = headers.get(id_col, "身份证号")
    name_col, unit_col = columns.get("name"), columns.get("unit")
    seq_col, note_col = columns.get("seq"), columns.get("note")
    quarter_col, grade_col = columns.get("quarter"), columns.get("grade")
    vote_keys = [key for key in VOTE_NAMES if key in columns]
    score_cols = [
        (code, columns[code], headers.get(columns[code], code))
        for code in [*codes, *vote_keys]
        if code in columns
    ]
    label_cols = [c for c in (seq_col, name_col, unit_col) if c is not None]
    check_id = IdChecker().check
    seen: dict[str, list[int]] = {}

    need = max(
        [id_col, *(c for _, c, _ in score_cols), *label_cols, note_col or 0, quarter_col or 0, grade_col or 0]
    )
    formula_message = "“{}”列是公式但没有计算结果，请在 Excel 中打开、重新计算并保存后上传。"
    memo: dict = {}  # float -> Decimal: sheets repeat the same few scores
    texts: dict[str, tuple] = {}  # the same for scores typed as text
    readings: dict[tuple[int, str], dict] = {}
    for index in range(start, len(rows)):
        row = rows[index]
        if len(row) <= need:
            row = [*row, *([None] * (need + 1 - len(row)))]
        excel_row = index + 1
        raw_id = row[id_col]
        if raw_id is None or raw_id == "" or (type(raw_id) is str and not raw_id.strip()):
            if all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in row):
                skipped.append(excel_row)
                continue
            if _summary_row(row, label_cols):
                skipped.append(excel_row)
                continue
            errors.append(CellError(excel_row, id_header, "身份证号为空，无法确认是哪位干部。", id_col))
            id_number = None
        elif type(raw_id) is str and len(raw_id) == 18 and raw_id.isascii() and raw_id[:17].isdigit():
            id_number = raw_id.upper()
            problem = check_id(id_number)
            if problem:
                errors.append(CellError(excel_row, id_header, f"身份证号“{raw_id}”无效：{problem}", id_col))
                id_number = None
        else:
            id_number = _id_slow(raw_id, excel_row, id_header, id_col, check_id, errors)
        values: dict[str, Decimal | None] = {}
        for code, c, header in score_cols:
            raw = row[c]
            if type(raw) is float:
                number = memo.get(raw)
                if number is None:
                    number, problem = parse_score(raw)
                    if problem:
                        errors.append(
                            CellError(excel_row, header, f"“{header}”列的值“{_shown(raw)}”{problem}。", c)
                        )
                    else:
                        memo[raw] = number
                values[code] = number
            elif raw is None or raw == "":
                if (index, c) in blank_formulas:
                    errors.append(CellError(excel_row, header, formula_message.format(header), c))
                values[code] = None
            elif type(raw) is str:
                read = texts.get(raw)
                if read is None:
                    number, problem = parse_score(raw)
                    # Text that is not the number as written (８５分, 85 分): the preview says
                    # what it was read as.
                    shown = raw.strip()
                    read = texts[raw] = (number, problem, number is not None and shown != str(number))
                number, problem, noted = read
                if problem:
                    errors.append(
                        CellError(excel_row, header, f"“{header}”列的值“{raw.strip()}”{problem}。", c)
                    )
                elif noted:
                    _note_reading(result, readings, c, header, raw.strip(), number, excel_row)
                values[code] = number
            else:
                number, problem = parse_score(raw)
                if problem:
                    errors.append(
                        CellError(excel_row, header, f"“{header}”列的值“{_shown(raw)}”{problem}。", c)
                    )
                values[code] = number
        name = row[name_col] if name_col is not None else None
        parsed = ParsedRow(
            excel_row,
            id_number,
            "".join(name.split()) if type(name) is str else _clean_name(name),
            _text(row[unit_col]) if unit_col is not None else "",
            values,
            note=_text(row[note_col]) if note_col is not None else "",
            votes={key: values.pop(key) for key in vote_keys},
        )
        if quarterly:
            _quarter_fields(parsed, row, excel_row, quarter_col, grade_col, headers, errors)
        out.append(parsed)
        if id_number is not None:
            if id_number in seen:
                seen[id_number].append(excel_row)
            else:
                seen[id_number] = [excel_row]
    for id_number, where in seen.items():
        if len(where) < 2:
            continue
        for r in where:
            others = "、".join(f"第 {o} 行" for o in where if o != r)
            errors.append(
                CellError(
                    r, id_header, f"同一干部（身份证号 {id_number}）在表中出现多次：与{others}重复。", id_col
                )
            )
    errors.sort(key=lambda e: (e.row, -1 if e.col is None else e.col))


def _note_reading(result: ParsedSheet, readings: dict, c: int, header: str, text: str, number, row: int):
    entry = readings.get((c, text))
    if entry is None:
        if len(readings) >= READINGS_LIMIT:
            return
        entry = readings[(c, text)] = {
            "column": header,
            "text": text,
            "value": f"{number.normalize():f}",
            "rows": [],
            "count": 0,
        }
        result.readings.append(entry)
    entry["count"] += 1
    if len(entry["rows"]) < READING_ROWS:
        entry["rows"].append(row)


def _id_slow(raw_id, excel_row, id_header, id_col, check_id, errors) -> str | None:
    """Numbers, scientific notation, spaces, full-width digits, lower-case x."""
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        errors.append(CellError(excel_row, id_header, _numeric_id_message(raw_id), id_col))
        return None
    if isinstance(raw_id, (datetime.date, datetime.time, datetime.timedelta, bool)):
        errors.append(CellError(excel_row, id_header, f"身份证号“{_text(raw_id)}”不是身份证号码。", id_col))
        return None
    text = str(raw_id).strip()
    if SCI_RE.match(unicodedata.normalize("NFKC", text).replace(" ", "")):
        errors.append(CellError(excel_row, id_header, _numeric_id_message(text), id_col))
        return None
    number = idnumber.normalize(text)
    problem = check_id(number)
    if problem:
        errors.append(CellError(excel_row, id_header, f"身份证号“{text}”无效：{problem}", id_col))
        return None
    return number


def _summary_row(row: list, label_cols: list[int]) -> bool:
    cells = [row[c] for c in label_cols if c < len(row)]
    cells += [v for v in row[:3] if v is not None]
    for value in cells:
        if isinstance(value, str):
            text = "".join(unicodedata.normalize("NFKC", value).split())
            if text.startswith(SUMMARY_WORDS):
                return True
    return False


def _clean_name(value) -> str:
    """Names are typed with spaces to align two-character names (张  三)."""
    return "".join(unicodedata.normalize("NFKC", _text(value)).split())


def same_name(typed, registered) -> bool:
    """Whether a name from a sheet is the registered one. Spaces never count on either side:
    sheets add them to align two-character names (张  三), and some registered names have one
    (阿依 古丽) that the sheet's reading has dropped."""
    return _clean_name(typed) == _clean_name(registered)


def _numeric_id_message(value) -> str:
    shown = _excel_display(value) if not isinstance(value, str) else value
    return (
        f"身份证号被 Excel 存成了数字（显示为 {shown}），后几位已丢失，无法确认是哪位干部；"
        "请将该列设为文本后重新填写"
    )


def _quarter_fields(parsed: ParsedRow, row, excel_row, quarter_col, grade_col, headers, errors) -> None:
    width = len(row)
    if quarter_col is not None and quarter_col < width and not _is_blank(row[quarter_col]):
        raw = row[quarter_col]
        header = headers.get(quarter_col, "季度")
        quarter = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw) in (1, 2, 3, 4):
            quarter = int(raw)
        elif isinstance(raw, str):
            m = QUARTER_RE.match("".join(unicodedata.normalize("NFKC", raw).split()))
            if m:
                quarter = QUARTER_WORDS[(m.group(1) or m.group(2)).upper()]
        if quarter is None:
            errors.append(
                CellError(excel_row, header, f"“{header}”列的值“{_text(raw)}”不是 1–4 季度。", quarter_col)
            )
        parsed.quarter = quarter
    if grade_col is not None and grade_col < width and not _is_blank(row[grade_col]):
        raw = row[grade_col]
        header = headers.get(grade_col, "等次")
        text = "".join(unicodedata.normalize("NFKC", str(raw)).split())
        if text in QUARTER_SCALE:
            parsed.grade = text
        else:
            allowed = "、".join(str(g) for g in QUARTER_SCALE)
            errors.append(
                CellError(
                    excel_row,
                    header,
                    f"“{header}”列的值“{text}”不是有效等次（应为{allowed}之一）。",
                    grade_col,
                )
            )
