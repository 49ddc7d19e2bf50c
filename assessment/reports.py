"""Grade reports: one row per cadre of a period (API, xlsx download) and the results page summary.

Reads only, always through the caller's scope. At 100,000 cadres a page must not sort or
count the whole subtree row by row: ``ReportRows`` counts per unit (one grouped index-only
scan of ``assessment_period_unit``), takes the page's ids from the sorted ids of the one or two
units it spans (kept a few seconds, ``UnitOrders``) and reads those rows by id. The xlsx
streams (core/xlsx_stream.py): its first bytes leave before the rows are read.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    F,
    QuerySet,
    TextField,
)
from django.db.models.functions import Cast

from cadres import idnumber
from cadres.models import Cadre, Unit
from cadres.selectors import unit_label
from core import prepared
from core.crypto import decrypt, fernet
from core.xlsx_stream import stream_xlsx

from .grading import ROUNDING_LABELS
from .models import INDIVIDUAL_SCALE, QUARTER_SCALE, Assessment, ConclusionCode, Grade, Period, RuleKind
from .selectors import assessments_visible_to
from .tracks import TrackTable

# the order of a report: by unit (tree order), then rank in the unit (unranked last), then cadre
ORDER = ("unit__path", F("rank_in_unit").asc(nulls_last=True), "cadre_id")

# one report row as read (``row_values``): the JSON columns come as text, decoded with orjson
COLUMNS = (
    "id",
    "cadre_id",
    "unit_id",
    "unit__name",
    "cadre__name",
    "id_number_token",
    "track",
    "total_score",
    "rank_in_unit",
    "final_grade",
    "grade_code",
    "review_required",
    "explanation_text",
)
(ID, CADRE, UNIT, UNIT_NAME, NAME, ID_NUMBER, TRACK, TOTAL, RANK, GRADE, CODE, REVIEW, EXPLANATION) = range(
    len(COLUMNS)
)

XLSX_HEADERS = ["序号", "单位", "姓名", "身份证号", "加权总分", "单位内排名", "等次", "等次代码", "等次依据"]
XLSX_WIDTHS = [8, 28, 12, 22, 10, 10, 10, 9, 80]


@dataclass(frozen=True)
class ReportFilters:
    """What ``grade-reports/`` narrows by, besides the period and the unit subtree."""

    grade: str = ""
    grade_code: int | None = None
    kind: str = ""
    cadre: int | None = None
    updated_since: datetime.datetime | None = None

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.grade:
            qs = qs.filter(final_grade=self.grade)
        if self.grade_code is not None:
            qs = qs.filter(grade_code=self.grade_code)
        if self.kind:
            qs = qs.filter(cadre__kind=self.kind)
        if self.cadre is not None:
            qs = qs.filter(cadre_id=self.cadre)
        if self.updated_since is not None:
            # inclusive: a client passing the time of its last pull misses no row changed then
            qs = qs.filter(grade_changed_at__gte=self.updated_since)
        return qs


def report_queryset(user, *, period: Period, unit=None, filters: ReportFilters | None = None) -> QuerySet:
    """The period's assessments the report covers: in the caller's scope, in ``unit``'s subtree
    (already checked to be in scope), narrowed by ``filters``. Unordered, no columns chosen."""
    qs = assessments_visible_to(user).filter(period=period)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return (filters or ReportFilters()).apply(qs)


def row_values(qs: QuerySet, order=ORDER) -> QuerySet:
    """``COLUMNS`` as tuples, in report order; the ID number still encrypted (``plain_rows``)."""
    return (
        qs.annotate(
            explanation_text=Cast("explanation", TextField()),
            # the stored token: decrypted by ``decrypter`` without the field's per-row lookups
            id_number_token=Cast("cadre__id_number", TextField()),
        )
        .order_by(*order)
        .values_list(*COLUMNS)
    )


def decrypter():
    """A decrypt for many ID numbers: the keys read once (``core.crypto.decrypt`` reads them
    for every value, a third of the time at 100 a page); a value no key opens still raises
    ``decrypt``'s error."""
    keys = fernet()

    def plain(token):
        if not token:
            return token
        try:
            return keys.decrypt(token.encode()).decode()
        except InvalidToken:
            return decrypt(token)

    return plain


def plain_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """``row_values`` rows with the ID number decrypted."""
    plain = decrypter()
    for r in rows:
        yield (*r[:ID_NUMBER], plain(r[ID_NUMBER]), *r[ID_NUMBER + 1 :])


class ReportRows:
    """The rows of a report as a sequence Django's Paginator pages (``count()`` and slices),
    each row the JSON dict of ``grade-reports/``.

    ``count()`` is one query over the units of the subtree in tree order: for each, its label
    and the number of its rows (an index-only count on (period, unit)); nothing sorts or
    counts the subtree's rows as one set. A slice then reads only the units it spans: their
    ids in report order (a sort of those units' rows, about a thousand each, kept by
    ``UnitOrders``), then the page's rows with their cadres by id."""

    ordered = True

    def __init__(
        self,
        *,
        period: Period,
        root_path: str | None,
        filters: ReportFilters,
        full_id_numbers: bool,
        render=None,
        fragments: bool = False,
    ):
        self.period = period
        self.root = root_path  # the subtree: the unit asked for, else the caller's scope; None = nothing
        self.filters = filters
        self.full = full_id_numbers
        # rows (``COLUMNS``) and {unit id: label} → the page's dicts; ``a15_renderer`` for A15
        self.render = render or (
            lambda rows, labels: report_json_rows(rows, labels=labels, fragments=fragments)
        )
        self._units: list[tuple[int, int, str]] | None = None

    def units(self) -> list[tuple[int, int, str, str]]:
        """(unit id, rows, label, name) of each unit of the subtree with rows, in tree order; the same
        answer is reused by this process for ``GRADE_REPORT_COUNT_SECONDS`` (see ``UnitCounts``)."""
        if self._units is None:
            self._units = [] if self.root is None else unit_counts.get(self.period, self.root, self.filters)
        return self._units

    def count(self) -> int:
        return sum(unit[1] for unit in self.units())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("ReportRows supports slices only")
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        spanned: list[int] = []
        labels: dict[int, str] = {}
        names: dict[int, str] = {}
        first = seen = 0
        for unit_id, n, label, name in self.units():
            if seen + n > start and seen < stop:
                if not spanned:
                    first = start - seen
                spanned.append(unit_id)
                labels[unit_id], names[unit_id] = label, name
            seen += n
            if seen >= stop:
                break
        if not spanned or stop <= start:
            return []
        orders, kept = unit_orders.get(self.period, spanned, self.filters)
        ids = page_ids(orders, spanned, first, stop - start)
        rows = report_rows_by_id(self.period, ids, names, self.filters, full_id_numbers=self.full)
        if kept and len(rows) < len(ids):  # a kept id is gone or no longer matches: sort afresh
            unit_orders.forget(self.period, spanned, self.filters)
            orders, _ = unit_orders.get(self.period, spanned, self.filters)
            ids = page_ids(orders, spanned, first, stop - start)
            rows = report_rows_by_id(self.period, ids, names, self.filters, full_id_numbers=self.full)
        return self.render(rows, labels)


# The two statements of every page, written as SQL: the ORM took longer to compile them (the
# unit label's subqueries above all) than PostgreSQL takes to run them. Plain SQL that SQLite
# runs as well. ``unit_label`` (cadres/selectors.py) is the rule the label follows.
_A = Assessment._meta.db_table
_U = Unit._meta.db_table
_C = Cadre._meta.db_table


def _filter_sql(filters: ReportFilters, alias: str) -> tuple[str, list]:
    """``ReportFilters.apply`` as SQL conditions on the assessment row ``alias``."""
    sql, params = [], []
    if filters.grade:
        sql.append(f"{alias}.final_grade = %s")
        params.append(filters.grade)
    if filters.grade_code is not None:
        sql.append(f"{alias}.grade_code = %s")
        params.append(filters.grade_code)
    if filters.kind:
        sql.append(f"EXISTS (SELECT 1 FROM {_C} k WHERE k.id = {alias}.cadre_id AND k.kind = %s)")
        params.append(filters.kind)
    if filters.cadre is not None:
        sql.append(f"{alias}.cadre_id = %s")
        params.append(filters.cadre)
    if filters.updated_since is not None:
        sql.append(f"{alias}.grade_changed_at >= %s")
        params.append(connection.ops.adapt_datetimefield_value(filters.updated_since))
    return "".join(f" AND {condition}" for condition in sql), params


def report_units(period: Period, root: str, filters: ReportFilters) -> list[tuple[int, int, str, str]]:
    """(unit id, rows, label, name) of each unit of the subtree at ``root`` ('' = all) with rows of
    the report, in tree order. One statement: for each unit an index-only count on
    ``assessment_period_unit`` and its label (its name, with the parent's name in full-width
    brackets when another unit has the same name)."""
    where, params = _filter_sql(filters, "a")
    sql = (
        f"SELECT u.id, u.name,"
        f" EXISTS (SELECT 1 FROM {_U} s WHERE s.name = u.name AND s.id <> u.id),"
        f" (SELECT p.name FROM {_U} p WHERE p.path = SUBSTR(u.path, 1, LENGTH(u.path) - %s)),"
        f" (SELECT COUNT(*) FROM {_A} a WHERE a.period_id = %s AND a.unit_id = u.id{where})"
        f" FROM {_U} u WHERE u.path LIKE %s ESCAPE '\\' ORDER BY u.path"
    )
    prefix = connection.ops.prep_for_like_query(root) + "%"
    with connection.cursor() as cursor:
        cursor.execute(sql, [Unit.steplen, period.pk, *params, prefix])
        return [
            (pk, n, f"{name}（{parent or ''}）" if namesake else name, name)
            for pk, name, namesake, parent, n in cursor.fetchall()
            if n
        ]


class UnitCounts:
    """``report_units`` answers kept by this process for ``GRADE_REPORT_COUNT_SECONDS`` (0: not
    kept), per period, subtree and filters: a client walking a county's 280 pages, or ten of
    them at once, has the county's rows counted once every few seconds instead of on every page
    (the count was half of the database's work per page). A page's count and its boundaries may
    so lag a write by up to that many seconds; the rows of a page are always read afresh. At most
    ``size`` answers are kept, the oldest dropped first."""

    def __init__(self, size: int = 256):
        self.size = size
        self._kept: dict[tuple, tuple[float, list]] = {}
        self._lock = threading.Lock()

    def get(self, period: Period, root: str, filters: ReportFilters) -> list[tuple[int, int, str, str]]:
        seconds = float(getattr(settings, "GRADE_REPORT_COUNT_SECONDS", 0) or 0)
        if seconds <= 0:
            return report_units(period, root, filters)
        key = (period.pk, root, filters)
        now = time.monotonic()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and now - hit[0] < seconds:
            return hit[1]
        units = report_units(period, root, filters)
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (now, units)
            while len(self._kept) > self.size:
                self._kept.pop(next(iter(self._kept)))
        return units

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


unit_counts = UnitCounts()


def unit_row_ids(period: Period, unit_ids: list[int], filters: ReportFilters) -> dict[int, array]:
    """{unit id: the ids of its rows of the report, in report order (rank in the unit, unranked
    last, then cadre)} for ``unit_ids``: one statement, a sort of those units' rows only."""
    where, params = _filter_sql(filters, "b")
    marks = ", ".join(["%s"] * len(unit_ids))
    sql = (
        f"SELECT b.unit_id, b.id FROM {_A} b WHERE b.period_id = %s AND b.unit_id IN ({marks}){where}"
        f" ORDER BY b.unit_id, b.rank_in_unit ASC NULLS LAST, b.cadre_id"
    )
    out: dict[int, array] = {unit_id: array("q") for unit_id in unit_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.pk, *unit_ids, *params])
        for unit_id, pk in cursor.fetchall():
            out[unit_id].append(pk)
    return out


class UnitOrders:
    """``unit_row_ids`` answers kept by this process for ``GRADE_REPORT_COUNT_SECONDS`` (0: not
    kept), per period, unit and filters. A page is the next hundred ids of the units it spans,
    read by id: a client walking a county's pages has each unit's rows sorted once every few
    seconds instead of on every page (that sort was most of the database's work per page). The
    page boundaries may so lag a write by up to that many seconds, as the count does; the rows
    themselves are always read afresh, and a page that finds one of its ids gone or no longer
    matching the filters is read again from freshly sorted units. At most ``max_ids`` ids are
    kept, the oldest units dropped first."""

    def __init__(self, max_ids: int = 2_000_000):
        self.max_ids = max_ids
        self._kept: dict[tuple, tuple[float, array]] = {}
        self._held = 0
        self._lock = threading.Lock()

    def get(
        self, period: Period, unit_ids: list[int], filters: ReportFilters
    ) -> tuple[dict[int, array], bool]:
        """({unit id: ordered ids}, whether any of them was kept from before)."""
        seconds = float(getattr(settings, "GRADE_REPORT_COUNT_SECONDS", 0) or 0)
        if seconds <= 0:
            return unit_row_ids(period, unit_ids, filters), False
        now = time.monotonic()
        found: dict[int, array] = {}
        with self._lock:
            for unit_id in unit_ids:
                hit = self._kept.get((period.pk, unit_id, filters))
                if hit is not None and now - hit[0] < seconds:
                    found[unit_id] = hit[1]
        kept = bool(found)
        missing = [unit_id for unit_id in unit_ids if unit_id not in found]
        if missing:
            read = unit_row_ids(period, missing, filters)
            found.update(read)
            with self._lock:
                for unit_id, ids in read.items():
                    old = self._kept.pop((period.pk, unit_id, filters), None)
                    self._held += len(ids) - (len(old[1]) if old else 0)
                    self._kept[(period.pk, unit_id, filters)] = (now, ids)
                while self._held > self.max_ids and self._kept:
                    self._held -= len(self._kept.pop(next(iter(self._kept)))[1])
        return found, kept

    def forget(self, period: Period, unit_ids: list[int], filters: ReportFilters) -> None:
        with self._lock:
            for unit_id in unit_ids:
                old = self._kept.pop((period.pk, unit_id, filters), None)
                if old:
                    self._held -= len(old[1])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._held = 0


unit_orders = UnitOrders()


def page_ids(orders: dict[int, array], spanned: list[int], first: int, limit: int) -> list[int]:
    """The ``limit`` ids that start ``first`` rows into the first of ``spanned`` units."""
    ids: list[int] = []
    for i, unit_id in enumerate(spanned):
        ids.extend(orders[unit_id][first if i == 0 else 0 :][: limit - len(ids)])
        if len(ids) >= limit:
            break
    return ids


def report_rows_by_id(
    period: Period,
    ids: list[int],
    names: dict[int, str],
    filters: ReportFilters,
    *,
    full_id_numbers: bool = True,
):
    """The rows (``COLUMNS``) with ``ids`` that are still rows of the report (the period, the
    filters and the unit, one of ``names``, checked again), in the order of ``ids``, with their
    cadre; the unit's name from ``names``. Without ``full_id_numbers`` the ID number is the
    stored mask (``Cadre.id_number_masked``; decrypted and masked only where a row has none),
    so a masked page decrypts nothing."""
    if not ids:
        return []
    where, params = _filter_sql(filters, "a")
    if connection.vendor == "postgresql":  # one statement for every page: prepared once
        match, keys = "a.id = ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]
    else:
        match, keys = f"a.id IN ({', '.join(['%s'] * len(ids))})", ids
    # a masked page reads the encrypted number only where no mask is stored
    number_column = (
        "c.id_number" if full_id_numbers else "CASE WHEN c.id_number_masked = '' THEN c.id_number END"
    )
    sql = (
        # the total as a float: the page gives a JSON number, and a Decimal per row cost more
        f"SELECT a.id, a.cadre_id, a.unit_id, c.name, {number_column}, a.track,"
        f" CAST(a.total_score AS DOUBLE PRECISION),"
        f" a.rank_in_unit, a.final_grade, a.grade_code, a.review_required, a.explanation, c.id_number_masked"
        f" FROM {_A} a JOIN {_C} c ON c.id = a.cadre_id"
        f" WHERE {match} AND a.period_id = %s{where}"
    )
    plain = decrypter()

    def number(token, masked):
        if full_id_numbers:
            return plain(token)
        return masked or idnumber.mask(plain(token))

    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [*keys, period.pk, *params])
        found = {
            r[0]: (
                *r[:UNIT_NAME],
                names[r[UNIT]],
                r[UNIT_NAME],
                number(r[ID_NUMBER - 1], r[EXPLANATION]),
                *r[ID_NUMBER : REVIEW - 1],
                bool(r[REVIEW - 1]),
                r[EXPLANATION - 1],
            )
            for r in cursor.fetchall()
            if r[UNIT] in names  # a row moved to another unit since its id was kept is not shown
        }
    return [found[pk] for pk in ids if pk in found]


def _explanation(text) -> list[dict]:
    entries = (orjson.loads(text) if isinstance(text, (str, bytes)) else text) if text else []
    return [
        {k: None if e.get(k) is None else str(e.get(k)) for k in ("rule", "effect", "facts")}
        for e in entries
        if isinstance(e, dict)
    ]


# An explanation stored as the API gives it: a JSON list of objects with exactly the keys
# rule, effect and facts (in any order), each a string, as PostgreSQL's jsonb and Django's
# json.dumps write them. Such a text goes into the page as it is (``orjson.Fragment``) instead
# of being decoded, normalised and encoded again, a third of the Python time of a page.
_JSON_STRING = r'"(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+"'
_KEY = r'"(?:rule|effect|facts)": ?'
_ENTRY = rf"\{{{_KEY}{_JSON_STRING}, ?{_KEY}{_JSON_STRING}, ?{_KEY}{_JSON_STRING}\}}"
_PLAIN_EXPLANATION = re.compile(rf"\[(?:{_ENTRY}(?:, ?{_ENTRY})*)?\]")


def _explanation_json(text):
    """The explanation for an orjson page: the stored text itself when it already has the
    API's shape, else ``_explanation``'s list."""
    if isinstance(text, str) and _PLAIN_EXPLANATION.fullmatch(text):
        return orjson.Fragment(text)
    return _explanation(text)


def report_json_rows(rows: Iterable[tuple], *, labels: dict[int, str], fragments: bool = False) -> list[dict]:
    """The rows as ``grade-reports/`` gives them (GradeReportRowSerializer's fields); the ID
    number as the rows carry it (``report_rows_by_id`` masked it or not). With ``fragments``
    an explanation may be an ``orjson.Fragment``, for a page encoded by orjson only."""
    tracks = None
    explain = _explanation_json if fragments else _explanation
    out = []
    append = out.append
    for r in rows:
        track = r[TRACK]
        if track:
            tracks = tracks or TrackTable()
            track = tracks.name(track)
        total = r[TOTAL]
        unit = r[UNIT]
        append(
            {
                "id": r[ID],
                "cadre": r[CADRE],
                "unit": unit,
                "unit_name": r[UNIT_NAME],
                "unit_label": labels.get(unit, r[UNIT_NAME]),
                "name": r[NAME],
                "id_number": r[ID_NUMBER],
                "track": track,
                "total_score": None if total is None else float(total),
                "rank_in_unit": r[RANK],
                "grade": r[GRADE],
                "grade_code": r[CODE],
                "review_required": r[REVIEW],
                "explanation": explain(r[EXPLANATION]),
            }
        )
    return out


def report_etag(body: bytes, *, scope_path: str | None, full_id_numbers: bool) -> str:
    """A strong ETag of a report page: its bytes (rows, count, links) and who it was for, so two
    callers with another scope or another masking never share one."""
    digest = hashlib.blake2b(body, digest_size=16, person=b"grade-report")
    digest.update(f"|{scope_path}|{int(full_id_numbers)}".encode())
    return f'"{digest.hexdigest()}"'


def explanation_text(explanation) -> str:
    """The explanation entries as one line of text: ``rule：effect（facts）；…``."""
    parts = []
    for entry in explanation or []:
        if not isinstance(entry, dict):
            continue
        text = f"{entry.get('rule', '')}：{entry.get('effect', '')}"
        if entry.get("facts"):
            text += f"（{entry['facts']}）"
        parts.append(text)
    return "；".join(parts)


def id_number_for(number: str, *, full: bool) -> str:
    return number if full else idnumber.mask(number)


def unit_labels(root_path: str) -> dict[int, str]:
    """{unit id: label} of every unit of the subtree at ``root_path`` ('' = all), one query."""
    units = Unit.objects.all() if not root_path else Unit.objects.filter(path__startswith=root_path)
    return dict(units.annotate(label=unit_label()).values_list("pk", "label"))


def grade_report_xlsx(
    rows: Iterable[tuple],
    *,
    title: str,
    full_id_numbers: bool,
    labels: dict[int, str],
    shown: list | None = None,
) -> Iterator[bytes]:
    """The report as .xlsx bytes, streamed; ``rows`` are ``plain_rows(row_values(…))``.
    ``shown`` collects (cadre id, name) of each row written, for the audit of full numbers."""

    def cells():
        loads = orjson.loads
        for index, r in enumerate(rows, start=1):
            if shown is not None:
                shown.append((r[CADRE], r[NAME]))
            text = r[EXPLANATION]
            yield [
                index,
                labels.get(r[UNIT], r[UNIT_NAME]),
                r[NAME],
                id_number_for(r[ID_NUMBER], full=full_id_numbers),
                r[TOTAL],
                r[RANK],
                r[GRADE],
                r[CODE],
                explanation_text(loads(text) if text else []),
            ]

    return stream_xlsx(cells(), sheet="考核等次", title=title, headers=XLSX_HEADERS, widths=XLSX_WIDTHS)


# --------------------------------------------------------------------------- A15 (干部管理信息系统)

A15_HEADERS = [
    "序号",
    "单位",
    "姓名（A0101）",
    "身份证号（A0184）",
    "考核年度（A1521）",
    "考核结论类别代码（A1517）",
    "考核结论类别",
    "不定等次或未参加考核原因",
]
A15_WIDTHS = [8, 28, 12, 22, 10, 12, 14, 60]
# grades that are no grade: the A15 row says why
NOT_GRADED = (Grade.UNDETERMINED, Grade.NOT_ASSESSED)


def conclusion_codes() -> dict[str, tuple[str, str]]:
    """{grade: (A1517 code, its name)} from the active codes of the table (one query)."""
    return {
        grade: (code, name)
        for grade, code, name in ConclusionCode.objects.filter(active=True)
        .exclude(grade="")
        .values_list("grade", "code", "name")
    }


def a15_reason(grade: str, explanation) -> str:
    """Why a cadre is 不定等次 or not assessed: the explanation entries that gave that outcome."""
    if grade not in NOT_GRADED:
        return ""
    parts = [
        f"{e.get('rule', '')}：{e.get('facts', '')}" if e.get("facts") else str(e.get("rule", ""))
        for e in explanation or []
        if isinstance(e, dict) and e.get("effect") == grade
    ]
    return "；".join(parts)


def a15_values(r: tuple, *, year: int, codes: dict, full_id_numbers: bool) -> tuple:
    """(A0101, A0184, A1521, A1517, its name, reason) of a row (``COLUMNS``)."""
    grade = r[GRADE]
    code, name = codes.get(grade, ("", grade))
    text = r[EXPLANATION]
    reason = a15_reason(grade, orjson.loads(text) if text else []) if grade in NOT_GRADED else ""
    return (r[NAME], id_number_for(r[ID_NUMBER], full=full_id_numbers), year, code, name, reason)


def a15_renderer(*, year: int, full_id_numbers: bool):
    """``ReportRows(render=…)`` for ``?fields=a15``: rows in the A15 shape."""
    codes = conclusion_codes()

    def render(rows, labels):
        out = []
        for r in rows:
            a0101, a0184, a1521, a1517, name, reason = a15_values(
                r, year=year, codes=codes, full_id_numbers=full_id_numbers
            )
            out.append(
                {
                    "id": r[ID],
                    "cadre": r[CADRE],
                    "unit": r[UNIT],
                    "unit_label": labels.get(r[UNIT], r[UNIT_NAME]),
                    "A0101": a0101,
                    "A0184": a0184,
                    "A1521": a1521,
                    "A1517": a1517,
                    "A1517_name": name,
                    "reason": reason,
                }
            )
        return out

    return render


def a15_xlsx(
    rows: Iterable[tuple],
    *,
    title: str,
    year: int,
    full_id_numbers: bool,
    labels: dict[int, str],
    shown: list | None = None,
) -> Iterator[bytes]:
    """The period in the A15 shape as .xlsx bytes, streamed, for loading into the 干部管理信息系统."""
    codes = conclusion_codes()

    def cells():
        for index, r in enumerate(rows, start=1):
            if shown is not None:
                shown.append((r[CADRE], r[NAME]))
            values = a15_values(r, year=year, codes=codes, full_id_numbers=full_id_numbers)
            yield [index, labels.get(r[UNIT], r[UNIT_NAME]), *values]

    return stream_xlsx(cells(), sheet="A15年度考核", title=title, headers=A15_HEADERS, widths=A15_WIDTHS)


# --------------------------------------------------------------------------- results page


def grade_scale(period: Period) -> list[str]:
    if period.is_annual:
        return [*INDIVIDUAL_SCALE, Grade.UNDETERMINED, Grade.NOT_ASSESSED]
    return list(QUARTER_SCALE)


def grade_distribution(qs: QuerySet, period: Period) -> dict:
    """Counts and percentages of the final grades in ``qs``: one bar per grade of the scale,
    in scale order, then 未评定 for rows without a grade yet."""
    counts = Counter(
        dict(qs.order_by().values("final_grade").annotate(n=Count("id")).values_list("final_grade", "n"))
    )
    total = sum(counts.values())
    bars = []
    for grade in grade_scale(period):
        bars.append(_bar(str(grade), counts.pop(grade, 0), total, grade))
    ungraded = counts.pop("", 0)
    # a grade off the period's scale (data entered under an older scheme) is still counted
    for grade, n in sorted(counts.items()):
        bars.append(_bar(grade, n, total, grade))
    if ungraded:
        bars.append(_bar("未评定", ungraded, total, ""))
    return {"total": total, "bars": bars}


def _bar(label: str, count: int, total: int, grade: str) -> dict:
    percent = round(count * 100 / total, 1) if total else 0
    return {"label": label, "grade": grade, "count": count, "percent": percent}


def quota_rule_lines(policy, period: Period) -> list[str]:
    """The effective grading rules of a unit stated in words, for the results page."""
    if not period.is_annual:
        th = policy.one(RuleKind.QUARTER_THRESHOLDS) or {}
        return [
            f"季度平时考核：{_num(th.get('good_min', 90))} 分以上为好，{_num(th.get('fair_min', 80))} 分以上为较好，"
            f"{_num(th.get('average_min', 60))} 分以上为一般，其余为较差；不设优秀名额。"
        ]
    quota = policy.one(RuleKind.QUOTA)
    th = policy.one(RuleKind.THRESHOLDS) or {}
    switched_off = quota is None
    # as the engine does: a unit that switches the rule off gets the documented 20%, rounded down
    quota = quota or {"ratio": 0.2, "rounding": "floor", "tie_break": []}
    ratio = float(quota.get("ratio", 0.2))
    rounding = quota.get("rounding", "floor")
    lines = [
        f"优秀名额 = 参加考核人数 × {ratio:.0%}，{ROUNDING_LABELS.get(rounding, rounding)}（各单位分别计算）。",
        f"总分不低于优秀线 {_num(th.get('excellent_min', 90))} 分且未受等次限制的干部，按总分从高到低占用名额。",
    ]
    tie_codes = list(quota.get("tie_break", []))
    if tie_codes:
        order = "、".join(f"“{code}”得分" for code in tie_codes)
        lines.append(f"总分相同时依次比较{order}，仍相同按干部登记顺序；跨越名额边界的同分者标记为待复核。")
    else:
        lines.append("总分相同时按干部登记顺序；跨越名额边界的同分者标记为待复核。")
    if switched_off:
        lines.insert(0, "本单位停用了优秀比例规则，按默认比例 20%、向下取整计算名额。")
    return lines


def _num(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)
