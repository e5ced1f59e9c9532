"""Exports of lists as filtered, as CSV (UTF-8 with BOM so Excel reads Chinese) or XLSX.

Columns are declared per list view (``export_columns``); personal data goes out masked, and every export is
audited with its filter and row count. Up to ``settings.EXPORT_INLINE_MAX_ROWS`` rows the file is written during
the request; a larger export becomes an ``ExportJob``: a Celery task builds the file for the same user, list and
filter (the list view's own queryset, filterset and columns), the owner downloads it from "My exports" until it
expires.

The XLSX writer is our own (``write_xlsx``): one worksheet streamed row by row into a deflated zip member, strings
inline (no shared-string table to hold in memory), dates and times as Excel serial numbers with a date format,
numbers as numbers, a bold and frozen header row, column widths from the first rows. Memory stays flat whatever
the number of rows; bench/exports.py measures it against ``csv.writer`` and openpyxl's write-only mode.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import logging
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, HttpRequest, QueryDict, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.pagination import COUNT_CAP

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation
    value: Callable[[Any], Any]


def display(field_name: str) -> Callable[[Any], Any]:
    """A column value: the label of a choice field, cached per value and language. Django's ``get_FOO_display()``
    rebuilds the choices dict and translates every label on each call (about 15 µs a cell)."""
    cache: dict = {}

    def value(obj):
        key = (getattr(obj, field_name), translation.get_language())
        label = cache.get(key)
        if label is None:
            label = cache[key] = getattr(obj, f"get_{field_name}_display")()
        return label

    return value


def _cell(value):
    # Aware datetimes leave in the portal's time zone (Asia/Shanghai), as the lists show them.
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def rows(queryset, columns: list[Column], *, chunk_size: int = 2000) -> Iterator[list]:
    """The export rows: one list of cell values per object (None for an empty cell), read with one query."""
    getters = [c.value for c in columns]
    for obj in queryset.iterator(chunk_size=chunk_size):
        yield [_cell(get(obj)) for get in getters]


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- CSV -------------------------------------------------------------------------------------------------------


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value) -> str:
    """A CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe
    (OWASP's CSV-injection advice); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return str(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, columns: list[Column], data: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow([str(c.header) for c in columns])
        for row in data:
            yield writer.writerow([_csv_text(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename)
    return response


def write_csv(fileobj: BinaryIO, headers: list[str], data: Iterable[list], *, progress=None) -> int:
    """Write a CSV file (UTF-8 with BOM) to a binary file; returns the number of data rows."""
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([str(h) for h in headers])
    count = 0
    for count, row in enumerate(data, start=1):
        writer.writerow([_csv_text(v) for v in row])
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    text.flush()
    text.detach()  # leave ``fileobj`` open for the caller
    return count


# --- XLSX ------------------------------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, header included
XLSX_MAX_CELL_CHARS = 32_767
WIDTH_SAMPLE_ROWS = 200
PROGRESS_EVERY = 10_000
_WRITE_EVERY = 500  # rows per write into the zip stream
_XML_BYTES_PER_CELL = 100  # a generous estimate (the injury cases average about 40)
_ZIP64_ABOVE = 1 << 30  # half of zipfile's limit without Zip64, as a margin for the estimate

# cellXfs of styles.xml: 0 normal, 1 bold (header), 2 date, 3 date and time, 4 two decimals (amounts)
_STYLE_HEADER, _STYLE_DATE, _STYLE_DATETIME, _STYLE_AMOUNT = 1, 2, 3, 4
_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serials count local wall-clock time
_EPOCH_DATE = _EPOCH.date()
_FIRST_EXCEL_DATE = datetime.date(1900, 3, 1)  # earlier serials meet Excel's 1900 leap-year bug: written as text
_DAY = datetime.timedelta(days=1)
_MAX_EXACT_INT = 10**15  # Excel keeps 15 significant digits: longer integers go out as text

# What XML 1.0 cannot carry at all (lone surrogates, U+FFFE/U+FFFF) is dropped; control characters (and a
# literal "_x0041_" that Excel would decode) use SpreadsheetML's own escape _xHHHH_.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_UNREPRESENTABLE = re.compile(r"[\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _control(match) -> str:
    char = match.group()
    return "_x005F_" if char == "_" else f"_x{ord(char):04X}_"


def xml_text(value: str) -> str:
    """``value`` as the text of a SpreadsheetML element (Excel's cell limit, XML escapes, control chars)."""
    if len(value) > XLSX_MAX_CELL_CHARS:
        value = value[:XLSX_MAX_CELL_CHARS]
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    value = _UNREPRESENTABLE.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CONTROL.sub(_control, value)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text_cell(ref: str, value: str) -> str:
    text = xml_text(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _value_cell(ref: str, value) -> str:
    """Any cell but a plain non-empty ``str`` (which the row loop writes itself)."""
    if isinstance(value, str):  # str subclasses: SafeString, choices
        return _text_cell(ref, value)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        if -_MAX_EXACT_INT < value < _MAX_EXACT_INT:
            return f'<c r="{ref}"><v>{int(value)}</v></c>'
        return _text_cell(ref, str(value))
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return _text_cell(ref, str(value))
        style = f' s="{_STYLE_AMOUNT}"' if value.as_tuple().exponent == -2 else ""
        return f'<c r="{ref}"{style}><v>{value:f}</v></c>'
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        if value.date() < _FIRST_EXCEL_DATE:
            return _text_cell(ref, value.isoformat(sep=" "))
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{(value - _EPOCH) / _DAY!r}</v></c>'
    if isinstance(value, datetime.date):
        if value < _FIRST_EXCEL_DATE:
            return _text_cell(ref, value.isoformat())
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EPOCH_DATE).days}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else _text_cell(ref, str(value))
    text = str(value)  # lazy translations, anything else
    return _text_cell(ref, text) if text else ""


def _display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = str(value)
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text[:100])  # CJK characters are two columns wide


def _sheet_name(title: str) -> str:
    name = _SHEET_NAME_FORBIDDEN.sub(" ", str(title)).strip().strip("'")[:31]
    return name or "Sheet1"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"'
    ' Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"'
    ' Target="docProps/app.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
    ' Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
    ' Target="styles.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView activeTab="0"/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
_XF = 'fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    f'<xf numFmtId="164" {_XF}/><xf numFmtId="165" {_XF}/><xf numFmtId="4" {_XF}/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>{title}</dc:title>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
    "</cp:coreProperties>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
    '<sheetFormatPr defaultRowHeight="15"/>'
)


def write_xlsx(
    fileobj: BinaryIO,
    *,
    title: str,
    headers: list,
    data: Iterable[list],
    progress: Callable[[int], None] | None = None,
    expected_rows: int | None = None,
    compresslevel: int = 1,
) -> int:
    """Write one worksheet: ``headers`` in bold and frozen, then ``data`` row by row. Returns the data rows written.

    ``fileobj`` should be seekable (a file): the zip then carries plain local headers, which every reader
    accepts. With ``expected_rows`` large enough for the worksheet's XML to approach 2 GiB, it is written as a
    Zip64 member (needed beyond 2 GiB; not used otherwise, as older readers dislike it). Rows past Excel's
    1,048,576 are not written. ``progress(n)`` is called every 10,000 rows."""
    iterator = iter(data)
    sample = list(islice(iterator, WIDTH_SAMPLE_ROWS))
    headers = [str(h) for h in headers]
    widths = []
    for i, header in enumerate(headers):
        width = max([_display_width(header) + 2] + [_display_width(r[i]) for r in sample])
        widths.append(min(max(width + 1, 8), 60))
    refs = [_column_letter(i) for i in range(len(headers))]
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    header_xml = "".join(
        f'<c r="{ref}1" t="inlineStr" s="{_STYLE_HEADER}"><is><t>{xml_text(h)}</t></is></c>'
        for ref, h in zip(refs, headers, strict=True)
    )
    created = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    limit = XLSX_MAX_ROWS - 1
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("docProps/app.xml", _APP)
        archive.writestr("docProps/core.xml", _CORE.format(title=xml_text(str(title)), created=created))
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=xml_text(_sheet_name(title)).replace('"', "&quot;")))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        large = min(expected_rows or 0, XLSX_MAX_ROWS) * len(headers) * _XML_BYTES_PER_CELL > _ZIP64_ABOVE
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=large) as sheet:
            sheet.write(f'{_SHEET_START}<cols>{cols}</cols><sheetData><row r="1">{header_xml}</row>'.encode())
            parts: list[str] = []
            append = parts.append
            width = len(refs)
            last, last_ref = width - 1, refs[-1]
            for row in _chain(sample, iterator):
                if count >= limit:
                    logger.warning("export %r: rows beyond %s not written to the XLSX", title, XLSX_MAX_ROWS)
                    break
                count += 1
                number = str(count + 1)
                append(f'<row r="{number}">')
                for ref, value in zip(refs, row, strict=False):
                    if type(value) is str:
                        if value:
                            if _NEEDS_ESCAPE.search(value) is None and len(value) <= XLSX_MAX_CELL_CHARS:
                                if value[0].isspace() or value[-1].isspace():
                                    append(_text_cell(ref + number, value))
                                else:
                                    append(f'<c r="{ref}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
                            else:
                                append(_text_cell(ref + number, value))
                    elif value is not None:
                        append(_value_cell(ref + number, value))
                if len(row) < width or row[last] is None or row[last] == "":
                    # An empty cell in the last column, so that readers without a <dimension> (openpyxl's
                    # read-only mode) still see every row as wide as the header.
                    append(f'<c r="{last_ref}{number}"/>')
                append("</row>")
                if count % _WRITE_EVERY == 0:
                    sheet.write("".join(parts).encode())
                    parts.clear()
                    if progress is not None and count % PROGRESS_EVERY == 0:
                        progress(count)
            parts.append("</sheetData></worksheet>")
            sheet.write("".join(parts).encode())
    return count


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def xlsx_response(filename: str, title: str, columns: list[Column], data: Iterable[list]) -> FileResponse:
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(tmp, title=str(title), headers=[c.header for c in columns], data=data)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


# --- audit, names, filters -------------------------------------------------------------------------------------

_NOT_FILTERS = ("export", "page", "cursor")


def export_filters(query: QueryDict) -> QueryDict:
    """The list's filter parameters of a request (what the export holds), without paging and ``export``."""
    filters = query.copy()
    for key in _NOT_FILTERS:
        filters.pop(key, None)
    return filters


def export_file_name(title, fmt: str) -> str:
    return f"{title}-{timezone.localdate():%Y%m%d}.{fmt}"


def audit_export(*, actor, model, fmt: str, rows_label: str, filters: QueryDict, obj=None, note: str = ""):
    """One audit entry per export: the list, the format, the (capped) row count and the filter."""
    from portal import audit

    text = f"{model._meta.label_lower} {fmt} rows={rows_label} filter={dict(filters.items())}"
    return audit.record(actor=actor, verb="export", obj=obj, note=f"{text} {note}".strip()[:500])


# --- export jobs -----------------------------------------------------------------------------------------------


def list_view_class(kind: str):
    """The list view of an export job, from the URL name the user exported (``incidents:injurycase_list``)."""
    from django.urls import resolve, reverse

    from portal.views import ScopedListView

    view_class = getattr(resolve(reverse(kind)).func, "view_class", None)
    if not (isinstance(view_class, type) and issubclass(view_class, ScopedListView) and view_class.export_columns):
        raise ValueError(f"{kind} is not an exportable list")
    return view_class


def start_export_job(*, actor, kind: str, model, fmt: str, filters: QueryDict, expected_rows: int, rows_label: str):
    """Record a large export for ``actor`` and queue the job that writes its file; audited like any export."""
    from portal.jobs import enqueue
    from portal.models import ExportJob
    from portal.tasks import build_export

    list_view_class(kind)  # refuse what the job could not rebuild
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=actor,
            kind=kind,
            title=str(model._meta.verbose_name_plural)[:200],
            format=fmt,
            query=filters.urlencode(),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            expected_rows=expected_rows,
            expires_at=timezone.now() + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
        )
        audit_export(actor=actor, model=model, fmt=fmt, rows_label=rows_label, filters=filters, obj=job, note="job")
        enqueue(build_export, job.pk, actor.pk)
    return job


def _list_view_for(job):
    """The job's list view set up as if its owner had requested it with the stored filter."""
    from django.core.exceptions import PermissionDenied

    request = HttpRequest()
    request.method = "GET"
    request.user = job.created_by
    request.GET = QueryDict(job.query)
    view = list_view_class(job.kind)()
    view.setup(request)
    if not job.created_by.is_active or not view.has_permission():
        raise PermissionDenied("the owner may no longer read this list")
    return view


def build_export_job(*, job):
    """Write the file of a queued export job: the owner's scope, the stored filter, the list's (masked) columns.

    Idempotent: only a queued, unexpired job is built (the claim is one conditional UPDATE); the owner is
    notified when the file is ready or the export failed."""
    from portal.models import ExportJob, ExportStatus

    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED, expires_at__gt=now).update(
        status=ExportStatus.RUNNING, started_at=now, progress=0
    )
    job.refresh_from_db()
    if not claimed:
        return job

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(progress=done)

    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            view = _list_view_for(job)
            title = str(view.model._meta.verbose_name_plural)
            headers = [str(c.header) for c in view.export_columns]
            queryset = view.export_queryset()
            if job.expected_rows >= COUNT_CAP:  # the request counted "100,000+": count exactly, once
                job.expected_rows = queryset.count()
                ExportJob.objects.filter(pk=job.pk).update(expected_rows=job.expected_rows)
            data = rows(queryset, view.export_columns)
            file_name = export_file_name(title, job.format)
            with tempfile.TemporaryFile() as tmp:
                if job.format == "csv":
                    count = write_csv(tmp, headers, data, progress=progress)
                else:
                    count = write_xlsx(
                        tmp,
                        title=title,
                        headers=headers,
                        data=data,
                        progress=progress,
                        expected_rows=job.expected_rows,
                    )
                tmp.seek(0)
                job.file.save(file_name, File(tmp), save=False)
        except Exception as exc:
            logger.exception("export job %s failed", job.pk)
            job.status = ExportStatus.FAILED
            job.error = f"{exc.__class__.__name__}: {exc}"[:500]
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            _notify(job, _("Your export could not be prepared: %(name)s"), level="warning")
            return job
        job.status = ExportStatus.DONE
        job.row_count = job.progress = count
        job.file_name = file_name[:200]
        job.finished_at = timezone.now()
        job.expires_at = job.finished_at + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
        job.save(update_fields=["status", "row_count", "progress", "file", "file_name", "finished_at", "expires_at"])
        _notify(job, _("Your export is ready: %(name)s"))
    return job


def _notify(job, title, *, level: str = "info") -> None:
    from django.urls import reverse

    from portal.notifications.services import notify

    name = job.file_name or f"{job.title}.{job.format}"
    notify(recipients=[job.created_by], title=title % {"name": name}, url=reverse("exports:export_list"), level=level)


def open_export(*, actor, job):
    """The finished file of ``actor``'s own job, opened for download; audited with the job's filter and rows."""
    from portal.models import ExportJob

    if job.created_by_id != actor.pk or not job.is_downloadable:
        raise ExportJob.DoesNotExist
    handle = job.file.open("rb")
    model = list_view_class(job.kind).model
    audit_export(
        actor=actor,
        model=model,
        fmt=job.format,
        rows_label=str(job.row_count),
        filters=QueryDict(job.query),
        obj=job,
        note="download",
    )
    return handle


def expire_exports(*, now=None, owner=None) -> int:
    """Delete the files of export jobs past their date and mark them expired (the beat job, and on access)."""
    from portal.models import ExportJob, ExportStatus

    now = now or timezone.now()
    jobs = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportStatus.EXPIRED)
    if owner is not None:
        jobs = jobs.filter(created_by=owner)
    expired = 0
    for job in jobs:
        if job.file:
            job.file.delete(save=False)
        job.status = ExportStatus.EXPIRED
        job.save(update_fields=["status", "file"])
        expired += 1
    return expired
