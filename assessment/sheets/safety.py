"""Checks run on an uploaded file before any spreadsheet parser touches it.

Everything here reads bounded amounts of memory whatever the file claims:

- the size limit (``settings.IMPORT_MAX_BYTES``) is checked before the bytes are read;
- the type comes from the magic bytes, never from the extension alone;
- for xlsx/xlsm the zip's central directory is read without extracting: too much declared data
  or a suspicious compression ratio is a zip bomb. The XML parts the reader will open are then
  decompressed in 64 KB pieces by our own loop (so a member that inflates past the size its
  directory entry declares is caught too), refusing any DOCTYPE/ENTITY declaration (entity
  bombs) and measuring each worksheet's real extent from its cell references. calamine builds a
  dense grid from the first to the last cell, so one cell at XFD1048576 would make it allocate
  hundreds of GB and abort the process: such sheets are refused before calamine sees them. The
  ``<dimension ref>`` element is ignored (calamine does not allocate by it; tested);
- OLE2 files holding an ``EncryptedPackage`` stream are password-protected xlsx files.

The same pass notes formula cells that carry no cached value, which calamine reports as blank.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from dataclasses import dataclass, field

from django.conf import settings

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
MAX_UNCOMPRESSED = 200 * MB  # all members of the zip together, as declared
MAX_RATIO = 100  # a member this many times smaller than its content ...
RATIO_MIN_SIZE = 10 * MB  # ... and at least this large is a zip bomb
MAX_ROWS = 200_000  # rows with data in one sheet
MAX_COLS = 1024  # furthest column a sheet may reach
MAX_GRID = 8_000_000  # rows x columns calamine would allocate for one sheet
CHUNK = 64 * 1024
MAX_ROW_BYTES = 16 * MB  # one <row> element larger than this is not a score sheet

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
NOT_SPREADSHEET_HINT = "请上传 Excel 文件（.xlsx、.xlsm、.xls）或 CSV 文件。"

MAGIC_NAMES = [
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
    (b"MZ", "可执行程序"),
    (b"\x7fELF", "可执行程序"),
]


class SheetRejected(Exception):
    """The whole file is refused: nothing of it may be imported. ``status`` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __repr__(self):
        return f"SheetRejected({self.code!r}, {self.message!r}, {self.status})"


def max_upload_bytes(max_bytes: int | None = None) -> int:
    if max_bytes is not None:
        return max_bytes
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB" if size < 10 * MB else f"{size // MB} MB"


def check_size(size: int, max_bytes: int | None = None) -> None:
    limit = max_upload_bytes(max_bytes)
    if size > limit:
        raise SheetRejected(
            "too_large",
            f"文件过大（{_mb(size)}），单个评分表不能超过 {_mb(limit)}。请删除无关的工作表或拆分后上传。",
            413,
        )
    if size == 0:
        raise SheetRejected("not_spreadsheet", "上传的文件是空的（0 字节）。" + NOT_SPREADSHEET_HINT, 415)


def sniff(data: bytes, filename: str) -> str:
    """'zip', 'ole' or 'text' from the content; refuses anything else."""
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head == OLE_MAGIC:
        return "ole"
    for magic, label in MAGIC_NAMES:
        if head.startswith(magic):
            raise SheetRejected(
                "not_spreadsheet", f"上传的文件是{label}，不是表格。" + NOT_SPREADSHEET_HINT, 415
            )
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in ("csv", "txt"):
        return "text"
    if ext in ("xlsx", "xlsm", "xls", "xltx", "et"):
        raise SheetRejected(
            "not_spreadsheet",
            f"文件扩展名为 .{ext}，但内容不是 Excel 文件（可能已损坏或被改了扩展名）。"
            + NOT_SPREADSHEET_HINT,
            415,
        )
    raise SheetRejected("not_spreadsheet", "无法识别的文件类型。" + NOT_SPREADSHEET_HINT, 415)


def check_ole(data: bytes) -> None:
    """An OLE2 compound file: a legacy .xls, or an encrypted xlsx (``EncryptedPackage``)."""
    # Directory entries hold stream names in UTF-16; a bounded search is enough.
    if ENCRYPTED_PACKAGE in data:
        raise SheetRejected(
            "encrypted",
            "文件设置了打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后重新上传。",
        )
    if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
        raise SheetRejected(
            "not_spreadsheet", "上传的文件是 Word 文档（.doc），不是表格。" + NOT_SPREADSHEET_HINT, 415
        )
    if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" not in data and b"B\x00o\x00o\x00k" not in data:
        raise SheetRejected(
            "not_spreadsheet", "文件不是有效的 Excel 97-2003 工作簿。" + NOT_SPREADSHEET_HINT, 415
        )
    _scan_xls(data)


# BIFF records that hold one cell (row and column are their first two fields), and the two
# that hold a run of cells on one row (the last column is their last field).
XLS_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}
XLS_RUNS = {0x00BD, 0x00BE}
XLS_BOF, XLS_DIMENSIONS = 0x0809, 0x0200


def _scan_xls(data: bytes) -> None:
    """The real extent of each sheet of a legacy .xls, from its cell records.

    One cell at IV65536 makes calamine allocate the whole 65,536 x 256 grid (1.2 GB of Python
    objects, seen here), so the grid is measured first, as for xlsx. The OLE container is read
    with olefile; the Workbook stream is a flat list of [type, length, body] records."""
    import struct

    import olefile

    bad = SheetRejected(
        "not_spreadsheet", "文件已损坏，无法作为 Excel 97-2003 工作簿读取。" + NOT_SPREADSHEET_HINT, 415
    )
    try:
        ole = olefile.OleFileIO(data)
    except Exception:
        raise bad from None
    with ole:
        name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if name is None:
            raise bad
        if ole.get_size(name) > MAX_UNCOMPRESSED:
            raise SheetRejected("huge_range", "工作簿内容过大，不像评分表，已拒绝。", 413)
        try:
            stream = ole.openstream(name).read()
        except Exception:
            raise bad from None
    unpack = struct.unpack_from
    pos, end = 0, len(stream)
    sheet, max_row, max_col = 0, 0, 0
    while pos + 4 <= end:
        kind, size = unpack("<HH", stream, pos)
        body = pos + 4
        pos = body + size
        if pos > end:
            break
        if kind == XLS_BOF:
            _check_xls_grid(sheet, max_row, max_col)
            sheet, max_row, max_col = sheet + 1, 0, 0
        elif kind in XLS_CELLS and size >= 4:
            row, col = unpack("<HH", stream, body)
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
        elif kind in XLS_RUNS and size >= 6:
            row = unpack("<H", stream, body)[0]
            col = unpack("<H", stream, body + size - 2)[0]
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
        elif kind == XLS_DIMENSIONS and size >= 14:  # BIFF8: first/last+1 row (u32), col (u16)
            rows, cols = unpack("<I", stream, body + 4)[0], unpack("<H", stream, body + 10)[0]
            max_row, max_col = max(max_row, rows), max(max_col, cols)
    _check_xls_grid(sheet, max_row, max_col)


def _check_xls_grid(sheet: int, max_row: int, max_col: int) -> None:
    if max_row * max_col > MAX_GRID or max_col > MAX_COLS:
        raise SheetRejected(
            "huge_range",
            f"第 {max(sheet - 1, 1)} 个工作表的使用范围异常（有内容的单元格延伸到第 {max_row} 行、第 {max_col} 列），"
            "不像评分表，已拒绝。请把数据复制到新的工作表（只复制有数据的区域）后重新上传。",
            413,
        )


@dataclass
class SheetScan:
    """What one worksheet part really contains (from its cell references)."""

    part: str
    rows: int = 0  # <row> elements
    max_row: int = 0  # 1-based
    max_col: int = 0  # 1-based
    blank_formulas: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, col)


@dataclass
class ZipReport:
    sheets: dict[str, SheetScan]  # sheet name -> scan (only sheets we could map)
    macros: bool = False


ROW_RE = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
R_ATTR_RE = re.compile(rb'\br="([0-9]+)"')
CELL_RE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,4})([0-9]{1,8})"')
CELL_TAG_RE = re.compile(rb"<(?:\w+:)?c[\s/>]")
CELL_BODY_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s/>]")
VALUE_RE = re.compile(rb"<(?:\w+:)?v>[^<]")
ROW_END = re.compile(rb"</(?:\w+:)?row>")
PREFIXED_RE = re.compile(rb":(?:c|row)[ >/]")
ROW_NUMBER_RE = re.compile(rb'<row r="([0-9]+)"')
# rows past 199,999 and columns past Z: the only references that can make a sheet too large
FAR_ROW_RE = re.compile(rb'<c r="[A-Z]{1,3}((?:[2-9][0-9]{5}|[0-9]{7,}))"')
WIDE_COL_RE = re.compile(rb'<c r="([A-Z]{2,})[0-9]')
CELL_REF_RE = re.compile(rb'\br="([A-Z]{1,4})[0-9]+"')
SCAN_BLOCK = 1024 * 1024
WIDE_BANG = "<!".encode("utf-16-le")
BOMB_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"))


def col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _member_stream(data: bytes, info):
    """Yield the member's content in pieces, inflating it ourselves so that neither the declared
    size nor the CRC can be used to smuggle more data than the directory says."""
    if info.flag_bits & 0x1:
        raise SheetRejected("encrypted", "文件中的内容已加密，无法读取。请取消密码后重新上传。")
    offset = info.header_offset
    local = data[offset : offset + 30]
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise SheetRejected(
            "not_spreadsheet", "文件已损坏（压缩包结构不完整），请在 Excel 中重新保存后上传。", 415
        )
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise SheetRejected("not_spreadsheet", "文件不完整（可能上传中断或已截断），请重新保存后上传。", 415)
    declared = info.file_size
    if info.compress_type == 0:
        for i in range(0, len(raw), CHUNK):
            yield bytes(raw[i : i + CHUNK])
        return
    if info.compress_type != 8:
        raise SheetRejected(
            "not_spreadsheet", "文件使用了不支持的压缩方式，请在 Excel 中另存为 .xlsx 后上传。", 415
        )
    inflater = zlib.decompressobj(-15)
    produced = 0
    try:
        for i in range(0, len(raw), CHUNK):
            piece = inflater.decompress(raw[i : i + CHUNK], CHUNK)
            while True:
                produced += len(piece)
                if produced > declared:
                    raise SheetRejected(
                        "zip_bomb", "文件中的压缩数据比声明的大得多（疑似压缩炸弹），已拒绝。", 413
                    )
                if piece:
                    yield piece
                if not inflater.unconsumed_tail:
                    break
                piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)
        tail = inflater.flush()
    except zlib.error:
        raise SheetRejected(
            "not_spreadsheet", "文件已损坏（无法解压），请在 Excel 中重新保存后上传。", 415
        ) from None
    produced += len(tail)
    if produced > declared:
        raise SheetRejected("zip_bomb", "文件中的压缩数据比声明的大得多（疑似压缩炸弹），已拒绝。", 413)
    if tail:
        yield tail


def _xml_stream(data: bytes, info):
    """Member pieces, refusing DTDs anywhere in the part (an entity bomb needs one)."""
    carry = b""
    wide = False
    for piece in _member_stream(data, info):
        window = carry + piece if carry else piece
        if not carry and piece.startswith((b"\xff\xfe", b"<\x00")):
            wide = True  # UTF-16 part
        if b"<!" in window or (wide and WIDE_BANG in window):
            for marker in BOMB_MARKERS:
                if marker in window:
                    raise SheetRejected(
                        "xml_bomb",
                        f"文件内部的 {info.filename} 含有 XML 实体声明（可能是恶意文件），已拒绝。"
                        "请在 Excel 中另存为新文件后上传。",
                    )
        carry = window[-24:]
        yield piece


def _read_small(data: bytes, info, limit: int = 4 * MB) -> bytes:
    if info.file_size > limit:
        raise SheetRejected("huge_range", f"文件内部的 {info.filename} 过大，不像评分表，已拒绝。", 413)
    return b"".join(_xml_stream(data, info))


def _scan_sheet(data: bytes, info, sheet_label: str) -> SheetScan:
    scan = SheetScan(part=info.filename)
    pieces: list[bytes] = []
    size = 0
    buf = b""
    next_row = 1  # rows without r= follow the previous one
    for piece in _xml_stream(data, info):
        pieces.append(piece)
        size += len(piece)
        if size < SCAN_BLOCK:
            continue
        buf = buf + b"".join(pieces)
        pieces, size = [], 0
        cut = buf.rfind(b"row>")  # </row> or </x:row>
        if cut < 0:
            if len(buf) > MAX_ROW_BYTES:
                raise SheetRejected(
                    "huge_range", f"工作表“{sheet_label}”中有一行数据异常巨大，不像评分表，已拒绝。", 413
                )
            continue
        cut += 4
        next_row = _scan_block(buf[:cut], scan, next_row, sheet_label)
        buf = buf[cut:]
    buf = buf + b"".join(pieces)
    if buf:
        _scan_block(buf, scan, next_row, sheet_label)
    return scan


def _scan_block(block: bytes, scan: SheetScan, next_row: int, label: str) -> int:
    first = next_row
    # no namespace prefixes and no attribute-less <c>/<row>: the common, fast case
    plain = PREFIXED_RE.search(block) is None
    n_rows = block.count(b"<row") if plain else -1  # also <rowBreaks>: then the slow path
    if plain and n_rows == block.count(b'<row r="'):
        # every row numbered (what Excel, WPS and openpyxl write): C-speed set of numbers
        if n_rows:
            numbers = ROW_NUMBER_RE.findall(block)
            scan.max_row = max(scan.max_row, max(map(int, set(numbers))))
            next_row = int(numbers[-1]) + 1
        rows = n_rows
    else:
        rows = 0
        for m in ROW_RE.finditer(block):
            rows += 1
            r = R_ATTR_RE.search(m.group(1))
            number = int(r.group(1)) if r else next_row
            if number > scan.max_row:
                scan.max_row = number
            next_row = number + 1
    scan.rows += rows
    n_cells = block.count(b"<c") if plain else -1  # also <col>, <cfRule>...: then the slow path
    if plain and n_cells == block.count(b'<c r="'):
        # every cell's reference comes first: only look at the few that can be large
        far_rows = FAR_ROW_RE.findall(block)
        if far_rows:
            scan.max_row = max(scan.max_row, max(map(int, far_rows)))
        wide = set(WIDE_COL_RE.findall(block))
        if wide:
            scan.max_col = max(scan.max_col, max(map(col_number, wide)))
        elif n_cells:
            scan.max_col = max(scan.max_col, 26)  # one letter: at most Z, bound enough
    else:
        refs = CELL_RE.findall(block)
        if refs:
            letters = max({c for c, _ in refs}, key=lambda s: (len(s), s))
            scan.max_col = max(scan.max_col, col_number(letters))
            scan.max_row = max(scan.max_row, max(int(r) for _, r in refs))
        if len(CELL_TAG_RE.findall(block)) > len(refs):
            # cells without r= follow the previous cell of their row: bound by the longest row
            longest = max((len(CELL_TAG_RE.findall(row)) for row in ROW_END.split(block)), default=0)
            scan.max_col = max(scan.max_col, 1) + longest
    if b"<f" in block or not plain:
        _blank_formulas(block, scan, first)
    _check_extent(scan, label)
    return next_row


def _blank_formulas(block: bytes, scan: SheetScan, first: int) -> None:
    row_index = first - 2
    for row_xml in ROW_END.split(block):
        rm = ROW_RE.search(row_xml)
        if rm is None:
            continue
        r = R_ATTR_RE.search(rm.group(1))
        row_index = int(r.group(1)) - 1 if r else row_index + 1
        col = -1
        for cm in CELL_BODY_RE.finditer(row_xml, rm.end()):
            ref = CELL_REF_RE.search(cm.group(1))
            col = col_number(ref.group(1)) - 1 if ref else col + 1
            body = cm.group(2) or b""
            if FORMULA_RE.search(body) and not VALUE_RE.search(body):
                scan.blank_formulas.add((row_index, col))


def _check_extent(scan: SheetScan, label: str) -> None:
    if scan.rows > MAX_ROWS:
        raise SheetRejected(
            "too_many_rows",
            f"工作表“{label}”超过 {MAX_ROWS:,} 行，不能一次导入。请按单位拆分后分别上传。",
            413,
        )
    if scan.max_row > MAX_ROWS or scan.max_col > MAX_COLS or scan.max_row * scan.max_col > MAX_GRID:
        raise SheetRejected(
            "huge_range",
            f"工作表“{label}”的使用范围异常（有内容的单元格延伸到第 {scan.max_row} 行、第 {scan.max_col} 列之外），"
            "不像评分表，已拒绝。请把数据复制到新的工作表（只复制有数据的区域）后重新上传。",
            413,
        )


SHEET_TAG_RE = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
NAME_ATTR_RE = re.compile(rb'\bname="([^"]*)"')
RID_ATTR_RE = re.compile(rb'\br:id="([^"]*)"|\b\w+:id="([^"]*)"')
REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
ID_ATTR_RE = re.compile(rb'\bId="([^"]*)"')
TARGET_ATTR_RE = re.compile(rb'\bTarget="([^"]*)"')


def check_zip(data: bytes) -> ZipReport:
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise SheetRejected(
            "not_spreadsheet", "文件已损坏或不完整（无法读取压缩包目录），请在 Excel 中重新保存后上传。", 415
        ) from None
    names = {info.filename: info for info in infos}
    if "EncryptedPackage" in names:
        raise SheetRejected("encrypted", "文件设置了打开密码，无法读取。请取消密码后重新上传。")
    if len(infos) > 10_000:
        raise SheetRejected("zip_bomb", "文件内部包含的条目过多（疑似恶意文件），已拒绝。", 413)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        raise SheetRejected(
            "zip_bomb", f"文件解压后将超过 {MAX_UNCOMPRESSED // MB} MB（疑似压缩炸弹），已拒绝。", 413
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
            raise SheetRejected(
                "zip_bomb",
                f"文件内部的 {info.filename} 压缩比异常（{ratio:.0f}:1，疑似压缩炸弹），已拒绝。",
                413,
            )
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise SheetRejected(
                "not_spreadsheet", "暂不支持 .xlsb 格式，请在 Excel 中另存为 .xlsx 后上传。", 415
            )
        if "word/document.xml" in names:
            label = "Word 文档（.docx）"
        elif "ppt/presentation.xml" in names:
            label = "PowerPoint 演示文稿"
        elif "mimetype" in names or "content.xml" in names:
            label = "OpenDocument 文件（请另存为 .xlsx）"
        else:
            label = "压缩包"
        raise SheetRejected(
            "not_spreadsheet", f"上传的文件是{label}，不是 Excel 工作簿。" + NOT_SPREADSHEET_HINT, 415
        )

    # Every XML part calamine may open is inflated by us first (bounded, DTDs refused).
    for name, info in names.items():
        if name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/"):
            for _ in _xml_stream(data, info):
                pass

    workbook = _read_small(data, names["xl/workbook.xml"])
    rels_info = names.get("xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels_info is not None:
        for m in REL_RE.finditer(_read_small(data, rels_info)):
            rid, target = ID_ATTR_RE.search(m.group(1)), TARGET_ATTR_RE.search(m.group(1))
            if rid and target:
                path = target.group(1).decode("utf-8", "replace").lstrip("/")
                if not path.startswith("xl/"):
                    path = "xl/" + path
                targets[rid.group(1).decode()] = path
    sheets: dict[str, SheetScan] = {}
    scanned: set[str] = set()
    for m in SHEET_TAG_RE.finditer(workbook):
        name_m, rid_m = NAME_ATTR_RE.search(m.group(1)), RID_ATTR_RE.search(m.group(1))
        if not name_m or not rid_m:
            continue
        sheet_name = html.unescape(name_m.group(1).decode("utf-8", "replace"))
        part = targets.get((rid_m.group(1) or rid_m.group(2)).decode())
        info = names.get(part or "")
        if info is None or part in scanned:
            continue
        scanned.add(part)
        sheets[sheet_name] = _scan_sheet(data, info, sheet_name)
    # parts not reachable from workbook.xml are still checked: a reader might open them
    for name, info in names.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml") and name not in scanned:
            _scan_sheet(data, info, name.rsplit("/", 1)[-1])
    macros = any(name.lower().endswith("vbaproject.bin") for name in names)
    return ZipReport(sheets=sheets, macros=macros)
