"""The joint meeting's items on the home page's to-do list, collected from each area."""

from __future__ import annotations


def meetings_todos(user):
    from .views import committee, keytasks, meetings, solicitations

    for area in (committee, meetings, solicitations, keytasks):
        provider = getattr(area, "todos", None)
        if provider is not None:
            yield from provider(user)
