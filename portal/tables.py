"""django-tables2, made cheaper per cell.

django-tables2 calls each column's ``render`` (and ``value``) through ``utils.call_with_appropriate``, which asks
``inspect.signature`` for the function's parameters on every cell: a list page of 25 rows × 7 columns paid for
about 350 signature inspections, an eighth of its time. A function's parameters do not change, so they are
remembered here, keyed by the function (a bound method by its function: binding only removes ``self``).

``TemplateColumn`` (and ``DateColumn`` and ``DateTimeColumn``, which are template columns) compiles its
``template_code`` into a new ``Template`` for every cell: two date columns on a page of 25 rows compiled 50 templates
per request. A compiled template is rendered many times (Django's cached loader does the same), so each code is
compiled once."""

from __future__ import annotations

import copy
import datetime
import html
import inspect
import re
from functools import lru_cache, partialmethod
from urllib.parse import urlencode

import django_tables2.columns.templatecolumn as template_columns
import django_tables2.tables as tables_module
import django_tables2.utils as tables_utils
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.template import Template
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.templatetags import l10n as l10n_filters
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import get_format
from django.utils.hashable import make_hashable
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2 import Column, DateColumn, DateTimeColumn, Table
from django_tables2.utils import AttributeDict

from portal.forms import escaped
from portal.links import DetailUrls

_inspect = tables_utils.signature
_known: dict = {}


def signature(fn):
    key = (getattr(fn, "__func__", fn), hasattr(fn, "__self__"))
    try:
        return _known[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable: inspect it every time, as django-tables2 does
        return _inspect(fn)
    result = _known[key] = _inspect(fn)
    return result


_compiled: dict[str, Template] = {}


def compiled_template(template_code: str) -> Template:
    try:
        return _compiled[template_code]
    except KeyError:
        template = _compiled[template_code] = Template(template_code)
        return template


def copy_columns(columns):
    """A table's own copy of its class's columns, as ``copy.deepcopy(type(table).base_columns)`` makes in
    ``Table.__init__``, in a fraction of the time: each column copied with its attributes one level down (``attrs``
    and the dictionaries in it, its link). A table only sets attributes of its columns (``accessor``, ``visible``),
    which a copy of the column keeps from the class's. Anything but a dictionary of columns is deep-copied."""
    if not isinstance(columns, dict) or not all(isinstance(c, Column) for c in columns.values()):
        return copy.deepcopy(columns)
    out = type(columns)()
    for name, column in columns.items():
        twin = copy.copy(column)
        for key, value in column.__dict__.items():
            if isinstance(value, dict):
                twin.__dict__[key] = type(value)(
                    (k, copy.copy(v) if isinstance(v, dict | list) else v) for k, v in value.items()
                )
            elif isinstance(value, list):
                twin.__dict__[key] = list(value)
            elif key == "link" and value is not None:
                twin.__dict__[key] = copy.copy(value)
        out[name] = twin
    return out


class _TablesCopy:
    """What ``django_tables2.tables`` sees as its ``copy`` module: its one ``deepcopy`` (of the base columns)
    made by ``copy_columns``."""

    copy = staticmethod(copy.copy)
    deepcopy = staticmethod(copy_columns)


def install() -> None:
    """Called once at start-up (``PortalConfig.ready``)."""
    tables_utils.signature = signature
    template_columns.Template = compiled_template
    tables_module.copy = _TablesCopy


# --- the rows of a table, rendered in Python ------------------------------------------------------------------------
#
# django-tables2's template renders each cell through ``row.items`` (an accessor walk, a signature-matched ``render``
# call, the column's attributes worked out again for every cell) and three template nodes: on a list page of 25 rows
# × 7 columns that was 45 % of the page's time. ``render_rows`` writes the same ``<tr>``/``<td>`` markup (the
# template's ``table.tbody`` block, ``tests/portal/test_tables.py`` compares the two) with each column's way of
# reading and formatting its value worked out once per table: a plain column of a model field or property, a date or
# date-time column, each optionally linked to the record's page. Any other column (a ``render_<name>`` method, a
# template, a dotted accessor, a callable value …) is rendered by django-tables2 itself, cell by cell.

_DATE_TEMPLATE = re.compile(r'\{\{ value\|date:"([^"]*)"\|default:default \}\}')


def render_rows(table, context) -> str:
    """The ``<tr>`` rows of the table's current page (or its empty-text row), as the tbody block renders them."""
    columns = list(table.columns)
    cells = [_cell_renderer(table, column) for column in columns]
    tds = [_static_td_attrs(table, column) for column in columns]
    static_row_attrs = None  # even and odd rows' attributes, when they are the same for every record
    if not _has_callable(table.row_attrs):
        row_attrs = dict(table.row_attrs)
        static_row_attrs = {
            parity: AttributeDict(
                {**row_attrs, "class": f"{row_attrs['class']} {parity}" if row_attrs.get("class") else parity}
            ).as_html()
            for parity in ("even", "odd")
        }
    out = []
    for row in table.paginated_rows:
        if static_row_attrs is None:
            attrs = row.attrs.as_html()
        else:
            attrs = static_row_attrs[row.get_even_odd_css_class()]
        out.append(f"<tr {attrs}>")
        record = row.record
        for column, cell, td in zip(columns, cells, tds, strict=True):
            value = cell(record) if cell is not None else _NOT_FAST
            if value is _NOT_FAST:
                value = row.get_cell(column.name)
            if td is None:  # attributes computed from the cell: django-tables2 sets these before asking
                column.current_value, column.current_record = value, record
                td_html = column.attrs["td"].as_html()
            else:
                td_html = td
            localize = column.localize
            if localize is not None:
                value = l10n_filters.localize(value) if localize else l10n_filters.unlocalize(value)
            kind = type(value)
            if kind is str:
                shown = html.escape(value)
            elif kind is SafeString:
                shown = value
            else:
                shown = _shown(value, context)
            out.append(f"<td {td_html}>{shown}</td>")
        out.append("</tr>")
    if not out and table.empty_text:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped or built by format_html


_NOT_FAST = object()


def _shown(value, context) -> str:
    """``render_value_in_context(value, context)`` for a cell's value: a record (an enterprise, an accident type) is
    its escaped ``str``, a date is formatted as ``localize`` formats it (``DATE_FORMAT`` of the active language)
    without a ``DateFormat`` per value when the format is numeric (``Y年n月j日``); anything else goes to Django."""
    if context.autoescape:
        if isinstance(value, Model) and not hasattr(value, "__html__"):
            text = str(value)
            return text if isinstance(text, SafeString) else html.escape(text)
        if type(value) is datetime.date and context.use_l10n is not False:
            fast = _compiled_date_format(get_format("DATE_FORMAT"))
            if fast is not None:
                return html.escape(fast(value))
    return render_value_in_context(value, context)


def _has_callable(value) -> bool:
    if callable(value):
        return True
    if isinstance(value, dict):
        return any(_has_callable(v) for v in value.values())
    return False


def _choice_labels(model, field) -> dict | None:
    """The field's choices as ``Model._get_FIELD_display`` makes them on every call, when the model's
    ``get_<field>_display`` is Django's own; else None (the method is called)."""
    method = inspect.getattr_static(model, f"get_{field.name}_display", None)
    if not isinstance(method, partialmethod) or method.func is not Model._get_FIELD_display:
        return None
    return dict(make_hashable(field.flatchoices))


def _static_td_attrs(table, column) -> str | None:
    """The column's ``<td>`` attributes when they are the same for every cell, else None."""
    merged = {**table.attrs, **column.column.attrs}
    if _has_callable(merged.get("td", merged.get("cell", {}))):
        return None
    if type(table).get_column_class_names is not Table.get_column_class_names:
        return None
    column.current_value = column.current_record = None
    return column.attrs["td"].as_html()


def _cell_renderer(table, column):
    """A function of the record giving the cell's content as django-tables2 would, or None (django-tables2 renders
    it). The function answers ``_NOT_FAST`` for a record it cannot read the plain way."""
    model = table._meta.model
    name = str(column.accessor)
    kind = type(column.column)
    if model is None or column.accessor.SEPARATOR in name or "." in name:
        return None
    if getattr(column.render, "__func__", None) is not kind.render or kind not in (Column, DateColumn, DateTimeColumn):
        return None
    link = column.link
    if link is not None and (link.url or link.accessor or link.attrs or link.reverse_args.get("viewname")):
        return None
    fmt = fast_format = None
    if kind is not Column:
        match = _DATE_TEMPLATE.fullmatch(column.column.template_code or "")
        if column.column.template_name or column.column.extra_context or not match:
            return None
        fmt = match.group(1)
        # A format name (SHORT_DATE_FORMAT) is the active language's format, as the date filter reads it: this
        # function is made for each table rendered, so the language is the request's.
        fast_format = _compiled_date_format(get_format(fmt))
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
        if not isinstance(getattr(model, name, None), property):
            return None
    if field is not None and not field.concrete:
        return None
    urls = DetailUrls()
    display = f"get_{name}_display" if field is not None and field.choices else None
    labels = _choice_labels(model, field) if display is not None else None
    if labels is not None:  # translated once per table (this function is made for each table rendered)
        labels = {key: force_str(label, strings_only=True) for key, label in labels.items()}
    empty, default = column.column.empty_values, column.default
    local_zone = timezone.get_current_timezone() if settings.USE_TZ else None  # what template_localtime converts to

    def content(record):
        if type(record) is not model:
            return _NOT_FAST
        if labels is not None:  # what Model._get_FIELD_display answers, with the choices' dict made once
            value = getattr(record, field.attname)
            label = labels.get(make_hashable(value), _NOT_FAST)
            value = force_str(value, strings_only=True) if label is _NOT_FAST else label
        elif display is not None:
            value = getattr(record, display)()
        else:
            value = getattr(record, name)
            if callable(value):
                return _NOT_FAST
        if value in empty:
            return default
        if fmt is not None:  # the column's template: {{ value|date:fmt|default:default }}
            if (  # template_localtime(value), with the zone looked up once per table
                local_zone is not None
                and isinstance(value, datetime.datetime)
                and not timezone.is_naive(value)
                and getattr(value, "convert_to_local_time", True)
            ):
                value = value.astimezone(local_zone)
            if (
                fast_format is not None
                and isinstance(value, datetime.date)
                and (isinstance(value, datetime.datetime) or not fast_format.needs_time)
            ):
                text = fast_format(value)
            else:
                text = date_filter(value, fmt) or default
            value = SafeString(html.escape(text))  # mark_safe without its lazy-argument wrapper
        if link is not None:
            target = getattr(record, name)
            target = target if hasattr(target, "get_absolute_url") else record
            if not hasattr(target, "get_absolute_url"):
                return _NOT_FAST
            url = urls(target)
            if url is not None:  # format_html('<a href="{}">{}</a>', url, value) without its lazy-argument wrappers
                value = SafeString(f'<a href="{html.escape(url)}">{escaped(value)}</a>')
        return value

    return content


# Django's date format characters that have a fixed-width numeric meaning, as ``date`` formats them.
_DATE_PARTS = {
    "Y": ("year", "04d", False),
    "m": ("month", "02d", False),
    "n": ("month", "d", False),
    "d": ("day", "02d", False),
    "j": ("day", "d", False),
    "H": ("hour", "02d", True),
    "i": ("minute", "02d", True),
    "s": ("second", "02d", True),
}
_DATE_LITERALS = set("-:/. 年月日")


class _DateFormat:
    """A date format made of the numeric parts above and separators, formatted without a ``DateFormat`` object
    per value (the ``date`` filter's output for these is the same); None from ``_compiled_date_format`` for any
    other format (names such as ``SHORT_DATE_FORMAT``, month names, escapes …), which the filter formats."""

    def __init__(self, parts):
        self.parts = parts
        self.needs_time = any(part[2] for part in parts if isinstance(part, tuple))

    def __call__(self, value) -> str:
        return "".join(p if isinstance(p, str) else format(getattr(value, p[0]), p[1]) for p in self.parts)


@lru_cache(maxsize=64)
def _compiled_date_format(fmt: str) -> _DateFormat | None:
    parts = []
    for char in fmt:
        if char in _DATE_PARTS:
            parts.append(_DATE_PARTS[char])
        elif char in _DATE_LITERALS:
            parts.append(char)
        else:
            return None
    return _DateFormat(parts)


def render_head(table, context) -> str:
    """The ``<thead>`` of the table, as the template's ``table.thead`` block renders it (with a sort link per
    orderable column: the request's query with the column's next ordering, as ``querystring_replace`` makes it)."""
    request = context["request"]
    query = dict(request.GET)
    key = table.prefixed_order_by_field
    out = [f"<thead {table.attrs['thead'].as_html()}>", "<tr>"]
    for column in table.columns:
        header = render_value_in_context(column.header, context)
        if column.orderable:
            params = dict(query)
            if key not in ("", None):
                params[key] = column.order_by_alias.next
            href = html.escape("?" + urlencode(params, doseq=True))
            header = f'<a href="{href}">{header}</a>'
        out.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
    out.append("</tr></thead>")
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped
