"""The living subsidy of departed village cadres ([001] 旬阳: 离任不离养): which months are owed on a
day. Pure date arithmetic, shared by the payment service, the 关爱提醒 list and the API.

The subsidy starts the month after the departure. It is paid by cycle (CARE rule
``subsidy_cycle``: monthly by default): on any day of a cycle, every month up to the cycle's end
is due once the cycle has begun, so a monthly subsidy for May is due from 1 May.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after ``day``'s."""
    return month_end(day) + datetime.timedelta(days=1)


def months_between(first: datetime.date, last: datetime.date) -> int:
    """Months from ``first``'s to ``last``'s, both counted (0 when ``last`` is earlier)."""
    return max((last.year - first.year) * 12 + last.month - first.month + 1, 0)


def cycle_end(on: datetime.date, cycle: str) -> datetime.date:
    """The last day of the payment cycle ``on`` falls in (month, quarter or year)."""
    size = CYCLE_MONTHS.get(cycle, 1)
    last_month = ((on.month - 1) // size + 1) * size
    return month_end(datetime.date(on.year, last_month, 1))


def subsidy_start(departure) -> datetime.date:
    """The first month not yet paid (its first day): after ``paid_through`` or, when nothing is
    paid yet, the month after the departure."""
    return next_month(departure.paid_through or departure.left_on)


@dataclass(frozen=True)
class Owed:
    first: datetime.date  # first day of the first unpaid month
    last: datetime.date  # last day of the cycle's last month
    months: int
    amount: Decimal

    @property
    def span(self) -> str:
        if self.months == 1:
            return f"{self.first:%Y年%m月}"
        return f"{self.first:%Y年%m月}至{self.last:%Y年%m月}"


def subsidy_owed(departure, cycle: str, on: datetime.date) -> Owed | None:
    """What is due on ``on``: the unpaid months up to the end of the current cycle, or None."""
    first = subsidy_start(departure)
    last = cycle_end(on, cycle)
    if first > on:  # the first unpaid month has not begun
        return None
    months = months_between(first, last)
    if months <= 0:
        return None
    return Owed(first=first, last=last, months=months, amount=departure.monthly_subsidy * months)
