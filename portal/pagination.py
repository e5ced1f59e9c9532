"""Pagination for lists of millions of rows: a count that stops at ``COUNT_CAP``, and keyset (cursor) pages.

- **Capped count.** ``SELECT COUNT(*) FROM (… LIMIT cap + 1)`` without ORDER BY: at provincial scale an exact
  ``COUNT(*)`` over millions of cases costs more than the page itself; beyond the cap the lists say "100,000+".
  On PostgreSQL a list the planner expects to hold over ten times the cap is not counted at all (EXPLAIN only).
- **Keyset pages.** When a list is sorted by columns of its own table that are never NULL (the model's default
  ordering, or a sortable column), the primary key is added as the tie-breaker and "next"/"previous" are cursors:
  the next page is ``WHERE (occurred_at, id) < (last row's values) ORDER BY … LIMIT n + 1``, as fast on page
  40,000 as on page 1, and not limited by the count cap. A cursor is the last (or first) row's ordering values,
  signed (``django.core.signing``): a tampered or foreign cursor is refused, never half-read.
- Sorting by anything else (a related column such as the enterprise's name, a nullable date) keeps page numbers
  within the cap. ``?page=N`` keeps working within the cap for every list (old links).
- A cursor page runs no COUNT: the cursor carries the capped count of the first page, tied to the list's
  filters (a hand-edited filter gets a fresh count).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connections
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from portal.counts import cached

COUNT_CAP = 100_000
MAX_PER_PAGE = 500
CURSOR_PARAM = "cursor"
# Query parameters that move through one list without making it another list (the count stays valid).
PAGING_PARAMS = frozenset({CURSOR_PARAM, "page", "per_page", "page_size", "format"})
_SALT = "portal.pagination.cursor"


class CappedPaginator(Paginator):
    cap = COUNT_CAP
    # PostgreSQL: when the planner expects more than ``estimate_factor`` × cap rows, say "cap+" without counting
    # (a capped count still reads cap + 1 rows through the scope's joins: 100-250 ms at province scale).
    estimate_factor = 10
    # ... and never below this many: the planner's guess for a small table that has not been analysed yet (a few
    # thousand rows for a fresh table) would otherwise pass for a huge list when the cap is small.
    estimate_floor = 1_000_000

    def _queryset(self) -> QuerySet | None:
        data = self.object_list
        if isinstance(data, QuerySet):
            return data
        # django-tables2 passes its BoundRows, whose .data (TableQuerysetData) holds the queryset in .data
        inner = getattr(getattr(data, "data", None), "data", None)
        return inner if isinstance(inner, QuerySet) else None

    def _count_rows(self) -> int:
        """Rows counted, at most ``cap + 1`` (one more than the cap tells that the cap was reached).

        Without ORDER BY: any ``cap + 1`` rows do, and the database need not sort them first."""
        qs = self._queryset()
        if qs is None:
            return min(len(self.object_list), self.cap + 1)

        def count() -> int:
            estimate = planner_estimate(qs)
            if estimate is not None and estimate > max(self.estimate_factor * self.cap, self.estimate_floor):
                return self.cap + 1
            return qs.order_by()[: self.cap + 1].count()

        # Cached until a table the list reads is written to (portal.counts): a list opened again costs no count.
        # Known by the SQL of the rows' keys (the rows counted: what the count itself reads, since a count drops
        # the select_related columns and the ordering), which compiles in a quarter of the time of the full query.
        try:
            key = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return 0
        return cached(qs, count, kind=f"capped:{self.cap}:{self.estimate_factor}:{self.estimate_floor}", key=key)

    @cached_property
    def _counted(self) -> int:
        return self._count_rows()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @cached_property
    def is_capped(self) -> bool:
        return self._counted > self.cap


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows of ``queryset`` (EXPLAIN, nothing read), or None elsewhere."""
    if connections[queryset.db].vendor != "postgresql" or queryset.query.is_empty():
        return None
    try:
        plan = json.loads(queryset.order_by().explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (DatabaseError, EmptyResultSet, ValueError, KeyError, IndexError, TypeError):
        return None


# --- keyset pagination ------------------------------------------------------------------------------------------


def keyset_ordering(queryset: QuerySet) -> tuple[str, ...] | None:
    """The queryset's ordering made total (primary key as the last tie-breaker), or None when no keyset can
    follow it: an ordering over a relation, an expression, a random order or a nullable column."""
    query = queryset.query
    if query.extra_order_by or query.combinator:
        return None
    if query.order_by:
        items = query.order_by
    elif query.default_ordering:
        items = queryset.model._meta.ordering
    else:
        return None
    opts = queryset.model._meta
    ordering: list[str] = []
    for item in items:
        if not isinstance(item, str) or item == "?":
            return None
        name = item.removeprefix("-")
        try:
            field = opts.pk if name == "pk" else opts.get_field(name)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "concrete", False) or field.is_relation or field.null:
            return None
        ordering.append(("-" if item.startswith("-") else "") + field.name)
        if field.primary_key or field.unique:
            return tuple(ordering)
    descending = bool(ordering) and ordering[-1].startswith("-")
    return (*ordering, ("-" if descending else "") + opts.pk.name)


def _beyond(ordering: tuple[str, ...], values: list, *, backwards: bool = False) -> Q:
    """Rows after ``values`` in ``ordering`` (before them if ``backwards``).

    ``a < v1 OR (a = v1 AND b < v2) …``, and the redundant bound ``a <= v1`` in front, so that the database starts
    its index scan at the cursor instead of filtering every row before it."""
    after = Q()
    equal: dict = {}
    for item, value in zip(ordering, values, strict=True):
        name = item.removeprefix("-")
        op = "lt" if item.startswith("-") != backwards else "gt"
        after |= Q(**equal, **{f"{name}__{op}": value})
        equal[name] = value
    first = ordering[0]
    bound = "lte" if first.startswith("-") != backwards else "gte"
    return Q(**{f"{first.removeprefix('-')}__{bound}": values[0]}) & after


def _reversed(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item.removeprefix("-") if item.startswith("-") else f"-{item}" for item in ordering)


def _json_value(value):
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()  # full microseconds, unlike DjangoJSONEncoder
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def list_key(query: Mapping) -> str:
    """A short fingerprint of a list's filters and sort (every parameter but the paging ones)."""
    items = query.lists() if hasattr(query, "lists") else ((k, [v]) for k, v in query.items())
    pairs = sorted((k, v) for k, values in items if k not in PAGING_PARAMS for v in values)
    return hashlib.sha256(urlencode(pairs).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Cursor:
    ordering: tuple[str, ...]
    values: list
    backwards: bool
    counted: int | None  # rows counted (at most cap + 1) when the list was opened
    key: str  # list_key of the list it was made for


class KeysetPage(Page):
    """A page that knows its neighbours: by cursor when the ordering allows a keyset, else by page number.

    ``number`` is None on a page reached by cursor (its position is not counted)."""

    def __init__(self, object_list, number, paginator, *, has_next=None, has_previous=None):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next
        self._has_previous = has_previous
        self.next_cursor: str | None = None
        self.previous_cursor: str | None = None

    def has_next(self):
        return super().has_next() if self._has_next is None else self._has_next

    def has_previous(self):
        return super().has_previous() if self._has_previous is None else self._has_previous


class KeysetPaginator(CappedPaginator):
    """``CappedPaginator`` plus cursors. ``query`` is the request's query (``request.GET``): its ``cursor`` and
    its filters. An unreadable cursor sets ``cursor_invalid`` (the API answers 400, the pages show page 1)."""

    max_per_page = MAX_PER_PAGE

    def __init__(
        self, object_list, per_page, orphans=0, allow_empty_first_page=True, error_messages=None, *, query=None
    ):
        query = query or {}
        per_page = max(1, min(int(per_page), self.max_per_page))
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, error_messages)
        qs = self._queryset()
        self.ordering = keyset_ordering(qs) if qs is not None else None
        self.list_key = list_key(query)
        token = query.get(CURSOR_PARAM)
        self.cursor = self.decode(token) if token else None
        self.cursor_invalid = bool(token) and self.cursor is None

    # cursors

    def encode(self, record, *, backwards: bool) -> str:
        values = [_json_value(getattr(record, field.attname)) for field in self._fields()]
        payload = {"o": list(self.ordering), "v": values, "b": int(backwards), "n": self._counted, "k": self.list_key}
        return signing.dumps(payload, salt=_SALT, compress=True)

    def _fields(self) -> list:
        opts = self._queryset().model._meta
        return [opts.get_field(item.removeprefix("-")) for item in self.ordering]

    def decode(self, token: str) -> Cursor | None:
        if self.ordering is None or len(token) > 2000:
            return None
        try:
            payload = signing.loads(token, salt=_SALT)
            if tuple(payload["o"]) != self.ordering or len(payload["v"]) != len(self.ordering):
                return None  # made for another sort order
            values = [field.to_python(v) for field, v in zip(self._fields(), payload["v"], strict=True)]
            if any(v is None for v in values):
                return None
            counted = payload.get("n")
            return Cursor(
                ordering=self.ordering,
                values=values,
                backwards=bool(payload["b"]),
                counted=counted if isinstance(counted, int) and counted >= 0 else None,
                key=str(payload.get("k", "")),
            )
        except (signing.BadSignature, ValidationError, KeyError, TypeError, ValueError, AttributeError):
            return None

    def _count_rows(self) -> int:
        cursor = self.cursor
        if cursor is not None and cursor.counted is not None and cursor.key == self.list_key:
            return min(cursor.counted, self.cap + 1)
        return super()._count_rows()

    # pages

    def page(self, number):
        if self.ordering is None:
            return super().page(number)
        qs = self._queryset().order_by(*self.ordering)
        size = self.per_page
        cursor = self.cursor
        if cursor is None:
            number = self.validate_number(number)
            start = (number - 1) * size
            rows = list(qs[start : start + size + 1])
            return self._keyset_page(rows[:size], number, has_next=len(rows) > size, has_previous=number > 1)
        if cursor.backwards:
            before = _beyond(self.ordering, cursor.values, backwards=True)
            rows = list(qs.order_by(*_reversed(self.ordering)).filter(before)[: size + 1])
            return self._keyset_page(rows[:size][::-1], None, has_next=True, has_previous=len(rows) > size)
        rows = list(qs.filter(_beyond(self.ordering, cursor.values))[: size + 1])
        return self._keyset_page(rows[:size], None, has_next=len(rows) > size, has_previous=True)

    def _keyset_page(self, records: list, number, *, has_next: bool, has_previous: bool) -> KeysetPage:
        if not records:  # nothing here (rows deleted meanwhile): only "first page" leads on
            has_next = has_previous = False
        page = KeysetPage(self._rows(records), number, self, has_next=has_next, has_previous=has_previous)
        if has_next:
            page.next_cursor = self.encode(records[-1], backwards=False)
        if has_previous:
            page.previous_cursor = self.encode(records[0], backwards=True)
        return page

    def _get_page(self, *args, **kwargs):
        return KeysetPage(*args, **kwargs)

    def _rows(self, records: list):
        """The page's rows in the container the caller gave: a list for a QuerySet, BoundRows for django-tables2."""
        data = self.object_list
        if isinstance(data, QuerySet):
            return records
        return type(data)(records, table=data.table, pinned_data=getattr(data, "pinned_data", None))
