"""The portal's base of django-filter's FilterSet: no form is built for a request that filters on nothing.

django-filter builds the filter form (a deep copy of every filter's field) to validate the query, even when the
query holds no filter at all, as the API's list requests mostly do: a third of the case list API's fixed cost. A
query none of whose keys can belong to a filter (``page``, ``cursor``, ``page_size``, ``ordering`` …) is valid and
filters nothing, so the unfiltered queryset is answered at once. Any key that may be a filter's (its name, or its
name with a suffix, as a range widget's ``_min``/``_max``) takes django-filter's own path.

Each filter set copies the class's filters attribute by attribute rather than with ``copy.deepcopy`` (``_copy_filter``).

``prepare_form(form)`` is the place to adjust the form (labels, the drop-downs' choices): it runs once, when the
form is first built, which a request that renders no form and filters on nothing never does."""

from __future__ import annotations

import copy

import django_filters
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django_filters.filters import FilterMethod

from portal.counts import cached_result


class FilterSet(django_filters.FilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django_filters.FilterSet.__init__, with the filters copied by ``_copy_filter`` instead of deep-copied.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _copy_filter(f) for name, f in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = model
            filter_.parent = self

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

    # --- the form's fields as a list page shows them -----------------------------------------------------------

    def fields_html_key(self):
        """What the form's markup depends on besides the filter set's class, the language and the rows of the
        tables its drop-downs read (for a filter set scoped to the user: the user's region), or None when it may
        depend on more: then it is never cached. Override to allow caching."""
        return None

    def fields_html(self) -> str:
        """Each field of the form with its label, as the list pages show them (styled, invalid fields marked).

        A query that filters on nothing shows the same form to every user of one ``fields_html_key``: that markup
        comes from the cache (``portal.counts``) until a table the drop-downs read is written to, and the form is
        not even built. A query that filters is shown fresh: its values and errors are the user's own (and an ID
        number typed into the filter never reaches the cache)."""
        key = self.fields_html_key()
        if key is None or (self.is_bound and not self.asks_nothing()):
            return self._fields_html()
        tables = sorted({t for f in self.filters.values() for t in _choice_tables(f)})
        return cached_result(
            ("filter-fields", type(self).__module__, type(self).__qualname__, key, get_language()),
            tables,
            self._fields_html,
            local=True,
        )

    def _fields_html(self) -> str:
        from portal.forms import style_fields

        form = self.form
        if self.is_bound:
            self.is_valid()  # (the list has validated it already) so that style_fields marks the invalid fields
        style_fields(form)
        return mark_safe(  # noqa: S308 - built by format_html
            "".join(
                format_html(
                    '<div class="col-12"><label class="form-label small mb-1 d-block" for="{}">{}</label>{}</div>',
                    str(field.id_for_label),
                    field.label,
                    field,
                )
                for field in form
            )
        )

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


def _choice_tables(filter_) -> list[str]:
    """The tables a filter's drop-down reads its choices from."""
    queryset = getattr(filter_, "queryset", None)
    return [queryset.model._meta.db_table] if isinstance(queryset, QuerySet) else []


def _copy_filter(original):
    """A filter of this filter set's own, as django-filter's ``copy.deepcopy`` of the class's filters makes, in a
    fifth of the time: the attributes copied one level down (its ``extra`` arguments, lists, dicts), a queryset
    cloned, and the ``method`` proxy made again for the copy (it points at its filter)."""
    twin = copy.copy(original)
    attributes = {}
    for key, value in original.__dict__.items():
        if isinstance(value, FilterMethod):
            value = FilterMethod(twin)
        elif isinstance(value, QuerySet):
            value = value.all()
        elif isinstance(value, dict):
            value = {k: v.all() if isinstance(v, QuerySet) else v for k, v in value.items()}
        elif isinstance(value, list):
            value = list(value)
        attributes[key] = value
    attributes.pop("_field", None)  # the form field is built for each filter set
    twin.__dict__ = attributes
    return twin
