import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portal.reference.models import AccidentType, AccidentTypeKind, Industry, Region

from .models import InjuryCase, Severity


class InjuryCaseFilterSet(django_filters.FilterSet):
    """Shared by the case list and the API; region and industry roll up their subtrees."""

    enterprise_name = django_filters.CharFilter(
        label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains"
    )
    id_number = django_filters.CharFilter(label=_("ID number (exact)"), method="by_id_number")
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with sub-regions)"), queryset=Region.objects.none(), method="in_region"
    )
    industry = django_filters.ModelChoiceFilter(
        label=_("Industry (with sub-industries)"),
        field_name="enterprise__industry",
        queryset=Industry.objects.filter(level__in=["section", "division"]),
        method="in_industry",
    )
    severity = django_filters.ChoiceFilter(label=_("severity"), choices=Severity.choices)
    accident_type = django_filters.ModelChoiceFilter(
        label=_("accident type"), queryset=AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
    )
    occurred_from = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte")
    occurred_to = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = InjuryCase
        fields = ["enterprise_name", "id_number", "region", "industry", "severity", "accident_type"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        regions = Region.objects.exclude(level="town")
        if user is not None and user.is_authenticated and user.region is not None:
            regions = regions.subtree(user.region)
        self.filters["region"].queryset = regions
        self.form.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"
        self.form.fields["accident_type"].label_from_instance = lambda t: f"{t.edition} {t.code} {t.name}"

    def by_id_number(self, queryset, name, value):
        return queryset.with_id_number(value) if value.strip() else queryset

    @extend_schema_field(OpenApiTypes.INT)
    def in_region(self, queryset, name, value):
        return queryset.filter(enterprise__region__path__startswith=value.path) if value else queryset

    @extend_schema_field(OpenApiTypes.INT)
    def in_industry(self, queryset, name, value):
        return queryset.filter(enterprise__industry__path__startswith=value.path) if value else queryset
