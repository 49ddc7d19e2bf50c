"""Fast bulk inserts: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_insert(model, items)`` writes many rows of one model in as few round trips as the
database allows. It is meant for large commits (the demo seed, Excel imports of 100k rows),
where ``bulk_create`` on PostgreSQL spends most of its time building and parsing huge
``INSERT … VALUES`` statements.

Items may be

* model instances (like ``bulk_create``; instances without a primary key get one, and are
  marked as saved),
* dicts keyed by field name or attribute name (``"unit"`` or ``"unit_id"``), or
* tuples/lists, in which case ``fields`` names their columns in order.

Fields an item leaves out get the field's default (``auto_now``/``auto_now_add`` timestamps
get "now"), exactly as ``Model.save()`` would fill them. No ``save()``, no signals and no
validation run: callers validate first (``full_clean`` or their own checks).

Primary keys: with ``reserve_pks(model, n)`` a caller takes ``n`` ids from the table's
sequence up front, so it can write children (and audit entries) that point at rows before
they exist. ``bulk_insert`` does the same for instances without a primary key. Explicit ids
should come from ``reserve_pks``: like ``bulk_create``, COPY does not move the sequence.

On PostgreSQL the rows go through one ``COPY … FROM STDIN`` (text format) per call,
formatted ``batch_size`` rows at a time and streamed as COPY reads them, so Python formats
while the server inserts. Values are escaped for that format (backslash, tab, newline,
carriage return; ``\\N`` is NULL; NUL characters, which PostgreSQL cannot store, raise
ValueError) and JSON fields are serialized with the field's encoder. Elsewhere (SQLite) it is
``bulk_create``. Everything happens in one transaction: either all rows are written or none;
database errors arrive as Django's (``IntegrityError``…), as with the ORM.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import gc
import io
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

# Rows formatted per piece handed to COPY, and characters COPY asks for per read.
DEFAULT_BATCH_SIZE = 2_000
READ_SIZE = 1 << 17
FALLBACK_BATCH_SIZE = 1_000

_MISSING = object()
NULL = "\\N"
DIGITS = frozenset("0123456789")


@contextlib.contextmanager
def gc_paused():
    """Run a bulk operation with Python's cyclic garbage collector paused (as before, after).

    Reading 100,000 rows creates millions of lists, tuples and dicts, none of them in a
    cycle; the collector still walks every object of the process again and again while they
    pile up: 0.1–0.2 s of a 10,000-row import. Reference counting frees them as usual; the
    few cycles made meanwhile wait for the next collection. Usable as a decorator."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class RawJSON(str):
    """A JSON field's value already encoded (``RawJSON(orjson.dumps(value).decode())``), written
    as it is: for a writer that encoded its rows earlier and should not decode them only to
    encode them again (an import's 100,000 rows)."""


def _plain(value):
    """RawJSON decoded, for the paths that hand values to the ORM (which would encode a str)."""
    return orjson.loads(str(value)) if type(value) is RawJSON else value


def bulk_insert(
    model: type[models.Model],
    items: Iterable[Any],
    *,
    fields: Sequence[str] | None = None,
    using: str | None = None,
    batch_size: int | None = None,
    constants: dict[str, Any] | None = None,
) -> int:
    """Insert ``items`` as rows of ``model``; returns the number of rows written.

    ``fields`` is required for tuple/list items and ignored otherwise. Rows (not instances)
    may come from a generator: on PostgreSQL they are formatted and sent as they come, so
    producing them overlaps with the server inserting the earlier ones. ``constants``
    ({field: value}) gives every tuple or dict row the same values for fields it does not
    carry; they are formatted once, not once per row.
    """
    iterator = iter(items)
    first = next(iterator, None)
    if first is None:
        return 0
    items = itertools.chain([first], iterator)
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    if isinstance(first, models.Model):
        kind = "instance"
        items = list(items)
    elif isinstance(first, dict):
        kind = "dict"
    elif isinstance(first, (tuple, list)):
        if not fields:
            raise TypeError("bulk_insert: tuple rows need `fields` naming their columns.")
        kind = "tuple"
    else:
        raise TypeError(f"bulk_insert: cannot insert items of type {type(first).__name__}.")
    constants = {_field(model, name): value for name, value in (constants or {}).items()}
    if constants and kind == "instance":
        raise TypeError("bulk_insert: constants are for tuple or dict rows; instances carry every field.")
    named = set(fields or ()) if kind == "tuple" else set(first) if kind == "dict" else set()
    clash = [f.name for f in constants if f.name in named or f.attname in named]
    if clash:
        raise TypeError(f"bulk_insert: {clash} given both by the rows and as constants.")

    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            return _copy_insert(
                model, items, first, kind, fields, connection, batch_size or DEFAULT_BATCH_SIZE, constants
            )
        return _orm_insert(model, items, kind, fields, using, batch_size or FALLBACK_BATCH_SIZE, constants)


# Above this many values SQLite refuses an IN list (its limit is 32,766 parameters), so
# ``pick`` reads everything there and the caller filters.
SQLITE_IN_LIMIT = 30_000
# From this many values on, ``pick`` on PostgreSQL first asks how many rows ``qs`` holds:
# when the values name at least half of them, reading all of them is cheaper than looking
# each one up.
SCAN_MIN = 2_000


def estimated_rows(qs: models.QuerySet) -> int:
    """The planner's estimate of how many rows ``qs`` returns (PostgreSQL): a plan, not a
    count, so about a millisecond whatever the table's size; as good as its statistics."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def reads_whole(qs: models.QuerySet, count: int) -> bool:
    """Whether ``count`` values to look up in ``qs`` are better had by reading ``qs`` whole
    (PostgreSQL): ``SCAN_MIN`` or more, naming at least half its rows by the planner's
    estimate."""
    return count >= SCAN_MIN and count * 2 >= estimated_rows(qs)


def pick(qs: models.QuerySet, field: str, values) -> models.QuerySet:
    """``qs`` narrowed to rows whose ``field`` is one of ``values``, in one query of any size.

    Callers must still check each row's value against their own set: ``qs`` may come back
    whole. On PostgreSQL the values travel as one array (``field = ANY(%s)``, see
    core/lookups.py), unless ``reads_whole`` says otherwise: then ``qs`` is read whole, as
    looking up 100,000 values one by one costs the server more (0.3 s for 100,000
    assessments, 0.4 s for 100,000 ID numbers) than reading the few rows it did not need.
    Elsewhere a list longer than ``SQLITE_IN_LIMIT`` is not sent at all: the whole ``qs`` is
    read."""
    from core.lookups import Many

    values = list(values)
    if connections[qs.db].vendor == "postgresql":
        if reads_whole(qs, len(values)):
            return qs
        return qs.filter(**{f"{field}__any_of": Many(values)})
    if len(values) <= SQLITE_IN_LIMIT:
        return qs.filter(**{f"{field}__any_of": Many(values)})
    return qs


def plain_rows(qs: models.QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset of plain columns (integers, text), fetched in one
    go without Django's per-row iterator and converters: about half the time for 100,000 rows.
    Only for columns whose database value is already the Python value wanted."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def reserve_pks(model: type[models.Model], count: int, *, using: str | None = None) -> list[int]:
    """Take ``count`` fresh values of ``model``'s auto-increment primary key, in increasing order.

    The values are never handed out again, so rows written later with these ids cannot
    collide with rows other sessions insert meanwhile. Unused values leave gaps, as any
    rolled-back insert does.
    """
    if count <= 0:
        return []
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    pk = model._meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        raise TypeError(f"{model.__name__} has no auto-increment primary key to reserve.")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is looked up once (MATERIALIZED): as a plain argument of nextval,
            # pg_get_serial_sequence ran for every value, 35 ms of the 40 ms 10,000 took.
            cursor.execute(
                "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
                "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
                [connection.ops.quote_name(table), pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        if connection.vendor == "sqlite":
            # Django declares SQLite auto fields AUTOINCREMENT, so sqlite_sequence holds the
            # largest id ever handed out and SQLite never goes below it; raising it reserves
            # the values in between. SQLite has one writer at a time, so this cannot race.
            with transaction.atomic(using=using, savepoint=False):
                qtable, qpk = connection.ops.quote_name(table), connection.ops.quote_name(pk.column)
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                    [table, table],
                )
                cursor.execute(
                    f"UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max({qpk}), 0) "
                    f"FROM {qtable})) + %s WHERE name = %s RETURNING seq",
                    [count, table],
                )
                last = cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))
    raise NotImplementedError(f"reserve_pks does not support {connection.vendor}.")


# ---------------------------------------------------------------- columns and values


def _columns(model, kind, first, fields) -> tuple[list[models.Field], list[models.Field]]:
    """(fields given by the items, fields to fill with defaults)."""
    concrete = list(model._meta.concrete_fields)
    pk = model._meta.pk
    if kind == "tuple":
        given = [_field(model, name) for name in fields]
    elif kind == "dict":
        keys = set(first.keys())
        unknown = keys - {f.name for f in concrete} - {f.attname for f in concrete}
        if unknown:
            raise TypeError(f"bulk_insert: {model.__name__} has no fields {sorted(unknown)}.")
        given = [f for f in concrete if f.name in keys or f.attname in keys]
    else:
        given = list(concrete)
    given_set = set(given)
    missing = [f for f in concrete if f not in given_set]
    # A missing auto primary key is left to the database.
    missing = [f for f in missing if not (f is pk and _is_auto(f))]
    return given, missing


def _field(model, name: str) -> models.Field:
    for f in model._meta.concrete_fields:
        if name in (f.name, f.attname):
            return f
    raise TypeError(f"bulk_insert: {model.__name__} has no field {name!r}.")


def _is_auto(field) -> bool:
    return isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField)


def _default(field: models.Field, now: datetime.datetime) -> tuple[Any, bool]:
    """(value, per_row): the value ``save()`` would give a field left out, and whether it
    must be computed again for every row (a callable default such as ``uuid.uuid4``)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        if isinstance(field, models.DateTimeField):
            return now, False
        if isinstance(field, models.DateField):
            return timezone.localdate(now), False
        return now.time(), False
    if field.has_default():
        return field.get_default(), callable(field.default)
    if field.null:
        return None, False
    return field.get_default(), False


def _escape(text: str) -> str:
    if "\x00" in text:
        raise ValueError("bulk_insert: PostgreSQL text cannot contain NUL characters (\\x00).")
    # Most values need nothing; substring tests are cheaper than replaces.
    if "\\" not in text and "\t" not in text and "\n" not in text and "\r" not in text:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _converter(field: models.Field, connection) -> Callable[[Any], str]:
    """A function turning a Python value of ``field`` into COPY text format."""
    if getattr(field, "encrypted", False):
        # core.crypto.EncryptedCharField: the column holds the token, never the clear value.
        def to_token(v):
            v = field.get_db_prep_save(v, connection)
            return NULL if v is None else _escape(v)

        return to_token

    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value):
            if value is None:
                return NULL
            if type(value) is RawJSON:
                return _escape(value)
            if encoder is None:
                # orjson is several times faster than json for the large JSON columns
                # (explanations, scores); what it cannot encode goes through json.
                try:
                    return _escape(orjson.dumps(value).decode())
                except TypeError:
                    pass
            return _escape(json.dumps(value, cls=encoder, ensure_ascii=False))

        return to_json

    if isinstance(field, models.BooleanField):
        return lambda v: NULL if v is None else ("t" if v else "f")

    if isinstance(field, models.ForeignKey):
        target = _converter(field.target_field, connection)
        return lambda v: NULL if v is None else target(v.pk if isinstance(v, models.Model) else v)

    if isinstance(field, models.DateTimeField):
        last_in, last_out = None, NULL

        def to_datetime(v):
            # Rows often share one timestamp ("now"): remember the last one formatted.
            nonlocal last_in, last_out
            if v is last_in:
                return last_out
            if v is None:
                return NULL
            if isinstance(v, str):
                out = _escape(v)
            else:
                out = (timezone.make_aware(v) if settings.USE_TZ and timezone.is_naive(v) else v).isoformat()
            last_in, last_out = v, out
            return out

        return to_datetime

    if isinstance(field, (models.DateField, models.TimeField)):
        return lambda v: NULL if v is None else (_escape(v) if isinstance(v, str) else v.isoformat())

    if isinstance(field, (models.IntegerField, models.AutoField, models.BigAutoField)):
        return lambda v: NULL if v is None else str(int(v))

    if isinstance(field, (models.CharField, models.TextField)):
        last_in, last_out = None, NULL

        def to_text(v):
            # The hottest path: _escape inlined, and a repeat of the previous value is free.
            nonlocal last_in, last_out
            if v is last_in:
                return last_out
            if v is None:
                return NULL
            text = v if isinstance(v, str) else str(v)
            if "\x00" in text:
                raise ValueError("bulk_insert: PostgreSQL text cannot contain NUL characters (\\x00).")
            if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
                text = (
                    text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                )
            last_in, last_out = v, text
            return text

        return to_text

    generic = _generic_converter(field, connection)
    if isinstance(field, models.DecimalField):
        places = field.decimal_places

        def to_decimal(v):
            # A Decimal within the field's places is written as it is, as Django would write
            # it, without its conversions (to_python, get_prep_value...): 8 µs a value, most
            # of a 200,000-row insert's Python time. Anything else goes the generic way.
            if v is None:
                return NULL
            if type(v) is decimal.Decimal:
                text = str(v)
                dot = text.find(".")
                if text[-1] in DIGITS and "E" not in text and (dot < 0 or len(text) - dot - 1 <= places):
                    return text
            return generic(v)

        return to_decimal

    return generic


def _generic_converter(field: models.Field, connection) -> Callable[[Any], str]:
    def generic(v):
        if v is None:
            return NULL
        v = field.get_db_prep_save(v, connection)
        if v is None:
            return NULL
        if isinstance(v, (datetime.date, datetime.time)):
            return v.isoformat()
        if isinstance(v, bool):
            return "t" if v else "f"
        if isinstance(v, (decimal.Decimal, uuid.UUID, int, float)):
            return str(v)
        if isinstance(v, (bytes, memoryview)):
            raise TypeError(f"bulk_insert: binary field {field.name} is not supported by COPY.")
        return _escape(str(v))

    return generic


def _values(kind, items, given, fields_arg, now):
    """Yield each item as a tuple of values for the ``given`` fields."""
    if kind == "tuple":
        for row in items:
            if len(row) != len(fields_arg):
                raise ValueError(f"bulk_insert: row has {len(row)} values for {len(fields_arg)} fields.")
            yield row
    elif kind == "dict":
        keys = [(f.attname, f.name, f) for f in given]
        for row in items:
            out = []
            for attname, name, f in keys:
                value = row.get(attname, _MISSING)
                if value is _MISSING:
                    value = row.get(name, _MISSING)
                    if value is _MISSING:  # a later row may leave out what the first one gave
                        value = _default(f, now)[0]
                out.append(value)
            yield out
    else:
        getters = []
        for f in given:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                getters.append(lambda obj, f=f: f.pre_save(obj, True))
            else:
                getters.append(lambda obj, a=f.attname: getattr(obj, a))
        for obj in items:
            yield [get(obj) for get in getters]


# ---------------------------------------------------------------- PostgreSQL: COPY


def _copy_insert(model, items, first, kind, fields_arg, connection, batch_size, constants) -> int:
    pk = model._meta.pk
    if kind == "instance":
        missing_pk = [obj for obj in items if obj.pk is None]
        if missing_pk and _is_auto(pk):
            for obj, value in zip(
                missing_pk, reserve_pks(model, len(missing_pk), using=connection.alias), strict=True
            ):
                obj.pk = value
        elif missing_pk:
            for obj in missing_pk:
                obj.pk = pk.get_default()

    given, missing = _columns(model, kind, first, fields_arg)
    now = timezone.now()
    per_row: list[tuple[models.Field, Callable[[Any], str]]] = []
    constant: list[tuple[models.Field, str]] = [
        (f, _converter(f, connection)(value)) for f, value in constants.items()
    ]
    for f in (f for f in missing if f not in constants):
        value, varies = _default(f, now)
        if varies:
            per_row.append((f, _converter(f, connection)))
        else:
            constant.append((f, _converter(f, connection)(value)))
    columns = [*given, *(f for f, _ in per_row), *(f for f, _ in constant)]
    # Defaults that are the same for every row are formatted once.
    constant_suffix = "".join("\t" + text for _, text in constant)
    converters = [_converter(f, connection) for f in given]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in columns)
    )

    written = 0

    def chunks():
        nonlocal written
        lines: list[str] = []
        for values in _values(kind, items, given, fields_arg, now):
            line = "\t".join([conv(v) for conv, v in zip(converters, values, strict=True)])
            for f, conv in per_row:
                line += "\t" + conv(f.get_default())
            lines.append(line + constant_suffix + "\n")
            if len(lines) >= batch_size:
                written += len(lines)
                yield "".join(lines)
                lines = []
        if lines:
            written += len(lines)
            yield "".join(lines)

    with connection.cursor() as cursor:
        _copy_from(connection, cursor, sql, chunks())

    if kind == "instance":
        for obj in items:
            obj._state.adding = False
            obj._state.db = connection.alias
    return written


def _copy_from(connection, cursor, sql: str, chunks: Iterable[str]) -> None:
    """Run ``COPY … FROM STDIN`` on ``cursor``, its data produced by ``chunks`` as the server
    reads it; logged like any query when queries are logged (tests, benchmarks count it)."""
    reader = _ChunkReader(chunks)
    started = time.monotonic()
    try:
        with connection.wrap_database_errors:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, reader, size=READ_SIZE)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    for chunk in reader.chunks():
                        copy.write(chunk)
    except Exception:
        # psycopg2 reports an error raised while producing rows as a database error;
        # the caller should see the original one (bad value, bad row).
        if reader.error is not None:
            raise reader.error from None
        raise
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


class _ChunkReader(io.TextIOBase):
    """A read-only text file produced on demand from an iterator of strings.

    COPY reads it piece by piece, so rows go over the wire while later rows are still being
    formatted, and the server (another process, another core) inserts them meanwhile.
    """

    def __init__(self, chunks: Iterable[str]):
        self._chunks = self._guarded(iter(chunks))
        self._pending = ""
        self.error: BaseException | None = None

    def _guarded(self, chunks):
        try:
            yield from chunks
        except Exception as exc:
            self.error = exc
            raise

    def chunks(self):
        """The chunks themselves, for writers that take them one by one (psycopg 3)."""
        return self._chunks

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        source = self._chunks
        if size is None or size < 0:
            out, self._pending = self._pending + "".join(source), ""
            return out
        while len(self._pending) < size:
            chunk = next(source, None)
            if chunk is None:
                break
            self._pending += chunk
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


# ---------------------------------------------------------------- elsewhere: bulk_create


def _orm_insert(model, items, kind, fields_arg, using, batch_size, constants) -> int:
    fixed = {f.attname: _plain(value) for f, value in constants.items()}
    if kind == "instance":
        objs = items
    elif kind == "dict":
        objs = [model(**fixed, **{k: _plain(v) for k, v in row.items()}) for row in items]
    else:
        names = [_field(model, name).attname for name in fields_arg]
        objs = [model(**fixed, **dict(zip(names, map(_plain, row), strict=True))) for row in items]
    model._base_manager.using(using).bulk_create(objs, batch_size=batch_size)
    return len(objs)


def bulk_update_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    using: str | None = None,
    constants: dict[str, Any] | None = None,
    guard: str | None = None,
) -> int:
    """Set ``fields`` on many rows at once; each row is ``(pk, value_for_field_1, ...)``.
    ``constants`` ({field: value}) are set on every row alike, as parameters of the UPDATE.

    ``guard`` (PostgreSQL only): an SQL expression of the row, a bigint, written with ``{t}``
    for the table (``"{t}.version"``); each row then ends with the value it must still have,
    and a row whose value differs is left alone. Returns the number of rows updated, which
    the caller compares with the number it gave.

    On PostgreSQL the new values go through one COPY into a temporary table, then one
    ``UPDATE … FROM`` that table: three statements whatever the number of rows, and a single
    join the planner can hash. Elsewhere: one prepared ``UPDATE … WHERE pk = ?`` run with
    ``executemany``. No signals, no ``auto_now``: callers pass every value they want written.
    """
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(meta.pk.column)
    columns = [connection.ops.quote_name(f.column) for f in model_fields]
    rows = list(rows)
    if not rows:
        return 0
    fixed = [(meta.get_field(name), value) for name, value in (constants or {}).items()]
    fixed_sets = [f"{connection.ops.quote_name(f.column)} = %s" for f, _ in fixed]
    fixed_params = [f.get_db_prep_save(value, connection) for f, value in fixed]
    if guard is not None and connection.vendor != "postgresql":
        raise NotImplementedError("bulk_update_rows: guard needs PostgreSQL.")
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            return _copy_update(
                connection,
                meta,
                model_fields,
                table,
                pk_column,
                columns,
                rows,
                fixed_sets,
                fixed_params,
                guard,
            )
        else:

            def adapt(field, value):
                if value is None:
                    return None
                if isinstance(field, models.JSONField):
                    if type(value) is RawJSON:
                        return str(value)
                    return json.dumps(value, cls=field.encoder, ensure_ascii=False)
                return field.get_db_prep_save(value, connection)

            sets = ", ".join([*(f"{col} = %s" for col in columns), *fixed_sets])
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {sets} WHERE {pk_column} = %s",
                    [
                        (
                            *(adapt(f, v) for f, v in zip(model_fields, row[1:], strict=True)),
                            *fixed_params,
                            meta.pk.get_db_prep_value(row[0], connection),
                        )
                        for row in rows
                    ],
                )
                return cursor.rowcount


UPDATE_RANDOM_PAGE_COST = 1.1


def _copy_update(
    connection, meta, model_fields, table, pk_column, columns, rows, fixed_sets, fixed_params, guard
) -> int:
    temp = connection.ops.quote_name(f"_upd_{meta.db_table}")
    converters = [_converter(f, connection) for f in model_fields]
    pk_text = _converter(meta.pk, connection)
    pk_type = meta.pk.rel_db_type(connection)  # bigint for a bigserial key, uuid for a UUID
    definitions = ", ".join(f"_v{i} {f.db_type(connection)}" for i, f in enumerate(model_fields))
    if guard is not None:  # the last value of each row: what the guard must still give
        converters.append(lambda v: NULL if v is None else str(int(v)))
        definitions += ", _guard bigint"

    def chunks():
        lines = []
        for row in rows:
            lines.append(
                "\t".join([pk_text(row[0]), *(c(v) for c, v in zip(converters, row[1:], strict=True))])
            )
            if len(lines) >= DEFAULT_BATCH_SIZE:
                yield "\n".join(lines) + "\n"
                lines = []
        if lines:
            yield "\n".join(lines) + "\n"

    sets = ", ".join([*(f"{col} = v._v{i}" for i, col in enumerate(columns)), *fixed_sets])
    with connection.cursor() as cursor:
        cursor.execute(
            # No primary key: building its index costs more than the hash join it would save.
            f"CREATE TEMPORARY TABLE {temp} (_pk {pk_type} NOT NULL, {definitions}) ON COMMIT DROP"
        )
        _copy_from(connection, cursor, f"COPY {temp} FROM STDIN", chunks())
        # The row count (no statistics yet) lets the planner join from the smaller side.
        cursor.execute(f"ANALYZE {temp} (_pk)")
        cursor.execute(
            # For this statement only, an index probe costs what it costs on an SSD or in memory
            # (PostgreSQL's default, 4, is a spinning disk's): updating one county's 28,000 rows of
            # a million-row table then probes the primary key (0.25 s) instead of reading the
            # whole table into a hash join (1.0 s, once per county of a province's recomputation);
            # updating most of a table still hashes. Reset when the table is dropped.
            f"SET LOCAL random_page_cost = {UPDATE_RANDOM_PAGE_COST};"
            f" UPDATE {table} AS t SET {sets} FROM {temp} AS v WHERE t.{pk_column} = v._pk"
            # Not an "=": the guard is then checked on the joined rows only, not computed for
            # every row of the table as a hash key.
            + ("" if guard is None else f" AND {guard.format(t='t')} IS NOT DISTINCT FROM v._guard"),
            fixed_params,
        )
        updated = cursor.rowcount
        cursor.execute(f"SET LOCAL random_page_cost TO DEFAULT; DROP TABLE {temp}")
    return updated
