"""The tallies the grading engine scores a 民情工单 indicator from (lead owns this module)."""

from __future__ import annotations


def orders_changed(*, cadres, actor=None) -> None:
    """Call after any write that changes a cadre's dispatch rounds (dispatch, accept, handle,
    rate, follow-up, ledger entry): queues the recomputation of the open periods that score
    an indicator from work orders, over the cadres' units. (Implementation lands with the engine.)"""


def register() -> None:
    pass
