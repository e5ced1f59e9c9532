"""``{% table_rows table %}``: a table's rows rendered in Python (``portal.tables.render_rows``)."""

from django import template

from portal.tables import render_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    return render_rows(table, context)
