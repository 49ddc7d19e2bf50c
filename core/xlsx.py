"""Spreadsheet cells that stay data: user text (a unit or cadre name) never becomes a formula.

A string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be evaluated
by Excel or WPS when the cell is edited (CSV/DDE injection); openpyxl itself would store a
leading ``=`` as a formula. Such strings are written as text cells with Excel's quote prefix, and
so are strings that look like error codes (``#N/A``). Characters XML cannot hold are dropped
rather than failing the whole download.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _clean(value):
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _needs_text(value) -> bool:
    return isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES)


def _force_text(cell, value):
    cell.data_type = "s"
    cell._value = value
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def text_cell(ws, row: int, column: int, value):
    """``ws.cell(row, column, value)`` for a normal (not write-only) worksheet, injection-safe."""
    value = _clean(value)
    cell = ws.cell(row=row, column=column, value=value)
    if _needs_text(value):
        _force_text(cell, value)
    return cell


def safe_row(ws, values) -> list:
    """A row for ``ws.append`` on a write-only worksheet: risky strings become text cells; other
    values pass through untouched (plain values keep write-only mode fast for 100k rows)."""
    out = []
    for value in values:
        value = _clean(value)
        if _needs_text(value):
            out.append(_force_text(WriteOnlyCell(ws), value))
        else:
            out.append(value)
    return out


def styled_row(ws, values, **style) -> list:
    """Like ``safe_row`` but every cell carries the given style attributes (font, fill, ...)."""
    out = []
    for value in values:
        value = _clean(value)
        cell = WriteOnlyCell(ws)
        if _needs_text(value):
            _force_text(cell, value)
        else:
            cell.value = value
        for name, attr in style.items():
            setattr(cell, name, attr)
        out.append(cell)
    return out
