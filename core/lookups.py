"""``field__any_of=[...]``: membership in a long list of values, as one array parameter.

Django's ``__in`` sends one parameter per value: at 100,000 values the statement is huge,
SQLite refuses it and PostgreSQL spends long planning it. On PostgreSQL ``any_of`` sends the
whole list as a single array (``col = ANY(%s::type[])``), which the planner turns into an
index scan or a hashed filter. Integers and strings travel as one array literal built here
(``{1,2,3}``, ``{"a","b"}``): psycopg2 adapts a Python list item by item, which costs about
25 ms per 10,000 values, a tenth of that as one string. Other values (dates, UUIDs…) keep
psycopg2's list adaptation. Elsewhere it is ``IN (…)``; ``core.bulk.pick`` keeps that short.
"""

from django.db.models import Field, ForeignObject, Lookup


def array_literal(values: list) -> tuple[str, str] | None:
    """(PostgreSQL's text form of an array of the integers or strings in ``values``, the
    element type: ``bigint`` or ``text``); None, which ``= ANY`` never matches, is left out.
    None when another type is among them."""
    ints, texts = [], []
    for v in values:
        kind = type(v)
        if kind is int:
            ints.append(v)
        elif kind is str:
            texts.append(v)
        elif v is not None:
            return None
    if ints and texts:
        return None
    if ints:
        return "{" + ",".join(map(str, ints)) + "}", "bigint"
    if "\x00" in "".join(texts):
        return None  # PostgreSQL text cannot hold NUL: let psycopg2 report it as it would
    quoted = (t.replace("\\", "\\\\").replace('"', '\\"') if ("\\" in t or '"' in t) else t for t in texts)
    return "{" + ",".join(f'"{t}"' for t in quoted) + "}", "text"


# Column types a bigint[] or text[] array compares with directly (and through their index).
FAMILIES = {
    "bigint": ("integer", "bigint", "smallint"),
    "text": ("varchar", "character varying", "char", "character", "text"),
}


class Many:
    """The values of an ``any_of`` lookup, wrapped so Django's query builder takes them as one
    value: it walks a list or tuple item by item looking for expressions (20 ms per 10,000
    values). ``core.bulk.pick`` passes its values so."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = list(values)


INT_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
}
TEXT_TYPES = {"CharField", "TextField"}


def _target(field):
    while getattr(field, "target_field", None) is not None and field.target_field is not field:
        field = field.target_field
    return field


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        values = self.rhs.values if isinstance(self.rhs, Many) else list(self.rhs)
        field = self.lhs.output_field
        kind = _target(field).get_internal_type()
        # Values already of the column's Python type need no preparing, one by one.
        if kind in INT_TYPES and all(type(v) is int for v in values):
            return values
        if kind in TEXT_TYPES and all(type(v) is str for v in values):
            return values
        return [field.get_prep_value(v) for v in values]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        literal = array_literal(values)
        # Cast to the widest type of the family (bigint, text), never to the column's own:
        # varchar(18)[] would cut a longer value to 18 characters and match it.
        column = (self.lhs.output_field.db_type(connection) or "").split("(")[0].strip().lower()
        if literal is None or column not in FAMILIES.get(literal[1], ()):
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} = ANY(%s::{literal[1]}[])", [*lhs_params, literal[0]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep a lookup registry of their own
