from functools import partial

import django_filters
from django.db.models import F, Q, Value, Window
from django.db.models.functions import JSONObject, RowNumber
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portal.counts import cached, cached_result
from portal.filters import FilterSet
from portal.forms import CachedChoices, prepared_choices
from portal.reference.models import (
    AccidentGradeLevel,
    AccidentType,
    AccidentTypeKind,
    Industry,
    OccupationalDisease,
    Region,
    industry_flag_q,
)

from .models import SHORT_EXPOSURE_YEARS, InjuryCase, OccupationalDiseaseCase, SafetyAccident, Severity


class IncidentFilterSet(FilterSet):
    """Region and industry of the enterprise (whole subtrees), enterprise name; base of the three kinds."""

    enterprise_name = django_filters.CharFilter(
        label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains"
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with sub-regions)"), queryset=Region.objects.none(), method="in_region"
    )
    industry = django_filters.ModelChoiceFilter(
        label=_("Industry (with sub-industries)"),
        field_name="enterprise__industry",
        queryset=Industry.objects.all(),
        method="in_industry",
    )
    industry_group = django_filters.ChoiceFilter(
        label=_("Industry group"),
        choices=[("key", _("Key industries")), ("dust", _("Dust industries"))],
        method="in_industry_group",
    )

    class Meta:
        fields = ["enterprise_name", "region", "industry", "industry_group"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.user_region = None
        regions = Region.objects.all()
        if user is not None and user.is_authenticated and user.region is not None:
            regions = regions.subtree(user.region)
            self.user_region = user.region
        self.filters["region"].queryset = regions
        self.scope_regions = regions

    def fields_html_key(self):
        # The form differs between users only by the regions offered: the user's subtree (or all).
        return self.user_region.pk if self.user_region is not None else "all"

    def prepare_form(self, form):
        # Any region and industry in scope is accepted (the statistics link to towns and industry classes); the
        # drop-downs offer the upper levels, plus the one chosen.
        data = self.data or {}
        region_label = form.fields["region"].label_from_instance
        within = getattr(self.user_region, "pk", None)  # the regions offered: the user's subtree, or all
        drops = [
            ("region", self.scope_regions.exclude(level="town").order_by("path"), region_label),
            ("industry", Industry.objects.filter(level__in=["section", "division"]).order_by("path"), _industry_label),
        ]
        if "disease" in form.fields:
            drops.append(("disease", self.filters["disease"].queryset, _disease_label))
        if "accident_type" in form.fields:
            drops.append(
                ("accident_type", self.filters["accident_type"].queryset.order_by("edition", "code"), _type_label)
            )
        chosen = {name: data.get(name) for name, _offered, _label in drops}
        if any(chosen.values()):  # a filtered list: each drop-down on its own, with the chosen value
            for name, offered, label in drops:
                self._offer(form, name, offered, chosen[name], label, scope=within if name == "region" else None)
        else:
            self._offer_together(form, drops, scope=within)

    def _offer_together(self, form, drops, scope):
        """The drop-downs of a list opened without filters: read together, in one statement (``read_together``),
        and kept in the cache as one entry for the filter set, the scope and the language until a table they read
        changes. The first list page after the cache is emptied reads its three drop-downs at the cost of one."""
        empties = {}
        for name, _offered, label in drops:
            field = form.fields[name]
            field.label_from_instance = label
            empties[name] = str(field.empty_label or "---------")

        def read():
            pairs = read_together([(offered, label) for _name, offered, label in drops])
            return {
                name: prepared_choices([("", empties[name]), *items])
                for (name, _offered, _label), items in zip(drops, pairs, strict=True)
            }

        tables = sorted({offered.model._meta.db_table for _name, offered, _label in drops})
        key = ("filter-choices", type(self).__module__, type(self).__qualname__, scope, get_language())
        loaded = {}

        def part(name):
            if not loaded:
                loaded.update(cached_result(key, tables, read, local=True))
            return loaded[name]

        for name, _offered, _label in drops:
            form.fields[name].widget.choices = CachedChoices(partial(part, name))

    def _offer(self, form, name, offered, chosen, label, scope=None):
        """The drop-down of ``name`` lists ``offered`` and the chosen value (validation accepts any in scope).
        The choices are read when the form is rendered (not for the API, which renders no form), and come from
        the cache until a table they read changes. ``offered`` is the same for every user of one ``scope``: the
        cache knows it by that, the filter set and the drop-down's name, without compiling its query."""
        field = form.fields[name]
        field.label_from_instance = label
        empty = str(field.empty_label or "---------")
        chosen = int(chosen) if chosen and str(chosen).isdigit() else None

        def read():
            items = list(offered)
            if chosen is not None and all(i.pk != chosen for i in items):
                items += list(field.queryset.filter(pk=chosen))
            return prepared_choices([("", empty)] + [(i.pk, label(i)) for i in items])

        field.widget.choices = CachedChoices(
            lambda: cached(
                offered,
                read,
                kind=f"prepared-choices:{name}:{chosen}:{get_language()}",
                key=(type(self).__qualname__, scope),
            )
        )

    def in_industry_group(self, queryset, name, value):
        return (
            queryset.filter(industry_flag_q(value, self.user_region, "enterprise__industry__code"))
            if value
            else queryset
        )

    def by_id_number(self, queryset, name, value):
        return queryset.with_id_number(value) if value.strip() else queryset

    @extend_schema_field(OpenApiTypes.INT)
    def in_region(self, queryset, name, value):
        return queryset.in_region(value) if value else queryset

    @extend_schema_field(OpenApiTypes.INT)
    def in_industry(self, queryset, name, value):
        return queryset.filter(enterprise__industry__path__startswith=value.path) if value else queryset


def read_together(parts) -> list[list[tuple]]:
    """The (pk, label) pairs of several querysets of any models, each in its own order, read in one statement: a
    ``UNION ALL`` of one branch per queryset giving its number, each row's position in the queryset's order and the
    row's columns as a JSON object, from which an unsaved instance is made for ``label``."""
    branches = []
    for number, (queryset, _label) in enumerate(parts):
        model = queryset.model
        ordering = queryset.query.order_by or model._meta.ordering or ["pk"]
        columns = {field.attname: F(field.attname) for field in model._meta.concrete_fields}
        branches.append(
            queryset.order_by()
            .annotate(
                portal_part=Value(number),
                portal_position=Window(RowNumber(), order_by=[_order(name) for name in ordering]),
                portal_row=JSONObject(**columns),
            )
            .values_list("portal_part", "portal_position", "portal_row")
        )
    rows = sorted(branches[0].union(*branches[1:], all=True), key=lambda row: (row[0], row[1]))
    out: list[list[tuple]] = [[] for _part in parts]
    for number, _position, columns in rows:
        queryset, label = parts[number]
        item = queryset.model(**columns)
        out[number].append((item.pk, label(item)))
    return out


def _order(name: str):
    return F(name[1:]).desc() if name.startswith("-") else F(name).asc()


def _industry_label(industry) -> str:
    return f"{industry.code} {industry.name}"


def _disease_label(disease) -> str:
    return f"{disease.catalogue_version} {disease.class_name} {disease.name}"


def _type_label(accident_type) -> str:
    return f"{accident_type.edition} {accident_type.code} {accident_type.name}"


def _accident_type_filter():
    return django_filters.ModelChoiceFilter(
        label=_("accident type"), queryset=AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
    )


def _id_number_filter():
    return django_filters.CharFilter(label=_("ID number (exact)"), method="by_id_number")


class InjuryCaseFilterSet(IncidentFilterSet):
    id_number = _id_number_filter()
    severity = django_filters.ChoiceFilter(label=_("severity"), choices=Severity.choices)
    accident_type = _accident_type_filter()
    post = django_filters.CharFilter(label=_("post"), field_name="post", lookup_expr="exact")
    occurred_from = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte")
    occurred_to = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = InjuryCase
        fields = ["enterprise_name", "id_number", "region", "industry", "severity", "accident_type"]


class OccupationalDiseaseCaseFilterSet(IncidentFilterSet):
    id_number = _id_number_filter()
    disease = django_filters.ModelChoiceFilter(
        label=_("occupational disease"), queryset=OccupationalDisease.objects.all()
    )
    short_exposure = django_filters.BooleanFilter(
        label=_("Fewer than 5 years of exposure"), field_name="exposure_years", lookup_expr="lt", method="by_short"
    )
    diagnosed_from = django_filters.DateFilter(label=_("From"), field_name="diagnosed_on", lookup_expr="gte")
    diagnosed_to = django_filters.DateFilter(label=_("To"), field_name="diagnosed_on", lookup_expr="lte")

    class Meta:
        model = OccupationalDiseaseCase
        fields = ["enterprise_name", "id_number", "region", "industry", "disease", "short_exposure"]

    def by_short(self, queryset, name, value):
        if value is None:
            return queryset
        short = Q(exposure_years__lt=SHORT_EXPOSURE_YEARS)
        return queryset.filter(short) if value else queryset.exclude(short)


class SafetyAccidentFilterSet(IncidentFilterSet):
    grade = django_filters.ChoiceFilter(label=_("grade"), choices=AccidentGradeLevel.choices)
    accident_type = _accident_type_filter()
    occurred_from = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte")
    occurred_to = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = SafetyAccident
        fields = ["enterprise_name", "region", "industry", "grade", "accident_type"]
