"""Insert many rows at once: ``COPY FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite.

Rows are dicts of field values (by name or attname; related objects or their ids). What ``Model.save()`` would
fill is filled here the same way: field defaults, ``auto_now``/``auto_now_add`` timestamps, and the database form
of each value (``get_db_prep_save``: encrypted fields are encrypted). The caller gets the new primary keys in row
order.

On PostgreSQL the rows are turned into the database's form (encryption included) while the server writes the rows
sent before them: the two run on separate cores, and the COPY text is never held whole (see ``_Lines``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connections, models, router
from django.utils import timezone

from portal import counts


def _escape(text: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return escaped (tests first: most text has none)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


# Field classes whose Python value (as the import parsers produce it) is already the database value.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.ForeignKey,
)


class JSONText(str):
    """A JSON value already encoded (so it need not be encoded again when written)."""


def _copy(cursor, sql: str, buffer) -> None:
    """One COPY statement (a function of its own so that benchmarks can count the statements)."""
    cursor.copy_expert(sql, buffer)


def _fields(model) -> tuple[list, list]:
    """(fields set from the rows, fields set at insert time: auto_now / auto_now_add)."""
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamped = [f for f in concrete if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    return [f for f in concrete if f not in stamped], stamped


def _cells(fields: list, connection, rows: Iterable[dict]) -> Iterator:
    """Each row in the database's form, made as it is asked for: a COPY text line (without its primary key and
    stamps) on PostgreSQL, a tuple of parameters elsewhere."""
    if connection.vendor == "postgresql":
        cells = [_copy_cell(f, connection) for f in fields]
        return ("\t".join([cell(row) for cell in cells]) for row in rows)
    pairs = list(zip([_value_getter(f) for f in fields], [_db_value(f, connection) for f in fields], strict=True))
    return (tuple([prep(get(row)) for get, prep in pairs]) for row in rows)


def insert(
    model: type[models.Model], rows: Iterable[dict], *, count: int | None = None, using: str | None = None
) -> list[int]:
    """Insert ``rows`` (dicts) and return their primary keys in order. Runs in the caller's transaction. Rows given
    as a generator, with their ``count``, are made only as they are written."""
    using = using or router.db_for_write(model)
    connection = connections[using]
    fields, stamped = _fields(model)
    count = len(rows) if count is None else count
    cells = _cells(fields, connection, rows)
    if not count:
        return []
    now = timezone.now()
    stamps = [now if isinstance(f, models.DateTimeField) else timezone.localdate(now) for f in stamped]
    if connection.vendor == "postgresql":
        ids = _insert_copy(model, connection, fields, stamped, stamps, count, cells)
    elif connection.vendor == "sqlite":
        params = list(cells)
        if len(params) != count:
            raise ValueError(f"{len(params)} rows given for a count of {count}")
        ids = _insert_sqlite(model, connection, fields, stamped, stamps, params)
    else:
        raise NotImplementedError(f"bulk insert on {connection.vendor}")
    counts.touch(model)
    return ids


class _Lines:
    """The text of a ``COPY FROM STDIN``, read by psycopg2 a few thousand lines at a time. Each part is made when it
    is asked for, so Python prepares the next rows while the server (another process, on another core) writes the
    ones already sent; nor is the whole text ever held in memory."""

    LINES_PER_READ = 2000

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self.error: BaseException | None = None  # raised while making a line: psycopg2 reports it as a cancel

    def read(self, _size: int = -1) -> str:
        try:
            return "".join(islice(self._lines, self.LINES_PER_READ))
        except BaseException as exc:
            self.error = exc
            raise


def _insert_copy(model, connection, fields, stamped, stamps, count: int, cells: Iterator[str]) -> list[int]:
    """Primary keys from the table's sequence in one query, then one COPY."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk
    prefix = "".join(_copy_text(f, connection)(v) + "\t" for f, v in zip(stamped, stamps, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        ids = [r[0] for r in cursor.fetchall()]
        lines = (f"{pk_value}\t{prefix}{line}\n" for pk_value, line in zip(ids, cells, strict=True))
        columns = [pk.column, *(f.column for f in stamped), *(f.column for f in fields)]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        text = _Lines(lines)
        try:
            _copy(cursor.cursor, f"COPY {table} ({quoted}) FROM STDIN", text)
        except Exception:
            if text.error is not None:  # the row's own error, not the aborted COPY psycopg2 makes of it
                raise text.error from None
            raise
    return ids


def _insert_sqlite(model, connection, fields, stamped, stamps, cells: list[tuple]) -> list[int]:
    """One ``executemany`` of a plain INSERT (no parameter limit per statement, unlike a multi-row INSERT). The
    transaction holds SQLite's write lock from the first row on and AUTOINCREMENT ids only grow, so the new rows
    are the ``len(cells)`` highest ids, in insertion order."""
    opts = model._meta
    quote = connection.ops.quote_name
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    columns = [*(f.column for f in stamped), *(f.column for f in fields)]
    prefix = tuple(_db_value(f, connection)(v) for f, v in zip(stamped, stamps, strict=True))
    params = [prefix + row for row in cells] if prefix else cells
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        # Table and column names come from the model's metadata, quoted; values are parameters.
        sql = f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
        cursor.executemany(sql, params)
        cursor.execute(f"SELECT {pk} FROM {table} ORDER BY {pk} DESC LIMIT %s", [len(params)])  # noqa: S608
        return [r[0] for r in reversed(cursor.fetchall())]


_MISSING = object()


def _value_getter(field: models.Field) -> Callable[[dict], object]:
    name, attname = field.name, field.attname
    default = field.get_default
    if field.is_relation:
        target = field.target_field.attname  # the related row's key (its id, or the ``to_field``)

        def get(row):
            value = row.get(attname, _MISSING)
            if value is not _MISSING:
                return value
            value = row.get(name, _MISSING)
            if value is _MISSING:
                return default()
            return getattr(value, target) if isinstance(value, models.Model) else value

        return get

    def get(row):  # (a field that is not a relation has one name)
        value = row.get(name, _MISSING)
        return default() if value is _MISSING else value

    return get


def _copy_cell(field: models.Field, connection) -> Callable[[dict], str]:
    """row → the field's COPY text. Text and whole numbers, most of a row, are written without further tests."""
    get, prep = _value_getter(field), _copy_text(field, connection)
    if type(field) not in _PLAIN:
        return lambda row: prep(get(row))

    def cell(row):
        value = get(row)
        kind = type(value)
        if kind is str:
            return _escape(value)
        if kind is int:
            return str(value)
        return prep(value)

    return cell


def _db_value(field: models.Field, connection) -> Callable[[object], object]:
    """A function turning a field's Python value into the parameter the database driver takes."""
    if type(field) in _PLAIN:
        return _same
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def prep(value):
            if value is None or isinstance(value, JSONText):
                return value
            return json.dumps(value, cls=encoder, ensure_ascii=False)

        return prep
    if type(field) is models.DateTimeField:
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    if type(field) is models.DateField:
        adapt = connection.ops.adapt_datefield_value
        return lambda value: None if value is None else adapt(value)
    to_db = field.get_db_prep_save
    return lambda value: to_db(value, connection)


def _same(value):
    return value


def _copy_text(field: models.Field, connection) -> Callable[[object], str]:
    """A function turning a field's Python value into its COPY text form (``\\N`` for NULL)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def prep(value):
            if value is None:
                return "\\N"
            if not isinstance(value, JSONText):
                value = json.dumps(value, cls=encoder, ensure_ascii=False)
            return _escape(value)

        return prep
    if type(field) in (models.DateField, models.DateTimeField):  # aware datetimes keep their offset
        return lambda value: "\\N" if value is None else value.isoformat()
    if type(field) is models.DecimalField:
        to_python = field.to_python
        return lambda value: "\\N" if value is None else str(to_python(value))
    to_db = _same if type(field) in _PLAIN else (lambda value: field.get_db_prep_save(value, connection))

    def prep(value):
        value = to_db(value)
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        if isinstance(value, str):
            return _escape(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    return prep
