"""Checks on moving a cadre out of where they serve: a transfer (调出, the cadre's unit changes) or
a secondment (借调, a post record of kind 借调 elsewhere while the cadre stays on the books).

``cadres`` sits below the apps that know the rules (incentives/ has the township-service rule:
under 2 years in the township, no transfer or secondment out of it). They register a check here
from their ``AppConfig.ready``; the registry's services run every check on each move, so a move
made from the cadre form, the post history, the API, a recall outcome or an adjustment is held to
the same rules.

A check is ``check(cadre, new_unit, kind, on) -> str | None``: ``cadre`` as stored before the
move, ``new_unit`` where the cadre goes (None: a unit outside the system), ``kind`` a
``MoveKind``, ``on`` the day of the move. It returns the problem in Chinese, or None.

A head (capability ``approve``) may let a refused move through by giving an approval reason;
the reason and the problems it overrode are written into the move's audit entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models


class MoveKind(models.TextChoices):
    TRANSFER = "transfer", "调出"
    SECONDMENT = "secondment", "借调"


MoveCheck = Callable[..., "str | None"]
MOVE_CHECKS: list[MoveCheck] = []

APPROVAL_HINT = "确需调出或借调的，须由部长（分管负责人）审批并填写审批理由。"


def register_move_check(check: MoveCheck) -> MoveCheck:
    """Add a check (once: a second ``ready()`` does no harm)."""
    if check not in MOVE_CHECKS:
        MOVE_CHECKS.append(check)
    return check


def move_problems(cadre, new_unit, kind: str, on: datetime.date) -> list[str]:
    return [problem for check in MOVE_CHECKS if (problem := check(cadre, new_unit, kind, on))]


def move_allowed(*, actor, cadre, new_unit, kind: str, on: datetime.date, approval_reason: str = "") -> str:
    """Run the checks on a move. Returns "" when nothing stands in the way, or the audit note of
    a head's approval (the problems and the reason) when a head let it through.

    Raises ValidationError on ``unit`` (the problems, and how to get past them) when refused, and
    PermissionDenied when someone who may not approve gave an approval reason."""
    problems = move_problems(cadre, new_unit, kind, on)
    if not problems:
        return ""
    text = "；".join(problems)
    approval_reason = (approval_reason or "").strip()
    if not approval_reason:
        raise ValidationError({"unit": f"{text}。{APPROVAL_HINT}"}, code="move_refused")
    if not actor.can("approve"):
        raise PermissionDenied(f"只有部长（分管负责人）可以审批：{text}。")
    label = MoveKind(kind).label if kind in MoveKind.values else kind
    return f"{text}；{label}经部长（分管负责人）审批同意，审批理由：{approval_reason}"


def with_note(reason: str, note: str) -> str:
    """The audit reason of a move: the caller's reason and the approval note, if any."""
    return "；".join(part for part in ((reason or "").strip(), note) if part)
