"""The one door to the audit trail.

``snapshot`` turns a model instance into JSON-able field values; ``audit_record`` and
``audit_record_bulk`` write entries. Services call them inside their own transaction, so the
entry and the change commit (or roll back) together.
"""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from core import figures

from .models import AuditAction, AuditEntry

BULK_BATCH_SIZE = 2000


def _jsonable(value):
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# id_number_masked: the mask of id_number, which the entry keeps already
SKIP_FIELDS = {"created_at", "updated_at", "depth", "numchild", "path", "id_number_masked"}


def snapshot(instance: models.Model) -> dict:
    """Concrete field values by attribute name (foreign keys as ids). An encrypted field
    (core.crypto) is kept as its mask (``320102***********4``), never in clear: the trail is
    append-only and not encrypted. Its keyed hash column, if any, is kept as it is, so a change
    the mask hides still shows as a change."""
    data = {}
    for f in instance._meta.concrete_fields:
        if f.name in SKIP_FIELDS or f.primary_key:
            continue
        value = getattr(instance, f.attname)
        if getattr(f, "encrypted", False):
            value = f.audit_value(value)
        data[f.name] = _jsonable(value)
    return data


def diff(before: dict | None, after: dict | None) -> dict:
    """{field: [old, new]} for fields that changed; a create has old None, a delete new None."""
    before = before or {}
    after = after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def actor_label(actor) -> str:
    if actor is None:
        return "系统"
    name = getattr(actor, "display_name", "") or ""
    return f"{actor.get_username()}（{name}）" if name else actor.get_username()


@dataclass
class Change:
    """One object's change, for ``audit_record_bulk`` (a bulk writer without instances at hand
    hands ``audit_rows_bulk`` its rows instead)."""

    action: str
    instance: models.Model | None = None
    before: dict | None = None
    after: dict | None = None
    cadre_id: int | None = None
    scope_path: str = ""
    extra: dict = field(default_factory=dict)

    def target(self) -> tuple[str, str, str]:
        return self.instance._meta.label_lower, str(self.instance.pk), str(self.instance)[:200]


def _entry(*, actor, label, at, change: Change, batch: str, reason: str) -> AuditEntry | None:
    changes = diff(change.before, change.after)
    if change.action == AuditAction.UPDATE and not changes:
        return None
    model, object_id, object_repr = change.target()
    return AuditEntry(
        at=at,
        actor=actor,
        actor_label=label,
        action=change.action,
        model=model,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes,
        cadre_id=change.cadre_id,
        scope_path=change.scope_path,
        batch=batch,
        reason=reason[:500],
    )


def audit_record(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    cadre_id: int | None = None,
    scope_path: str = "",
    batch: str = "",
    reason: str = "",
) -> AuditEntry | None:
    """Record one change. An update that changed nothing writes nothing and returns None."""
    entry = _entry(
        actor=actor,
        label=actor_label(actor),
        at=timezone.now(),
        change=Change(action, instance, before, after, cadre_id, scope_path),
        batch=batch,
        reason=reason,
    )
    if entry is not None:
        entry.save(force_insert=True)
        figures.forget_models([entry.model])  # the dashboards' figures that counted it
    return entry


VIEW_NAMES_SHOWN = 10


def audit_view(*, actor, cadres, where: str, scope_path: str | None = None) -> AuditEntry | None:
    """Record that ``actor`` was shown the full ID numbers of ``cadres`` (a page, an API answer,
    an export): who, when, where, which cadres (ids kept under ``viewed``) and how many. Nothing
    is written when no cadre was shown. ``cadres`` holds Cadre objects or ``(id, name)`` pairs;
    ``scope_path`` (who may read the entry) defaults to the viewer's own scope."""
    pairs = [(c.pk, c.name) if hasattr(c, "pk") else (c[0], c[1]) for c in cadres]
    if not pairs:
        return None
    names = "、".join(name for _, name in pairs[:VIEW_NAMES_SHOWN])
    more = f"等 {len(pairs)} 名" if len(pairs) > VIEW_NAMES_SHOWN else f"{len(pairs)} 名"
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor,
        actor_label=actor_label(actor),
        action=AuditAction.VIEW,
        model="cadres.cadre",
        object_id=str(pairs[0][0]) if len(pairs) == 1 else "",
        object_repr=f"{where}：{names}（{more}）"[:200],
        changes={"viewed": [None, [pk for pk, _ in pairs]]},
        cadre_id=pairs[0][0] if len(pairs) == 1 else None,
        scope_path=(actor.scope_path or "") if scope_path is None else scope_path,
    )
    entry.save(force_insert=True)
    return entry


# The fields of an entry that differ from one entry to the next of a bulk write.
ROW_FIELDS = ["action", "model", "object_id", "object_repr", "changes", "cadre_id", "scope_path"]


def audit_record_bulk(*, actor, changes: Iterable[Change], batch: str = "", reason: str = "") -> int:
    """Record many changes at once: rows are streamed into one COPY on PostgreSQL (bulk inserts
    elsewhere), no query per row and no model instance per entry. Returns how many were written."""
    update = AuditAction.UPDATE

    def rows():
        for change in changes:
            delta = diff(change.before, change.after)
            if change.action == update and not delta:
                continue
            yield (change.action, *change.target(), delta, change.cadre_id, change.scope_path)

    return audit_rows_bulk(actor=actor, rows=rows(), batch=batch, reason=reason)


def audit_rows_bulk(*, actor, rows: Iterable[tuple], batch: str = "", reason: str = "") -> int:
    """``audit_record_bulk`` for a writer that has worked out each entry itself (an import of
    100,000 rows): ``rows`` yields ``(action, model label, object id, object repr,
    {field: [old, new]}, cadre id, scope path)``, each written as it is. Returns how many."""
    from core.bulk import bulk_insert

    written = 0
    models_written: set[str] = set()

    def entries():
        nonlocal written
        for action, model, object_id, object_repr, delta, cadre_id, scope_path in rows:
            written += 1
            models_written.add(model)
            yield (action, model, object_id, object_repr[:200], delta, cadre_id, scope_path)

    # What every entry of the call shares is formatted once.
    shared = {
        "at": timezone.now(),
        "actor": actor.pk if actor is not None else None,
        "actor_label": actor_label(actor),
        "batch": batch,
        "reason": reason[:500],
    }
    bulk_insert(AuditEntry, entries(), fields=ROW_FIELDS, constants=shared, batch_size=BULK_BATCH_SIZE)
    figures.forget_models(models_written)  # the dashboards' figures that counted them
    return written


def new_batch_id(prefix: str) -> str:
    return f"{prefix}-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
