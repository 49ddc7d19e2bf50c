"""Indicator scores computed from another app's records (``Indicator.source``).

An app above assessment registers, from its AppConfig, the loader of the facts the engine scores
such an indicator from; the recomputation calls it only when the period's scheme has an
indicator of that source. ``workorders`` registers the cadres' 民情工单 tallies
(``grading.OrderTally``) under ``IndicatorSource.WORKORDERS``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

# source -> loader(start, end, cadres) -> {cadre id: facts}; ``cadres`` is a queryset of the
# assessed cadres' ids (a subquery, never a list of 100,000 ids), or None for every cadre
_loaders: dict[str, Callable[[datetime.date, datetime.date, Any], dict]] = {}


def register_source(source: str, loader: Callable[[datetime.date, datetime.date, Any], dict]) -> None:
    _loaders[source] = loader


def load(source: str, start: datetime.date, end: datetime.date, cadres) -> dict:
    loader = _loaders.get(source)
    return loader(start, end, cadres) if loader else {}
