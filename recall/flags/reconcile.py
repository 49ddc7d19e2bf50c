"""The firings against the stored flags: raise, update, reopen, close with the reason, audit;
nothing is written when nothing changed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import orjson
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from assessment.models import RuleKind
from audit.models import AuditAction
from audit.services import Change, audit_record_bulk
from cadres.models import Cadre, CadreStatus
from core.bulk import bulk_insert, bulk_update_rows, pick, reserve_pks
from supervision.exemptions import citation, tolerated_citations, tolerated_decisions, tolerated_q
from supervision.models import MatterType

from ..models import Flag, FlagStatus
from .context import (
    EXEMPTED_REASON,
    GONE_STATUSES,
    NOT_ANY_MORE,
    Context,
    Firing,
    KindResult,
    OpenFlag,
)


@dataclass
class FlagChange(Change):
    """An audit entry of a flag written in bulk, named without loading the flag."""

    flag_id: int = 0
    label: str = ""

    def target(self) -> tuple[str, str, str]:
        return "recall.flag", str(self.flag_id), self.label


def lock() -> None:
    """Two evaluations never interleave (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('recall.flags'))")


def _generic_reason(ctx: Context, flag: OpenFlag) -> str | None:
    """Why an open flag closes whatever its kind: the cadre left the post, the rule was
    switched off for the cadre's unit or removed."""
    status = ctx.cadre_status.get(flag.cadre_id)
    if status in GONE_STATUSES:
        return f"干部状态已为“{CadreStatus(status).label}”，不再担任现职{NOT_ANY_MORE}"
    kind, _, key = flag.rule_key.partition(":")
    if kind == RuleKind.FLAG_INACTION:
        return None  # resolved at the cases' units, not the leader's
    unit_id = ctx.cadre_unit.get(flag.cadre_id)
    row = ctx.resolver.effective_rows(ctx.unit_path.get(unit_id, "")).get((kind, key))
    if row is None:
        return f"预警规则“{flag.rule_name}”已删除"
    if not row.enabled:
        owner = row.unit_name or "默认规则"
        return f"预警规则“{flag.rule_name}”已停用（{owner}）"
    return None


def reconcile(ctx: Context, results: dict[str, KindResult]) -> dict:
    now = timezone.now()
    firings: dict[tuple[int, str], Firing] = {}
    for result in results.values():
        firings.update(result.firings)

    # Flags decided 可容 (容错纠错) close, and a closed one is not raised again on its facts.
    tolerated_flags: set[int] = set()
    open_flags: dict[tuple[int, str], OpenFlag] = {}
    for pk, cadre_id, unit_id, key, name, anchor, facts, tolerated in (
        ctx.scoped(Flag.objects.filter(status=FlagStatus.OPEN))
        .annotate(tolerated=tolerated_q(MatterType.FLAG))
        .values_list(
            "id",
            "cadre_id",
            "unit_id",
            "rule_key",
            "rule_name",
            "anchor",
            Cast("facts", TextField()),
            "tolerated",
        )
    ):
        if not ctx.in_scope(cadre_id):
            continue
        open_flags[(cadre_id, key)] = OpenFlag(
            pk, cadre_id, unit_id, key, name, anchor, orjson.loads(facts) if facts else []
        )
        if tolerated:
            tolerated_flags.add(pk)
    others: dict[tuple[int, str, str], tuple[int, str, str]] = {}
    for pk, cadre_id, key, anchor, status, close_reason, tolerated in (
        ctx.scoped(Flag.objects.exclude(status=FlagStatus.OPEN))
        .annotate(tolerated=tolerated_q(MatterType.FLAG))
        .values_list("id", "cadre_id", "rule_key", "anchor", "status", "close_reason", "tolerated")
    ):
        others[(cadre_id, key, anchor)] = (pk, status, close_reason)
        if tolerated:
            tolerated_flags.add(pk)
    # the decisions are cited only where a flag closes now (none, once closed: no query)
    closing = [f.id for f in open_flags.values() if f.id in tolerated_flags]
    flag_citations = tolerated_citations(MatterType.FLAG, closing) if closing else {}

    def decided_reason(flag_id: int) -> str:
        return f"{flag_citations.get(flag_id) or '经容错纠错认定为可容'}，预警关闭"

    closes: list[tuple[OpenFlag, str]] = []
    updates: list[tuple[OpenFlag, Firing, int]] = []
    reopens: list[tuple[int, Firing, int, str]] = []
    creates: list[tuple[Firing, int]] = []

    def unit_of(firing: Firing) -> int:
        return firing.unit_id or ctx.cadre_unit[firing.cadre_id]

    for key, firing in firings.items():
        current = open_flags.get(key)
        unit_id = unit_of(firing)
        if current is not None and current.id in tolerated_flags:
            closes.append((current, decided_reason(current.id)))
            if current.anchor == firing.anchor:
                continue  # decided 可容 on these very facts
            current = None  # new facts: a new flag, as after any other closing
        if current is not None and current.anchor == firing.anchor:
            if (current.facts, current.unit_id, current.rule_name) != (
                firing.facts,
                unit_id,
                firing.rule_name,
            ):
                updates.append((current, firing, unit_id))
            continue
        held = others.get((firing.cadre_id, firing.rule_key, firing.anchor))
        if current is not None:
            if held is None:
                updates.append((current, firing, unit_id))  # the facts moved on (another year)
                continue
            closes.append((current, f"预警事实范围已变为{_anchor_text(firing.anchor)}"))
        if held is None:
            creates.append((firing, unit_id))
        elif held[1] == FlagStatus.CLOSED and held[0] not in tolerated_flags:
            reopens.append((held[0], firing, unit_id, held[2]))
        # reviewed (dismissed or decided) on these very facts, or closed as 可容: nothing new

    not_firing = [f for key, f in open_flags.items() if key not in firings]
    by_kind: dict[str, list[OpenFlag]] = defaultdict(list)
    exempted_by: dict[int, list[tuple[str, int]]] = {}
    for flag in not_firing:
        if flag.id in tolerated_flags:
            closes.append((flag, decided_reason(flag.id)))
            continue
        reason = _generic_reason(ctx, flag)
        kind = flag.rule_key.partition(":")[0]
        matters = results.get(kind, KindResult()).exempted.get((flag.cadre_id, flag.rule_key))
        if reason is None and matters is not None:
            exempted_by[flag.id] = matters
            continue
        if reason is not None:
            closes.append((flag, reason))
        else:
            by_kind[kind].append(flag)
    if exempted_by:
        reasons = _exempted_reasons(exempted_by)
        closes.extend((flag, reasons[flag.id]) for flag in not_firing if flag.id in exempted_by)
    for kind, flags in by_kind.items():
        result = results.get(kind)
        worded = result.close_reasons(ctx, flags) if result and result.close_reasons else {}
        for flag in flags:
            closes.append((flag, worded.get(flag.id) or f"预警规则“{flag.rule_name}”的条件不再成立"))

    return _write(ctx, now, len(open_flags), closes, updates, reopens, creates)


def _exempted_reasons(exempted_by: dict[int, list[tuple[str, int]]]) -> dict[int, str]:
    """Why a flag closes when only matters decided 可容 would still fire it, citing the decision
    (or, for several, their numbers). One query per matter type."""
    ids: dict[str, set[int]] = defaultdict(set)
    for matters in exempted_by.values():
        for matter_type, pk in matters:
            ids[matter_type].add(pk)
    found = {(t, pk): e for t, pks in ids.items() for pk, e in tolerated_decisions(t, pks).items()}
    reasons = {}
    for flag_id, matters in exempted_by.items():
        decisions = [found[m] for m in matters if m in found]
        if len(decisions) == 1:
            reasons[flag_id] = f"所涉事项{citation(decisions[0])}{NOT_ANY_MORE}"
        elif decisions:
            numbers = "、".join(str(e.pk) for e in decisions)
            reasons[flag_id] = (
                f"所涉{len(decisions)}项事项经容错纠错认定为可容（认定编号 {numbers}）{NOT_ANY_MORE}"
            )
        else:
            reasons[flag_id] = EXEMPTED_REASON
    return reasons


def _anchor_text(anchor: str) -> str:
    return "新的召回案件" if anchor.startswith("cases:") else f"{anchor}年度"


def _names(cadre_ids) -> dict[int, str]:
    ids = set(cadre_ids)
    if not ids:
        return {}
    return dict(pick(Cadre.objects.all(), "id", ids).values_list("id", "name"))


def _write(ctx: Context, now, open_before: int, closes, updates, reopens, creates) -> dict:
    cadres = (
        {f.cadre_id for f, _ in closes}
        | {f.cadre_id for f, _, _ in updates}
        | {f.cadre_id for _, f, _, _ in reopens}
        | {f.cadre_id for f, _ in creates}
    )
    names = _names(cadres)
    changes: list[FlagChange] = []

    def change(action, pk, cadre_id, unit_id, name, before, after) -> FlagChange:
        return FlagChange(
            action=action,
            before=before,
            after=after,
            cadre_id=cadre_id,
            scope_path=ctx.unit_path.get(unit_id, ""),
            flag_id=pk,
            label=f"{names.get(cadre_id, '')}：{name}"[:200],
        )

    # Closing first: a flag reopened or moved to new facts below may need its rule's open slot.
    if closes:
        bulk_update_rows(
            Flag,
            ["status", "closed_at", "close_reason"],
            [(f.id, FlagStatus.CLOSED, now, reason[:200]) for f, reason in closes],
        )
        for f, reason in closes:
            changes.append(
                change(
                    AuditAction.UPDATE,
                    f.id,
                    f.cadre_id,
                    f.unit_id,
                    f.rule_name,
                    {"status": FlagStatus.OPEN, "close_reason": ""},
                    {"status": FlagStatus.CLOSED, "close_reason": reason[:200]},
                )
            )
    if updates:
        bulk_update_rows(
            Flag,
            ["anchor", "facts", "unit", "rule_name"],
            [(f.id, new.anchor, new.facts, unit_id, new.rule_name) for f, new, unit_id in updates],
        )
        for f, new, unit_id in updates:
            if f.anchor != new.anchor:
                changes.append(
                    change(
                        AuditAction.UPDATE,
                        f.id,
                        f.cadre_id,
                        unit_id,
                        new.rule_name,
                        {"anchor": f.anchor, "facts": f.facts},
                        {"anchor": new.anchor, "facts": new.facts},
                    )
                )
    if reopens:
        bulk_update_rows(
            Flag,
            ["status", "closed_at", "close_reason", "facts", "unit", "rule_name", "raised_at"],
            [
                (pk, FlagStatus.OPEN, None, "", new.facts, unit_id, new.rule_name, now)
                for pk, new, unit_id, _ in reopens
            ],
        )
        for pk, new, unit_id, reason in reopens:
            changes.append(
                change(
                    AuditAction.UPDATE,
                    pk,
                    new.cadre_id,
                    unit_id,
                    new.rule_name,
                    {"status": FlagStatus.CLOSED, "close_reason": reason},
                    {"status": FlagStatus.OPEN, "close_reason": "", "facts": new.facts},
                )
            )
    if creates:
        # COPY with ids taken beforehand (the audit entries name them): thousands of flags at once
        ids = reserve_pks(Flag, len(creates))
        bulk_insert(
            Flag,
            (
                (pk, f.cadre_id, unit_id, f.rule_key, f.rule_name, f.anchor, f.facts)
                for pk, (f, unit_id) in zip(ids, creates, strict=True)
            ),
            fields=["id", "cadre_id", "unit_id", "rule_key", "rule_name", "anchor", "facts"],
            constants={"status": FlagStatus.OPEN, "raised_at": now},
        )
        for pk, (f, unit_id) in zip(ids, creates, strict=True):
            changes.append(
                change(
                    AuditAction.CREATE,
                    pk,
                    f.cadre_id,
                    unit_id,
                    f.rule_name,
                    None,
                    {
                        "rule_key": f.rule_key,
                        "rule_name": f.rule_name,
                        "anchor": f.anchor,
                        "facts": f.facts,
                        "status": FlagStatus.OPEN,
                    },
                )
            )
    if changes:
        audit_record_bulk(actor=None, changes=changes, reason="不适宜担任现职预警")
    return {
        "raised": len(creates),
        "updated": len(updates),
        "closed": len(closes),
        "reopened": len(reopens),
        "open": open_before - len(closes) + len(reopens) + len(creates),
    }
