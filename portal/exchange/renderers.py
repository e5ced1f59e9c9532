"""The files of a version of the consolidated quarterly report (DESIGN §3.4), rendered from its figures
(``report.content``) and its meta data (version, time of generation, fingerprint, address of its page):

* :func:`render_json`: the figures as they are, with ``$schema`` naming :data:`REPORT_SCHEMA`, the JSON Schema
  (draft 2020-12) of the document. ``report.schema.json`` next to this module is the same schema as a file
  (:func:`write_schema` writes it; a test checks that the two agree).
* :func:`render_xlsx`: one sheet per table, written with openpyxl in write-only mode: the rows are streamed to the
  file, so memory stays flat however many region × industry rows there are. Every sheet prints landscape, one page
  wide, with its header row repeated on each page and frozen on screen.
* :func:`render_pdf`: the summary, the tables and two charts (cases by region against the same quarter last year,
  cases by key industry), through :mod:`portal.pdf` with its embedded Chinese fonts.

The XLSX and the PDF are documents in the portal's language (``settings.LANGUAGE_CODE``), whatever the language of
the user who had them built: every agency downloads the same files of a version.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from portal.accounts.models import AgencyKind
from portal.locks import DataKind
from portal.pdf import SANS, PdfDocument, chinese_date

from .report import CASE_KEYS, EXTRA_KEYS, PROJECT_KEYS, SCHEMA_VERSION
from .selectors import STATUS_LABELS

__all__ = [
    "REPORT_SCHEMA",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "render_json",
    "render_pdf",
    "render_xlsx",
    "report_title",
    "schema_text",
    "write_schema",
]

# --------------------------------------------------------------------------------------------------------------
# JSON and its schema
# --------------------------------------------------------------------------------------------------------------

SCHEMA_ID = f"urn:gongshang-portal:exchange-report:{SCHEMA_VERSION}"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
META_KEYS = ("version", "generated_at", "fingerprint", "report_url")

# The changes the report gives (report.content: CHANGE_KEYS but insured, and the diseases and accidents).
CHANGED_KEYS = ("cases", "deaths", "serious", "incidence_rate", "disease_cases", "accidents")

# The type ($defs name) of each figure of report.content.
FIGURE_TYPES = {
    "cases": "count",
    "serious": "count",
    "deaths": "count",
    "insured": "insured",
    "incidence_rate": "rate",
    "death_rate": "rate",
    "serious_rate": "rate",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _object(properties: dict, description: str | None = None) -> dict:
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    schema |= {"properties": properties, "required": list(properties), "additionalProperties": False}
    return schema


def _array(items: dict, description: str) -> dict:
    return {"type": "array", "description": description, "items": items}


def _build_schema() -> dict:
    text = {"type": "string"}
    case_figures = {k: _ref(FIGURE_TYPES[k]) for k in CASE_KEYS}
    extra_figures = {k: _ref("countOrNull") for k in EXTRA_KEYS}
    data_kinds = sorted(DataKind.values)
    defs = {
        "count": {"type": "integer", "minimum": 0},
        "countOrNull": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "null: the statistics hold no such figure for the region.",
        },
        "insured": {
            "type": "number",
            "minimum": 0,
            "description": "Insured employees: the mean of the figures of the period's quarters, one decimal.",
        },
        "rate": {
            "type": ["number", "null"],
            "minimum": 0,
            "description": "Per 1,000 insured employees (‰), three decimals; null without insured employees.",
        },
        "change": {
            "type": ["number", "null"],
            "description": "Change in percent, one decimal; null when there is nothing to compare with.",
        },
        "share": {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": 100,
            "description": "Percent, one decimal; null of nothing.",
        },
        "date": {"type": "string", "format": "date"},
        "dateOrNull": {"type": ["string", "null"], "format": "date"},
        "dateTimeOrNull": {"type": ["string", "null"], "format": "date-time"},
        "projects": _object(
            {k: _ref("share" if k == "share" else "count") for k in PROJECT_KEYS},
            "Construction projects started in the period, those insured per project (按项目参保) and their workers; "
            "share: insured projects in percent.",
        ),
        "periodFigures": _object(
            {**case_figures, **extra_figures}, "The figures of a period (the previous quarter, a year earlier)."
        ),
        "changes": _object({k: _ref("change") for k in CHANGED_KEYS}, "Changes in percent."),
    }
    region_row = _object(
        {
            "code": {
                **text,
                "description": "Region code; empty for the region itself (enterprises registered at it, not in a "
                "child region).",
            },
            "name": text,
            **case_figures,
            **extra_figures,
            "projects": _ref("projects"),
            "cases_previous": _ref("count"),
            "cases_last_year": _ref("count"),
            "change_previous": _ref("change"),
            "change_last_year": _ref("change"),
            "rate_previous": _ref("rate"),
            "rate_last_year": _ref("rate"),
        }
    )
    agency_row = _object(
        {
            "name": text,
            "kind": {"type": "string", "enum": sorted(AgencyKind.values)},
            "region_code": text,
            "data": {
                "type": "array",
                "description": "The kinds of data the agency owes.",
                "items": {"type": "string", "enum": data_kinds},
                "uniqueItems": True,
            },
            "due_on": _ref("dateOrNull"),
            "status": {"type": "string", "enum": [str(s) for s in STATUS_LABELS]},
            "confirmed_at": _ref("dateTimeOrNull"),
            "first_confirmed_at": _ref("dateTimeOrNull"),
            "times_confirmed": _ref("count"),
            "records": {
                "type": "object",
                "description": "Records confirmed, per kind of data (empty unless confirmed).",
                "propertyNames": {"enum": data_kinds},
                "additionalProperties": _ref("count"),
            },
        }
    )
    properties = {
        "$schema": {"const": SCHEMA_ID},
        "version": {"type": "integer", "minimum": 1, "description": "Version of the report of this quarter."},
        "generated_at": {"type": "string", "format": "date-time"},
        "fingerprint": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256 of the figures (everything but $schema and the four meta data keys).",
        },
        "report_url": {"type": "string", "format": "uri-reference", "description": "The version's page."},
        "schema_version": {"const": SCHEMA_VERSION},
        "region": _object({"code": text, "name": text}),
        "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "quarter": {"type": "integer", "minimum": 1, "maximum": 4},
        "period": _object({"start": _ref("date"), "end": _ref("date")}, "First and last day of the quarter."),
        "totals": _object(
            {
                **case_figures,
                **extra_figures,
                "projects": _ref("projects"),
                "previous": _ref("periodFigures"),
                "last_year": _ref("periodFigures"),
                "change_previous": _ref("changes"),
                "change_last_year": _ref("changes"),
            },
            "The region's figures of the quarter, of the previous quarter and of the same quarter last year.",
        ),
        "regions": _array(region_row, "Per child region."),
        "key_industries": _array(
            _object({"code": text, "name": text, **case_figures}), "The region's key industries (sections)."
        ),
        "region_industries": _array(
            _object(
                {
                    "region_code": text,
                    "region_name": text,
                    "industry_code": text,
                    "industry_name": text,
                    **case_figures,
                    **{k: _ref("count") for k in EXTRA_KEYS[:4]},
                }
            ),
            "Child region × key industry (section).",
        ),
        "top_enterprises": _array(
            _object(
                {
                    "credit_code": text,
                    "name": text,
                    "region_name": text,
                    "industry_code": text,
                    "industry_name": text,
                    "cases": _ref("count"),
                    "serious": _ref("count"),
                    "deaths": _ref("count"),
                }
            ),
            "The enterprises with most work-injury cases in the quarter.",
        ),
        "agencies": _array(agency_row, "The member agencies owing data, and where their quarter stands."),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Consolidated quarterly report of the work-injury prevention data exchange",
        "description": "Figures per 1,000 insured employees (‰) are rates; changes and shares are percent.",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "$defs": defs,
    }


REPORT_SCHEMA: dict = _build_schema()


def schema_text() -> str:
    """:data:`REPORT_SCHEMA` as the text of ``report.schema.json``."""
    return json.dumps(REPORT_SCHEMA, ensure_ascii=False, indent=2) + "\n"


def write_schema(path: Path | str = SCHEMA_PATH) -> None:
    """Write ``report.schema.json`` from :data:`REPORT_SCHEMA` (after changing it:
    ``python manage.py shell -c "from portal.exchange.renderers import write_schema; write_schema()"``)."""
    Path(path).write_text(schema_text(), encoding="utf-8")


def _check_meta(meta: dict) -> None:
    if set(meta) != set(META_KEYS):
        raise ValueError(f"meta must have exactly the keys {', '.join(META_KEYS)}")


def render_json(content: dict, meta: dict) -> bytes:
    """The report version as a JSON document (UTF-8) of :data:`REPORT_SCHEMA`: ``$schema``, the meta data and the
    figures, keys sorted."""
    _check_meta(meta)
    document = {"$schema": SCHEMA_ID, **meta, **content}
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
    return (text + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# Texts shared by the XLSX and the PDF
# --------------------------------------------------------------------------------------------------------------


def report_title(content: dict) -> str:
    """《金华市2025年第1季度工伤预防数据交换报告》 (without the marks)."""
    return _("%(region)s %(year)s Q%(quarter)s work-injury prevention data exchange report") % {
        "region": content["region"]["name"],
        "year": content["year"],
        "quarter": content["quarter"],
    }


def _local(value: str | None) -> dt.datetime | None:
    """An ISO date-time as a naive local date-time (Excel has no time zones)."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment).replace(tzinfo=None)
    return moment


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _when(value: str | None) -> str:
    moment = _local(value)
    return f"{chinese_date(moment.date())} {moment:%H:%M}" if moment else "—"


def _region_text(region: dict) -> str:
    return _("%(name)s (%(code)s)") % region


def _period_text(content: dict) -> str:
    period = content["period"]
    return _("%(start)s to %(end)s") % {
        "start": chinese_date(_day(period["start"])),
        "end": chinese_date(_day(period["end"])),
    }


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _status(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


def _data_text(kinds: Iterable[str]) -> str:
    return pgettext("clause separator", "; ").join(_label(DataKind, k) for k in kinds)


def _records_text(records: dict) -> str:
    return pgettext("clause separator", "; ").join(
        _("%(label)s: %(count)s") % {"label": _label(DataKind, kind), "count": count}
        for kind, count in sorted(records.items())
    )


def _confirmations_text(agencies: Sequence[dict]) -> str:
    if not agencies:
        return _("None.")
    counts = Counter(a["status"] for a in agencies)
    return pgettext("clause separator", "; ").join(
        _("%(label)s: %(count)s") % {"label": _status(status), "count": counts[status]}
        for status in STATUS_LABELS
        if counts[status]
    )


def _units_text() -> str:
    return _(
        "Rates are per 1,000 insured employees (‰); changes and shares are in percent. An empty cell: no figure "
        "(no insured employees, or nothing to compare with)."
    )


def _total_row(content: dict) -> dict:
    """The region's totals in the shape of a row of ``regions``."""
    totals = content["totals"]
    return {
        **totals,
        "code": "",
        "name": _("Total"),
        "cases_previous": totals["previous"].get("cases"),
        "cases_last_year": totals["last_year"].get("cases"),
        "change_previous": totals["change_previous"].get("cases"),
        "change_last_year": totals["change_last_year"].get("cases"),
        "rate_previous": totals["previous"].get("incidence_rate"),
        "rate_last_year": totals["last_year"].get("incidence_rate"),
    }


# The rows of the summary: label, figure, kind of number.
SUMMARY_ROWS = (
    (gettext_lazy("Cases"), "cases", "count"),
    (gettext_lazy("Serious injuries"), "serious", "count"),
    (gettext_lazy("Deaths"), "deaths", "count"),
    (gettext_lazy("Insured employees"), "insured", "number"),
    (gettext_lazy("Incidence rate (‰)"), "incidence_rate", "rate"),
    (gettext_lazy("Serious-injury rate (‰)"), "serious_rate", "rate"),
    (gettext_lazy("Death rate (‰)"), "death_rate", "rate"),
    (gettext_lazy("Number of enterprises"), "enterprises", "count"),
    (gettext_lazy("Employees"), "employees", "count"),
    (gettext_lazy("New occupational-disease cases"), "disease_cases", "count"),
    (gettext_lazy("of which exposed for under 5 years"), "disease_short", "count"),
    (gettext_lazy("Safety accidents"), "accidents", "count"),
    (gettext_lazy("Deaths in safety accidents"), "accident_deaths", "count"),
)
PROJECT_ROWS = (
    (gettext_lazy("Construction projects started"), "projects", "count"),
    (gettext_lazy("Projects insured per project"), "insured", "count"),
    (gettext_lazy("Share insured per project (%)"), "share", "percent"),
    (gettext_lazy("Workers on the projects"), "workers", "count"),
    (gettext_lazy("Workers insured per project"), "insured_workers", "count"),
)


def _summary_rows(content: dict) -> list[tuple[str, str, list]]:
    """(label, kind, [this quarter, previous quarter, change, same quarter last year, change]) per figure."""
    totals = content["totals"]
    rows = [
        (
            str(label),
            kind,
            [
                totals.get(key),
                totals["previous"].get(key),
                totals["change_previous"].get(key),
                totals["last_year"].get(key),
                totals["change_last_year"].get(key),
            ],
        )
        for label, key, kind in SUMMARY_ROWS
    ]
    projects = totals.get("projects") or {}
    rows += [(str(label), kind, [projects.get(key), None, None, None, None]) for label, key, kind in PROJECT_ROWS]
    return rows


# --------------------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------------------

NUMBER_FORMATS = {
    "text": "@",
    "count": "#,##0",
    "number": "#,##0",  # insured employees (a mean: may have a decimal)
    "rate": "0.000",
    "percent": "0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_KIND_WIDTHS = {"count": 10, "number": 12, "rate": 10, "percent": 9, "date": 12, "datetime": 17}
_HEADER_FILL = PatternFill(fill_type="solid", start_color="E8ECF1", end_color="E8ECF1")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_PAPER_A4 = 9
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_XLSX_MAX_CELL_CHARS = 32767
_HEADER = "Exchange header"
_LABEL = "Exchange label"
_VALUE = "Exchange value"
_TITLE = "Exchange title"


@dataclass(frozen=True)
class Column:
    label: Any  # a lazy msgid
    value: Callable[[dict], Any]
    kind: str = "count"  # a key of NUMBER_FORMATS


def _key(name: str, *within: str) -> Callable[[dict], Any]:
    def value(row: dict) -> Any:
        for part in within:
            row = row.get(part) or {}
        return row.get(name)

    return value


CASE_COLUMNS = (
    Column(gettext_lazy("Cases"), _key("cases")),
    Column(gettext_lazy("Serious injuries"), _key("serious")),
    Column(gettext_lazy("Deaths"), _key("deaths")),
    Column(gettext_lazy("Insured employees"), _key("insured"), "number"),
    Column(gettext_lazy("Incidence rate (‰)"), _key("incidence_rate"), "rate"),
    Column(gettext_lazy("Serious-injury rate (‰)"), _key("serious_rate"), "rate"),
    Column(gettext_lazy("Death rate (‰)"), _key("death_rate"), "rate"),
)
REGION_COLUMNS = (
    Column(gettext_lazy("Region code"), _key("code"), "text"),
    Column(gettext_lazy("Region"), _key("name"), "text"),
    *CASE_COLUMNS,
    Column(gettext_lazy("Cases in the previous quarter"), _key("cases_previous")),
    Column(gettext_lazy("Change on the previous quarter (%)"), _key("change_previous"), "percent"),
    Column(gettext_lazy("Incidence rate in the previous quarter (‰)"), _key("rate_previous"), "rate"),
    Column(gettext_lazy("Cases in the same quarter last year"), _key("cases_last_year")),
    Column(gettext_lazy("Change on the same quarter last year (%)"), _key("change_last_year"), "percent"),
    Column(gettext_lazy("Incidence rate in the same quarter last year (‰)"), _key("rate_last_year"), "rate"),
    Column(gettext_lazy("Number of enterprises"), _key("enterprises")),
    Column(gettext_lazy("Employees"), _key("employees")),
    Column(gettext_lazy("New occupational-disease cases"), _key("disease_cases")),
    Column(gettext_lazy("of which exposed for under 5 years"), _key("disease_short")),
    Column(gettext_lazy("Safety accidents"), _key("accidents")),
    Column(gettext_lazy("Deaths in safety accidents"), _key("accident_deaths")),
    Column(gettext_lazy("Construction projects started"), _key("projects", "projects")),
    Column(gettext_lazy("Projects insured per project"), _key("insured", "projects")),
    Column(gettext_lazy("Share insured per project (%)"), _key("share", "projects"), "percent"),
)
KEY_INDUSTRY_COLUMNS = (
    Column(gettext_lazy("Industry code"), _key("code"), "text"),
    Column(gettext_lazy("Industry"), _key("name"), "text"),
    *CASE_COLUMNS,
)
REGION_INDUSTRY_COLUMNS = (
    Column(gettext_lazy("Region code"), _key("region_code"), "text"),
    Column(gettext_lazy("Region"), _key("region_name"), "text"),
    Column(gettext_lazy("Industry code"), _key("industry_code"), "text"),
    Column(gettext_lazy("Industry"), _key("industry_name"), "text"),
    *CASE_COLUMNS,
    Column(gettext_lazy("Number of enterprises"), _key("enterprises")),
    Column(gettext_lazy("Employees"), _key("employees")),
    Column(gettext_lazy("New occupational-disease cases"), _key("disease_cases")),
    Column(gettext_lazy("of which exposed for under 5 years"), _key("disease_short")),
)
ENTERPRISE_COLUMNS = (
    Column(gettext_lazy("No."), _key("rank")),
    Column(gettext_lazy("Unified social credit code"), _key("credit_code"), "text"),
    Column(gettext_lazy("Enterprise"), _key("name"), "text"),
    Column(gettext_lazy("Region"), _key("region_name"), "text"),
    Column(gettext_lazy("Industry code"), _key("industry_code"), "text"),
    Column(gettext_lazy("Industry"), _key("industry_name"), "text"),
    Column(gettext_lazy("Cases"), _key("cases")),
    Column(gettext_lazy("Serious injuries"), _key("serious")),
    Column(gettext_lazy("Deaths"), _key("deaths")),
)
AGENCY_COLUMNS = (
    Column(gettext_lazy("Agency"), _key("name"), "text"),
    Column(gettext_lazy("Kind of agency"), lambda a: _label(AgencyKind, a["kind"]), "text"),
    Column(gettext_lazy("Region code"), _key("region_code"), "text"),
    Column(gettext_lazy("Data owed"), lambda a: _data_text(a.get("data") or ()), "text"),
    Column(gettext_lazy("Due on"), lambda a: _day(a.get("due_on")), "date"),
    Column(gettext_lazy("Status"), lambda a: _status(a["status"]), "text"),
    Column(gettext_lazy("Confirmed at"), lambda a: _local(a.get("confirmed_at")), "datetime"),
    Column(gettext_lazy("First confirmed at"), lambda a: _local(a.get("first_confirmed_at")), "datetime"),
    Column(gettext_lazy("Times confirmed"), _key("times_confirmed")),
    Column(gettext_lazy("Records confirmed"), lambda a: _records_text(a.get("records") or {}), "text"),
)

# Sheet names (Excel: at most 31 characters).
SHEET_NOTES = gettext_lazy("Notes")
SHEET_SUMMARY = gettext_lazy("Summary")
SHEET_REGIONS = gettext_lazy("By region")
SHEET_KEY_INDUSTRIES = gettext_lazy("Key industries")
SHEET_REGION_INDUSTRIES = gettext_lazy("Key industries by region")
SHEET_ENTERPRISES = gettext_lazy("Enterprises with most cases")
SHEET_AGENCIES = gettext_lazy("Confirmations by agency")


def sheet_names() -> list[str]:
    """The names of the XLSX's sheets, in order, in the active language."""
    return [
        _sheet_name(s)
        for s in (
            SHEET_NOTES,
            SHEET_SUMMARY,
            SHEET_REGIONS,
            SHEET_KEY_INDUSTRIES,
            SHEET_REGION_INDUSTRIES,
            SHEET_ENTERPRISES,
            SHEET_AGENCIES,
        )
    ]


def _sheet_name(title: Any) -> str:
    return _SHEET_NAME_FORBIDDEN.sub(" ", str(title)).strip().strip("'")[:31] or "Sheet"


def _display_width(value: Any) -> int:
    """Columns a value takes in Excel's default font (CJK characters: two)."""
    if value is None:
        return 0
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in str(value)[:100])


def _add_styles(wb: Workbook) -> None:
    """The workbook's named styles: one per kind of number (and its bold variant for total rows), the header,
    and the Notes sheet's title, labels and values."""
    for kind, number_format in NUMBER_FORMATS.items():
        for bold in (False, True):
            wb.add_named_style(
                NamedStyle(
                    name=_style_name(kind, bold),
                    number_format=number_format,
                    font=Font(bold=bold),
                    border=_BORDER,
                    alignment=Alignment(vertical="center", horizontal="left" if kind == "text" else "right"),
                )
            )
    wb.add_named_style(
        NamedStyle(
            name=_HEADER,
            font=Font(bold=True),
            fill=_HEADER_FILL,
            border=_BORDER,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
    )
    wb.add_named_style(
        NamedStyle(
            name=_LABEL,
            font=Font(bold=True),
            fill=_HEADER_FILL,
            border=_BORDER,
            alignment=Alignment(vertical="top", wrap_text=True),
        )
    )
    wb.add_named_style(
        NamedStyle(
            name=_VALUE,
            number_format="@",
            border=_BORDER,
            alignment=Alignment(vertical="top", wrap_text=True),
        )
    )
    wb.add_named_style(NamedStyle(name=_TITLE, font=Font(bold=True, size=14)))


def _style_name(kind: str, bold: bool = False) -> str:
    return f"Exchange {kind} total" if bold else f"Exchange {kind}"


def _cell(ws, value: Any, style: str) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_XLSX_MAX_CELL_CHARS]
    elif isinstance(value, float) and not math.isfinite(value):
        value = None
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"  # text as it is: never a formula ("=…") nor an error value ("#N/A")
    cell.style = style
    return cell


def _print_setup(ws, title: str, *, header_rows: int = 1, freeze: str | None = "A2") -> None:
    """A4, landscape, one page wide (as many pages tall as needed), centred, the header row(s) repeated on every
    page, the report's title in the page header and the page number in the footer. Called before the first row:
    a write-only sheet writes its views (the frozen panes) and column widths ahead of its rows."""
    ws.page_setup.paperSize = _PAPER_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    if freeze:
        ws.freeze_panes = freeze


def _set_widths(ws, columns: Sequence[Column], rows: Sequence[dict], headers: Sequence[str]) -> None:
    """Column widths from the kind of number or the longest text (one pass over the rows, which are in memory
    anyway), and the header row's height from its longest wrapped label."""
    lines = 1
    for index, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
        if column.kind == "text":
            longest = max((_display_width(column.value(r)) for r in rows), default=0)
            width = min(max(longest + 2, 8), 50)
        else:
            width = _KIND_WIDTHS[column.kind]
        header_width = _display_width(header) + 2
        if header_width > width:
            width = min(header_width, max(width, 14))
        lines = max(lines, math.ceil(header_width / width))
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[1].height = 15 * min(lines, 4) + 3


def _table_sheet(
    wb: Workbook,
    name: Any,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[dict],
    *,
    total: dict | None = None,
    freeze: str = "A2",
) -> None:
    ws = wb.create_sheet(_sheet_name(name))
    headers = [str(c.label) for c in columns]
    _print_setup(ws, title, freeze=freeze)
    _set_widths(ws, columns, [*rows, total] if total else rows, headers)
    ws.append([_cell(ws, h, _HEADER) for h in headers])
    styles = [_style_name(c.kind) for c in columns]
    for row in rows:
        ws.append([_cell(ws, c.value(row), s) for c, s in zip(columns, styles, strict=True)])
    if total is not None:
        ws.append([_cell(ws, c.value(total), _style_name(c.kind, bold=True)) for c in columns])


def _notes_sheet(wb: Workbook, content: dict, meta: dict, title: str) -> None:
    ws = wb.create_sheet(_sheet_name(SHEET_NOTES))
    _print_setup(ws, title, header_rows=0, freeze=None)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 80
    items = [
        (_("Region"), _region_text(content["region"])),
        (_("Period"), _period_text(content)),
        (_("Version"), str(meta["version"])),
        (_("Generated at"), _when(meta["generated_at"])),
        (_("Fingerprint of the figures (SHA-256)"), meta["fingerprint"]),
        (_("Address of the report"), meta["report_url"]),
        (_("Confirmations by agency"), _confirmations_text(content["agencies"])),
        (_("Units"), _units_text()),
        (_("Schema of the JSON file"), SCHEMA_ID),
    ]
    ws.row_dimensions[1].height = 24
    ws.append([_cell(ws, title, _TITLE)])
    ws.append([])
    for label, value in items:
        ws.append([_cell(ws, label, _LABEL), _cell(ws, value, _VALUE)])


def _summary_sheet(wb: Workbook, content: dict, title: str) -> None:
    ws = wb.create_sheet(_sheet_name(SHEET_SUMMARY))
    _print_setup(ws, title)
    headers = [
        _("Figure"),
        _("This quarter"),
        _("Previous quarter"),
        _("Change on the previous quarter (%)"),
        _("Same quarter last year"),
        _("Change on the same quarter last year (%)"),
    ]
    for index, width in enumerate((34, 14, 14, 12, 14, 12), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[1].height = 33
    ws.append([_cell(ws, h, _HEADER) for h in headers])
    percent = _style_name("percent")
    for label, kind, (current, previous, change_previous, last_year, change_last_year) in _summary_rows(content):
        style = _style_name(kind)
        ws.append(
            [
                _cell(ws, label, _style_name("text")),
                _cell(ws, current, style),
                _cell(ws, previous, style),
                _cell(ws, change_previous, percent),
                _cell(ws, last_year, style),
                _cell(ws, change_last_year, percent),
            ]
        )


def render_xlsx(content: dict, meta: dict, out: BinaryIO | str | Path) -> None:
    """Write the report version as an XLSX workbook to ``out`` (a path or a binary file object), one sheet per
    table (:func:`sheet_names`): openpyxl's write-only mode streams each sheet's rows to a temporary file, so the
    region × industry table may have any number of rows."""
    _check_meta(meta)
    with translation.override(settings.LANGUAGE_CODE):
        title = report_title(content)
        wb = Workbook(write_only=True)
        wb.properties.title = title
        wb.properties.subject = _("Version %(version)s") % {"version": meta["version"]}
        wb.properties.creator = "work-injury-portal"
        wb.properties.keywords = meta["fingerprint"]
        _add_styles(wb)
        _notes_sheet(wb, content, meta, title)
        _summary_sheet(wb, content, title)
        _table_sheet(
            wb, SHEET_REGIONS, title, REGION_COLUMNS, content["regions"], total=_total_row(content), freeze="C2"
        )
        _table_sheet(wb, SHEET_KEY_INDUSTRIES, title, KEY_INDUSTRY_COLUMNS, content["key_industries"], freeze="C2")
        _table_sheet(
            wb, SHEET_REGION_INDUSTRIES, title, REGION_INDUSTRY_COLUMNS, content["region_industries"], freeze="E2"
        )
        ranked = [{**row, "rank": n} for n, row in enumerate(content["top_enterprises"], start=1)]
        _table_sheet(wb, SHEET_ENTERPRISES, title, ENTERPRISE_COLUMNS, ranked)
        _table_sheet(wb, SHEET_AGENCIES, title, AGENCY_COLUMNS, content["agencies"], freeze="B2")
        wb.save(out)


# --------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------

REPORT_MARGINS_MM = (25, 18, 22, 18)  # a report, not a 公文: room for the tables' columns
CHART_FONT_SIZE = 8
CHART_BARS = 20  # regions in the chart at most (those with most cases)
_THIS_QUARTER_COLOUR = colors.HexColor("#2F5597")
_LAST_YEAR_COLOUR = colors.HexColor("#A6A6A6")
_INDUSTRY_COLOUR = colors.HexColor("#C55A11")


def _count(value: Any) -> str:
    return "—" if value is None else f"{round(value):,}"


def _rate(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}"


def _change(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}" if round(value, 1) else "0.0"


_FORMAT = {"count": _count, "number": _count, "rate": _rate, "percent": _percent}


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def _nice_step(top: float) -> int:
    """A whole step of 1, 2 or 5 × 10ⁿ giving about five gridlines up to ``top``."""
    raw = max(top, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return max(1, int(factor * magnitude))
    return max(1, int(10 * magnitude))


def _value_axis(axis, top: float) -> None:
    step = _nice_step(top)
    axis.valueMin = 0
    axis.valueStep = step
    axis.valueMax = step * max(1, math.ceil(max(top, 1) / step))
    axis.labelTextFormat = _thousands
    axis.labels.fontName = SANS
    axis.labels.fontSize = CHART_FONT_SIZE
    axis.visibleGrid = True
    axis.gridStrokeColor = colors.HexColor("#D9D9D9")
    axis.gridStrokeWidth = 0.5


def _legend(pairs: list[tuple[Any, str]], x: float, y: float) -> Legend:
    legend = Legend()
    legend.colorNamePairs = pairs
    legend.fontName = SANS
    legend.fontSize = CHART_FONT_SIZE
    legend.x, legend.y = x, y
    legend.boxAnchor = "ne"
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 0
    legend.dx = legend.dy = 7
    legend.dxTextSpace = 4
    legend.variColumn = True
    legend.strokeWidth = 0
    legend.strokeColor = None
    return legend


def _bar_labels(chart) -> None:
    chart.barLabelFormat = _thousands
    chart.barLabels.fontName = SANS
    chart.barLabels.fontSize = CHART_FONT_SIZE - 1


def _region_chart_rows(content: dict) -> list[dict]:
    rows = sorted(content["regions"], key=lambda r: (-(r["cases"] or 0), -(r["cases_last_year"] or 0), r["code"]))
    return rows[:CHART_BARS]


def _region_chart(rows: list[dict], labels: tuple[str, str]) -> Callable[[float], Drawing | None]:
    """Cases by region: this quarter against the same quarter last year (grouped bars)."""

    def make(width: float) -> Drawing | None:
        if not rows:
            return None
        names = [r["name"] for r in rows]
        current = [r["cases"] or 0 for r in rows]
        last_year = [r["cases_last_year"] or 0 for r in rows]
        slanted = len(rows) > 6 or max(stringWidth(n, SANS, CHART_FONT_SIZE) for n in names) > width / len(rows)
        label_room = (
            max(stringWidth(n, SANS, CHART_FONT_SIZE) for n in names) * 0.6 + 10 if slanted else CHART_FONT_SIZE + 8
        )
        height = 65 * mm + label_room
        drawing = Drawing(width, height)
        chart = VerticalBarChart()
        chart.x, chart.y = 36, label_room
        chart.width, chart.height = width - 46, height - label_room - 22
        chart.data = [current, last_year]
        chart.groupSpacing = 8
        chart.barSpacing = 1
        chart.bars[0].fillColor = _THIS_QUARTER_COLOUR
        chart.bars[1].fillColor = _LAST_YEAR_COLOUR
        chart.bars.strokeWidth = 0
        _bar_labels(chart)
        chart.barLabels.nudge = 5
        axis = chart.categoryAxis
        axis.categoryNames = names
        axis.labels.fontName = SANS
        axis.labels.fontSize = CHART_FONT_SIZE
        if slanted:
            axis.labels.angle = 35
            axis.labels.boxAnchor = "ne"
            axis.labels.dx, axis.labels.dy = 4, -4
        else:
            axis.labels.boxAnchor = "n"
            axis.labels.dy = -4
        _value_axis(chart.valueAxis, max(current + last_year))
        drawing.add(chart)
        drawing.add(_legend([(_THIS_QUARTER_COLOUR, labels[0]), (_LAST_YEAR_COLOUR, labels[1])], width - 4, height - 2))
        return drawing

    return make


def _industry_chart(rows: list[dict]) -> Callable[[float], Drawing | None]:
    """Cases by key industry (horizontal bars, most cases on top)."""

    def make(width: float) -> Drawing | None:
        if not rows:
            return None
        names = [r["name"] for r in rows]
        cases = [r["cases"] or 0 for r in rows]
        label_room = min(max(stringWidth(n, SANS, CHART_FONT_SIZE) for n in names) + 8, width * 0.4)
        bar_room = 16
        height = bar_room * len(rows) + 30
        drawing = Drawing(width, height)
        chart = HorizontalBarChart()
        chart.x, chart.y = label_room, 18
        chart.width, chart.height = width - label_room - 30, height - 24
        chart.data = [cases]
        chart.bars[0].fillColor = _INDUSTRY_COLOUR
        chart.bars.strokeWidth = 0
        _bar_labels(chart)
        chart.barLabels.nudge = 8
        axis = chart.categoryAxis
        axis.categoryNames = names
        axis.reverseDirection = 1  # the first (most cases) on top
        axis.labels.fontName = SANS
        axis.labels.fontSize = CHART_FONT_SIZE
        axis.labels.boxAnchor = "e"
        axis.labels.dx = -4
        _value_axis(chart.valueAxis, max(cases))
        drawing.add(chart)
        return drawing

    return make


def render_pdf(content: dict, meta: dict) -> bytes:
    """The report version as a PDF: title, version and fingerprint, the summary, the regions (with a chart against
    the same quarter last year), the key industries (with a chart), the enterprises with most cases and the
    agencies' confirmations. The region × key industry table is in the XLSX only."""
    _check_meta(meta)
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf_document(content, meta).build()


def _pdf_document(content: dict, meta: dict) -> PdfDocument:
    title = report_title(content)
    fingerprint = meta["fingerprint"]
    doc = PdfDocument(
        title=title,
        subject=_("Version %(version)s") % {"version": meta["version"]},
        author=content["region"]["name"],
        keywords=[SCHEMA_ID, fingerprint],
        header_text=title,
        footer_text=_("Version %(version)s · SHA-256 %(fingerprint)s")
        % {"version": meta["version"], "fingerprint": fingerprint[:16]},
        margins_mm=REPORT_MARGINS_MM,
    )
    doc.heading(title, level=1)
    doc.paragraph(
        _("Version %(version)s, generated on %(time)s. Fingerprint of the figures (SHA-256): %(fingerprint)s")
        % {"version": meta["version"], "time": _when(meta["generated_at"]), "fingerprint": fingerprint},
        indent_first_line=False,
        align="center",
        font_size=9,
    )
    doc.key_values(
        [
            (_("Region"), _region_text(content["region"])),
            (_("Period"), _period_text(content)),
            (_("Address of the report"), meta["report_url"]),
            (_("Confirmations by agency"), _confirmations_text(content["agencies"])),
        ],
        label_width_mm=36,
    )

    doc.heading(_("Summary"), level=2)
    doc.table(
        [
            _("Figure"),
            _("This quarter"),
            _("Previous quarter"),
            _("Change on the previous quarter (%)"),
            _("Same quarter last year"),
            _("Change on the same quarter last year (%)"),
        ],
        [
            [
                label,
                _FORMAT[kind](current),
                _FORMAT[kind](previous),
                _change(change_previous),
                _FORMAT[kind](last_year),
                _change(change_last_year),
            ]
            for label, kind, (current, previous, change_previous, last_year, change_last_year) in _summary_rows(content)
        ],
        col_widths=[3.2, 1.4, 1.4, 1.2, 1.4, 1.2],
        col_align=["left", "right", "right", "right", "right", "right"],
    )
    doc.paragraph(_units_text(), indent_first_line=False, font_size=9)

    doc.page_break()  # each table with its chart starts a page: no heading left at the foot of one
    doc.heading(_("By region"), level=2)
    chart_rows = _region_chart_rows(content)
    legend = (_("This quarter"), _("Same quarter last year"))
    if chart_rows:
        doc.heading(_("Cases by region: this quarter and the same quarter last year"), level=3)
        doc.drawing(_region_chart(chart_rows, legend), texts=[*(r["name"] for r in chart_rows), *legend])
    doc.table(
        [
            _("Region"),
            _("Cases"),
            _("Previous quarter"),
            _("Change on the previous quarter (%)"),
            _("Same quarter last year"),
            _("Change on the same quarter last year (%)"),
            _("Serious injuries"),
            _("Deaths"),
            _("Insured employees"),
            _("Incidence rate (‰)"),
        ],
        [
            [
                r["name"],
                _count(r["cases"]),
                _count(r["cases_previous"]),
                _change(r["change_previous"]),
                _count(r["cases_last_year"]),
                _change(r["change_last_year"]),
                _count(r["serious"]),
                _count(r["deaths"]),
                _count(r["insured"]),
                _rate(r["incidence_rate"]),
            ]
            for r in [*content["regions"], _total_row(content)]
        ],
        col_widths=[1.7, 1, 1, 1.15, 1.05, 1.15, 0.95, 0.95, 1.25, 1.4],
        col_align=["left", *["right"] * 9],
    )

    doc.page_break()
    doc.heading(_("Key industries"), level=2)
    industries = sorted(content["key_industries"], key=lambda r: (-(r["cases"] or 0), r["code"]))
    if industries:
        doc.heading(_("Cases by key industry"), level=3)
        doc.drawing(_industry_chart(industries), texts=[r["name"] for r in industries])
        doc.table(
            [
                _("Industry code"),
                _("Industry"),
                _("Cases"),
                _("Serious injuries"),
                _("Deaths"),
                _("Insured employees"),
                _("Incidence rate (‰)"),
            ],
            [
                [
                    r["code"],
                    r["name"],
                    _count(r["cases"]),
                    _count(r["serious"]),
                    _count(r["deaths"]),
                    _count(r["insured"]),
                    _rate(r["incidence_rate"]),
                ]
                for r in content["key_industries"]
            ],
            col_widths=[0.9, 3, 1, 1, 1, 1.3, 1.2],
            col_align=["center", "left", *["right"] * 5],
        )
    else:
        doc.paragraph(_("None."), indent_first_line=False)
    if content["region_industries"]:
        doc.paragraph(
            _("The key industries by region (%(rows)s rows) are in the XLSX file of this version.")
            % {"rows": f"{len(content['region_industries']):,}"},
            indent_first_line=False,
            font_size=9,
        )

    doc.page_break()
    doc.heading(_("Enterprises with most cases"), level=2)
    if content["top_enterprises"]:
        doc.table(
            [
                _("No."),
                _("Enterprise"),
                _("Unified social credit code"),
                _("Region"),
                _("Industry"),
                _("Cases"),
                _("Serious injuries"),
                _("Deaths"),
            ],
            [
                [
                    n,
                    e["name"],
                    e["credit_code"],
                    e["region_name"],
                    e["industry_name"],
                    _count(e["cases"]),
                    _count(e["serious"]),
                    _count(e["deaths"]),
                ]
                for n, e in enumerate(content["top_enterprises"], start=1)
            ],
            col_widths=[0.6, 2.3, 2.5, 1.2, 1.6, 0.8, 0.8, 0.8],
            col_align=["center", "left", "left", "left", "left", "right", "right", "right"],
        )
    else:
        doc.paragraph(_("None."), indent_first_line=False)

    doc.heading(_("Confirmations by agency"), level=2)
    if content["agencies"]:
        doc.table(
            [_("Agency"), _("Data owed"), _("Due on"), _("Status"), _("Confirmed at")],
            [
                [
                    a["name"],
                    _data_text(a.get("data") or ()),
                    chinese_date(_day(a["due_on"])) if a.get("due_on") else "—",
                    _status(a["status"]),
                    _when(a.get("confirmed_at")),
                ]
                for a in content["agencies"]
            ],
            col_widths=[2.7, 2.0, 1.6, 1.3, 2.0],
            col_align=["left", "left", "center", "center", "center"],
        )
    else:
        doc.paragraph(_("None."), indent_first_line=False)
    return doc
