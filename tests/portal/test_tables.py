"""The cached parameter inspection behind django-tables2's cell rendering (``portal.tables``)."""

import django_tables2.utils as tables_utils
import pytest

from portal import tables


class Column:
    def render(self, value, record):
        return f"{value}:{record}"

    def value(self, **kwargs):
        return kwargs


def test_the_portal_answers_what_inspect_answers_and_remembers_it():
    assert tables_utils.signature is tables.signature  # installed at start-up
    first, second = Column(), Column()
    assert tables.signature(first.render) == tables._inspect(first.render) == (("value", "record"), None)
    assert tables.signature(second.value) == (tuple(), "kwargs")
    calls = []
    original = tables._inspect
    tables._inspect = lambda fn: calls.append(fn) or original(fn)
    try:
        for _i in range(3):
            assert tables.signature(Column().render) == (("value", "record"), None)  # a new bound method each time
    finally:
        tables._inspect = original
    assert calls == []  # remembered
    assert tables_utils.call_with_appropriate(first.render, {"value": 1, "record": "r", "table": None}) == "1:r"


def test_a_template_column_is_compiled_once_and_renders_each_cell_as_before(monkeypatch):
    import datetime
    import zoneinfo

    import django_tables2 as dt2

    compiled = []
    original = tables.Template
    monkeypatch.setattr(tables, "Template", lambda code: compiled.append(code) or original(code))

    class Table(dt2.Table):
        when = dt2.DateTimeColumn(format="Y年n月j日 H:i")  # a format no other table uses: compiled here
        day = dt2.DateColumn(format="Y-m-d")

    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    rows = [
        {"when": datetime.datetime(2025, 3, 1, 0, 30, tzinfo=datetime.UTC), "day": datetime.date(2025, 3, 1)},
        {"when": datetime.datetime(2025, 3, 2, 9, 5, tzinfo=shanghai), "day": None},
    ]
    table = Table(rows)
    cells = [[row.get_cell("when"), row.get_cell("day")] for row in table.rows]
    assert cells == [["2025年3月1日 08:30", "2025-03-01"], ["2025年3月2日 09:05", "—"]]
    assert '{{ value|date:"Y年n月j日 H:i"|default:default }}' in compiled
    assert len(compiled) == len(set(compiled))  # each code once, for two rows


def test_each_table_has_its_own_columns_copied_without_deepcopy(monkeypatch):
    """``Table.__init__`` copies the class's columns through ``copy_columns``: what one table changes (a hidden
    column, a column's attributes) reaches neither the class nor another table."""
    import copy

    import django_tables2 as dt2

    class Table(dt2.Table):
        name = dt2.Column(attrs={"td": {"class": "text-end"}}, linkify=lambda record: "/x/")
        kind = dt2.Column()

    deep = []
    monkeypatch.setattr(copy, "deepcopy", lambda *a, **k: deep.append(a) or pytest.fail("deep-copied"))
    first, second = Table([{"name": "甲", "kind": 1}]), Table([{"name": "乙", "kind": 2}])
    assert deep == []
    first.columns.hide("kind")
    first.columns["name"].column.attrs["td"]["class"] = "changed"
    assert [c.name for c in second.columns.itervisible()] == ["name", "kind"]
    assert second.columns["name"].column.attrs["td"]["class"] == "text-end"
    assert Table.base_columns["name"].attrs["td"]["class"] == "text-end" and Table.base_columns["kind"].visible
    assert first.columns["name"].column is not Table.base_columns["name"]
    assert first.columns["name"].column.link is not Table.base_columns["name"].link
    assert [c.name for c in first.columns.itervisible()] == ["name"]
    monkeypatch.undo()
    nested = [1, [2]]
    assert tables.copy_columns(nested) == nested and tables.copy_columns(nested)[1] is not nested[1]  # deep
