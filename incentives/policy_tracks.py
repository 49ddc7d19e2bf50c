"""赛马红黄榜 (TRACK_BOARD): how many of a unit's cadres in each 赛马 track go on the 红榜 (the
top of the track) and the 黄榜 (the bottom), as stored policy inherited down the org tree
([002] 安龙县“双星创建”：勤政干部上“红榜”受表扬，惰政干部上“黄榜”亮丑；[003] 探索推行工作实绩末位淘汰制).

Each board has a count and a share: a count above 0 wins; with the count 0 the share decides (the
share of the unit's cadres in the track, rounded down, at least one); both 0 means no such board.
``board_size`` is that rule; ``BOARD_RULE`` says it in words for the pages and the API.

``register()`` also plugs in the rest of the tracks area: the ranking job and its trigger (grades
of an annual period published or corrected), the 赛马 card of the hub and the demo step.
"""

from __future__ import annotations

import math
from fractions import Fraction

from assessment.models import RuleKind
from assessment.services.policy import Param, fraction_text, parse_fraction

from .policy_section import register_incentive_kind

BOARDS = {"red": "红榜", "yellow": "黄榜"}

PARAMS = [
    Param("red_count", "红榜人数", "int", min=0, max=1000, help="各赛道本单位排名前几名上红榜；0 为按比例"),
    Param(
        "red_share",
        "红榜比例",
        "fraction",
        help="人数为 0 时按此比例（向下取整，至少 1 人），如 10% 或 1/10；0 为不设红榜",
    ),
    Param(
        "yellow_count", "黄榜人数", "int", min=0, max=1000, help="各赛道本单位排名末几名上黄榜；0 为按比例"
    ),
    Param(
        "yellow_share",
        "黄榜比例",
        "fraction",
        help="人数为 0 时按此比例（向下取整，至少 1 人）；0 为不设黄榜",
    ),
]

BOARD_RULE = (
    "红榜、黄榜按本单位（含下级单位）各赛道参赛干部的赛道名次确定：人数大于 0 时取该人数；人数为 0 时按比例计算，"
    "向下取整、不足 1 人按 1 人；人数和比例均为 0 的不设该榜。名次处于榜单边界的并列干部一并列入；"
    "同时落入红榜和黄榜的干部只列红榜。"
)


def _share(value) -> Fraction:
    try:
        return parse_fraction(value if value not in (None, "") else "0")
    except (ValueError, ZeroDivisionError, ArithmeticError):
        return Fraction(0)


def board_size(params: dict, board: str, entrants: int) -> int:
    """How many of ``entrants`` (a unit's cadres in one track) the board takes before ties: the
    count when above 0, else ``floor(entrants × share)`` but at least 1 when the share is above
    0; 0 when neither is set (or nobody runs)."""
    if entrants <= 0:
        return 0
    count = int(params.get(f"{board}_count") or 0)
    if count > 0:
        return min(count, entrants)
    share = _share(params.get(f"{board}_share"))
    if share <= 0:
        return 0
    return min(max(math.floor(entrants * share), 1), entrants)


def _one(params: dict, board: str) -> str:
    count = int(params.get(f"{board}_count") or 0)
    if count > 0:
        return f"{'前' if board == 'red' else '末'} {count} 名"
    share = _share(params.get(f"{board}_share"))
    if share <= 0:
        return "不设"
    return f"{'前' if board == 'red' else '后'} {fraction_text(params.get(f'{board}_share'))}（向下取整，至少 1 人）"


def board_text(p: dict) -> str:
    return f"各赛道本单位排名：红榜取{_one(p, 'red')}，黄榜取{_one(p, 'yellow')}；边界并列者一并列入"


def _boards_follow(*, actor, unit) -> None:
    """A board rule changes nothing stored: the boards are read from the standings with the
    rule in force (so no grade is recomputed either)."""


def register() -> None:
    register_incentive_kind(
        RuleKind.TRACK_BOARD, PARAMS, single=True, text=board_text, on_change=_boards_follow
    )
    from . import registry_tracks

    registry_tracks.register()
