"""An .xlsx written while it is sent: the first bytes leave before the first row is read.

openpyxl (even in write-only mode) saves a workbook only when it is complete, so a 30,000-row
report reached the client after the whole sheet was built (about 5 s). Here the workbook is a
zip written to a sink that is emptied after every few hundred rows; zipfile writes a
non-seekable stream with data descriptors, which Excel, WPS, LibreOffice and openpyxl read.
The sheet holds inline strings (no shared-string table to build first), a title row and a
header row frozen above the data, column widths, and three styles (title, header, and text
that Excel must not evaluate: a cell starting with ``=``, ``+``, ``-``, ``@`` or a tab is
written with Excel's quote prefix, as core/xlsx.py does for openpyxl).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.sax.saxutils import quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from .xlsx import FORMULA_PREFIXES

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    _DECL + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    _DECL + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# cellXfs: 0 plain, 1 title (bold 14), 2 header (bold, grey fill, centred), 3 quoted text
STYLES = (
    _DECL + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
    'applyAlignment="1"><alignment horizontal="center"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
TITLE, HEADER, QUOTED = 1, 2, 3


class _Sink(io.RawIOBase):
    """A write-only, non-seekable file: what zipfile writes waits here until taken."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


# what a string may hold that XML cannot (dropped) or must escape: one search decides
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f&<>]")


def _text(value: str) -> str:
    if _SPECIAL.search(value) is None:
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value, style: int = 0) -> str:
    """One cell; ``ref`` its address (A3). Strings are inline; None and "" leave no cell."""
    kind = type(value)
    if kind is str:
        if not value:
            return f'<c r="{ref}" s="{style}"/>' if style else ""
        if style == 0 and value.startswith(FORMULA_PREFIXES):
            style = QUOTED
        s = f' s="{style}"' if style else ""
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{_text(value)}</t></is></c>'
    if value is None:
        return f'<c r="{ref}" s="{style}"/>' if style else ""
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is int or kind is float or kind is Decimal or isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return _cell(ref, str(value), style)


def stream_xlsx(
    rows: Iterable[list],
    *,
    sheet: str,
    title: str,
    headers: list[str],
    widths: list[float],
    flush_rows: int = 500,
    compresslevel: int = 1,
) -> Iterator[bytes]:
    """Yield the bytes of an .xlsx: ``title`` in A1, ``headers`` in row 2 (both frozen), then
    one row per item of ``rows`` (a list of cell values: str, int, float, Decimal or None)."""
    letters = [get_column_letter(i) for i in range(1, max(len(headers), 1) + 1)]
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr(
            "xl/workbook.xml",
            _DECL + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(sheet)} sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)
            )
            head = "".join(
                _cell(f"{letter}2", h, HEADER) for letter, h in zip(letters, headers, strict=False)
            )
            out.write(
                (
                    _DECL + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A3" sqref="A3"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                    f'<row r="1">{_cell("A1", title, TITLE)}</row><row r="2">{head}</row>'
                ).encode()
            )
            yield sink.take()
            parts: list[str] = []
            n = 2
            cell = _cell
            for values in rows:
                n += 1
                row = str(n)
                cells = "".join([cell(letter + row, v) for letter, v in zip(letters, values, strict=False)])
                parts.append(f'<row r="{row}">{cells}</row>')
                if len(parts) >= flush_rows:
                    out.write("".join(parts).encode())
                    parts.clear()
                    chunk = sink.take()
                    if chunk:
                        yield chunk
            parts.append("</sheetData></worksheet>")
            out.write("".join(parts).encode())
    yield sink.take()
