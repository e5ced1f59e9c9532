"""``field__any=values``: ``field IN (values)`` for long lists of values.

An import looks up its 100,000 rows' keys in one query. As ``__in``, Django writes a placeholder for each value and
the driver quotes each into the statement one by one. On PostgreSQL ``__any`` sends the whole list as one array
parameter (``= ANY(%s)``), which psycopg2 quotes in one call; elsewhere it is ``__in``.
"""

from django.db import models
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():  # a subquery
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prepare = self.lhs.output_field.get_db_prep_value
        values = [prepare(value, connection, prepared=True) for value in self.rhs if value is not None]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]


def install() -> None:
    models.Field.register_lookup(AnyOf)
