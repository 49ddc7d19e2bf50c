"""Values of the audit trail as people read them (the stored JSON keeps them exact)."""

import datetime
import decimal

from django.utils import timezone


def number_text(value) -> str:
    """A number as people write it: 95.00 → 95, 82.50 → 82.5."""
    try:
        number = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return format(number.normalize(), "f")


def time_text(value) -> str:
    """A stored ISO time in local time, to the minute: 2026-11-30 03:36."""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")
