"""Every write of investigations (立案审查). While one is open the cadre's annual grade is 不定等次
(``RuleKind.INVESTIGATION``), so each change asks the grading engine to recompute the open
annual periods (``investigations_changed``, after commit). Closing it records the outcome; a
sanction it led to is recorded as a ``Sanction`` (``services.sanctions``), whose influence rule
then bears on the grade."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditAction
from audit.services import snapshot
from cadres.models import Cadre

from ..models import Investigation, InvestigationOutcome
from ..signals import investigations_changed
from .records import EARLIEST_YEAR, _not_future, _record, _require_cadre, _require_edit, _require_in_scope

AUTHORITY_MAX = 100
REASON_MAX = 2000


def _changed(actor, investigation: Investigation) -> None:
    ids, paths = [investigation.cadre_id], [investigation.cadre.unit.path]
    transaction.on_commit(
        lambda: investigations_changed.send(
            sender=Investigation, cadre_ids=ids, unit_paths=paths, actor=actor
        )
    )


def _check_opening(opened_on: datetime.date | None, authority: str, reason: str) -> None:
    errors: dict[str, str] = {}
    if opened_on is None:
        errors["opened_on"] = "请填写立案日期。"
    elif opened_on.year < EARLIEST_YEAR:
        errors["opened_on"] = f"立案日期不能早于{EARLIEST_YEAR}年。"
    _not_future(errors, "opened_on", opened_on, "立案日期")
    if not authority:
        errors["authority"] = "请填写立案机关。"
    elif len(authority) > AUTHORITY_MAX:
        errors["authority"] = f"立案机关不能超过{AUTHORITY_MAX}个字。"
    if not reason:
        errors["reason"] = "请填写立案事由。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"立案事由不能超过{REASON_MAX}个字。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def investigation_open(
    *, actor, cadre: Cadre, opened_on: datetime.date | None, authority: str, reason: str
) -> Investigation:
    """Record that ``cadre`` is under investigation (立案审查) since ``opened_on``."""
    _require_edit(actor)
    _require_cadre(actor, cadre)
    authority, reason = (authority or "").strip(), (reason or "").strip()
    _check_opening(opened_on, authority, reason)
    investigation = Investigation.objects.create(
        cadre=cadre, opened_on=opened_on, authority=authority, reason=reason, created_by=actor
    )
    _record(actor, AuditAction.CREATE, investigation, cadre)
    _changed(actor, investigation)
    return investigation


def _locked(actor, investigation: Investigation) -> Investigation:
    _require_edit(actor)
    _require_in_scope(actor, investigation.cadre)
    # Two people closing the same investigation at once: the second sees it closed.
    return (
        Investigation.objects.select_for_update()
        .select_related("cadre", "cadre__unit")
        .get(pk=investigation.pk)
    )


def _refuse_closed(current: Investigation, field: str, what: str) -> None:
    if current.closed_on is not None:
        raise ValidationError(
            {
                field: f"该立案审查已于{current.closed_on:%Y-%m-%d}结案（{current.get_outcome_display()}），不能{what}。"
            }
        )


@transaction.atomic
def investigation_update(
    *, actor, investigation: Investigation, opened_on: datetime.date | None, authority: str, reason: str
) -> Investigation:
    """Correct an open investigation's date, authority or reason (a closed one stays as it was)."""
    current = _locked(actor, investigation)
    _refuse_closed(current, "opened_on", "再修改")
    authority, reason = (authority or "").strip(), (reason or "").strip()
    _check_opening(opened_on, authority, reason)
    if (current.opened_on, current.authority, current.reason) == (opened_on, authority, reason):
        return current  # nothing to change, nothing to record or regrade
    before = snapshot(current)
    current.opened_on, current.authority, current.reason = opened_on, authority, reason
    current.save(update_fields=["opened_on", "authority", "reason"])
    _record(actor, AuditAction.UPDATE, current, current.cadre, before=before)
    _changed(actor, current)
    return current


@transaction.atomic
def investigation_close(
    *, actor, investigation: Investigation, closed_on: datetime.date | None, outcome: str
) -> Investigation:
    """Close the investigation (结案) with its outcome: 给予处分 or 未予处分."""
    current = _locked(actor, investigation)
    _refuse_closed(current, "closed_on", "重复结案")
    errors: dict[str, str] = {}
    if closed_on is None:
        errors["closed_on"] = "请填写结案日期。"
    elif closed_on < current.opened_on:
        errors["closed_on"] = f"结案日期不能早于立案日期（{current.opened_on:%Y-%m-%d}）。"
    _not_future(errors, "closed_on", closed_on, "结案日期")
    if outcome not in InvestigationOutcome.values:
        errors["outcome"] = "请选择结案结果：给予处分或未予处分。"
    if errors:
        raise ValidationError(errors)
    before = snapshot(current)
    current.closed_on, current.outcome = closed_on, outcome
    current.save(update_fields=["closed_on", "outcome"])
    _record(actor, AuditAction.UPDATE, current, current.cadre, before=before, reason="结案")
    _changed(actor, current)
    return current
