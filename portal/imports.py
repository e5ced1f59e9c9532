"""Spreadsheet import: read an XLSX or CSV file, validate it whole, preview, then commit all rows or none.

Each importable model has an ``ImportSpec`` (in its app's ``imports.py``): the columns with their Chinese
headers and parsers, how foreign keys are resolved (one query per kind of reference, whatever the number of
rows), the natural key that makes re-importing the same file change nothing, and who may import. Errors name the
row as the user sees it in the spreadsheet and the column: "第57行 居民身份证号码：校验位错误。"
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import gc
import io
import itertools
import json
import marshal
import operator
import pickle
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring as encode_json_string
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from portal import audit, bulk, crypto, locks
from portal.models import AuditEvent

MAX_ERRORS = 500

# Sent inside the import's transaction once its rows are written: ``sender`` the model, ``created_ids`` the new
# rows' primary keys, ``updated`` the RowResults of the changed rows (summary tables listen).
committed = Signal()


@dataclass
class Column:
    """One spreadsheet column: its header (a lazy translation; the zh-hans and English texts both match),
    the model field it fills and the parser that turns the cell into a value (or raises ValidationError)."""

    header: Any
    field: str
    parse: Callable[[Any, dict], Any]
    required: bool = False
    note: Any = ""

    def headers(self) -> set[str]:
        with override("zh-hans"):
            zh = str(self.header)
        with override("en"):
            en = str(self.header)
        return {zh, en}


@dataclass
class RowResult:
    row: int
    action: str  # create / update / unchanged
    values: dict  # create: the whole new row; update: the row as it will be (field name → value)
    label: str
    instance: models.Model | None = None  # update / unchanged: the existing row, with the new values set
    changes: dict = field(default_factory=dict)
    key: tuple = ()
    stamp: str = ""  # update / unchanged: the existing row as it was checked (see ``_stamp``)


@dataclass
class Validation:
    items: list[RowResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for item in self.items:
            counts[item.action] += 1
        return counts

    def add_error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


class ImportSpec:
    """Subclass per model; the engine below does the rest.

    A row is checked without building a model instance: each column's parser, then the model field's own
    validators (lengths, ranges, digits), then ``row_errors`` — the model's cross-field rules, which the model's
    ``clean()`` shares — so a file is held to the same rules as the form, at a fraction of ``full_clean()``'s cost.
    """

    kind: str
    model: type[models.Model]
    columns: list[Column]
    title: Any

    def may_import(self, actor) -> bool:
        raise NotImplementedError

    def context(self, actor, rows: list[dict]) -> dict:
        """Batch look-ups for the whole file (a few queries, not one per row)."""
        return {}

    def key(self, values: dict) -> tuple:
        raise NotImplementedError

    def existing(self, actor, keys: list[tuple], ctx: dict) -> dict:
        """{key: instance} of the rows already in the database."""
        raise NotImplementedError

    def complete(self, values: dict) -> None:
        """Resolve what needs several columns (called once a row parsed without errors)."""

    def create_defaults(self, actor) -> dict:
        """What the server sets on a new row (the owning agency …), never the file."""
        return {}

    def derive(self, values: dict) -> None:
        """Fields computed from others (what ``save()`` would set; bulk writes do not call it)."""

    def derive_new(self, values: dict, ctx: dict) -> None:
        """Fields a new row takes from what it refers to (what ``save()`` would set on insert)."""

    def row_errors(self, values: dict) -> dict:
        """{field: [messages]} of the model's cross-field rules for the row as it will be saved."""
        return {}

    def label(self, values: dict) -> str:
        """How the row is named in the preview and the audit trail (personal data masked)."""
        raise NotImplementedError

    def check_update(self, actor, instance, ctx) -> str | None:
        """An error message if ``actor`` may not change this existing row."""
        return None

    scope_fields: tuple = ()  # attnames of the references that put a row in the actor's scope

    def in_scope(self, actor, rows: list[dict]) -> bool:
        """At confirmation: are the references of the checked rows (``scope_fields`` → values) still within the
        actor's scope? If not, the file is checked again from scratch."""
        return True


# --- reading ---------------------------------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list]]]:
    """Header cells and data rows (with their spreadsheet row numbers) of the first sheet or the CSV file.

    XLSX is read with calamine (Rust; about 20× openpyxl's read-only mode). Whole numbers come back as ``int``
    (as typed in Excel), empty cells as ``None``, dates and times as ``date``/``datetime``.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            table = sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # not a workbook at all
            raise ValidationError(_("The file is not a readable XLSX workbook.")) from exc
        table = [[_xlsx_cell(c) for c in row] for row in table]
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 text."))
        table = list(csv.reader(io.StringIO(text)))
    else:
        raise ValidationError(_("Upload an .xlsx or .csv file."))
    if not table:
        raise ValidationError(_("The file is empty."))
    headers = [str(h).strip() if h is not None else "" for h in table[0]]
    rows = [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if any(cell is not None and cell != "" and (not isinstance(cell, str) or cell.strip()) for cell in row)
    ]
    return headers, rows


def _xlsx_cell(cell):
    if cell == "":
        return None
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


# --- validating and committing ---------------------------------------------------------------------------------


def row_error(row: int, column: str, message: str) -> str:
    return _("Row %(row)s %(column)s: %(message)s") % {"row": row, "column": column, "message": message}


def validate(spec: ImportSpec, actor, headers: list[str], rows: list[tuple[int, list]], progress=None) -> Validation:
    """``progress(rows_done)`` is called every 1,000 rows (a job reports it to the user; see ``check_file``)."""
    from portal.reference.validators import preloaded_region_codes

    with preloaded_region_codes(), _gc_paused():
        return _validate(spec, actor, headers, rows, progress)


@contextlib.contextmanager
def _gc_paused():
    """Bulk work allocates hundreds of thousands of small objects and no reference cycles: the cyclic garbage
    collector would scan them again and again (a third of the run time). Paused for the block only."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class _FieldRules:
    """What the engine checks per spec, worked out once from the model."""

    validators: dict  # field name → the model field's validators (max length, ranges, digits)
    required: list  # editable fields a new row must have: (name, label)
    masks: dict
    relations: dict  # field name → attname
    names: dict  # attname → field name
    defaults: dict  # field name → its default value (not for auto_now fields or callables)
    default_factories: dict  # field name → callable default, called per row
    audit_converters: dict = field(default_factory=dict)  # key → function, filled on first use
    created_writers: dict = field(default_factory=dict)  # key → function, filled on first use

    def new_row(self) -> dict:
        row = dict(self.defaults)
        for name, factory in self.default_factories.items():
            row[name] = factory()
        return row


def _rules(spec: ImportSpec) -> _FieldRules:
    cached = spec.__dict__.get("_field_rules")
    if cached is not None:
        return cached
    fields = {f.name: f for f in spec.model._meta.concrete_fields}
    labels = {c.field: c.header for c in spec.columns}
    rules = _FieldRules(
        validators={c.field: _validators(fields[c.field], c.parse) for c in spec.columns if c.field in fields},
        required=[
            (f.name, labels.get(f.name, f.verbose_name))
            for f in fields.values()
            if f.editable
            and not (f.blank or f.null or f.primary_key or f.has_default())
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ],
        masks=getattr(spec.model, "audit_masks", {}),
        relations={f.name: f.attname for f in fields.values() if f.is_relation},
        names={f.attname: f.name for f in fields.values() if f.is_relation},
        defaults={
            f.name: f.get_default()
            for f in fields.values()
            if not f.primary_key
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
            and not (f.has_default() and callable(f.default))
        },
        default_factories={
            f.name: f.default for f in fields.values() if not f.primary_key and f.has_default() and callable(f.default)
        },
    )
    spec._field_rules = rules
    return rules


def _validators(field: models.Field, parse) -> list:
    """The model field's validators that the column's parser does not already enforce (a ``text`` column's length:
    each is run on up to 100,000 rows)."""
    limit = getattr(parse, "max_length", None)
    return [
        v
        for v in field.validators
        if not (limit is not None and isinstance(v, MaxLengthValidator) and limit <= v.limit_value)
    ]


def _audit_values(rules: _FieldRules, values: dict) -> dict:
    """JSON-safe values of a row for the audit trail (as ``audit.snapshot``): related rows as ids, personal data
    masked, times in UTC."""
    data = {}
    converters = rules.audit_converters
    for key, value in values.items():
        convert = converters.get(key)
        if convert is None:
            convert = converters[key] = _audit_converter(rules, key)
        if convert is not _SKIP:
            data[rules.names.get(key, key)] = convert(value)
    return data


_SKIP = object()


def _audit_converter(rules: _FieldRules, key: str):
    name = rules.names.get(key, key)
    if name in audit.SECRET_FIELDS:
        return _SKIP
    mask = rules.masks.get(name)
    if mask is not None:
        return lambda value: audit._json_value(mask(value) if value not in (None, "") else value)
    if name in rules.relations:
        return _related_id
    return audit._json_value


def _related_id(value):
    """A related row's key (read as its attribute: ``.pk`` is a property and a call, 700,000 times an import)."""
    return getattr(value, value._meta.pk.attname) if isinstance(value, models.Model) else value


def _created(rules: _FieldRules, values: dict) -> dict:
    """The audit record of a new row: every value set, as [None, value]."""
    return json.loads(_created_json(rules, values))


def _created_json(rules: _FieldRules, values: dict) -> bulk.JSONText:
    """``_created`` as JSON text, written directly: one import writes it for each of up to 100,000 new rows."""
    writers = rules.created_writers
    parts = []
    for key, value in values.items():
        if value is None or (isinstance(value, str) and not value):
            continue
        write = writers.get(key)
        if write is None:
            write = writers[key] = _created_writer(rules, key)
        if write is not _SKIP:
            parts.append(write(value))
    return bulk.JSONText("{" + ", ".join(parts) + "}")


def _created_writer(rules: _FieldRules, key: str):
    """value → ``"name": [null, value]``, the value as ``_audit_converter`` makes it, in JSON."""
    convert = _audit_converter(rules, key)
    if convert is _SKIP:
        return _SKIP
    prefix = encode_json_string(rules.names.get(key, key)) + ": [null, "
    plain = convert is audit._json_value or convert is _related_id  # leaves a text or a whole number as it is

    def write(value):
        kind = type(value)
        if plain:  # as audit._json_value converts them, without its tests; none of these needs escaping but text
            if kind is str:
                return prefix + encode_json_string(value) + "]"
            if kind is int:
                return prefix + str(value) + "]"
            if kind is datetime.date or kind is Decimal:
                return f'{prefix}"{value}"]'
            if kind is datetime.datetime and value.tzinfo is not None:
                return f'{prefix}"{value.astimezone(datetime.UTC).isoformat()}"]'
        value = convert(value)
        kind = type(value)
        if kind is str:
            return prefix + encode_json_string(value) + "]"
        if kind is int:
            return prefix + str(value) + "]"
        return prefix + json.dumps(value, ensure_ascii=False) + "]"

    return write


def _current_values(instance: models.Model) -> dict:
    """The field values of a stored row, without loading related rows that are not already loaded."""
    data = {}
    for f in instance._meta.concrete_fields:
        if f.is_relation and not f.is_cached(instance):
            data[f.attname] = getattr(instance, f.attname)
        else:
            data[f.name] = getattr(instance, f.name)
    return data


def _stamp(instance: models.Model) -> str:
    """A fingerprint of a stored row: confirmation proceeds from the checked rows only if it is unchanged."""
    return json.dumps(audit.snapshot(instance), sort_keys=True, ensure_ascii=False)


def _validate(spec: ImportSpec, actor, headers: list[str], rows: list[tuple[int, list]], progress) -> Validation:
    result = Validation()
    positions = {}
    for column in spec.columns:
        names = column.headers()
        matches = [i for i, h in enumerate(headers) if h in names]
        if matches:
            positions[column.field] = matches[0]
        elif column.required:
            result.add_error(1, str(column.header), _("This column is missing."))
    if result.errors:
        return result
    rules = _rules(spec)
    labels = {c.field: str(c.header) for c in spec.columns}
    for name, label in rules.required:
        labels.setdefault(name, str(label))
    columns = [(c.field, c.parse, c.required, positions[c.field]) for c in spec.columns if c.field in positions]
    ctx = spec.context(actor, [{f: _at(row, i) for f, _p, _r, i in columns} for _n, row in rows])
    ctx.setdefault("tz", timezone.get_current_timezone())
    ctx.setdefault("today", timezone.localdate())
    defaults = spec.create_defaults(actor)
    required_message = _("This field is required.")
    parsed = []
    for done, (number, row) in enumerate(rows, start=1):
        if progress is not None and done % 1000 == 0:
            progress(done)
        values, failed = {}, False
        for name, parse, required, position in columns:
            cell = row[position] if position < len(row) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if required:
                    result.add_error(number, labels[name], required_message)
                    failed = True
                continue
            try:
                value = parse(cell, ctx)
                for validator in rules.validators.get(name, ()):
                    validator(value)
            except ValidationError as exc:
                result.add_error(number, labels[name], " ".join(exc.messages))
                failed = True
                continue
            values[name] = value
        if not failed:
            try:
                spec.complete(values)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    result.add_error(number, labels.get(name, ""), " ".join(messages))
                failed = True
        if not failed:
            parsed.append((number, values))
    keys = [spec.key(values) for _n, values in parsed]
    existing = spec.existing(actor, keys, ctx)
    owners = {actor.agency_id, *(getattr(i, "owner_agency_id", None) for i in existing.values())}
    lock = locks.Checker(spec.model, owners)  # the quarters the owners confirmed for the exchange
    seen = {}
    for (number, values), key in zip(parsed, keys, strict=True):
        if key in seen:
            result.add_error(number, "", _("Same record as row %(row)s.") % {"row": seen[key]})
            continue
        seen[key] = number
        current = existing.get(key)
        if current is not None:
            refusal = spec.check_update(actor, current, ctx)
            if refusal:
                result.add_error(number, "", refusal)
                continue
            before = _current_values(current)
            row_values = {**before, **values}
        else:
            row_values = rules.new_row()
            row_values.update(defaults)
            row_values.update(values)
            spec.derive_new(row_values, ctx)
        spec.derive(row_values)
        errors = spec.row_errors(row_values)
        if lock.locked:
            if current is None:
                errors.update(lock.errors(owner_id=locks.owner_of(row_values), before=None, after=row_values))
            else:
                old, new = _audit_values(rules, before), _audit_values(rules, row_values)
                changed = [k for k, v in new.items() if k != "updated_at" and old.get(k) != v]
                if changed:
                    owner = current.owner_agency_id
                    errors.update(lock.errors(owner_id=owner, before=before, after=row_values, changed=changed))
        if current is None:
            for name, _label in rules.required:
                if row_values.get(name) in (None, "") and name not in errors:
                    errors[name] = [required_message]
        if errors:
            for name, messages in errors.items():
                result.add_error(number, labels.get(name, ""), " ".join(str(m) for m in messages))
            continue
        if current is None:  # the audit record's values are worked out when the row is written
            item = RowResult(number, "create", row_values, spec.label(row_values), key=key)
        else:
            old, new = _audit_values(rules, before), _audit_values(rules, row_values)
            changes = {k: [old.get(k), v] for k, v in new.items() if k != "updated_at" and old.get(k) != v}
            stamp = _stamp(current)
            for name, value in values.items():
                setattr(current, name, value)
            for name in changes:
                if name not in values and name in row_values:  # derived fields
                    setattr(current, name, row_values[name])
            action = "update" if changes else "unchanged"
            item = RowResult(number, action, row_values, spec.label(row_values), current, changes, key=key, stamp=stamp)
        result.items.append(item)
    return result


def _at(row: list, position: int):
    return row[position] if position < len(row) else None


@transaction.atomic
def commit(spec: ImportSpec, actor, result: Validation, *, batch=None) -> dict:
    """Write every row of a validated file (nothing if it has errors), with one audit record per changed row."""
    if result.errors:
        raise ValidationError(_("The file has errors; nothing was imported."))
    _check_locks(spec, actor, result)
    with _gc_paused():
        return _commit(spec, actor, result, batch)


def _check_locks(spec: ImportSpec, actor, result: Validation) -> None:
    """At confirmation: refuse the whole file if a quarter it writes into was confirmed since it was checked."""
    items = [i for i in result.items if i.action != "unchanged"]
    owners = {actor.agency_id, *(getattr(i.instance, "owner_agency_id", None) for i in items)}
    lock = locks.Checker(spec.model, owners)
    if not lock.locked:
        return
    for item in items:
        if item.action == "create":
            errors = lock.errors(owner_id=locks.owner_of(item.values), before=None, after=item.values)
        else:
            before = {**item.values, **{name: old for name, (old, _new) in item.changes.items()}}
            owner = item.instance.owner_agency_id
            errors = lock.errors(owner_id=owner, before=before, after=item.values, changed=list(item.changes))
        for name, messages in errors.items():
            column = next((str(c.header) for c in spec.columns if c.field == name), "")
            raise ValidationError(row_error(item.row, column, " ".join(messages)))


def _commit(spec: ImportSpec, actor, result: Validation, batch) -> dict:
    now = timezone.now()
    rules = _rules(spec)
    created = [i for i in result.items if i.action == "create"]
    ids = bulk.insert(spec.model, [i.values for i in created])
    updated = [i for i in result.items if i.action == "update"]
    if updated:
        names = sorted({name for i in updated for name in i.changes})
        if any(f.name == "updated_at" for f in spec.model._meta.concrete_fields):
            for item in updated:
                item.instance.updated_at = now
            names.append("updated_at")
        spec.model.objects.bulk_update([i.instance for i in updated], names, batch_size=2000)
    ctx = audit._request_context.get() or {}
    note = (f"#{batch.pk} " if batch is not None else "") + _("import row %(row)s")
    common = {
        "actor": actor,
        "actor_name": actor.username[:150],
        "object_type": spec.model._meta.label_lower,
        "at": now,
        "ip_address": ctx.get("ip"),
        "request_path": ctx.get("path", ""),
    }
    events = (  # made as the audit trail's COPY asks for them (the values of a new row are the costly part)
        {
            **common,
            "verb": "create",
            "object_id": str(pk),
            "object_repr": item.label[:200],
            "changes": _created_json(rules, item.values),
            "note": note % {"row": item.row},
        }
        for pk, item in zip(ids, created, strict=True)
    )
    events = itertools.chain(
        events,
        (
            {
                **common,
                "verb": "update",
                "object_id": str(item.instance.pk),
                "object_repr": item.label[:200],
                "changes": item.changes,
                "note": note % {"row": item.row},
            }
            for item in updated
        ),
    )
    bulk.insert(AuditEvent, events, count=len(created) + len(updated))
    committed.send(sender=spec.model, created_ids=ids, updated=updated)
    return result.summary()


# --- the checked rows, kept between preview and confirmation ----------------------------------------------------
#
# The preview keeps its checked rows (encrypted: they hold personal data) beside the uploaded file. Confirmation
# re-checks only what can have changed since — the rows the file matches in the database, the actor's scope —
# and re-reads the whole file only if any of that differs.

_CHECKED_VERSION = 4  # 2: cases and accidents carry their enterprise's industry; 3: new rows as plain values;
# 4: new rows by column


def _checked_name(batch) -> str:
    return f"{batch.file.name}.checked"


def _save_checked(spec: ImportSpec, actor, batch, result: Validation) -> None:
    """Keep the checked rows for the confirmation: their values as they will be written (related rows by id). The
    confirmation turns them into the database's form while the server writes the rows before them, as a single pass
    does; made here, that work would wait on nothing and add to the preview. New rows, up to 100,000 of them, are
    kept by column (``_pack``)."""
    rules = _rules(spec)
    relations = rules.relations

    def plain(values):  # related rows by id
        values = dict(values)
        for name in relations.keys() & values.keys():
            value = values.pop(name)
            values[relations[name]] = value.pk if isinstance(value, models.Model) else value
        return values

    creates = [i for i in result.items if i.action == "create"]
    payload = {
        "version": _CHECKED_VERSION,
        "kind": spec.kind,
        "actor": actor.pk,
        "creates": marshal.dumps(
            (
                [i.row for i in creates],
                [i.label for i in creates],
                _pack_tuples([i.key for i in creates]),
                _pack([i.values for i in creates], relations),
            )
        ),
        "others": [
            (i.row, i.action, i.key, i.stamp, i.label, i.changes, plain(i.values) if i.action == "update" else None)
            for i in result.items
            if i.action != "create"
        ],
    }
    data = crypto.encrypt_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    name = _checked_name(batch)
    default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


# Rows kept by column: a list per key, in a form ``marshal`` writes as it is (it takes only built-in types, and is
# about twice as fast as pickling a dict per row, the dates, times and decimals in them each through a reduce call).
# A column of anything else is pickled whole. The bytes are kept encrypted and authenticated, like the file.
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_PLAIN_TYPES = frozenset({str, int, bool, float})


def _column_kind(values: list) -> str:
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= _PLAIN_TYPES:
        return "plain"
    if len(kinds) > 1:
        return "pickle"
    kind = kinds.pop()
    if kind is datetime.date:
        return "date"
    if kind is datetime.datetime and all(v is None or v.tzinfo is not None for v in values):
        return "time"
    if kind is Decimal:
        return "decimal"
    if issubclass(kind, models.Model):
        return "id"
    return "pickle"


def _ids(column: list) -> list:
    """The related rows' keys (an attribute read each: ``.pk`` is a property and a call)."""
    key = operator.attrgetter(next(v for v in column if v is not None)._meta.pk.attname)
    try:
        return list(map(key, column))
    except AttributeError:  # some are None (``None in column`` would call each row's __eq__)
        return [None if v is None else key(v) for v in column]


_PACK = {
    "plain": lambda column: column,
    "date": lambda column: [None if v is None else v.toordinal() for v in column],
    "time": lambda column: [None if v is None else (v - _EPOCH) // _MICROSECOND for v in column],
    "decimal": lambda column: [None if v is None else str(v) for v in column],
    "id": _ids,
    "pickle": lambda column: pickle.dumps(column, protocol=pickle.HIGHEST_PROTOCOL),
}
_UNPACK = {
    "plain": lambda column: column,
    "date": lambda column: [None if v is None else datetime.date.fromordinal(v) for v in column],
    "time": lambda column: [None if v is None else _EPOCH + v * _MICROSECOND for v in column],
    "decimal": lambda column: [None if v is None else Decimal(v) for v in column],
    "id": lambda column: column,
    "pickle": lambda column: pickle.loads(column),  # noqa: S301 - authenticated, see _reuse_checked
}


def _pack_columns(columns: list[list]) -> tuple[list, list]:
    kinds = [_column_kind(column) for column in columns]
    return kinds, [_PACK[kind](column) for kind, column in zip(kinds, columns, strict=True)]


def _unpack_columns(kinds: list, columns: list) -> list[list]:
    return [_UNPACK[kind](column) for kind, column in zip(kinds, columns, strict=True)]


def _pack(rows: list[dict], relations: dict) -> tuple:
    """Rows (dicts with the same keys) as ("columns", names, kinds, columns, count); a related row is kept by id,
    under its attname (``relations``). Rows whose keys differ are pickled as they are: ("rows", bytes)."""
    names = list(rows[0]) if rows else []
    try:
        if any(len(row) != len(names) for row in rows):
            raise KeyError
        columns = [list(map(operator.itemgetter(name), rows)) for name in names]
    except KeyError:
        return ("rows", pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    kinds, packed = _pack_columns(columns)
    names = [relations.get(name, name) if kind == "id" else name for name, kind in zip(names, kinds, strict=True)]
    return ("columns", names, kinds, packed, len(rows))


def _unpack(packed: tuple) -> list[dict]:
    if packed[0] == "rows":
        return pickle.loads(packed[1])  # noqa: S301 - authenticated, see _reuse_checked
    _form, names, kinds, columns, count = packed
    if not names:
        return [{} for _ in range(count)]
    return [dict(zip(names, row)) for row in zip(*_unpack_columns(kinds, columns))]  # noqa: B905 - equal lengths


def _pack_tuples(rows: list[tuple]) -> tuple:
    """Tuples of one length (the rows' keys) as (kinds, columns, count)."""
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("tuples of different lengths")
    return (*_pack_columns([list(column) for column in zip(*rows)]), len(rows))  # noqa: B905 - checked above


def _unpack_tuples(packed: tuple) -> list[tuple]:
    kinds, columns, count = packed
    if not columns:
        return [()] * count
    return list(zip(*_unpack_columns(kinds, columns)))  # noqa: B905 - columns of one length


def _drop_checked(batch) -> None:
    if batch.file.name:
        default_storage.delete(_checked_name(batch))


def _reuse_checked(spec: ImportSpec, actor, batch) -> Validation | None:
    """The preview's rows if nothing they depend on has changed, else None."""
    name = _checked_name(batch)
    if not batch.file.name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    try:
        # Authenticated encryption: only this installation's key can have produced what is unpickled here.
        payload = pickle.loads(crypto.decrypt_bytes(data))  # noqa: S301
        if payload.get("version") != _CHECKED_VERSION or payload["kind"] != spec.kind or payload["actor"] != actor.pk:
            return None
        # marshal's format is Python's own: kept by another version, the rows are checked again
        rows, labels, keys, values = marshal.loads(payload["creates"])  # noqa: S302 - authenticated, as above
        creates = list(zip(rows, _unpack_tuples(keys), labels, _unpack(values), strict=True))
    except (ValueError, EOFError, TypeError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    others = payload["others"]
    existing = spec.existing(actor, [c[1] for c in creates] + [o[2] for o in others], {})
    if any(c[1] in existing for c in creates):
        return None
    names = _rules(spec).names  # a scope field's attname → its name, if its values were kept as they are
    scope_keys = [a if not creates or a in creates[0][3] else names.get(a, a) for a in spec.scope_fields]
    for _row, _action, key, stamp, *_rest in others:
        current = existing.get(key)
        if current is None or _stamp(current) != stamp:
            return None
    # the scope of each distinct place (a few hundred enterprises), not of each of up to 100,000 rows
    places = dict.fromkeys(tuple([_related_id(c[3][k]) for k in scope_keys]) for c in creates)
    scoped = [dict(zip(spec.scope_fields, place, strict=True)) for place in places]
    scoped += [{a: o[6][a] for a in spec.scope_fields} for o in others if o[6] is not None]
    if scoped and not spec.in_scope(actor, scoped):
        return None
    result = Validation()
    result.items = [RowResult(row, "create", values, label, key=key) for row, key, label, values in creates]
    relations = _rules(spec).relations
    for row, action, key, _stamp_value, label, changes, values in others:
        instance = existing[key]
        if spec.check_update(actor, instance, {}):
            return None
        for name in changes:
            attname = relations.get(name, name)
            setattr(instance, attname, values[attname])
        result.items.append(RowResult(row, action, values or {}, label, instance, changes, key=key))
    return result


# --- parsers ---------------------------------------------------------------------------------------------------


def text(max_length: int) -> Callable:
    def parse(cell, ctx):
        value = str(cell).strip()
        if len(value) > max_length:
            raise ValidationError(_("At most %(n)s characters.") % {"n": max_length})
        if "\x00" in value:  # PostgreSQL stores no NUL in text: the whole import would fail when written
            raise ValidationError(_("Remove the null character (NUL) from this cell."))
        return value

    parse.max_length = max_length
    return parse


def integer(cell, ctx) -> int:
    try:
        value = Decimal(str(cell).strip())
    except InvalidOperation as exc:
        raise ValidationError(_("Enter a whole number.")) from exc
    if value != value.to_integral_value():
        raise ValidationError(_("Enter a whole number."))
    return int(value)


def decimal(cell, ctx) -> Decimal:
    try:
        return Decimal(str(cell).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError(_("Enter a number.")) from exc


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def date(cell, ctx) -> datetime.date:
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    value = str(cell).strip()
    try:
        return datetime.date.fromisoformat(value)  # 2025-03-18 and 20250318, the common cases, fast
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValidationError(_("Enter a date such as 2025-03-18."))


def date_time(cell, ctx) -> datetime.datetime:
    """A local date and time (Asia/Shanghai unless the user's zone differs), made aware."""
    if isinstance(cell, datetime.datetime):
        naive = cell
    else:
        value = str(cell).strip()
        try:
            naive = datetime.datetime.fromisoformat(value)
        except ValueError:
            for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d %H:%M", "%Y年%m月%d日 %H:%M"):
                try:
                    naive = datetime.datetime.strptime(value, fmt)  # noqa: DTZ007 - local time, made aware below
                    break
                except ValueError:
                    continue
            else:
                naive = datetime.datetime.combine(date(cell, ctx), datetime.time(0, 0))
    if naive.tzinfo is not None:
        return naive
    tz = ctx.get("tz") if ctx else None
    return naive.replace(tzinfo=tz) if tz is not None else timezone.make_aware(naive)


def choice(choices) -> Callable:
    """Accept the Chinese label, the English label or the stored value."""
    accepted: dict[str, str] = {}

    def parse(cell, ctx):
        if not accepted:  # labels are lazy translations: resolve them once, on first use
            for stored, label in choices:
                with override("zh-hans"):
                    accepted[str(label)] = stored
                with override("en"):
                    accepted[str(label)] = stored
                accepted[stored] = stored
        value = str(cell).strip()
        if value in accepted:
            return accepted[value]
        with override("zh-hans"):
            allowed = "、".join(str(label) for _s, label in choices)
        raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": allowed})

    return parse


# --- registry and the import workflow ----------------------------------------------------------------------------

_specs: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> None:
    """Apps register their specs from AppConfig.ready() (portal never imports the apps above it)."""
    _specs[spec.kind] = spec


def get_spec(kind: str) -> ImportSpec | None:
    return _specs.get(kind)


def specs_for(actor) -> list[ImportSpec]:
    return [s for s in _specs.values() if s.may_import(actor)]


PREVIEW_ROWS = 200
PROGRESS_SECONDS = 0.5


def read_upload(batch) -> bytes:
    """The uploaded file's bytes (stored encrypted: import files carry personal data)."""
    batch.file.open("rb")
    try:
        data = batch.file.read()
    finally:
        batch.file.close()
    try:
        return crypto.decrypt_bytes(data)
    except ValueError:  # stored before uploads were encrypted
        return data


def check_file(*, actor, spec: ImportSpec, batch, keep: bool = True) -> Validation:
    """Validate the batch's file and record the result on the batch (status, counts, errors, preview rows).
    With ``keep``, the checked rows are kept (encrypted) for the confirmation."""
    from portal.models import ImportBatch, ImportStatus

    last = [time.monotonic()]

    def progress(done: int) -> None:
        """Written at most twice a second: the page refreshes every few seconds, and a statement per 1,000
        rows would double an import's statements."""
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            ImportBatch.objects.filter(pk=batch.pk).update(progress=done)

    content = read_upload(batch)
    try:
        headers, rows = read_table(content, batch.original_name)
        ImportBatch.objects.filter(pk=batch.pk).update(row_count=len(rows), progress=0)
        result = validate(spec, actor, headers, rows, progress=progress)
    except ValidationError as exc:
        result = Validation()
        result.add_error(0, "", " ".join(exc.messages))
        rows = []
    batch.row_count = len(rows)
    batch.progress = len(rows)
    batch.errors = [{**e, "text": row_error(e["row"], e["column"], e["message"])} for e in result.errors]
    batch.summary = {
        **result.summary(),
        "preview": [
            {
                "row": i.row,
                "action": i.action,
                "label": i.label[:120],
                "fields": sorted(i.changes or _created(_rules(spec), i.values)),
            }
            for i in result.items[:PREVIEW_ROWS]
            if i.action != "unchanged"
        ],
    }
    batch.status = ImportStatus.FAILED if result.errors else ImportStatus.VALIDATED
    batch.save(update_fields=["row_count", "progress", "errors", "summary", "status"])
    if keep and not result.errors:
        with _gc_paused():
            _save_checked(spec, actor, batch, result)
    return result


def upload(*, actor, spec: ImportSpec, uploaded_file):
    """Store an uploaded file as an import batch and validate it whole (nothing is written to the data)."""
    from portal.models import ImportBatch, ImportStatus

    if not spec.may_import(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    large = uploaded_file.size > settings.IMPORT_INLINE_MAX_BYTES
    batch = ImportBatch(
        kind=spec.kind,
        original_name=uploaded_file.name[:200],
        created_by=actor,
        status=ImportStatus.CHECKING if large else ImportStatus.VALIDATED,
    )
    content = crypto.encrypt_bytes(b"".join(uploaded_file.chunks()))
    batch.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(content), save=False)
    batch.save()
    if large:  # the request returns at once; a job checks the file and the page shows its progress
        from portal.jobs import enqueue
        from portal.tasks import check_import

        enqueue(check_import, batch.pk, actor.pk)
    else:
        check_file(actor=actor, spec=spec, batch=batch)
    return batch


def request_confirm(*, actor, batch) -> bool:
    """Confirm from a request: small batches commit now, large ones in a job. True if it was deferred."""
    from portal.models import ImportBatch, ImportStatus

    if batch.row_count <= settings.IMPORT_INLINE_MAX_ROWS:
        confirm(actor=actor, batch=batch)
        return False
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.VALIDATED).update(
        status=ImportStatus.IMPORTING, progress=0
    )
    if updated:
        from portal.jobs import enqueue
        from portal.tasks import confirm_import

        enqueue(confirm_import, batch.pk, actor.pk)
    return True


def confirm(*, actor, batch) -> dict:
    """Commit a previewed batch, all rows or none. The rows checked for the preview are written if the data they
    depend on is as it was then; otherwise the file is checked again against the data as it is now."""
    from portal.models import ImportBatch, ImportStatus

    spec = get_spec(batch.kind)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.COMMITTED:
            return batch.summary
        with _gc_paused():
            result = _reuse_checked(spec, actor, batch)
        if result is None:
            result = check_file(actor=actor, spec=spec, batch=batch, keep=False)
            if result.errors:
                return batch.summary
        summary = commit(spec, actor, result, batch=batch)
        batch.status = ImportStatus.COMMITTED
        batch.committed_at = timezone.now()
        batch.summary = {**batch.summary, **summary}
        batch.save(update_fields=["status", "committed_at", "summary"])
        audit.record(actor=actor, verb="import", obj=batch, note=f"{spec.kind} {summary}"[:500])
        _drop_checked(batch)  # if this transaction rolls back, the next confirmation checks the file again
    return summary


def template_workbook(spec: ImportSpec) -> bytes:
    """The downloadable template: the header row, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(spec.title)[:31]
    sheet.append([str(c.header) for c in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
            12, len(str(column.header)) * 2 + 4
        )
    notes = workbook.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Required"), _("Notes")])
    for column in spec.columns:
        notes.append([str(column.header), _("yes") if column.required else "", str(column.note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
