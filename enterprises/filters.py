import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.reference.models import Industry, Region

from .models import Enterprise


class EnterpriseFilterSet(django_filters.FilterSet):
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
        self.form.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"

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
