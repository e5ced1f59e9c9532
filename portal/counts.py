"""Counts, choices and summaries that pages show again and again (a list's capped total, the unread badge, a
filter's drop-downs, the statistics) kept in the cache until a table they read is written to.

Each table has a *generation* in the cache, renewed by every statement that writes to it: every connection runs its
statements through ``_watch`` (``INSERT``, ``UPDATE``, ``DELETE``, ``TRUNCATE``: forms, ``QuerySet.update``,
``bulk_create``, raw SQL alike), and ``portal.bulk`` touches the tables it fills by ``COPY``. A count is cached under
its SQL and the generations of every table the query reads, so a write to any of them makes the next request count
again; ``COUNT_CACHE_SECONDS`` bounds what nothing reports (another program writing to the database).

A write renews the generation at once (the writer's own next request sees it) and again when its transaction
commits (a request that counted between the write and the commit, without seeing it, cached under the first
renewal: the second leaves that entry behind). Off (no caching, no touching) when ``COUNT_CACHE_SECONDS`` is 0.

A request reads the generations once: its first look-up reads those of every table this process has met, and the
request's later look-ups use them (a page's list, drop-downs and badge cost one round trip, not one each). What the
request writes itself renews its copy too; another process's write during the request shows from the next one.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import request_finished, request_started
from django.db import models, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

_PREFIX = "portal:table-generation:"


# The generations read during the current request (None outside a request: every look-up reads its own).
_request_generations: ContextVar[dict | None] = ContextVar("portal_request_generations", default=None)
_KNOWN: set[str] = set()  # generation keys this process has read


@receiver(request_started)
def _request_started(**kwargs) -> None:
    _request_generations.set({})


@receiver(request_finished)
def _request_finished(**kwargs) -> None:
    _request_generations.set(None)


def _stamp(tables) -> None:
    now = time.time_ns()
    stamps = {_PREFIX + t: now for t in tables}
    cache.set_many(stamps, timeout=None)
    seen = _request_generations.get()
    if seen is not None:
        seen.update(stamps)


def _read(entry: str | None, names: list[str]) -> tuple[object, tuple]:
    """(what the cache holds under ``entry``, or None; the generations under ``names``) in at most one round trip,
    none if ``entry`` is None and the request has read the generations already."""
    seen = _request_generations.get()
    if seen is None:
        found = cache.get_many([entry, *names] if entry else names)
        return found.get(entry), tuple(found.get(name) for name in names)
    _KNOWN.update(names)
    wanted = list(_KNOWN.difference(seen))  # (one C call: other threads add to _KNOWN meanwhile)
    found = cache.get_many([entry, *wanted] if entry else wanted) if (entry or wanted) else {}
    for name in wanted:
        seen[name] = found.get(name)
    return found.get(entry), tuple(seen[name] for name in names)


def touch(*tables_or_models) -> None:
    """Rows of these tables (or models) changed: counts that read them are counted again."""
    if getattr(settings, "COUNT_CACHE_SECONDS", 0) <= 0:
        return
    tables = [t if isinstance(t, str) else t._meta.db_table for t in tables_or_models]
    _stamp(tables)
    transaction.on_commit(lambda: _stamp(tables), robust=True)


def _tables(queryset: models.QuerySet) -> list[str]:
    query = queryset.query
    tables = {queryset.model._meta.db_table}
    tables.update(getattr(join, "table_name", None) or "" for join in query.alias_map.values())
    tables.discard("")
    return sorted(tables)


def cached(
    queryset: models.QuerySet, compute: Callable[[], object], *, kind: str = "count", local: bool = True, key=None
):
    """``compute()`` — what is read from ``queryset`` in some way: a capped count, an estimate, the choices of a
    drop-down — from the cache when no table the queryset reads has been written to since. ``kind`` tells apart
    different things read from one query (and what else they depend on: a language, a chosen value). ``local``:
    see ``cached_result`` (the results here are numbers and choices nobody changes). ``key``: what the queryset
    depends on, for a queryset wholly described by it (a drop-down's: the user's region), instead of its SQL, which
    costs a compilation of the query."""
    if getattr(settings, "COUNT_CACHE_SECONDS", 0) <= 0:
        return compute()
    if key is None:
        try:
            key = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:
            return 0
    return cached_result((queryset.db, queryset.model._meta.label, kind, key), _tables(queryset), compute, local=local)


# Results this process read from the shared cache, with the generations they hold: entry → (generations, value,
# expiry). Used only after the current generations have been read from the shared cache and found equal.
_LOCAL: dict[str, tuple] = {}
LOCAL_ENTRIES = 512


def cached_result(key, tables, compute: Callable[[], object], *, local: bool = False):
    """``compute()`` from the cache when none of ``tables`` has been written to since it was cached under ``key``
    (anything ``repr`` describes fully: what the result depends on besides those tables).

    One round trip to the cache: the entry is read together with the tables' generations, and it holds the
    generations it was computed under; it is used only when they are still the current ones.

    ``local`` (for results no caller changes: the same object is handed to every request of the process): a result
    this process has read before is kept in memory too, and the round trip then reads only the generations: a
    drop-down of a few hundred choices is not fetched and unpickled again while its tables stay unwritten."""
    seconds = getattr(settings, "COUNT_CACHE_SECONDS", 0)
    if seconds <= 0:
        return compute()
    tables = list(tables)
    entry = "portal:cached:" + hashlib.sha256(repr((key, tables)).encode()).hexdigest()
    names = [_PREFIX + t for t in tables]
    kept = _LOCAL.get(entry) if local else None
    if kept is not None and kept[2] > time.monotonic():
        _nothing, generations = _read(None, names)
        if kept[0] == generations:
            return kept[1]
    stored, generations = _read(entry, names)
    unknown = [name for name, generation in zip(names, generations, strict=True) if generation is None]
    if unknown:  # never written since the cache started: give it a generation, so that one changes if it is lost
        now = time.time_ns()
        for name in unknown:
            cache.add(name, now, timeout=None)
        found = cache.get_many(unknown)
        seen = _request_generations.get()
        if seen is not None:
            seen.update(found)
        generations = tuple(
            found.get(name) if name in unknown else g for name, g in zip(names, generations, strict=True)
        )
    if stored is not None and stored[0] == generations:
        value = stored[1]
    else:
        value = compute()
        cache.set(entry, (generations, value), timeout=seconds)
    if local:
        if len(_LOCAL) >= LOCAL_ENTRIES:
            _LOCAL.clear()
        # Kept no longer than a shared entry lives: a write nothing reports (another program) shows at the latest
        # twice COUNT_CACHE_SECONDS after it, instead of once, when the shared entry was read near its end.
        _LOCAL[entry] = (generations, value, time.monotonic() + seconds)
    return value


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"?(\w+)"?', re.I)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and getattr(settings, "COUNT_CACHE_SECONDS", 0) > 0:
        match = _WRITE.match(sql)
        if match:
            touch(match.group(1))
    return result


@receiver(connection_created)
def _watch_writes(sender, connection, **kwargs):
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)
