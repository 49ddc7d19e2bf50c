"""Excel assessment sheets: validate an uploaded sheet, preview what it changes, commit it.

``import_validate`` stores the upload as an ``ImportBatch``, parses it (``assessment.sheets``)
and checks every row against the database set-based: one query for the cadres of the sheet,
one for their assessments in the period, one for the scheme. It writes no score. The result is
the batch: status, counts, row-level errors ``[{row, column, message}]`` and a bounded preview.

``import_commit`` loads the rows the preview checked (kept beside the upload). If the
database's fingerprint of what the preview read is unchanged (``scores_state``, PostgreSQL),
it writes the preview's result as it is (``write_changed``); otherwise it hands every row to
``scores_save``, which checks each again against the database as it is now and refuses if
anything is wrong. Either way all or nothing, audited with ``batch="import:<id>"``,
recomputation queued. A sheet that changes nothing writes nothing and says so.

Sheets with more than ``settings.IMPORT_ASYNC_ROWS`` rows are validated and committed by a
background job (``import_queue``) whose progress the page and ``jobs/{id}/`` read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cadres import idnumber
from cadres.models import Cadre, Unit
from cadres.selectors import unit_in_scope, unit_label
from core.bulk import RawJSON, gc_paused, pick, plain_rows
from core.jobs import job_create, progress, register
from core.models import Job

from ..models import SCORING_STATUSES, VOTE_NAMES, ImportBatch, ImportStatus, Period, RuleKind
from ..sheets.parse import ParsedSheet, SheetRejected, read_sheet, same_name
from ..votes import NO_VOTES, check_votes, vote_delta
from .scores import (
    REFUSED,
    IndicatorSpec,
    StalePlan,
    _fmt,
    _require_scoring,
    assessment_rows,
    normalise,
    registry_state,
    row_version,
    scheme_specs,
    score_delta,
    scores_save,
    scores_state,
    specs_for,
    unit_paths,
    unknown_id,
    versions_digest,
    write_changed,
)

VALIDATE_JOB = "assessment.import_validate"
COMMIT_JOB = "assessment.import_commit"
# The layout of a stored plan's head (_plan_store); a plan of another layout is not shortcut,
# and one without "columns" (layout 2) is checked again from the sheet itself. (4: each write
# carries the vote counts to write.)
PLAN_FORMAT = 4
# How many changed rows the stored preview keeps for display; the counts are always complete.
PREVIEW_LIMIT = 500
# How many errors a batch keeps; a sheet wrong on every one of 100,000 rows says so in the message.
ERROR_LIMIT = 5000
NOTHING_TO_DO = "没有需要更新的数据：表中的得分与系统中一致，未写入任何数据。"
OVERTAKEN = (
    "没有需要写入的数据：预览时有变化的 {n} 行，其得分已在预览之后由另一次导入或录入写入，"
    "与表中一致，本次未写入任何数据。"
)
ALREADY_COMMITTED = "该批次已由另一次提交导入，本次没有写入任何数据。"
SOURCE = "Excel导入"


def async_rows() -> int:
    return int(getattr(settings, "IMPORT_ASYNC_ROWS", 5000))


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024))


class NeedsConfirmation(ValidationError):
    """The sheet has no column for some indicators of the scheme, every cadre of it has a score
    stored for them, and the user has not confirmed that those scores are kept. Nothing was
    written and the batch is still ``validated``: confirm (the page's checkbox, the API's
    ``keep_missing=true``, the command's ``--keep-missing``) and commit again."""


class ImportRejected(Exception):
    """The file itself was refused (not a spreadsheet, too large, hostile...): a 4xx, nothing
    written but the batch that records the refusal."""

    def __init__(self, batch: ImportBatch | None, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.batch = batch
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Plan:
    """What a sheet would do: errors, the entries for ``scores_save``, counts and the preview."""

    errors: list[dict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the indicator codes the sheet has a column for
    # Indicators of the scheme without a column whose stored scores the commit keeps (every
    # cadre of the sheet has one): {"code", "name"}; committing needs the user's confirmation.
    kept: list[dict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # header texts of the columns not read
    readings: list[dict] = field(default_factory=list)  # text cells read as numbers (parse)
    # The database's fingerprint (scores_state) taken before the rows were read, and the scope
    # they were checked against: if both are the same at commit, the check still holds.
    state: str | None = None
    scope: str | None = None
    cadres: list[int] = field(default_factory=list)  # whose rows the fingerprint covers
    # The rows that change, ready for write_changed: (cadre, assessment id or None, unit, track,
    # new scores, audit changes, vote counts or None, row version), scores and changes encoded.
    writes: list[list] = field(default_factory=list)
    rows_total: int = 0
    rows_ok: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    values_new: int = 0
    values_changed: int = 0
    changes: list[dict] = field(default_factory=list)
    changes_total: int = 0

    def error(self, row, column: str, message: str, col=None) -> None:
        self.errors.append({"row": row, "column": column, "message": message, "col": col})

    @property
    def preview(self) -> dict:
        return {
            "new": self.rows_new,
            "changed": self.rows_changed,
            "unchanged": self.rows_unchanged,
            "values_new": self.values_new,
            "values_changed": self.values_changed,
            "rows": self.changes,
            "truncated": self.changes_total > len(self.changes),
            "kept": self.kept,
            "ignored": self.ignored,
            "readings": self.readings,
        }


# ---------------------------------------------------------------- reading


def indicator_codes(period: Period, specs: dict | None = None) -> list[str]:
    """Every indicator code of the period's schemes (base first), each once."""
    codes: list[str] = []
    for by_code in (scheme_specs(period) if specs is None else specs).values():
        for code in by_code:
            if code not in codes:
                codes.append(code)
    return codes


def indicator_names(specs: dict) -> dict[str, str]:
    """{indicator name: code} of the period's schemes, for headers that give the name."""
    return {spec.name: code for by_code in specs.values() for code, spec in by_code.items() if spec.name}


def _is_quarterly(period: Period) -> bool:
    return period.quarter is not None


@gc_paused()
def read_batch_file(batch: ImportBatch, *, sheet: str | None = None) -> ParsedSheet:
    with batch.file.open("rb") as fh:
        data = fh.read()
    specs = scheme_specs(batch.period)
    return read_sheet(
        data,
        filename=batch.original_name,
        indicator_codes=indicator_codes(batch.period, specs),
        indicator_names=indicator_names(specs),
        quarterly=_is_quarterly(batch.period),
        sheet=sheet,
        max_bytes=max_bytes(),
    )


# ---------------------------------------------------------------- the plan


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _fmt(value)
    return str(value)


class QuarterGradeCheck:
    """A quarterly sheet's 等次 column must agree with its score.

    The grade is computed from the score (the unit's quarterly thresholds, a policy rule), so a
    typed grade that the score does not earn is a mistake in one of the two cells: an error
    naming both, never a silent choice between them."""

    def __init__(self, period: Period):
        from .recompute import indicators_by_category, policy_resolver

        self.indicators = indicators_by_category(period)
        self.resolver = policy_resolver()
        self.pairs: dict[tuple[str, str], list] = {}
        self.thresholds: dict[str, dict] = {}

    def problem(self, grade: str, kind: str, track: str, path: str, scores: dict) -> str | None:
        """None when ``grade`` is the one ``scores`` earn (or cannot be checked yet)."""
        from ..grading import applicable, factors, quarter_grade, weighted_total

        pairs = self.pairs.get((kind, track))
        if pairs is None:
            indicators = self.indicators.get(kind) or self.indicators.get("", [])
            pairs = self.pairs[(kind, track)] = factors(applicable(indicators, track))
        total, _ = weighted_total(scores, pairs)
        if total is None:
            return None  # no complete score yet: the grade cannot be checked, nor is it stored
        th = self.thresholds.get(path)
        if th is None:
            th = self.thresholds[path] = self.resolver.policy(path).one(RuleKind.QUARTER_THRESHOLDS) or {}
        expected, _ = quarter_grade(total, th)
        if expected == grade:
            return None
        return f"等次“{grade}”与得分不符：得分 {_fmt(total)}，按本单位季度分数线应为“{expected}”。请核对得分或等次。"


def absent_codes(cadre_specs: dict[str, IndicatorSpec], track: str, columns) -> list[str]:
    """The indicators that apply to a cadre (its scheme; a track's own indicators only on that
    track) and have no column in the sheet."""
    return [
        code
        for code, spec in cadre_specs.items()
        if code not in columns and (not spec.individual or spec.track == track)
    ]


def quoted(codes) -> str:
    return "、".join(f"“{c}”" for c in codes)


class Recheck:
    """The checks of ``plan_sheet`` that ``scores_save`` does not make, for the commit's check
    of the stored rows against the database as it is then: an indicator of the scheme without
    a column must be one the user confirmed to keep, and the cadre must have a score stored for
    it; a quarterly 等次 must still be the grade its score earns. ``scores_save`` calls it per
    row (``check_row``); what it works out is kept per cadre kind and track, so a row costs a
    few dict lookups and no query."""

    def __init__(self, period: Period, columns, confirmed: set[str] | None):
        self.columns = set(columns)
        self.confirmed = confirmed  # None: whatever the sheet lacks (confirmed without a preview)
        self.absent: dict[tuple[str, str], list[str]] = {}
        self.grades = QuarterGradeCheck(period) if _is_quarterly(period) else None

    def __call__(self, entry: dict, *, kind: str, track: str, path: str, specs, old: dict, new: dict):
        problems = []
        absent = self.absent.get((kind, track))
        if absent is None:
            absent = self.absent[(kind, track)] = absent_codes(specs, track, self.columns)
        for code in absent:
            if self.confirmed is not None and code not in self.confirmed:
                problems.append(
                    f"表中没有“{code}”列（预览之后考核方案有变化），请按现在的方案补上该列后重新上传。"
                )
            elif old.get(code) is None:
                problems.append(
                    f"表中没有“{code}”列，而该干部在系统中还没有该指标的得分；请补上该列后重新上传。"
                )
        grade = entry.get("grade")
        if grade and self.grades is not None:
            problem = self.grades.problem(grade, kind, track, path, new)
            if problem:
                problems.append(problem)
        return problems


def plan_sheet(
    *, actor, period: Period, unit: Unit | None, parsed: ParsedSheet, job: Job | None = None
) -> Plan:
    """Check every row of ``parsed`` against the database and work out the diff. No writes.

    An indicator of the scheme that applies to the sheet's cadres but has no column in it: if
    every one of them has a score stored for it, the commit keeps those (``plan.kept``, which
    the user must confirm); if any has none (the indicator's first upload for that cadre),
    it is an error for the whole sheet."""
    plan = Plan(rows_total=len(parsed.rows))
    for e in parsed.errors:
        plan.error(e.row, e.column, e.message, e.col)
    plan.ignored = parsed.ignored_headers
    plan.readings = parsed.readings
    status = Period.objects.filter(pk=period.pk).values_list("status", flat=True).first()
    if status not in SCORING_STATUSES:
        plan.error(None, "", REFUSED.get(status, "当前阶段不能录入评分。").replace("录入评分", "导入评分"))
        return plan

    headers = parsed.headers
    col_of = parsed.columns

    def header(code: str, fallback: str) -> str:
        col = col_of.get(code)
        return headers.get(col, fallback) if col is not None else fallback

    # The small tables before they are read; the cadres' and assessments' row versions come
    # with the rows. A write after this point gives the commit another fingerprint.
    plan.scope = actor.scope_path
    registry = registry_state(period)
    id_header = header("id_number", "身份证号")
    name_header = header("name", "姓名")
    id_col = col_of.get("id_number")
    name_col = col_of.get("name")
    bad_rows = {e.row for e in parsed.errors if e.row is not None}

    # ID numbers are encrypted in the registry: the sheet's are found by their keyed hash,
    # computed here in one pass (no clear number is sent to the database or decrypted).
    digest = idnumber.digester()
    ids = {r.id_number for r in parsed.rows if r.id_number}
    number_of = {digest(number): number for number in ids}
    # units by their label (光明村（城关镇） where two share a name), as the preview and messages show them
    labelled = Unit.objects.order_by().annotate(label=unit_label()).values_list("pk", "path", "label")
    units = {pk: (path, label) for pk, path, label in labelled}
    cadres: dict[str, tuple] = {}
    cadre_versions: list[int] = []
    for row in plain_rows(
        pick(Cadre.objects.order_by(), "id_number_hash", number_of).values_list(
            "id_number_hash", "pk", "name", "unit_id", "kind", row_version()
        )
    ):
        number = number_of.get(row[0])
        if number is not None:
            cadres[number] = (number, *row[1:5])
            cadre_versions.append(row[5])
    versions: dict[int, int] = {}
    # 民主测评 vote columns are optional; the stored counts are read (same query) only if any.
    vote_cols = [name for name in VOTE_NAMES if name in col_of]
    stored_votes: dict[int, tuple] | None = {} if vote_cols else None
    existing = assessment_rows(period, (c[1] for c in cadres.values()), versions=versions, votes=stored_votes)
    specs = scheme_specs(period)
    kind_specs: dict[str, dict[str, IndicatorSpec]] = {}  # specs_for, once per cadre kind
    scope = actor.scope_path
    within = unit.path if unit is not None else None
    quarterly = _is_quarterly(period)
    seen: dict[int, int] = {}
    column_of = {code: header(code, code) for codes in specs.values() for code in codes}
    column_of.update({code: header(code, code) for code in col_of})
    vote_where = {name: f"“{column_of[name]}”列" for name in vote_cols}
    numbers: dict[Decimal, int | float] = {}  # sheets repeat the same few scores
    grade_check = QuarterGradeCheck(period) if quarterly else None
    grade_header, grade_col = header("grade", "等次"), col_of.get("grade")
    plan.columns = [code for codes in specs.values() for code in codes if code in col_of]
    plan.columns = list(dict.fromkeys(plan.columns))
    absent_for: dict[tuple[str, str], list[str]] = {}  # absent_codes, once per kind and track
    lacking: dict[str, int] = {}  # indicator without a column -> cadres with no stored score
    having: dict[str, int] = {}  # ... -> cadres with one (kept)
    dumps = orjson.dumps
    entries, writes = plan.entries, plan.writes

    for i, prow in enumerate(parsed.rows):
        if job is not None and i and i % 10000 == 0:
            progress(job, i, plan.rows_total)
        r = prow.row
        if r in bad_rows:
            continue
        if quarterly and prow.quarter not in (None, period.quarter):
            plan.error(
                r,
                header("quarter", "季度"),
                f"季度为第{prow.quarter}季度，与考核期（第{period.quarter}季度）不符。",
            )
            continue
        id_number = prow.id_number
        if not id_number:
            plan.error(r, id_header, "缺少身份证号。", id_col)
            continue
        cadre = cadres.get(id_number)
        if cadre is None:
            plan.error(r, id_header, unknown_id(id_number), id_col)
            continue
        _, cadre_id, cadre_name, cadre_unit, kind = cadre
        old = existing.get(cadre_id)
        path, unit_name = units.get(old[1] if old else cadre_unit, ("", ""))
        # Scope first: nothing about a cadre outside it (name, unit, that the number exists)
        # may reach the uploader, so such a row reads exactly like an unknown ID number.
        if scope is None or not path.startswith(scope):
            plan.error(r, id_header, unknown_id(id_number), id_col)
            continue
        name = prow.name
        if name and not same_name(name, cadre_name):
            plan.error(r, name_header, f"姓名与身份证号登记的姓名不一致（系统中为 {cadre_name}）。", name_col)
            continue
        if within is not None and not path.startswith(within):
            plan.error(
                r,
                id_header,
                f"第{r}行的干部 {cadre_name}（{unit_name}）不属于所选单位“{units.get(unit.pk, ('', unit.name))[1]}”。",
                id_col,
            )
            continue
        if cadre_id in seen:
            plan.error(
                r,
                id_header,
                f"与第{seen[cadre_id]}行是同一干部（{cadre_name}），同一干部只能出现一次。",
                id_col,
            )
            continue
        seen[cadre_id] = r
        cadre_specs = kind_specs.get(kind)
        if cadre_specs is None:
            cadre_specs = kind_specs[kind] = specs_for(specs, kind)
        if old:
            track, old_scores = old[2], old[3]
        else:
            track, old_scores = "", {}
        absent = absent_for.get((kind, track))
        if absent is None:
            absent = absent_for[(kind, track)] = absent_codes(cadre_specs, track, col_of)
        for code in absent:  # (none, on a sheet with every column)
            counts = lacking if old_scores.get(code) is None else having
            counts[code] = counts.get(code, 0) + 1
        problems = False
        values: dict = {}  # every value of the row, for the commit
        row_new = row_changed = 0
        for code, value in prow.values.items():
            if value is None:
                continue  # blank leaves the stored score as it is
            spec = cadre_specs.get(code)
            if spec is None:
                plan.error(r, column_of[code], f"该干部适用的考核方案中没有指标“{code}”。", col_of.get(code))
                problems = True
                continue
            number = numbers.get(value)
            if number is None:
                number = numbers[value] = normalise(value)
            low, high = spec.bounds
            if not low <= number <= high:
                plan.error(
                    r,
                    column_of[code],
                    f"得分 {_fmt(value)} 超出范围（{_fmt(spec.min_score)}–{_fmt(spec.max_score)}）。",
                    col_of.get(code),
                )
                problems = True
                continue
            if spec.individual and spec.track != track:
                plan.error(
                    r,
                    column_of[code],
                    f"指标“{code}”只适用于特定赛道，该干部不适用，请留空。",
                    col_of.get(code),
                )
                problems = True
                continue
            values[code] = number
            before = old_scores.get(code)
            # Stored scores were written by normalise() too, so equal numbers compare equal.
            if before == number and type(before) is not bool:
                continue
            if before is None:
                row_new += 1
            else:
                row_changed += 1
        old_votes = new_votes = NO_VOTES
        given_votes = None
        if vote_cols:
            # blank leaves the stored count as it is, like a score
            given_votes = {name: v for name, v in prow.votes.items() if v is not None}
            old_votes = stored_votes.get(cadre_id, NO_VOTES) if old else NO_VOTES
            new_votes, vote_problems = check_votes(given_votes, old_votes, where=vote_where)
            for problem in vote_problems:
                plan.error(r, column_of.get(problem.code, ""), problem.messages[0], col_of.get(problem.code))
                problems = True
            for before, after in zip(old_votes, new_votes, strict=True):
                if before != after:
                    if before is None:
                        row_new += 1
                    else:
                        row_changed += 1
        if not problems and grade_check is not None and prow.grade:
            problem = grade_check.problem(prow.grade, kind, track, path, {**old_scores, **values})
            if problem:
                plan.error(r, grade_header, problem, grade_col)
                problems = True
        if problems:
            continue
        plan.rows_ok += 1
        if values or given_votes:
            # The whole row, not only what differs now: the commit writes what the sheet says
            # even if the database changed after this preview, and scores_save works out the
            # real difference then. id_number and name let it check the row still means the
            # same cadre.
            entry = {"cadre": cadre_id, "scores": values, "key": str(r), "id_number": id_number}
            if name:
                entry["name"] = cadre_name  # as registered: the commit checks it still is
            if prow.grade and grade_check is not None:
                entry["grade"] = prow.grade  # checked again at commit (Recheck)
            if given_votes:
                entry["votes"] = {name: int(v) for name, v in given_votes.items()}
            entries.append(entry)
        if not (row_new or row_changed):
            plan.rows_unchanged += 1
            continue
        new_scores = {**old_scores, **values}
        delta = score_delta(old_scores if old else None, new_scores, track, track)
        votes_changed = new_votes != old_votes
        if votes_changed:
            delta.update(vote_delta(old_votes, new_votes))
        writes.append(
            [
                cadre_id,
                old[0] if old else None,
                old[1] if old else cadre_unit,
                track,
                dumps(new_scores).decode(),
                dumps(delta).decode(),
                new_votes if votes_changed else None,
                versions.get(cadre_id) if old else None,
            ]
        )
        if row_changed:
            plan.rows_changed += 1
        else:
            plan.rows_new += 1
        plan.values_new += row_new
        plan.values_changed += row_changed
        plan.changes_total += 1
        if len(plan.changes) < PREVIEW_LIMIT:
            row_changes = [
                {"code": code, "column": column_of[code], "old": _show(old_scores.get(code)), "new": _show(v)}
                for code, v in values.items()
                if not (old_scores.get(code) == v and type(old_scores.get(code)) is not bool)
            ]
            row_changes += [
                {"code": name, "column": column_of[name], "old": _show(before), "new": _show(after)}
                for name, before, after in zip(VOTE_NAMES, old_votes, new_votes, strict=True)
                if before != after
            ]
            plan.changes.append(
                {
                    "row": r,
                    "name": cadre_name,
                    "unit": unit_name,
                    "kind": "changed" if row_changed else "new",
                    "changes": row_changes,
                }
            )
    _absent_columns(plan, specs, lacking, having)
    if registry is not None:
        # The commit checks the assessments it writes in its UPDATE (each write carries its
        # version); the fingerprint covers the cadres and every other assessment read.
        plan.cadres = [c[1] for c in cadres.values()]
        alone = left_alone(plan.cadres, writes)
        plan.state = (
            f"{registry}|{versions_digest(cadre_versions)}|"
            f"{versions_digest(versions[c] for c in alone if c in versions)}"
        )
    plan.errors.sort(key=lambda e: (e["row"] is not None, e["row"] or 0))
    return plan


def _absent_columns(plan: Plan, specs: dict, lacking: dict[str, int], having: dict[str, int]) -> None:
    """Say which indicators of the scheme the sheet has no column for: an error for the whole
    sheet where a cadre has no score stored for one, else the list the user must confirm."""
    names = {code: spec.name for by_code in specs.values() for code, spec in by_code.items()}
    hint = ""
    if plan.ignored:
        hint = f"表中未能识别的列：{quoted(plan.ignored)}。"
    for code in names:  # in the scheme's order
        if code in lacking:
            plan.error(
                None,
                "",
                f"表中没有“{code}”列：考核方案有该指标，表中 {lacking[code]} 位干部在系统中还没有该指标的得分，"
                f"不能缺少该列。{hint}请补上“{code}”列（表头写作“{code}”或“{code}得分”）后重新上传。",
            )
        elif code in having:
            plan.kept.append({"code": code, "name": names[code]})


def kept_message(kept: list[dict]) -> str:
    codes = [k["code"] for k in kept]
    return (
        f"表中没有{quoted(codes)}列：确认导入时，这些指标保留系统中已有的得分，不作修改。"
        "如表中本应有这些列，请检查表头后重新上传。"
    )


def confirmation_needed(batch: ImportBatch, keep_missing: bool) -> str:
    """The reason a commit of ``batch`` must wait for the user's confirmation, or ""."""
    kept = (batch.preview or {}).get("kept") or []
    if not kept or keep_missing:
        return ""
    return f"请先确认：{kept_message(kept)}未写入任何数据。"


# ---------------------------------------------------------------- batches


def _check_actor(actor, period: Period, unit: Unit | None) -> None:
    if not actor.can("import_sheets"):
        raise PermissionDenied("您的角色无权导入评分表。")
    if actor.scope_path is None:
        raise PermissionDenied("您的账号未设置所属单位，无法导入评分表。")
    if unit is not None and not unit_in_scope(actor, unit):
        raise PermissionDenied("所选单位不在您的管辖范围内。")


def _store_errors(batch: ImportBatch, errors: list[dict]) -> None:
    batch.errors = errors[:ERROR_LIMIT]
    if len(errors) > ERROR_LIMIT:
        batch.message = f"共发现 {len(errors)} 处错误，仅保存前 {ERROR_LIMIT} 条；请修改后重新上传。"


def _apply_plan(batch: ImportBatch, plan: Plan) -> ImportBatch:
    batch.rows_total = plan.rows_total
    batch.rows_ok = plan.rows_ok
    batch.rows_new = plan.rows_new
    batch.rows_changed = plan.rows_changed
    batch.rows_unchanged = plan.rows_unchanged
    batch.preview = plan.preview
    batch.message = ""
    _store_errors(batch, plan.errors)
    if plan.errors:
        batch.status = ImportStatus.INVALID
        if not batch.message:
            batch.message = f"发现 {len(plan.errors)} 处错误，未写入任何数据；请修改后重新上传。"
    else:
        batch.status = ImportStatus.VALIDATED
        if plan.kept:
            batch.message = kept_message(plan.kept)
        elif not plan.changes_total:
            batch.message = NOTHING_TO_DO
    return batch


def _plan_store(batch: ImportBatch, plan: Plan) -> None:
    """Keep the validated rows beside the upload, so the commit need not parse and check the
    sheet again (orjson: 100,000 rows in about 0.1 s either way)."""
    _plan_drop(batch)
    if batch.status == ImportStatus.VALIDATED and plan.entries:
        # Two JSON documents, one per line: what the commit's shortcut needs, then the entries
        # for checking again, so the shortcut does not decode those at all.
        head = {
            "format": PLAN_FORMAT,
            "state": plan.state,
            "scope": plan.scope,
            "cadres": plan.cadres,
            "writes": plan.writes,
            "columns": plan.columns,
        }
        data = orjson.dumps(head) + b"\n" + orjson.dumps(plan.entries)
        batch.plan.save(f"{batch.pk}.json", ContentFile(data), save=False)


def _plan_drop(batch: ImportBatch) -> None:
    if batch.plan:
        batch.plan.delete(save=False)


class StoredPlan:
    """A validated batch's plan as _plan_store kept it: ``head`` (fingerprint, scope, writes)
    decoded at once, ``entries()`` only when the commit has to check every row again."""

    def __init__(self, head: dict, entries: bytes):
        self.head = head
        self._entries = entries

    def entries(self) -> list[dict] | None:
        try:
            entries = orjson.loads(self._entries)
        except orjson.JSONDecodeError:
            return None
        return entries if isinstance(entries, list) else None


def _plan_load(batch: ImportBatch) -> StoredPlan | None:
    if not batch.plan:
        return None
    try:
        with batch.plan.open("rb") as fh:
            head, _, entries = fh.read().partition(b"\n")
        head = orjson.loads(head)
    except (OSError, orjson.JSONDecodeError):
        return None  # lost or damaged: the commit checks the sheet again instead
    if not isinstance(head, dict):
        return None
    return StoredPlan(head, entries)


def _reject(batch: ImportBatch, exc: SheetRejected) -> ImportRejected:
    batch.status = ImportStatus.INVALID
    batch.errors = [{"row": None, "column": "", "message": exc.message, "col": None}]
    batch.message = exc.message
    batch.save(update_fields=["status", "errors", "message"])
    return ImportRejected(batch, exc.code, exc.message, exc.status)


def batch_create(*, actor, period: Period, unit: Unit | None, data: bytes, filename: str) -> ImportBatch:
    """Record the upload. Files over the size limit are refused before anything is stored."""
    _check_actor(actor, period, unit)
    name = PurePath(filename or "upload").name[:200] or "upload"
    if len(data) > max_bytes():
        raise ImportRejected(
            None,
            "too_large",
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为 {max_bytes() // 1024 // 1024} MB。",
            413,
        )
    batch = ImportBatch(
        period=period,
        unit=unit,
        scope_path=unit.path if unit is not None else actor.scope_path,
        uploaded_by=actor,
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        status=ImportStatus.VALIDATING,
    )
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    return batch


def batch_parse(batch: ImportBatch, *, sheet: str | None = None) -> ParsedSheet:
    try:
        return read_batch_file(batch, sheet=sheet)
    except SheetRejected as exc:
        raise _reject(batch, exc) from None


@gc_paused()
def batch_validate(
    *,
    actor,
    batch: ImportBatch,
    job: Job | None = None,
    sheet: str | None = None,
    parsed: ParsedSheet | None = None,
) -> ImportBatch:
    """Parse the stored file (unless given parsed) and check it; the batch ends ``invalid`` or
    ``validated``. Raises ImportRejected for a refused file."""
    if parsed is None:
        parsed = batch_parse(batch, sheet=sheet)
    if job is not None:
        progress(job, 0, len(parsed.rows))
    plan = plan_sheet(actor=actor, period=batch.period, unit=batch.unit, parsed=parsed, job=job)
    _apply_plan(batch, plan)
    _plan_store(batch, plan)
    if batch.status == ImportStatus.VALIDATED and plan.changes_total:
        earlier = (
            ImportBatch.objects.filter(
                period=batch.period, sha256=batch.sha256, status=ImportStatus.COMMITTED
            )
            .exclude(pk=batch.pk)
            .order_by("-committed_at")
            .values_list("committed_at", flat=True)
            .first()
        )
        if earlier:
            batch.message = (
                f"同一文件已于 {timezone.localtime(earlier):%Y-%m-%d %H:%M} 导入过，此后系统中的得分有变化。"
                + batch.message
            )
    batch.save()
    return batch


def import_validate(
    *,
    actor,
    period: Period,
    unit: Unit | None = None,
    data: bytes,
    filename: str,
    sheet: str | None = None,
) -> ImportBatch:
    """Store, parse and check a sheet, synchronously. Raises ImportRejected for a refused file
    (the batch records it); a sheet with row errors returns the batch with status ``invalid``."""
    batch = batch_create(actor=actor, period=period, unit=unit, data=data, filename=filename)
    return batch_validate(actor=actor, batch=batch, sheet=sheet)


def import_start(
    *,
    actor,
    period: Period,
    unit: Unit | None = None,
    data: bytes,
    filename: str,
    commit: bool = False,
    sheet: str | None = None,
    keep_missing: bool = False,
) -> ImportBatch:
    """The entry of the page, the API and the command: store and parse the sheet (a refused file
    raises ImportRejected at once), then check it here, or, for a sheet of more than
    ``IMPORT_ASYNC_ROWS`` rows, in a background job (``batch.job``). With ``commit`` a sheet
    without errors is committed straight away (API clients do not preview), unless it lacks
    columns whose stored scores it would keep and ``keep_missing`` does not confirm that: then
    the batch stays ``validated`` (``confirmation_needed`` says why)."""
    batch = batch_create(actor=actor, period=period, unit=unit, data=data, filename=filename)
    parsed = batch_parse(batch, sheet=sheet)
    if len(parsed.rows) > async_rows():
        batch.rows_total = len(parsed.rows)
        batch.save(update_fields=["rows_total"])
        del parsed
        import_queue(actor=actor, batch=batch, commit=commit, sheet=sheet, keep_missing=keep_missing)
        batch.refresh_from_db()
        return batch
    batch = batch_validate(actor=actor, batch=batch, sheet=sheet, parsed=parsed)
    if commit and batch.status == ImportStatus.VALIDATED:
        try:
            batch = import_commit(actor=actor, batch=batch, sheet=sheet, keep_missing=keep_missing)
        except ValidationError:
            batch.refresh_from_db()
    return batch


def _row_errors(exc: ValidationError, batch: ImportBatch) -> list[dict]:
    out = []
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            row = int(key) if str(key).isdigit() else None
            for message in messages:
                out.append({"row": row, "column": "", "message": message, "col": None})
    else:
        out = [{"row": None, "column": "", "message": m, "col": None} for m in exc.messages]
    return out


@gc_paused()
def import_commit(
    *,
    actor,
    batch: ImportBatch,
    job: Job | None = None,
    sheet: str | None = None,
    keep_missing: bool = False,
) -> ImportBatch:
    """Commit a validated batch: re-check against the database now, then one ``scores_save``.

    All or nothing. A batch already committed is returned as it is (committing twice writes once).
    Raises ValidationError when the sheet is no longer valid (the batch keeps the errors), and
    NeedsConfirmation, changing nothing, when the preview listed indicators without a column
    (``kept``) and ``keep_missing`` does not confirm keeping their stored scores."""
    if not actor.can("import_sheets"):
        raise PermissionDenied("您的角色无权导入评分表。")
    try:
        return _commit(actor=actor, batch=batch, job=job, sheet=sheet, keep_missing=keep_missing)
    except (ValidationError, PermissionDenied):
        raise
    except Exception as exc:  # nothing was written (one transaction); the batch says so
        batch_fail(batch, f"导入失败，未写入任何数据：{type(exc).__name__}")
        raise


def _commit(
    *, actor, batch: ImportBatch, job: Job | None, sheet: str | None, keep_missing: bool
) -> ImportBatch:
    with transaction.atomic():
        locked = (
            ImportBatch.objects.select_for_update(of=("self",))
            .select_related("period", "unit")
            .get(pk=batch.pk)
        )
        if locked.status == ImportStatus.COMMITTED:
            # Committed by another request meanwhile (a double click, two tabs): this one writes
            # nothing and says so; the batch keeps the counts of the commit that wrote them.
            locked.already_committed = True
            return locked
        if locked.status not in (ImportStatus.VALIDATED, ImportStatus.PENDING, ImportStatus.VALIDATING):
            raise ValidationError("该批次未通过校验，不能导入；请修改后重新上传。")
        # The indicators without a column the user confirmed to keep: those the preview listed
        # (a batch not previewed: whatever the check below finds, if confirmed at all).
        previewed = locked.status == ImportStatus.VALIDATED
        refused = confirmation_needed(locked, keep_missing) if previewed else ""
        if refused:
            raise NeedsConfirmation(refused)
        if previewed or not keep_missing:
            confirmed = (
                {k["code"] for k in (locked.preview or {}).get("kept") or []} if keep_missing else set()
            )
        else:
            confirmed = None
        # The rows validated at preview time. If nothing the preview read has been written since
        # (the fingerprint), its result is written as it is. Otherwise scores_save checks each
        # row again against the database as it is now (period open, cadre in scope and in the
        # unit, same ID number and name, scores in range for the cadre's scheme) and diffs
        # against the stored scores.
        stored = _plan_load(locked) if locked.status == ImportStatus.VALIDATED else None
        shortcut = stored is not None and _still_current(actor, locked.period, stored.head)
        total = locked.rows_total
        result = None
        if shortcut:
            if job is not None:
                progress(job, total // 2, total)
            try:
                with transaction.atomic():
                    result = _write_checked(actor, locked, stored.head.get("writes") or [])
            except StalePlan:  # a row it was writing changed after all: check every row again
                shortcut = False
        entries = None
        if stored is not None and not shortcut and "columns" in stored.head:
            entries = stored.entries()  # (a plan of layout 2 cannot say which columns it had)
        errors: list[dict] = []
        replanned = not shortcut and entries is None
        if replanned:  # no stored plan (validated elsewhere, or lost): check the sheet again
            try:
                parsed = read_batch_file(locked, sheet=sheet)
            except SheetRejected as exc:
                raise ValidationError(exc.message) from None
            if job is not None:
                progress(job, 0, len(parsed.rows))
            plan = plan_sheet(actor=actor, period=locked.period, unit=locked.unit, parsed=parsed, job=job)
            del parsed
            unconfirmed = [
                k["code"] for k in plan.kept if confirmed is not None and k["code"] not in confirmed
            ]
            if unconfirmed:
                plan.error(
                    None,
                    "",
                    f"表中没有{quoted(unconfirmed)}列，而确认导入时没有确认保留这些指标的原有得分"
                    "（预览之后考核方案或系统中的得分有变化）。请重新上传后再确认。",
                )
            _apply_plan(locked, plan)
            errors, entries = plan.errors, plan.entries
            columns = plan.columns
        else:
            columns = stored.head.get("columns") or [] if stored is not None else []
        total = locked.rows_total
        if not shortcut and job is not None:
            progress(job, total // 2, total)
        if not shortcut and not errors and entries:
            try:
                with transaction.atomic():
                    result = scores_save(
                        actor=actor,
                        period=locked.period,
                        entries=entries,
                        batch=f"import:{locked.pk}",
                        source=SOURCE,
                        within=locked.unit,
                        check_row=Recheck(locked.period, columns, confirmed),
                    )
            except ValidationError as exc:
                errors = _row_errors(exc, locked)
        del entries
        if errors:
            _store_errors(locked, errors)
            locked.status = ImportStatus.INVALID
            locked.message = "导入前重新校验发现错误（系统中的数据可能已变化），未写入任何数据。"
        else:
            locked.status = ImportStatus.COMMITTED
            locked.committed_at = timezone.now()
            locked.message = NOTHING_TO_DO
            expected = locked.rows_new + locked.rows_changed
            if result is not None and (result["created"] or result["updated"]):
                locked.audit_batch = result["batch"]
                locked.message = _committed_message(locked, result)
            elif expected:  # the preview's changes were written by someone else meanwhile
                locked.message = OVERTAKEN.format(n=expected)
            written = (result["created"] + result["updated"]) if result else 0
            if written != expected:
                # the counts say what this commit wrote, not what the preview expected
                locked.rows_new = result["created"] if result else 0
                locked.rows_changed = result["updated"] if result else 0
                locked.rows_unchanged = locked.rows_ok - locked.rows_new - locked.rows_changed
        _plan_drop(locked)
        # Without a fresh plan only these changed; the stored preview is left as it is.
        locked.save(
            update_fields=None
            if replanned
            else [
                "status",
                "committed_at",
                "message",
                "audit_batch",
                "plan",
                "errors",
                "rows_new",
                "rows_changed",
                "rows_unchanged",
            ]  # fmt: skip
        )
        if job is not None:
            progress(job, total, total)
    if errors:
        raise ValidationError(locked.message)
    return locked


def _still_current(actor, period: Period, stored: dict) -> bool:
    """Whether the preview's check still holds: same scope, and nothing it read was written
    since (the database's fingerprint, taken before the preview read anything, is unchanged)."""
    state = stored.get("state")
    if state is None or stored.get("scope") != actor.scope_path or stored.get("format") != PLAN_FORMAT:
        return False  # (a plan stored by an earlier version is checked again, row by row)
    cadres = stored.get("cadres") or []
    return scores_state(period, cadres, assessed=left_alone(cadres, stored.get("writes") or [])) == state


def left_alone(cadres: list[int], writes: list[list]) -> list[int]:
    """The sheet's cadres whose assessments a plan does not write: the fingerprint covers
    their assessments; those it writes are checked by the commit's UPDATE."""
    written = {w[0] for w in writes}
    return [c for c in cadres if c not in written]


def _write_checked(actor, batch: ImportBatch, writes: list[list]) -> dict:
    """Write what the preview worked out, without reading and checking every row again: the
    caller proved with the fingerprint that the cadres, the registry, the scheme and the
    assessments left alone are as the preview saw them, and the UPDATE checks those it writes
    (StalePlan otherwise). ``writes`` come from Plan.writes, their JSON still encoded."""
    period = _require_scoring(actor, batch.period)  # permission and open period, as scores_save
    return write_changed(
        actor=actor,
        period=period,
        changed=[
            (cadre, pk, unit, track, RawJSON(scores), RawJSON(delta), votes and tuple(votes), version)
            for cadre, pk, unit, track, scores, delta, votes, version in writes
        ],
        unchanged=batch.rows_unchanged,
        batch=f"import:{batch.pk}",
        source=SOURCE,
        paths=unit_paths(),
        guarded=True,
    )


def _committed_message(batch: ImportBatch, result: dict) -> str:
    written = result["created"] + result["updated"]
    preview = batch.preview or {}
    if written == batch.rows_new + batch.rows_changed:
        return (
            f"已导入：新增 {preview.get('values_new', 0)} 项得分，修改 {preview.get('values_changed', 0)} 项，"
            f"{batch.rows_unchanged} 行无变化。"
        )
    return (
        f"已导入：{written} 行得分有变化，{result['unchanged']} 行无变化"
        "（预览之后系统中的得分有变动，以上为导入时的实际结果）。"
    )


def batch_fail(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).exclude(status=ImportStatus.COMMITTED).update(
        status=ImportStatus.FAILED, message=message[:500]
    )


# ---------------------------------------------------------------- background jobs


def import_queue(
    *, actor, batch: ImportBatch, commit: bool, sheet: str | None = None, keep_missing: bool = False
) -> Job:
    """Queue validation (and, with ``commit``, the commit) of a stored batch as a job.
    ``keep_missing`` is the user's confirmation, passed on to ``import_commit``."""
    kind = COMMIT_JOB if commit and batch.status == ImportStatus.VALIDATED else VALIDATE_JOB
    job = job_create(
        kind=kind,
        actor=actor,
        params={"batch": str(batch.pk), "commit": commit, "sheet": sheet, "keep_missing": keep_missing},
        scope_path=batch.scope_path,
    )
    if kind == VALIDATE_JOB:
        batch.status = ImportStatus.PENDING
    batch.job = job
    batch.save(update_fields=["status", "job"])
    return job


def _job_actor(job: Job):
    if job.created_by is None:
        raise PermissionDenied("上传人账号已不存在。")
    return job.created_by


def _batch_lost(job: Job, message: str) -> None:
    """The job was given up after its worker died again and again: so is its batch."""
    batch = ImportBatch.objects.filter(pk=job.params.get("batch")).first()
    if batch is not None:
        batch_fail(batch, message)


@register(VALIDATE_JOB, on_lost=_batch_lost)
def _validate_job(job: Job) -> dict:
    batch = ImportBatch.objects.select_related("period", "unit").get(pk=job.params["batch"])
    actor = _job_actor(job)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.VALIDATING)
    try:
        batch = batch_validate(actor=actor, batch=batch, job=job, sheet=job.params.get("sheet"))
        if job.params.get("commit") and batch.status == ImportStatus.VALIDATED:
            batch = import_commit(
                actor=actor,
                batch=batch,
                job=job,
                sheet=job.params.get("sheet"),
                keep_missing=bool(job.params.get("keep_missing")),
            )
    except ImportRejected as exc:
        return {"batch": str(batch.pk), "status": ImportStatus.INVALID, "message": exc.message}
    except ValidationError:
        batch.refresh_from_db()
    except Exception as exc:
        batch_fail(batch, f"导入失败：{type(exc).__name__}")
        raise
    return {"batch": str(batch.pk), "status": batch.status, "message": batch.message}


@register(COMMIT_JOB, on_lost=_batch_lost)
def _commit_job(job: Job) -> dict:
    batch = ImportBatch.objects.select_related("period", "unit").get(pk=job.params["batch"])
    try:
        batch = import_commit(
            actor=_job_actor(job),
            batch=batch,
            job=job,
            sheet=job.params.get("sheet"),
            keep_missing=bool(job.params.get("keep_missing")),
        )
    except ValidationError:
        batch.refresh_from_db()
    except Exception as exc:
        batch_fail(batch, f"导入失败：{type(exc).__name__}")
        raise
    return {"batch": str(batch.pk), "status": batch.status, "message": batch.message}


# ---------------------------------------------------------------- reads (scoped to the caller)

# Cadres no longer assessed are left out of a fresh template.
GONE_STATUSES = ("removed", "retired", "dismissed")


def template_cadres(user, period: Period, unit: Unit) -> list[Cadre]:
    """The cadres a unit's sheet is pre-filled with: those assessed in the period within the
    unit's subtree, else (a period not yet opened) the registry's cadres there."""
    from cadres.selectors import cadres_visible_to

    base = cadres_visible_to(user).filter(unit__path__startswith=unit.path).select_related("unit")
    assessed = base.filter(assessments__period=period)
    qs = assessed if assessed.exists() else base.exclude(status__in=GONE_STATUSES)
    return list(qs.order_by("unit__path", "pk"))


def template_build(*, user, period: Period, unit: Unit) -> bytes:
    from ..sheets.template import build_template

    if not unit_in_scope(user, unit):
        raise PermissionDenied("所选单位不在您的管辖范围内。")
    cadres = template_cadres(user, period, unit)
    if user.can("view_id_number"):  # the sheet carries their full ID numbers: on the record
        from audit.services import audit_view

        audit_view(actor=user, cadres=cadres, where=f"下载评分表模板（{period.name}）", scope_path=unit.path)
    return build_template(period=period, unit=unit, cadres=cadres)


def template_filename(period: Period, unit: Unit) -> str:
    # ``label`` where the caller annotated it (cadres.selectors.unit_label): 光明村（城关镇）
    return f"{period.name}-{getattr(unit, 'label', None) or unit.name}-评分表.xlsx"


# ---------------------------------------------------------------- the annotated sheet

ERROR_FILL = "FFC7CE"


def annotated_sheet(batch: ImportBatch) -> bytes:
    """The uploaded sheet with each bad cell filled red and a comment giving the message.

    An .xlsx/.xlsm upload is annotated in place (macros are dropped, never run); a .csv/.xls
    upload becomes a fresh workbook of the cells the parser read. Errors of a whole row go on
    its first cell; errors of the whole file are listed on a sheet of their own."""
    from io import BytesIO

    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from core.xlsx import safe_row, text_cell

    fill = PatternFill("solid", fgColor=ERROR_FILL)
    try:
        parsed = read_batch_file(batch)
    except SheetRejected:
        parsed = None
    ws = None
    wb = None
    if parsed is not None and batch.original_name.lower().endswith((".xlsx", ".xlsm")):
        with batch.file.open("rb") as fh:
            wb = load_workbook(BytesIO(fh.read()))
        if parsed.sheet_name in wb.sheetnames:
            ws = wb[parsed.sheet_name]
            ws.protection.sheet = False
    if ws is None:
        wb = Workbook()
        ws = wb.active
        ws.title = "评分表"
        if parsed is not None:
            header_row = parsed.header_row or 1
            for col, text in parsed.headers.items():
                text_cell(ws, header_row, col + 1, text)
            for prow in parsed.rows:
                fixed = {"id_number": prow.id_number, "name": prow.name, "unit": prow.unit, **prow.votes}
                for code, col in parsed.columns.items():
                    value = fixed[code] if code in fixed else prow.values.get(code)
                    if value is not None:
                        text_cell(ws, prow.row, col + 1, value if isinstance(value, str) else float(value))
    by_cell: dict[tuple[int, int], list[str]] = {}
    whole: list[str] = []
    for e in batch.errors or []:
        if not e.get("row"):
            whole.append(e["message"])
            continue
        col = e.get("col")
        by_cell.setdefault((e["row"], (col if col is not None else 0) + 1), []).append(
            f"{e.get('column') or ''}：{e['message']}" if e.get("column") else e["message"]
        )
    for (row, col), msgs in by_cell.items():
        cell = ws.cell(row=row, column=col)
        cell.fill = fill
        cell.comment = Comment("\n".join(msgs), "导入校验", width=300, height=120)
    if whole or by_cell:
        summary = wb.create_sheet("错误清单", 0)
        summary.append(["行号", "列", "错误"])
        for e in batch.errors or []:
            summary.append(safe_row(summary, [e.get("row") or "", e.get("column") or "", e["message"]]))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
