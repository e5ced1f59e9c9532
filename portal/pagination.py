"""Pagination that never counts more than ``COUNT_CAP`` rows: ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``.

At provincial scale an exact ``COUNT(*)`` over millions of cases costs more than the page itself; beyond the cap
the lists say "100,000+" and still page through the first ``cap`` rows (filters narrow the rest).
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 100_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    def _queryset(self) -> QuerySet | None:
        data = self.object_list
        if isinstance(data, QuerySet):
            return data
        # django-tables2 passes its BoundRows, whose .data (TableQuerysetData) holds the queryset in .data
        inner = getattr(getattr(data, "data", None), "data", None)
        return inner if isinstance(inner, QuerySet) else None

    @cached_property
    def count(self) -> int:
        qs = self._queryset()
        counted = qs[: self.cap + 1].count() if qs is not None else len(self.object_list)
        return min(counted, self.cap)

    @cached_property
    def is_capped(self) -> bool:
        if self.count < self.cap:
            return False
        qs = self._queryset()
        return qs[self.cap : self.cap + 1].exists() if qs is not None else len(self.object_list) > self.cap
