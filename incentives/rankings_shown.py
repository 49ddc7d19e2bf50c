"""The rows of a 赛马 ranking as the page, the xlsx and the API show them: each ranked assessment
with its track's name, its place, the 绩 score that breaks ties and the board it is on."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

from core.xlsx import safe_row, styled_row

from .policy_tracks import BOARD_RULE, BOARDS
from .ranking import TIE_RULE, JiScores
from .selectors_tracks import Rankings

XLSX_HEADERS = ["赛道", "名次", "参赛人数", "姓名", "单位", "加权总分", "“绩”得分", "榜单"]
XLSX_WIDTHS = [12, 8, 10, 12, 28, 10, 10, 8]


def shown_rows(rankings: Rankings, assessments: Iterable, ji: JiScores | None = None) -> Iterator[dict]:
    """A dict per ranked assessment (``rankings.rows`` or a page of it)."""
    ji = ji or JiScores(rankings.period)
    for a in assessments:
        board = rankings.board_of(a.track, a.position)
        yield {
            "assessment": a.pk,
            "cadre": a.cadre_id,
            "cadre_name": a.cadre.name,
            "unit": a.unit_id,
            "unit_label": a.unit_label,
            "track": a.track,
            "track_name": rankings.tracks.name(a.track),
            "position": a.position,
            "of_total": a.of_total,
            "total_score": a.total_score,
            "ji_score": ji.of(a.scores, a.cadre.kind, a.track),
            "board": board,
            "board_label": BOARDS.get(board, ""),
        }


def rankings_title(rankings: Rankings) -> str:
    scope = rankings.unit.label if rankings.unit is not None else "全部单位"
    return f"{rankings.period.name}赛马排名（{scope}）"


def rankings_xlsx(rankings: Rankings, rows: Iterable, *, title: str):
    """The ranking as an .xlsx in a temporary file (write-only, streamed from ``rows``), the
    title, the tie rule and the board rule above the table; returns the open file at 0."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("赛马排名")
    for column, width in enumerate(XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A5"
    ws.append(styled_row(ws, [title], font=Font(size=14, bold=True)))
    ws.append(safe_row(ws, [f"排名规则：{TIE_RULE}"]))
    ws.append(safe_row(ws, [f"红黄榜：{BOARD_RULE}"]))
    ws.append(
        styled_row(
            ws,
            XLSX_HEADERS,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    for row in shown_rows(rankings, rows):
        ws.append(
            safe_row(
                ws,
                [
                    row["track_name"],
                    row["position"],
                    row["of_total"],
                    row["cadre_name"],
                    row["unit_label"],
                    row["total_score"],
                    row["ji_score"],
                    row["board_label"],
                ],
            )
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse that streams it)
    wb.save(out)
    out.seek(0)
    return out
