"""Indicator scores, 民主测评 vote counts and grade adjustments.

``scores_save`` is the one door for scores and vote counts: the grid, the API and the Excel
import (100,000 rows) all call it. It reads one query per table, validates every entry before
writing any, and writes in bulk; the audit trail gets one entry per changed assessment in one
bulk insert. The one other writer is ``write_changed``, its second half, which an import's
commit calls directly when ``scores_state`` proves that the preview's check of every row still
holds.
Overrides (调整等次) and corrections of published periods (更正) are single-row services.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import BigIntegerField, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, audit_rows_bulk, new_batch_id
from cadres import idnumber
from cadres.models import Cadre, Unit
from cadres.selectors import unit_in_scope
from core.bulk import bulk_insert, bulk_update_rows, pick, plain_rows, reads_whole, reserve_pks
from core.lookups import array_literal

from ..models import (
    GRADE_CODES,
    INDIVIDUAL_SCALE,
    QUARTER_SCALE,
    SCORING_STATUSES,
    TEAM_SCALE,
    VOTE_NAMES,
    Assessment,
    Grade,
    Indicator,
    IndicatorGroup,
    IndicatorSource,
    Period,
    PeriodStatus,
    PolicyRule,
    Scheme,
    TeamAssessment,
)
from ..sheets.parse import same_name
from ..tracks import TrackTable
from ..votes import NO_VOTES, check_votes, vote_delta
from .recompute import period_recompute, recompute_queue_paths

OVERRIDE_STATUSES = (PeriodStatus.COLLECTING, PeriodStatus.GRADING)

REFUSED = {
    PeriodStatus.DRAFT: "考核期尚未开启采集评分，不能录入评分。",
    PeriodStatus.PUBLISHED: "考核期已公布，不能录入评分；如需修改请使用“更正”。",
    PeriodStatus.ARCHIVED: "考核期已归档，不能录入评分。",
}


def period_scale(period: Period) -> list[str]:
    if period.quarter is None:
        return [*INDIVIDUAL_SCALE, Grade.UNDETERMINED, Grade.NOT_ASSESSED]
    return list(QUARTER_SCALE)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    min_score: Decimal
    max_score: Decimal
    track: str
    individual: bool

    # The range as floats, for numbers that arrive as int/float (JSON, calamine).
    bounds: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "bounds", (float(self.min_score), float(self.max_score)))


def scheme_specs(period: Period) -> dict[str, dict[str, IndicatorSpec]]:
    """{cadre category ("" = base scheme): {code: spec}} of the period, in one query."""
    out: dict[str, dict[str, IndicatorSpec]] = {}
    rows = (
        # indicators scored from other records (民情工单) take no typed value
        Indicator.objects.filter(scheme__period=period, source=IndicatorSource.INPUT)
        .order_by("order", "id")
        .values_list("scheme__category", "code", "name", "min_score", "max_score", "track", "group")
    )
    for category, code, name, low, high, track, group in rows:
        out.setdefault(category, {})[code] = IndicatorSpec(
            code, name, low, high, track, group == IndicatorGroup.INDIVIDUAL
        )
    return out


def computed_indicators(period: Period, cadre_kind: str) -> list[Indicator]:
    """The indicators of the cadre's scheme scored from other records (民情工单), which the
    score pages show read-only: the category scheme for cadres of that kind, else the base."""
    qs = Indicator.objects.filter(scheme__period=period).exclude(source=IndicatorSource.INPUT)
    own = list(qs.filter(scheme__category=cadre_kind)) if cadre_kind else []
    if own or (
        cadre_kind and Indicator.objects.filter(scheme__period=period, scheme__category=cadre_kind).exists()
    ):
        return own
    return list(qs.filter(scheme__category="").order_by("order", "id"))


def specs_for(specs: dict[str, dict[str, IndicatorSpec]], cadre_kind: str) -> dict[str, IndicatorSpec]:
    """The engine's rule: the category scheme for cadres of that kind, else the base."""
    return specs.get(cadre_kind) or specs.get("", {})


def normalise(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def parse_score(value) -> tuple[Decimal | None, bool]:
    """(number, ok); blank gives (None, True)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return None, False
    text = str(value).strip()
    if not text:
        return None, True
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None, False
    return (number, True) if number.is_finite() else (None, False)


def check_scores(
    scores: dict, specs: dict[str, IndicatorSpec], track: str, old: dict, tracks: TrackTable | None = None
) -> tuple[dict, list[str]]:
    """Apply ``scores`` onto ``old``; returns (new scores, messages naming the indicators).
    ``tracks`` names the tracks in messages (one table for a whole batch; read only if a
    message needs it)."""
    new = dict(old)
    problems: list[str] = []
    if not isinstance(scores, dict):
        return new, ["得分格式不正确。"]
    for code, raw in scores.items():
        spec = specs.get(code)
        if spec is None:
            code = str(code).strip()
            spec = specs.get(code)
            if spec is None:
                problems.append(f"考核方案中没有指标“{code}”。")
                continue
        kind = type(raw)
        if kind is int or (kind is float and math.isfinite(raw)):
            # Fast path for numbers (an import's 600,000 values): no Decimal round trip.
            low, high = spec.bounds
            if not low <= raw <= high:
                problems.append(
                    f"指标“{code}”的得分 {_fmt(Decimal(repr(raw)))} 超出范围"
                    f"（{_fmt(spec.min_score)}–{_fmt(spec.max_score)}）。"
                )
                continue
            value = int(raw) if kind is float and raw.is_integer() else raw
        else:
            number, ok = parse_score(raw)
            if not ok:
                problems.append(f"指标“{code}”的得分“{raw}”不是数字。")
                continue
            if number is None:
                new.pop(code, None)
                continue
            if not spec.min_score <= number <= spec.max_score:
                problems.append(
                    f"指标“{code}”的得分 {_fmt(number)} 超出范围（{_fmt(spec.min_score)}–{_fmt(spec.max_score)}）。"
                )
                continue
            value = normalise(number)
        if spec.individual and spec.track != track:
            tracks = tracks or TrackTable()
            chosen = tracks.quoted(track) if track else "未选择"
            problems.append(f"指标“{code}”只适用于{tracks.quoted(spec.track)}赛道，该干部的赛道为{chosen}。")
            continue
        new[code] = value
    return new, problems


def unknown_id(id_number: str) -> str:
    """The one message for an ID number that names no cadre the uploader may see: unknown, or
    a cadre outside the uploader's scope, read alike, so a sheet cannot probe the registry."""
    return f"身份证号 {id_number} 对应的干部不存在或不在您的管辖范围内。"


def _unknown(entry: dict, message: str) -> str:
    """An import's entry names its cadre by ID number: unknown and out of scope read alike
    (``unknown_id``); other callers name cadres by id and keep their message."""
    if "id_number" in entry:
        return unknown_id(entry["id_number"])
    return message


def _require_scoring(actor, period: Period) -> Period:
    if not actor.can("enter_scores"):
        raise PermissionDenied("您的角色无权录入评分。")
    status = Period.objects.filter(pk=period.pk).order_by().values_list("status", flat=True).first()
    if status is None:
        raise ValidationError("考核期不存在。")
    if status not in SCORING_STATUSES:
        raise ValidationError(REFUSED.get(status, "当前阶段不能录入评分。"))
    period.status = status
    return period


def _cadre_id(value) -> int | None:
    if isinstance(value, Cadre):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def unit_paths() -> dict[int, str]:
    """{unit id: tree path} of every unit, in one query.

    Large reads take paths from here instead of joining the unit table: with a long id array
    PostgreSQL misjudges that join (a nested loop that took 30 s for 100,000 rows)."""
    return dict(Unit.objects.order_by().values_list("pk", "path"))


def assessment_rows(
    period: Period, cadre_ids, *, versions: dict | None = None, votes: dict | None = None
) -> dict[int, tuple]:
    """{cadre id: (pk, unit_id, track, scores)} of the period's assessments of these cadres, in
    one query; scores come as text and are decoded with orjson (the stock decoder costs about
    a second per 100,000 rows). With ``versions``, each row's version (``ROW_VERSION``) is
    put there by cadre id, read in the same statement as the row; with ``votes``, its five
    vote counts (a tuple in ``VOTE_NAMES`` order), likewise."""
    ids = set(cadre_ids)
    if not ids:
        return {}
    qs = pick(Assessment.objects.filter(period=period).order_by(), "cadre_id", ids)
    loads = orjson.loads
    if votes is not None:
        out = {}
        extra = [row_version()] if versions is not None else []
        n = len(VOTE_NAMES)
        for pk, cadre_id, unit_id, track, scores, *rest in plain_rows(
            qs.values_list(
                "pk", "cadre_id", "unit_id", "track", Cast("scores", TextField()), *extra, *VOTE_NAMES
            )
        ):
            if cadre_id in ids:
                out[cadre_id] = (pk, unit_id, track, loads(scores) if scores else {})
                votes[cadre_id] = tuple(rest[-n:])
                if extra:
                    versions[cadre_id] = rest[0]
        return out
    if versions is None:
        return {
            cadre_id: (pk, unit_id, track, loads(scores) if scores else {})
            for pk, cadre_id, unit_id, track, scores in plain_rows(
                qs.values_list("pk", "cadre_id", "unit_id", "track", Cast("scores", TextField()))
            )
            if cadre_id in ids
        }
    out = {}
    for pk, cadre_id, unit_id, track, scores, version in plain_rows(
        qs.values_list("pk", "cadre_id", "unit_id", "track", Cast("scores", TextField()), row_version())
    ):
        if cadre_id in ids:
            out[cadre_id] = (pk, unit_id, track, loads(scores) if scores else {})
            versions[cadre_id] = version
    return out


# A hash of a row's id, creating transaction (xmin) and place (ctid): every UPDATE writes a new
# row version elsewhere, even twice in one transaction, so any write gives another value.
# ROW_VERSION_OF names the row of table ``{t}`` (a statement over several tables: an UPDATE's
# guard); ROW_VERSION is the same of a single-table query's row.
ROW_VERSION_OF = "hashtextextended({t}.ctid::text, {t}.id # ({t}.xmin::text::bigint << 32))"
ROW_VERSION = ROW_VERSION_OF.replace("{t}.", "")


class StalePlan(Exception):
    """A row a checked plan was about to write is no longer as its check saw it."""


def row_version() -> RawSQL | Value:
    """``ROW_VERSION`` as a column of a single-table query (PostgreSQL; None elsewhere)."""
    if connections[Assessment.objects.db].vendor != "postgresql":
        return Value(None, output_field=BigIntegerField())
    return RawSQL(ROW_VERSION, [], output_field=BigIntegerField())


def versions_digest(versions) -> str:
    """Count and sum of row versions: equal digests of the same rows mean no row was written."""
    versions = list(versions)
    return f"{len(versions)}:{sum(versions)}"


def _registry_parts(connection, period: Period) -> tuple[list[str], list]:
    parts, params = [], []
    for model, where in (
        (Unit, ""),
        (Period, " WHERE id = %s"),
        (Scheme, ""),
        (Indicator, ""),
        (PolicyRule, ""),
    ):
        parts.append(_digest_sql(connection, model, where))
        params += [period.pk] if where else []
    return parts, params


def _digest_sql(connection, model, where: str = "") -> str:
    """A subquery giving ``versions_digest`` of ``model``'s rows matching ``where``."""
    table = connection.ops.quote_name(model._meta.db_table)
    return f"(SELECT count(*) || ':' || coalesce(sum({ROW_VERSION}), 0) FROM {table}{where})"


def registry_state(period: Period) -> str | None:
    """The fingerprint of the small tables every score check reads: units (paths, names), the
    period, schemes, indicators and grading rules. Taken before a check reads them and again
    before its result is written, an equal fingerprint proves none of them was written in
    between. PostgreSQL only (row versions); None elsewhere."""
    connection = connections[Assessment.objects.db]
    if connection.vendor != "postgresql":
        return None
    parts, params = _registry_parts(connection, period)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT concat_ws('/', {', '.join(parts)})", params)
        return cursor.fetchone()[0]


def scores_state(period: Period, cadre_ids, assessed=None) -> str | None:
    """The fingerprint of everything checking scores of these cadres depends on, as an import's
    preview takes it (``registry_state``, then the digests of the cadres' rows and of the
    assessments in the period of ``assessed``, by default the same cadres, read with the rows
    themselves). Equal to the preview's: no row it read was written since, and no assessment
    of those cadres was added or removed. (An import leaves out the cadres whose assessments
    it writes: ``write_changed`` checks those rows in its UPDATE, see ``guard``.)

    One statement: the server sums the versions of the rows it looks up by id; for ids naming
    most of a table (``reads_whole``) it sends that table's versions and they are summed
    here. About 0.05 s for 10,000 cadres, 0.25 s for 100,000. None on other databases."""
    connection = connections[Assessment.objects.db]
    if connection.vendor != "postgresql":
        return None
    ids = set(cadre_ids)
    assessed = ids if assessed is None else set(assessed)
    parts, params = _registry_parts(connection, period)

    lookups = (
        (Cadre, Cadre.objects.order_by(), "id", ids, "id = ANY(%s::bigint[])", [array_literal(ids)[0]]),
        (
            Assessment,
            Assessment.objects.filter(period=period).order_by(),
            "cadre_id",
            assessed,
            "period_id = %s AND cadre_id = ANY(%s::bigint[])",
            [period.pk, array_literal(assessed)[0]],
        ),
    )
    whole = {}
    for i, (model, qs, key, keys, condition, args) in enumerate(lookups):
        if not keys:
            parts.append("'0:0'")
            continue
        if reads_whole(qs, len(keys)):
            whole[i] = (qs.values_list(key, row_version()), keys)
            parts.append("''")  # summed here, below
            continue
        parts.append(_digest_sql(connection, model, f" WHERE {condition}"))
        params += args
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ARRAY[{', '.join(parts)}]::text[]", params)
        values = cursor.fetchone()[0]
    for i, (rows, keys) in whole.items():
        values[5 + i] = versions_digest(v for key, v in plain_rows(rows) if key in keys)
    return f"{'/'.join(values[:5])}|{values[5]}|{values[6]}"


SAVE_BATCH_SIZE = 5000
INSERT_FIELDS = ["id", "cadre", "unit", "track", "scores", *VOTE_NAMES]


@transaction.atomic
def scores_save(
    *,
    actor,
    period: Period,
    entries: list[dict],
    batch: str = "",
    source: str = "网页录入",
    within: Unit | None = None,
    check_row=None,
) -> dict:
    """Upsert indicator scores of many cadres at once, all or nothing.

    An entry is ``{"cadre": Cadre or id, "scores": {code: value}, "track": optional,
    "votes": optional {field: count}, "key": optional row label}``. A blank value clears that
    indicator (or count); codes and vote fields left out keep what is stored. The five 民主测评
    counts are whole numbers, 0 or more, recorded together or not at all (``check_votes``; its
    messages carry the field as their ``code``). An entry may also say whom it expects:
    ``"id_number"`` and ``"name"`` must then match the registry now (an import checks that
    nothing moved since its preview), and ``within`` confines every cadre to that unit's
    subtree. An entry naming a cadre by
    ``id_number`` that is unknown or outside the actor's scope gets the import's one message
    for both, so nothing about a cadre outside the scope is told. ``check_row(entry, kind=,
    track=, path=, specs=, old=, new=)`` (the import's ``Recheck``) returns further problems of
    an entry whose scores are valid. Any error anywhere raises ValidationError {key: [messages]}
    and writes nothing. No query per entry: one read per table, COPY-based writes on PostgreSQL."""
    period = _require_scoring(actor, period)
    scope = actor.scope_path
    ids = {cid for cid in (_cadre_id(e.get("cadre")) for e in entries) if cid is not None}
    paths = unit_paths()

    # The ID number's keyed hash, not the encrypted number: an entry's expected number is
    # compared by its hash (no decryption per row).
    cadres = {
        pk: (unit_id, kind, number_hash, name)
        for pk, unit_id, kind, number_hash, name in plain_rows(
            pick(Cadre.objects.order_by(), "pk", ids).values_list(
                "pk", "unit_id", "kind", "id_number_hash", "name"
            )
        )
        if pk in ids
    }
    # The stored counts only when an entry gives any (the same query, five more columns).
    stored_votes: dict[int, tuple] | None = {} if any("votes" in e for e in entries) else None
    existing = assessment_rows(period, ids, votes=stored_votes)
    specs = scheme_specs(period)
    tracks = TrackTable()  # read once, and only if an entry changes a track or a message names one

    errors: dict[str, list] = {}
    # (cadre_id, existing row or None, cadre unit, new track, new scores, (old, new) votes or None)
    planned = []
    seen: set[int] = set()
    for entry in entries:
        cadre_id = _cadre_id(entry.get("cadre"))
        key = str(entry.get("key") or cadre_id or entry.get("cadre"))
        problems: list[str] = []
        cadre = cadres.get(cadre_id)
        row = existing.get(cadre_id)
        if cadre is None:
            errors.setdefault(key, []).append(_unknown(entry, "干部不存在。"))
            continue
        # Scope before anything that reads the cadre's record (its name, its ID number).
        path = paths.get(row[1] if row else cadre[0], "")
        if scope is None or not path.startswith(scope):
            errors.setdefault(key, []).append(_unknown(entry, "该干部不在您的管辖范围内。"))
            continue
        if "id_number" in entry and idnumber.digest(entry["id_number"]) != cadre[2]:
            errors.setdefault(key, []).append("该干部的身份证号在预览后已被修改，请重新上传。")
            continue
        if entry.get("name") and not same_name(entry["name"], cadre[3]):
            errors.setdefault(key, []).append(
                f"该干部的姓名在预览后已被修改（现为 {cadre[3]}），请重新上传。"
            )
            continue
        if within is not None and not path.startswith(within.path):
            errors.setdefault(key, []).append(f"该干部不属于所选单位“{within.name}”。")
            continue
        if cadre_id in seen:
            errors.setdefault(key, []).append("同一干部在本次提交中出现多次。")
            continue
        seen.add(cadre_id)
        old_track = row[2] if row else ""
        track = entry.get("track", old_track)
        track = "" if track is None else str(track).strip()
        # a new assignment names an active track; the stored one may stay though deactivated since
        track_problem = tracks.problem(track, old=old_track)
        if track_problem:
            problems.append(track_problem)
            track = old_track
        old_scores = row[3] if row else {}
        cadre_specs = specs_for(specs, cadre[1])
        new_scores, score_problems = check_scores(
            entry.get("scores") or {}, cadre_specs, track, old_scores, tracks
        )
        problems += score_problems
        votes = None
        if "votes" in entry:
            old_votes = stored_votes.get(cadre_id, NO_VOTES) if row else NO_VOTES
            new_votes, vote_problems = check_votes(entry["votes"], old_votes)
            problems += vote_problems
            votes = (old_votes, new_votes)
        if check_row is not None and not problems:
            problems += check_row(
                entry,
                kind=cadre[1],
                track=track,
                path=path,
                specs=cadre_specs,
                old=old_scores,
                new=new_scores,
            )
        if problems:
            errors.setdefault(key, []).extend(problems)
            continue
        planned.append((cadre_id, row, cadre[0], track, new_scores, votes))
    if errors:
        raise ValidationError(errors)

    return _scores_write(actor=actor, period=period, planned=planned, batch=batch, source=source, paths=paths)


def _scores_write(*, actor, period: Period, planned: list, batch: str, source: str, paths: dict) -> dict:
    """Write scores already checked (``scores_save``'s second half, inside its transaction).

    ``planned`` holds ``(cadre id, its assessment row as assessment_rows gives it or None, the
    cadre's unit, new track, new scores, (old, new) vote counts or None)``; rows whose track,
    scores and counts are unchanged are left alone."""
    changed = []
    unchanged = 0
    for cadre_id, row, unit_id, track, new_scores, votes in planned:
        new_votes = votes[1] if votes is not None and votes[0] != votes[1] else None
        if row is None:
            if not (track or new_scores or new_votes):
                unchanged += 1  # nothing to store for a cadre without a row
                continue
            delta = score_delta(None, new_scores, "", track)
            if new_votes:
                delta.update(vote_delta(NO_VOTES, new_votes))
            changed.append((cadre_id, None, unit_id, track, new_scores, delta, new_votes))
            continue
        pk, unit_id, old_track, old_scores = row
        if track == old_track and new_scores == old_scores and new_votes is None:
            unchanged += 1
            continue
        delta = score_delta(old_scores, new_scores, old_track, track)
        if new_votes:
            delta.update(vote_delta(votes[0], new_votes))
        changed.append((cadre_id, pk, unit_id, track, new_scores, delta, new_votes))
    return _write_changed(
        actor=actor,
        period=period,
        changed=changed,
        unchanged=unchanged,
        batch=batch,
        source=source,
        paths=paths,
    )


def score_delta(old_scores: dict | None, new_scores: dict, old_track: str | None, track: str) -> dict:
    """The audit entry's changes of one assessment: ``audit.services.diff`` of
    ``{"scores", "track"}``, built directly (an import has 100,000 of them). ``old_scores`` None:
    a new assessment."""
    if old_scores is None:
        return {"scores": [None, new_scores], "track": [None, track]}
    delta = {"scores": [old_scores, new_scores]} if new_scores != old_scores else {}
    if track != old_track:
        delta["track"] = [old_track, track]
    return delta


def _write_changed(
    *,
    actor,
    period: Period,
    changed: list,
    unchanged: int,
    batch: str,
    source: str,
    paths: dict,
    guarded: bool = False,
) -> dict:
    """Write assessments known to change: ``changed`` holds ``(cadre id, assessment id or None
    for a new one, unit id, track, scores, audit changes, vote counts)``; scores and changes may
    be RawJSON (encoded already); the counts are the five to write, or None to leave the stored
    ones (none, for a new row) alone; ``unchanged`` (the rows left alone) is only reported back.
    Bulk insert and update, one audit entry per row, recomputation queued.

    ``guarded`` (PostgreSQL): each tuple ends with the version (``ROW_VERSION``) its assessment
    had when it was checked (None for a new one), and StalePlan is raised, before the audit
    trail is written, if any row has another now or a new one exists already: the caller rolls
    back and checks again. ``write_changed`` is this in its own transaction, for a caller that
    proved every other row still holds (an import whose preview ``scores_state`` shows current)."""
    batch = batch or new_batch_id("scores")
    now = timezone.now()
    label = Assessment._meta.label_lower
    title = str(period)
    inserts, updates, vote_updates, audit, touched = [], [], [], [], set()
    pks = iter(reserve_pks(Assessment, sum(1 for c in changed if c[1] is None)))
    create, update = AuditAction.CREATE, AuditAction.UPDATE
    for cadre_id, pk, unit_id, track, new_scores, delta, votes, *version in changed:
        if pk is None:
            pk = next(pks)
            inserts.append((pk, cadre_id, unit_id, track, new_scores, *(votes or NO_VOTES)))
            action = create
        elif votes is None:
            updates.append((pk, new_scores, track, *version))
            action = update
        else:  # (each row is in one UPDATE only: a second write would fail its guard)
            vote_updates.append((pk, new_scores, track, *votes, *version))
            action = update
        path = paths[unit_id]
        audit.append((action, label, str(pk), f"{title} {cadre_id}", delta, cadre_id, path))
        touched.add(path)

    try:
        bulk_insert(
            Assessment,
            inserts,
            fields=INSERT_FIELDS,
            constants={"period": period.pk, "updated_at": now},
            batch_size=SAVE_BATCH_SIZE,
        )
    except IntegrityError:
        if guarded:  # a cadre has an assessment in the period by now (one per cadre)
            raise StalePlan from None
        raise
    guard = ROW_VERSION_OF if guarded else None
    written = bulk_update_rows(
        Assessment, ["scores", "track"], updates, constants={"updated_at": now}, guard=guard
    )
    written += bulk_update_rows(
        Assessment, ["scores", "track", *VOTE_NAMES], vote_updates, constants={"updated_at": now}, guard=guard
    )
    if guarded and written != len(updates) + len(vote_updates):
        raise StalePlan
    if audit:
        audit_rows_bulk(actor=actor, rows=audit, batch=batch, reason=source)
    jobs = recompute_queue_paths(
        period=period, unit_paths=touched, actor=actor, reason=f"评分变更（{source}）"
    )
    return {
        "created": len(inserts),
        "updated": len(updates) + len(vote_updates),
        "unchanged": unchanged,
        "batch": batch,
        "jobs": [str(j.pk) for j in jobs],
    }


write_changed = transaction.atomic(_write_changed)


# ---------------------------------------------------------------- grade adjustments


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "调整等次必须填写理由。"})
    return reason


def _grade_fields(obj) -> dict:
    return {
        "computed_grade": obj.computed_grade,
        "final_grade": obj.final_grade,
        "override_grade": obj.override_grade,
        "override_reason": obj.override_reason,
    }


def _both_grades(reason: str, computed: str, final: str) -> str:
    return f"{reason}（计算等次：{computed or '未评定'}；最终等次：{final or '未评定'}）"


def _without_override_note(explanation: list) -> list:
    return [e for e in (explanation or []) if not (isinstance(e, dict) and e.get("rule") == "人工调整")]


# What grade-reports/ shows of a result: a change of any of them moves grade_changed_at.
REPORTED_FIELDS = (
    "total_score",
    "rank_in_unit",
    "final_grade",
    "grade_code",
    "explanation",
    "review_required",
)


def _reported(obj) -> tuple:
    return tuple(getattr(obj, name) for name in REPORTED_FIELDS)


def _stamp_if_regraded(obj, reported: tuple) -> None:
    if _reported(obj) != reported:
        obj.grade_changed_at = timezone.now()


def _apply_override(obj, grade: str, reason: str) -> None:
    obj.override_grade = grade
    obj.override_reason = reason if grade else ""
    obj.final_grade = grade or obj.computed_grade
    obj.explanation = _without_override_note(obj.explanation)
    if grade and grade != obj.computed_grade:
        obj.explanation.append(
            {
                "rule": "人工调整",
                "effect": grade,
                "facts": f"计算等次为{obj.computed_grade or '未评定'}，经调整并说明理由：{reason}",
            }
        )


def _locked_assessment(actor, assessment: Assessment) -> Assessment:
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("period", "unit", "cadre")
        .get(pk=assessment.pk)
    )
    if not unit_in_scope(actor, locked.unit):
        raise PermissionDenied("该考核结果不在您的管辖范围内。")
    return locked


def _require_overridable(period: Period) -> None:
    """Grades are adjusted by hand only while a period is open; a closed one needs a 更正."""
    if period.status in (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED):
        raise ValidationError(
            {"grade": f"考核期已{period.get_status_display()}，不能直接调整等次；如确需修改，请使用“更正”。"}
        )
    if period.status not in OVERRIDE_STATUSES:
        raise ValidationError({"grade": "考核期尚未开启采集评分，不能调整等次。"})


@transaction.atomic
def assessment_override(*, actor, assessment: Assessment, grade: str, reason: str) -> Assessment:
    """Set (or, with an empty grade, clear) the final grade by hand, with a reason."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权调整等次。")
    obj = _locked_assessment(actor, assessment)
    period = obj.period
    _require_overridable(period)
    grade = (grade or "").strip()
    if grade and grade not in period_scale(period):
        raise ValidationError(
            {"grade": f"等次“{grade}”不属于{period.kind_label}的等次（{'、'.join(period_scale(period))}）。"}
        )
    reason = _clean_reason(reason)
    before = _grade_fields(obj)
    before["grade_code"] = obj.grade_code
    reported = _reported(obj)
    _apply_override(obj, grade, reason)
    obj.grade_code = GRADE_CODES.get(obj.final_grade) if period.is_annual else None
    _stamp_if_regraded(obj, reported)
    obj.save(
        update_fields=[
            "override_grade",
            "override_reason",
            "final_grade",
            "grade_code",
            "explanation",
            "grade_changed_at",
            "updated_at",
        ]
    )
    after = {**_grade_fields(obj), "grade_code": obj.grade_code}
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=obj,
        before=before,
        after=after,
        cadre_id=obj.cadre_id,
        scope_path=obj.unit.path,
        reason=_both_grades(
            ("取消调整：" if not grade else "调整等次：") + reason, obj.computed_grade, obj.final_grade
        ),
    )
    return obj


@transaction.atomic
def assessment_correct(
    *,
    actor,
    assessment: Assessment,
    reason: str,
    scores: dict | None = None,
    grade: str | None = None,
    votes: dict | None = None,
) -> Assessment:
    """更正 a published result: new scores, grade and/or vote counts ({field: count}, checked as
    ``scores_save`` checks them), recomputed at once, audited with the reason."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权更正考核结果。")
    obj = _locked_assessment(actor, assessment)
    period = Period.objects.select_for_update().get(pk=obj.period_id)
    obj.period = period
    if period.status == PeriodStatus.ARCHIVED:
        raise ValidationError("考核期已归档，不能更正。")
    if period.status != PeriodStatus.PUBLISHED:
        raise ValidationError("只有已公布的考核结果需要更正；当前阶段请直接录入评分或调整等次。")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["更正必须填写理由。"]
    scores = dict(scores or {})
    new_scores = obj.scores or {}
    if scores:
        specs = specs_for(scheme_specs(period), obj.cadre.kind)
        new_scores, problems = check_scores(scores, specs, obj.track, obj.scores or {})
        if problems:
            errors["scores"] = problems
    if grade is not None:
        grade = grade.strip()
        if grade and grade not in period_scale(period):
            errors["grade"] = [f"等次“{grade}”不属于{period.kind_label}的等次。"]
    old_votes = tuple(getattr(obj, name) for name in VOTE_NAMES)
    new_votes = old_votes
    if votes is not None:
        new_votes, problems = check_votes(votes, old_votes)
        for problem in problems:
            errors.setdefault(problem.code, []).append(problem.messages[0])
    unchanged = new_scores == (obj.scores or {}) and new_votes == old_votes
    if not errors and unchanged and (grade is None or grade == obj.override_grade):
        errors["__all__"] = ["没有需要更正的内容：得分、票数和等次均未改变。"]
    if errors:
        raise ValidationError(errors)

    before = {"scores": obj.scores or {}, "total_score": _str(obj.total_score), **_grade_fields(obj)}
    before["grade_code"] = obj.grade_code
    before["appeal_grade"] = obj.appeal_grade
    before.update(zip(VOTE_NAMES, old_votes, strict=True))
    obj.scores = new_scores
    for name, count in zip(VOTE_NAMES, new_votes, strict=True):
        setattr(obj, name, count)
    reported = _reported(obj)
    if grade is not None:
        _apply_override(obj, grade, reason)
        # a 更正 of the grade comes after any 复核 decision and replaces it (the engine would
        # otherwise keep the decided grade over the corrected one)
        obj.appeal_grade = ""
    # the recomputation below stamps what it changes; the grade written here it finds already
    # written, so this stamps it
    _stamp_if_regraded(obj, reported)
    obj.save(
        update_fields=[
            "scores",
            *VOTE_NAMES,
            "appeal_grade",
            "override_grade",
            "override_reason",
            "final_grade",
            "explanation",
            "grade_changed_at",
            "updated_at",
        ]
    )
    period_recompute(period_id=period.pk, unit_path=obj.unit.path, force=True)
    obj.refresh_from_db()
    after = {"scores": obj.scores or {}, "total_score": _str(obj.total_score), **_grade_fields(obj)}
    after["grade_code"] = obj.grade_code
    after["appeal_grade"] = obj.appeal_grade
    after.update((name, getattr(obj, name)) for name in VOTE_NAMES)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=obj,
        before=before,
        after=after,
        cadre_id=obj.cadre_id,
        scope_path=obj.unit.path,
        reason=_both_grades(f"更正：{reason}", obj.computed_grade, obj.final_grade),
    )
    return obj


def _str(value) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def team_override(*, actor, team_assessment: TeamAssessment, grade: str, reason: str) -> TeamAssessment:
    """Set (or clear) a leadership team's final grade by hand, with a reason."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权调整等次。")
    obj = (
        TeamAssessment.objects.select_for_update(of=("self",))
        .select_related("period", "unit")
        .get(pk=team_assessment.pk)
    )
    if not unit_in_scope(actor, obj.unit):
        raise PermissionDenied("该班子考核结果不在您的管辖范围内。")
    period = obj.period
    _require_overridable(period)
    grade = (grade or "").strip()
    if grade and grade not in TEAM_SCALE:
        raise ValidationError({"grade": f"班子等次只能是{'、'.join(TEAM_SCALE)}。"})
    reason = _clean_reason(reason)
    before = _grade_fields(obj)
    _apply_override(obj, grade, reason)
    obj.save(update_fields=["override_grade", "override_reason", "final_grade", "explanation", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=obj,
        before=before,
        after=_grade_fields(obj),
        scope_path=obj.unit.path,
        reason=_both_grades(
            ("取消调整：" if not grade else "调整等次：") + reason, obj.computed_grade, obj.final_grade
        ),
    )
    return obj
