"""``field__any_of=[...]``: membership in a long list of values, as one array parameter.

Django's ``__in`` sends one parameter per value: at 100,000 values the statement is huge,
SQLite refuses it and PostgreSQL spends long planning it. On PostgreSQL ``any_of`` sends the
whole list as a single array (``col = ANY(%s)``), which the planner turns into an index scan
or a hashed filter. Elsewhere it is ``IN (…)``; ``core.bulk.pick`` keeps that short.
"""

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep a lookup registry of their own
