import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portal.filters import FilterSet
from portal.reference.models import Industry, Region

from .models import ConstructionProject, Enterprise, ProjectSector


class EnterpriseFilterSet(FilterSet):
    """Shared by the list page and the API. Region and industry filters include their whole subtree."""

    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with sub-regions)"), queryset=Region.objects.none(), method="in_subtree"
    )
    industry = django_filters.ModelChoiceFilter(
        label=_("Industry (with sub-industries)"),
        queryset=Industry.objects.filter(level__in=["section", "division"]),
        method="in_subtree",
    )

    flag = django_filters.ChoiceFilter(
        label=_("Industry group"),
        choices=[("key", _("Key industry")), ("dust", _("Dust industry"))],
        method="by_flag",
    )

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry", "flag", "scale", "status"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        regions = Region.objects.exclude(level="town")
        if user is not None and user.is_authenticated and user.region is not None:
            regions = regions.subtree(user.region)
        self.filters["region"].queryset = regions

    def prepare_form(self, form):
        form.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code=value.upper())) if value else queryset

    def by_flag(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        region = user.region if user is not None and user.is_authenticated else None
        return queryset.flagged(value, region)

    def in_subtree(self, queryset, name, value):
        return queryset.filter(**{f"{name}__path__startswith": value.path}) if value else queryset


class ConstructionProjectFilterSet(django_filters.FilterSet):
    """Shared by the project list and the API: the site's region with its subtree, sector, insured or not, start
    date range, and a search by project name or permit number."""

    q = django_filters.CharFilter(label=_("Project name or permit number"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with sub-regions)"), queryset=Region.objects.none(), method="in_subtree"
    )
    sector = django_filters.ChoiceFilter(label=_("sector"), choices=ProjectSector.choices)
    insured = django_filters.BooleanFilter(label=_("Insured"), method="by_insured")
    started_from = django_filters.DateFilter(label=_("Started from"), field_name="started_on", lookup_expr="gte")
    started_to = django_filters.DateFilter(label=_("Started until"), field_name="started_on", lookup_expr="lte")

    class Meta:
        model = ConstructionProject
        fields = ["q", "region", "sector", "insured", "started_from", "started_to"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        regions = Region.objects.exclude(level="town").order_by("path")
        if user is not None and user.is_authenticated and user.region is not None:
            regions = regions.subtree(user.region)
        self.filters["region"].queryset = regions

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(permit_number__iexact=value)) if value else queryset

    @extend_schema_field(OpenApiTypes.INT)
    def in_subtree(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    @extend_schema_field(OpenApiTypes.BOOL)
    def by_insured(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(insured_on__isnull=not value)
