"""The portal's base of django-filter's FilterSet: no form is built for a request that filters on nothing.

django-filter builds the filter form (a deep copy of every filter's field) to validate the query, even when the
query holds no filter at all, as the API's list requests mostly do: a third of the case list API's fixed cost. A
query none of whose keys can belong to a filter (``page``, ``cursor``, ``page_size``, ``ordering`` …) is valid and
filters nothing, so the unfiltered queryset is answered at once. Any key that may be a filter's (its name, or its
name with a suffix, as a range widget's ``_min``/``_max``) takes django-filter's own path.

``prepare_form(form)`` is the place to adjust the form (labels, the drop-downs' choices): it runs once, when the
form is first built, which a request that renders no form and filters on nothing never does."""

from __future__ import annotations

import django_filters
from django.forms.utils import ErrorDict


class FilterSet(django_filters.FilterSet):
    def asks_nothing(self) -> bool:
        """Bound to a query that no filter reads (and no filter is required)."""
        if not self.is_bound:
            return False
        names = tuple(f"{self.form_prefix}-{name}" if self.form_prefix else name for name in self.filters)
        if any(f.extra.get("required") for f in self.filters.values()):
            return False
        return not any(key.startswith(names) for key in self.data)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = django_filters.FilterSet.form.fget(self)
            self.prepare_form(form)
        return self._form

    def prepare_form(self, form) -> None:
        """Adjust the form once it is built (see the module's docstring)."""

    def is_valid(self):
        return True if self.asks_nothing() else super().is_valid()

    @property
    def errors(self):
        return ErrorDict() if self.asks_nothing() else self.form.errors

    @property
    def qs(self):
        if not hasattr(self, "_qs") and self.asks_nothing():
            self._qs = self.queryset.all()
        return super().qs
