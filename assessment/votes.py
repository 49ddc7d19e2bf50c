"""民主测评 vote counts: reading a typed count and checking an assessment's five counts together.

No database here. ``scores_save`` (the grid, the API, an import's commit), an import's preview
and a published result's correction all check votes with ``check_votes``, so a count means the
same wherever it is typed: a whole number, 0 or more; the five are recorded together or not at
all (``Assessment``'s all-or-none constraint).
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError

from .models import VOTE_LABELS, VOTE_NAMES

Votes = tuple  # the five counts (int or None) in VOTE_NAMES order
NO_VOTES: Votes = (None,) * len(VOTE_NAMES)
# The column's limit on PostgreSQL (integer); a larger count is a typing mistake, not a 500.
MAX_VOTES = 2_147_483_647
# A number typed as text (full-width forms folded, spaces dropped): digits with at most one
# decimal point and a sign; Decimal() alone would also take 1e2, 1_0, NaN and Infinity.
NUMBER_TEXT_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
NEGATIVE = "是负数；票数应为 0 或正整数"
FRACTION = "不是整数；票数应为 0 或正整数"
NOT_NUMBER = "不是数字；票数应为 0 或正整数"
TOO_LARGE = "超出票数上限"


def field_label(name: str) -> str:
    """How the grid, the API and the audit trail name a count: 民主测评不称职票."""
    return f"民主测评{VOTE_LABELS[name]}"


def parse_vote(value) -> tuple[int | None, str | None]:
    """(count, problem). Blank gives (None, None). A count is a whole number, 0 or more:
    12, 12.0, "12", "１２", Decimal("12"); -1, 1.5, "abc", TRUE and NaN are problems."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, NOT_NUMBER
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, NOT_NUMBER
        value = Decimal(repr(value))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            return None, NOT_NUMBER
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return None, None
        if not NUMBER_TEXT_RE.match(text):
            return None, NOT_NUMBER
        number = Decimal(text)
    if number < 0:
        return None, NEGATIVE
    if number != number.to_integral_value():
        return None, FRACTION
    if number > MAX_VOTES:
        return None, TOO_LARGE
    return int(number), None


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value.is_finite() else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_votes(
    given, old: Votes, *, where: dict[str, str] | None = None
) -> tuple[Votes, list[ValidationError]]:
    """Apply ``given`` ({field: value}; a blank value clears that count, fields left out keep
    theirs) onto ``old``; returns (the five counts, problems). Each problem is a
    ValidationError whose ``code`` is the field it is about, so the grid and the API put it on
    that field; ``where`` ({field: text}) names the fields in messages (an import names its
    columns), by default ``field_label``."""
    if not isinstance(given, dict):
        return old, [ValidationError("民主测评票数格式不正确。", code=VOTE_NAMES[0])]
    new = dict(zip(VOTE_NAMES, old, strict=True))
    problems: list[ValidationError] = []
    for name, raw in given.items():
        if name not in new:
            problems.append(ValidationError(f"未知的票数项“{name}”。", code=VOTE_NAMES[0]))
            continue
        label = (where or {}).get(name) or field_label(name)
        count, problem = parse_vote(raw)
        if problem:
            problems.append(ValidationError(f"{label}的值“{_shown(raw)}”{problem}。", code=name))
            continue
        new[name] = count
    votes = tuple(new.values())
    missing = [name for name, count in new.items() if count is None]
    if not problems and missing and len(missing) < len(VOTE_NAMES):
        labels = "、".join(VOTE_LABELS[name] for name in missing)
        problems.append(
            ValidationError(
                f"民主测评票数应五项都填写（没有的填 0）或都不填：缺少{labels}。", code=missing[0]
            )
        )
    return (old if problems else votes), problems


def vote_delta(old: Votes, new: Votes) -> dict:
    """The audit entry's changes of the counts: {field: [old, new]} of those that differ."""
    return {name: [a, b] for name, a, b in zip(VOTE_NAMES, old, new, strict=True) if a != b}


def vote_errors(exc: ValidationError) -> dict[str, dict[str, str]]:
    """{entry key: {field: message}} of the vote problems in a ``scores_save`` refusal (their
    ``code`` is the field), for the grid's cells and the API's fields."""
    out: dict[str, dict[str, str]] = {}
    for key, errors in getattr(exc, "error_dict", {}).items():
        for error in errors:
            if error.code in VOTE_LABELS:
                out.setdefault(key, {}).setdefault(error.code, error.messages[0])
    return out
