"""Every write of sanctions (处分). Their influence periods bear on grades, so each change
asks the grading engine to recompute the open annual period (``sanctions_changed``). Exempting a
sanction is a 容错纠错 decision (``services.exemptions``), not a property of the sanction."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditAction
from cadres.models import Cadre

from ..models import Sanction, SanctionKind
from ..signals import sanctions_changed
from .records import EARLIEST_YEAR, _not_future, _record, _require_cadre, _require_edit


def _changed(sanction: Sanction) -> None:
    ids, paths = [sanction.cadre_id], [sanction.cadre.unit.path]
    transaction.on_commit(lambda: sanctions_changed.send(sender=Sanction, cadre_ids=ids, unit_paths=paths))


@transaction.atomic
def sanction_create(
    *,
    actor,
    cadre: Cadre,
    kind: str,
    decided_on: datetime.date | None,
    reason: str,
) -> Sanction:
    _require_edit(actor)
    _require_cadre(actor, cadre)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if kind not in SanctionKind.values:
        errors["kind"] = "请选择处分类型。"
    if decided_on is None:
        errors["decided_on"] = "请填写处分决定日期。"
    elif decided_on.year < EARLIEST_YEAR:
        errors["decided_on"] = f"处分决定日期不能早于{EARLIEST_YEAR}年。"
    _not_future(errors, "decided_on", decided_on, "处分决定日期")
    if not reason:
        errors["reason"] = "请填写处分事由。"
    if errors:
        raise ValidationError(errors)
    sanction = Sanction.objects.create(
        cadre=cadre,
        kind=kind,
        decided_on=decided_on,
        reason=reason,
        created_by=actor,
    )
    _record(actor, AuditAction.CREATE, sanction, cadre)
    _changed(sanction)
    return sanction
