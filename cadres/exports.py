"""The roster (花名册) as .xlsx with the columns the user picks.

The columns are a fixed catalogue; each reads one cadre (and its prefetched educations). ID
numbers and phones are written in full only for roles that may see them, masked otherwise, as
the pages show them. One query per table whatever the number of rows (the rows are read in
chunks, each chunk with its educations in one more query)."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable

from core.xlsx import safe_row, styled_row

from . import idnumber
from .models import Cadre, EducationLevel

CHUNK = 2000
# highest first: the roster's 学历 is the highest level recorded
EDUCATION_RANK = {level: rank for rank, level in enumerate(EducationLevel.values)}


def _date(value, fmt="%Y-%m-%d") -> str:
    return value.strftime(fmt) if value else ""


def _highest_education(cadre: Cadre) -> str:
    levels = list(cadre.educations.all())  # prefetched
    if not levels:
        return ""
    best = min(levels, key=lambda e: EDUCATION_RANK.get(e.level, len(EDUCATION_RANK)))
    return best.get_level_display()


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Cadre, bool], object]  # (cadre, full) -> cell value
    width: int = 12
    educations: bool = False  # needs the cadre's educations
    sensitive: bool = False  # full only for roles with view_id_number


COLUMNS: list[Column] = [
    Column("name", "姓名", lambda c, full: c.name, 10),
    Column("gender", "性别", lambda c, full: c.get_gender_display(), 6),
    Column("birth", "出生年月", lambda c, full: _date(c.birth_date, "%Y-%m"), 10),
    Column("ethnicity", "民族", lambda c, full: c.ethnicity, 8),
    Column(
        "id_number",
        "身份证号",
        lambda c, full: c.id_number if full else idnumber.mask(c.id_number),
        21,
        sensitive=True,
    ),
    Column("political_status", "政治面貌", lambda c, full: c.get_political_status_display(), 12),
    Column("work_start", "参加工作时间", lambda c, full: _date(c.work_start_date), 12),
    Column("party_join", "入党时间", lambda c, full: _date(c.party_join_date), 12),
    Column("education", "学历", lambda c, full: _highest_education(c), 10, educations=True),
    Column("unit", "单位", lambda c, full: c.unit_label, 24),
    Column("post_title", "职务", lambda c, full: c.post_title, 20),
    Column("post_start", "任现职时间", lambda c, full: _date(c.post_start_date), 12),
    Column("rank", "职级", lambda c, full: c.get_rank_display(), 14),
    Column("rank_start", "任现职级时间", lambda c, full: _date(c.rank_start_date), 12),
    Column("kind", "干部类别", lambda c, full: c.get_kind_display(), 14),
    Column("identity", "身份", lambda c, full: c.get_identity_display(), 10),
    Column("status", "状态", lambda c, full: c.get_status_display(), 8),
    Column(
        "phone",
        "联系电话",
        lambda c, full: c.phone if full else idnumber.mask_phone(c.phone),
        14,
        sensitive=True,
    ),
]
BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_COLUMNS = [
    "name",
    "gender",
    "birth",
    "political_status",
    "education",
    "unit",
    "post_title",
    "rank",
    "kind",
    "status",
]


def columns_for(keys: Iterable[str]) -> list[Column]:
    """The picked columns, in the catalogue's order (unknown keys are the form's to refuse)."""
    wanted = set(keys)
    return [column for column in COLUMNS if column.key in wanted]


def roster_rows(cadres, columns: list[Column]) -> Iterable[Cadre]:
    """The cadres, read in chunks (each with its educations if a column needs them)."""
    if any(column.educations for column in columns):
        cadres = cadres.prefetch_related("educations")
    return cadres.iterator(chunk_size=CHUNK)


def roster_xlsx(
    cadres: Iterable[Cadre], columns: list[Column], *, title: str, full: bool, seen: list | None = None
):
    """Write the roster to an .xlsx in a temporary file; returns the open file at 0. ``seen``
    collects ``(id, name)`` of every cadre written (for the record of full ID numbers shown)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("干部花名册")
    ws.column_dimensions["A"].width = 6
    for index, column in enumerate(columns, start=2):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "B3"
    ws.append(styled_row(ws, [title], font=Font(size=14, bold=True)))
    ws.append(
        styled_row(
            ws,
            ["序号", *(column.label for column in columns)],
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    for number, cadre in enumerate(cadres, start=1):
        if seen is not None:
            seen.append((cadre.pk, cadre.name))
        ws.append(safe_row(ws, [number, *(column.value(cadre, full) for column in columns)]))
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse that streams it)
    wb.save(out)
    out.seek(0)
    return out
