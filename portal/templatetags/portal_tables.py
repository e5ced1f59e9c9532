"""``{% table_head table %}`` and ``{% table_rows table %}``: a table's header and rows rendered in Python
(``portal.tables``)."""

from django import template

from portal.tables import render_head, render_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    return render_rows(table, context)


@register.simple_tag(takes_context=True)
def table_head(context, table):
    return render_head(table, context)
