"""Filters of the screening side of the loop: rules, runs, a run's results, outcomes and bulletins (staff list and
the public case library)."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.reference.models import AccidentType, AccidentTypeKind, Industry

from ..models import Bulletin, Category, Outcome, ScreeningResult, ScreeningRule, ScreeningRun
from ..selectors import day_start


def _year(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


class ScreeningRuleFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("state"), choices=ScreeningRule.State.choices)

    class Meta:
        model = ScreeningRule
        fields = ["state"]


class ScreeningRunFilterSet(django_filters.FilterSet):
    """Kind and the year the screened period ends in."""

    kind = django_filters.ChoiceFilter(label=_("kind"), choices=ScreeningRun.Kind.choices)
    year = django_filters.NumberFilter(label=_("Year"), method="ending_in")

    class Meta:
        model = ScreeningRun
        fields = ["kind", "year"]

    def ending_in(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        year = _year(value)
        if year is None:
            return queryset.none()
        return queryset.filter(period_end__gte=datetime.date(year, 1, 1), period_end__lte=datetime.date(year, 12, 31))


class ScreeningResultFilterSet(django_filters.FilterSet):
    """A run's results: class and enterprise name."""

    category = django_filters.ChoiceFilter(label=_("class"), choices=Category.choices)
    enterprise_name = django_filters.CharFilter(
        label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains"
    )

    class Meta:
        model = ScreeningResult
        fields = ["category", "enterprise_name"]


class OutcomeFilterSet(django_filters.FilterSet):
    """Kind (the links of the agencies' messages use ``?kind=handover``, ``?kind=penalty``) and year recorded."""

    kind = django_filters.ChoiceFilter(label=_("outcome"), choices=Outcome.Kind.choices)
    year = django_filters.NumberFilter(label=_("Year"), method="recorded_in")
    enterprise_name = django_filters.CharFilter(
        label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains"
    )

    class Meta:
        model = Outcome
        fields = ["kind", "year", "enterprise_name"]

    def recorded_in(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        year = _year(value)
        if year is None:
            return queryset.none()
        return queryset.filter(
            created_at__gte=day_start(datetime.date(year, 1, 1)),
            created_at__lt=day_start(datetime.date(year + 1, 1, 1)),
        )


class BulletinFilterSet(django_filters.FilterSet):
    """The staff list: state (draft, published, withdrawn) and title."""

    STATES = [("draft", _("Draft")), ("published", _("Published")), ("withdrawn", _("Withdrawn"))]

    state = django_filters.ChoiceFilter(label=_("state"), choices=STATES, method="in_state")
    title = django_filters.CharFilter(label=_("title"), lookup_expr="icontains")

    class Meta:
        model = Bulletin
        fields = ["state", "title"]

    def in_state(self, queryset, name, value):
        if value == "draft":
            return queryset.filter(published_at__isnull=True)
        if value == "published":
            return queryset.public()
        if value == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


def public_industries():
    return Industry.objects.filter(level__in=["section", "division"]).order_by("path")


class BulletinPublicFilterSet(django_filters.FilterSet):
    """The public case library: industry (with its sub-industries), accident type, year of the accident, and a
    search in the title and text."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    industry = django_filters.ModelChoiceFilter(label=_("Industry"), queryset=public_industries(), method="in_industry")
    accident_type = django_filters.ModelChoiceFilter(
        label=_("accident type"), queryset=AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
    )
    year = django_filters.NumberFilter(label=_("Year"), method="occurred_in_year")

    class Meta:
        model = Bulletin
        fields = ["q", "industry", "accident_type", "year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["industry"].queryset = public_industries()
        self.form.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"
        self.form.fields["accident_type"].queryset = AccidentType.objects.filter(kind=AccidentTypeKind.TYPE).order_by(
            "edition", "code"
        )
        self.form.fields["accident_type"].label_from_instance = lambda t: f"{t.code} {t.name}"

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))

    def in_industry(self, queryset, name, value):
        return queryset.filter(industry__path__startswith=value.path) if value else queryset

    def occurred_in_year(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        year = _year(value)
        if year is None:
            return queryset.none()
        return queryset.filter(occurred_in__gte=datetime.date(year, 1, 1), occurred_in__lte=datetime.date(year, 12, 31))
