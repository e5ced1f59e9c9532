"""The cached parameter inspection behind django-tables2's cell rendering (``portal.tables``)."""

import django_tables2.utils as tables_utils

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
