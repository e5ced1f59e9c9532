"""Spreadsheet import: read an XLSX or CSV file, validate it whole, preview, then commit all rows or none.

Each importable model has an ``ImportSpec`` (in its app's ``imports.py``): the columns with their Chinese
headers and parsers, how foreign keys are resolved (one query per kind of reference, whatever the number of
rows), the natural key that makes re-importing the same file change nothing, and who may import. Errors name the
row as the user sees it in the spreadsheet and the column: "第57行 居民身份证号码：校验位错误。"
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from portal import audit
from portal.models import AuditEvent

MAX_ERRORS = 500


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
    instance: models.Model
    changes: dict = field(default_factory=dict)


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
    """Subclass per model; the engine below does the rest."""

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

    def new_instance(self, actor, values: dict) -> models.Model:
        return self.model(**values)

    def check_update(self, actor, instance, ctx) -> str | None:
        """An error message if ``actor`` may not change this existing row."""
        return None

    def before_save(self, instance) -> None:
        """Derived fields that ``save()`` would set (bulk operations do not call it)."""


# --- reading ---------------------------------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list]]]:
    """Header cells and data rows (with their spreadsheet row numbers) of the first sheet or the CSV file."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # not a workbook at all
            raise ValidationError(_("The file is not a readable XLSX workbook.")) from exc
        sheet = workbook.worksheets[0]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif filename.lower().endswith(".csv"):
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
        if any(cell not in (None, "") and str(cell).strip() for cell in row)
    ]
    return headers, rows


# --- validating and committing ---------------------------------------------------------------------------------


def row_error(row: int, column: str, message: str) -> str:
    return _("Row %(row)s %(column)s: %(message)s") % {"row": row, "column": column, "message": message}


def validate(spec: ImportSpec, actor, headers: list[str], rows: list[tuple[int, list]], progress=None) -> Validation:
    """``progress(rows_done)`` is called every 1,000 rows (a job reports it to the user)."""
    from portal.reference.validators import preloaded_region_codes

    with preloaded_region_codes():
        return _validate(spec, actor, headers, rows, progress)


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
    labels = {c.field: str(c.header) for c in spec.columns}
    raw_rows = [(number, {f: (row[i] if i < len(row) else None) for f, i in positions.items()}) for number, row in rows]
    ctx = spec.context(actor, [values for _n, values in raw_rows])
    parsed = []
    for done, (number, raw) in enumerate(raw_rows, start=1):
        if progress is not None and done % 1000 == 0:
            progress(done)
        values, failed = {}, set()
        for column in spec.columns:
            cell = raw.get(column.field)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if column.required:
                    result.add_error(number, labels[column.field], _("This field is required."))
                    failed.add(column.field)
                continue
            try:
                values[column.field] = column.parse(cell, ctx)
            except ValidationError as exc:
                result.add_error(number, labels[column.field], " ".join(exc.messages))
                failed.add(column.field)
        if not failed:
            try:
                spec.complete(values)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    result.add_error(number, labels.get(name, ""), " ".join(messages))
                    failed.add(name)
        parsed.append((number, values, failed))
    keys = [spec.key(values) for _n, values, failed in parsed if not failed]
    existing = spec.existing(actor, keys, ctx)
    seen = {}
    for number, values, failed in parsed:
        if failed:
            continue
        key = spec.key(values)
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
            before = audit.snapshot(current)
            for name, value in values.items():
                setattr(current, name, value)
            instance, action = current, "update"
        else:
            instance, action, before = spec.new_instance(actor, values), "create", {}
        # References were resolved from the database in batch: do not re-check each one with a query.
        resolved = [
            f.name
            for f in spec.model._meta.concrete_fields
            if f.is_relation and getattr(instance, f.name, None) is not None
        ]
        try:
            # Uniqueness is decided by the natural keys above; CheckConstraints repeat the field validators and
            # would cost one query per row (the database still enforces them on insert).
            instance.full_clean(exclude=resolved, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.add_error(number, labels.get(name, ""), " ".join(messages))
            continue
        spec.before_save(instance)
        changes = audit.diff(before, audit.snapshot(instance))
        changes.pop("updated_at", None)
        if action == "update" and not changes:
            action = "unchanged"
        result.items.append(RowResult(number, action, instance, changes))
    return result


@transaction.atomic
def commit(spec: ImportSpec, actor, result: Validation, *, batch_size: int = 1000) -> dict:
    """Write every row of a validated file (nothing if it has errors), with one audit record per changed row."""
    if result.errors:
        raise ValidationError(_("The file has errors; nothing was imported."))
    now = timezone.now()
    created = [i.instance for i in result.items if i.action == "create"]
    updated = [i.instance for i in result.items if i.action == "update"]
    spec.model.objects.bulk_create(created, batch_size=batch_size)
    if updated:
        names = sorted({name for i in result.items if i.action == "update" for name in i.changes})
        if any(f.name == "updated_at" for f in spec.model._meta.concrete_fields):
            for obj in updated:
                obj.updated_at = now
            names.append("updated_at")
        spec.model.objects.bulk_update(updated, names, batch_size=batch_size)
    events = [
        AuditEvent(
            actor=actor,
            actor_name=actor.username,
            verb=item.action,
            object_type=spec.model._meta.label_lower,
            object_id=str(item.instance.pk or ""),
            object_repr=str(item.instance)[:200],
            changes=audit.diff({}, audit.snapshot(item.instance)) if item.action == "create" else item.changes,
            note=_("import row %(row)s") % {"row": item.row},
            at=now,
        )
        for item in result.items
        if item.action != "unchanged"
    ]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return result.summary()


# --- parsers ---------------------------------------------------------------------------------------------------


def text(max_length: int) -> Callable:
    def parse(cell, ctx):
        value = str(cell).strip()
        if len(value) > max_length:
            raise ValidationError(_("At most %(n)s characters.") % {"n": max_length})
        return value

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
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValidationError(_("Enter a date such as 2025-03-18."))


def date_time(cell, ctx) -> datetime.datetime:
    if isinstance(cell, datetime.datetime):
        naive = cell
    else:
        value = str(cell).strip()
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M"):
            try:
                naive = datetime.datetime.strptime(value, fmt)  # noqa: DTZ007 - local time, made aware below
                break
            except ValueError:
                continue
        else:
            naive = datetime.datetime.combine(date(cell, ctx), datetime.time(0, 0))
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


def choice(choices) -> Callable:
    """Accept the Chinese label, the English label or the stored value."""

    def parse(cell, ctx):
        value = str(cell).strip()
        for stored, label in choices:
            with override("zh-hans"):
                zh = str(label)
            if value in (stored, zh, str(label)):
                return stored
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


def check_file(*, actor, spec: ImportSpec, batch) -> Validation:
    """Validate the batch's file and record the result on the batch (status, counts, errors, preview rows)."""
    from portal.models import ImportBatch, ImportStatus

    def progress(done: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(progress=done)

    batch.file.open("rb")
    try:
        content = batch.file.read()
    finally:
        batch.file.close()
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
            {"row": i.row, "action": i.action, "label": str(i.instance)[:120], "fields": sorted(i.changes)}
            for i in result.items[:PREVIEW_ROWS]
            if i.action != "unchanged"
        ],
    }
    batch.status = ImportStatus.FAILED if result.errors else ImportStatus.VALIDATED
    batch.save(update_fields=["row_count", "progress", "errors", "summary", "status"])
    return result


def upload(*, actor, spec: ImportSpec, uploaded_file):
    """Store an uploaded file as an import batch and validate it whole (nothing is written to the data)."""
    from portal.models import ImportBatch, ImportStatus

    if not spec.may_import(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    large = uploaded_file.size > settings.IMPORT_INLINE_MAX_BYTES
    batch = ImportBatch.objects.create(
        kind=spec.kind,
        file=uploaded_file,
        original_name=uploaded_file.name[:200],
        created_by=actor,
        status=ImportStatus.CHECKING if large else ImportStatus.VALIDATED,
    )
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
    """Commit a previewed batch: re-validated against the data as it is now, then all rows or none."""
    from portal.models import ImportBatch, ImportStatus

    spec = get_spec(batch.kind)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.COMMITTED:
            return batch.summary
        result = check_file(actor=actor, spec=spec, batch=batch)
        if result.errors:
            return batch.summary
        summary = commit(spec, actor, result)
        batch.status = ImportStatus.COMMITTED
        batch.committed_at = timezone.now()
        batch.summary = {**batch.summary, **summary}
        batch.save(update_fields=["status", "committed_at", "summary"])
        audit.record(actor=actor, verb="import", obj=batch, note=f"{spec.kind} {summary}"[:500])
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
