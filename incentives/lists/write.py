"""The computed entries against the stored ones: insert the new, update the changed, delete those
no longer on a list; nothing is written when nothing changed. Decisions are other rows, keyed by
(period, cadre, list), and are never touched here.

Inserts go through COPY on PostgreSQL (``core.bulk.bulk_insert``), updates through one
``UPDATE … FROM`` a COPY'd temporary table (``bulk_update_rows``). The audit trail gets one entry
for the computation (counts) and, once a period's lists exist, one per entry that joined or left
a list or whose eligibility, amount or eligibility date changed (``audit_record_bulk``, by COPY).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import orjson
from django.db import connection
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.functions import Cast

from assessment.models import Assessment
from audit.models import AuditAction
from audit.services import Change, audit_record, audit_record_bulk
from cadres.models import Cadre
from core.bulk import RawJSON, bulk_insert, bulk_update_rows, pick

from ..models import Entry, ListKind
from .facts import Facts, rows
from .rules import RANKED, Out

FEN = Decimal("0.01")
VALUE_FIELDS = [
    "eligible",
    "reasons",
    "score",
    "position",
    "coefficient",
    "base",
    "withheld",
    "amount",
    "due_date",
]
KIND_LABELS = dict(ListKind.choices)
DELETE_CHUNK = 5_000


def values_of(out: Out) -> tuple:
    """An entry's stored values (the rules give every decimal to the fen already)."""
    return (
        out.eligible,
        out.reasons,
        out.score,
        out.position,
        out.coefficient,
        out.base,
        out.withheld,
        out.amount,
        out.due_date,
    )


@dataclass(slots=True)
class Ranked:
    """An eligible entry of a ranked list outside the subtree being computed: it keeps its place
    in the period's ranking, which the subtree's entries may move."""

    id: int
    kind: str
    eligible: bool
    score: Decimal | None
    total: Decimal | None
    cadre_id: int
    stored_position: int | None
    position: int | None = None


def in_scope(facts: Facts, cadre_id: int, unit_id: int) -> bool:
    """Whether an entry is one this computation replaces."""
    if facts.cadre_ids is not None and cadre_id not in facts.cadre_ids:
        return False
    return not facts.unit_path or facts.unit_paths.get(unit_id, "").startswith(facts.unit_path)


def ranked_outside(facts: Facts) -> list[Ranked]:
    """The eligible entries of the ranked lists this computation does not replace (one query)."""
    if not facts.unit_path and facts.cadre_ids is None:
        return []
    total = Assessment.objects.filter(period=facts.period, cadre=OuterRef("cadre")).values("total_score")[:1]
    qs = (
        Entry.objects.filter(period=facts.period, kind__in=[str(k) for k in RANKED], eligible=True)
        .annotate(total=Subquery(total))
        .values_list("id", "kind", "score", "total", "cadre_id", "position", "unit_id")
    )
    return [
        Ranked(pk, kind, True, score, tot, cadre, pos)
        for pk, kind, score, tot, cadre, pos, unit_id in rows(qs)
        if not in_scope(facts, cadre, unit_id)
    ]


@dataclass
class EntryChange(Change):
    """An audit entry of an entry written in bulk, named without loading it."""

    entry_id: int = 0
    label: str = ""

    def target(self) -> tuple[str, str, str]:
        return "incentives.entry", str(self.entry_id), self.label


def audit_view(out_or_values) -> dict:
    """What the audit trail keeps of an entry: eligibility and the figures, not the reasons."""
    eligible, _reasons, _score, _position, _coef, _base, _withheld, amount, due = out_or_values
    return {
        "eligible": eligible,
        "amount": None if amount is None else str(amount),
        "due_date": None if due is None else due.isoformat(),
    }


def write_entries(facts: Facts, out: list[Out], others: list[Ranked], *, now, actor, reason: str) -> dict:
    period = facts.period
    stored_qs = Entry.objects.filter(period=period)
    if facts.unit_path:
        stored_qs = stored_qs.filter(unit__path__startswith=facts.unit_path)
    if facts.cadre_ids is not None:
        stored_qs = pick(stored_qs, "cadre_id", facts.cadre_ids)
    stored: dict[tuple[int, str], tuple] = {}
    # Entries that share their reasons (a bonus of one grade under one base) share the stored
    # text too: each distinct text is decoded once.
    decoded: dict[str, list] = {}

    def loads(text: str) -> list:
        found = decoded.get(text)
        if found is None:
            found = decoded[text] = orjson.loads(text)
        return found

    for (
        pk,
        cadre_id,
        kind,
        unit_id,
        eligible,
        reasons,
        score,
        position,
        coef,
        base,
        withheld,
        amount,
        due,
    ) in rows(
        stored_qs.values_list(
            "id",
            "cadre_id",
            "kind",
            "unit_id",
            "eligible",
            Cast("reasons", TextField()),
            "score",
            "position",
            "coefficient",
            "base",
            "withheld",
            "amount",
            "due_date",
        )
    ):
        if facts.cadre_ids is not None and cadre_id not in facts.cadre_ids:
            continue
        stored[(cadre_id, kind)] = (
            pk,
            unit_id,
            (
                bool(eligible),
                loads(reasons) if reasons else [],
                score,
                position,
                coef,
                base,
                withheld,
                amount,
                due,
            ),
        )
    # Once a period has lists, each entry that joins or leaves one is audited on its own.
    had_entries = bool(stored) or (
        (bool(facts.unit_path) or facts.cadre_ids is not None)
        and Entry.objects.filter(period=period).exists()
    )

    inserts: list[tuple] = []
    updates: list[tuple] = []
    changes: list[tuple[str, int, int, str, dict | None, dict | None, int]] = []
    for entry in out:
        new = values_of(entry)
        old = stored.pop((entry.cadre_id, entry.kind), None)
        if old is None:
            inserts.append((entry.cadre_id, entry.unit_id, entry.kind, *new))
            continue
        pk, unit_id, values = old
        if unit_id != entry.unit_id or values != new:
            updates.append((pk, entry.unit_id, *new, now))
            before, after = audit_view(values), audit_view(new)
            if before != after:
                changes.append(
                    (AuditAction.UPDATE, pk, entry.cadre_id, entry.kind, before, after, entry.unit_id)
                )
    gone = [
        (pk, cadre_id, kind, unit_id, values) for (cadre_id, kind), (pk, unit_id, values) in stored.items()
    ]

    moved = [(o.id, o.position) for o in others if o.position != o.stored_position]

    if inserts or updates:
        # Many entries share one list of reasons (a bonus of one grade under one base): each
        # list is encoded once, and COPY takes the text as it is.
        encoded: dict[int, RawJSON] = {}

        def raw(reasons: list) -> RawJSON:
            text = encoded.get(id(reasons))
            if text is None:
                text = encoded[id(reasons)] = RawJSON(orjson.dumps(reasons).decode())
            return text

        inserts = [(*row[:4], raw(row[4]), *row[5:]) for row in inserts]
        updates = [(*row[:3], raw(row[3]), *row[4:]) for row in updates]
    if inserts:
        fields = ["cadre_id", "unit_id", "kind", *VALUE_FIELDS]
        if connection.vendor == "postgresql" and had_entries:
            from core.bulk import reserve_pks

            ids = reserve_pks(Entry, len(inserts))
            bulk_insert(
                Entry,
                [(pk, *row) for pk, row in zip(ids, inserts, strict=True)],
                fields=["id", *fields],
                constants={"period": period.pk, "computed_at": now},
            )
            for pk, row in zip(ids, inserts, strict=True):
                changes.append((AuditAction.CREATE, pk, row[0], row[2], None, audit_view(row[3:]), row[1]))
        else:
            bulk_insert(Entry, inserts, fields=fields, constants={"period": period.pk, "computed_at": now})
            if had_entries:  # SQLite: the ids are read back for the audit trail
                created = {
                    (cadre_id, kind): pk
                    for pk, cadre_id, kind in Entry.objects.filter(
                        period=period, computed_at=now, kind__in={row[2] for row in inserts}
                    ).values_list("id", "cadre_id", "kind")
                }
                for row in inserts:
                    pk = created.get((row[0], row[2]))
                    if pk is not None:
                        changes.append(
                            (AuditAction.CREATE, pk, row[0], row[2], None, audit_view(row[3:]), row[1])
                        )
    if updates:
        bulk_update_rows(Entry, ["unit", *VALUE_FIELDS, "computed_at"], updates)
    if moved:
        bulk_update_rows(Entry, ["position"], moved)
    if gone:
        ids = [pk for pk, *_ in gone]
        for i in range(0, len(ids), DELETE_CHUNK):
            Entry.objects.filter(pk__in=ids[i : i + DELETE_CHUNK]).delete()
        for pk, cadre_id, kind, unit_id, values in gone:
            changes.append((AuditAction.DELETE, pk, cadre_id, kind, audit_view(values), None, unit_id))

    _audit(facts, changes, actor=actor, reason=reason)
    summary = {
        "period": period.pk,
        "unit_path": facts.unit_path,
        "cadres": len(facts.assessed),
        "entries": len(out),
        "eligible": sum(1 for e in out if e.eligible),
        "created": len(inserts),
        "updated": len(updates),
        "deleted": len(gone),
        "reranked": len(moved),
    }
    if inserts or updates or gone or moved:
        where = facts.unit_names.get(facts.path_units.get(facts.unit_path, 0), "") or "全部单位"
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=period,
            before={"激励名单": None},
            after={
                "激励名单": f"{where}：{len(out)} 个名单条目（符合条件 {summary['eligible']}），新增 {len(inserts)}，"
                f"变化 {len(updates)}，移出 {len(gone)}"
            },
            scope_path=facts.unit_path,
            reason=reason or "计算激励名单",
        )
    return summary


def _audit(facts: Facts, changes, *, actor, reason: str) -> None:
    if not changes:
        return
    names = dict(pick(Cadre.objects.all(), "id", {c[2] for c in changes}).values_list("id", "name"))
    paths = facts.unit_paths
    audit_record_bulk(
        actor=actor,
        changes=(
            EntryChange(
                action=action,
                before=before,
                after=after,
                cadre_id=cadre_id,
                scope_path=paths.get(unit_id, ""),
                entry_id=pk,
                label=f"{names.get(cadre_id, '')}：{KIND_LABELS.get(kind, kind)}"[:200],
            )
            for action, pk, cadre_id, kind, before, after, unit_id in changes
        ),
        reason=reason or "计算激励名单",
    )
