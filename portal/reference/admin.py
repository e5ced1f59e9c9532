"""Admin: read-only browsing of the official code lists; editing of what regions and administrators own
(user-defined zones, calendar days, industry flags, regional risk rates)."""

from django.contrib import admin
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from portal.admin import AuditedModelAdmin, PortalModelAdmin

from .models import (
    AccidentGrade,
    AccidentType,
    AccidentTypeMapping,
    CalendarDay,
    DiseaseCatalogueMapping,
    HistoricalRegionCode,
    Industry,
    IndustryFlag,
    IndustryRiskClass,
    OccupationalDisease,
    OccupationalHazardRisk,
    ReferenceDataset,
    Region,
    RegionalRiskRate,
    RegionLevel,
    RiskClass,
)


class ReadOnlyAdmin(PortalModelAdmin):
    """Browse and search only: these rows come from ``load_reference``."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    """Official regions are read-only; user-defined zones (e.g. a development zone under a county) can be added,
    changed and deleted."""

    list_display = ["code", "name", "level", "parent", "is_active", "is_custom", "is_functional_zone"]
    list_filter = ["level", "is_active", "is_custom", "is_functional_zone"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    show_full_result_count = False
    fields = ["code", "name", "parent", "level", "is_active", "is_custom", "is_functional_zone", "path", "depth"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_custom:
            return self.fields
        return ["level", "is_custom", "is_functional_zone", "path", "depth"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_custom)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and obj is not None and obj.is_custom

    def save_model(self, request, obj, form, change):
        obj.is_custom = True
        obj.level = RegionLevel.ZONE
        super().save_model(request, obj, form, change)


@admin.register(HistoricalRegionCode)
class HistoricalRegionCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "province_name", "city_name", "level", "status", "valid_from", "valid_to"]
    list_filter = ["status", "level"]
    search_fields = ["code", "name"]


@admin.register(Industry)
class IndustryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(RiskClass)
class RiskClassAdmin(ReadOnlyAdmin):
    list_display = ["number", "label", "base_rate_percent", "tiers", "source"]


@admin.register(IndustryRiskClass)
class IndustryRiskClassAdmin(ReadOnlyAdmin):
    list_display = ["industry", "industry_code", "risk_class", "code_2011", "note"]
    list_filter = ["risk_class"]
    search_fields = ["industry__code", "industry__name"]
    list_select_related = ["industry", "risk_class"]

    @admin.display(description=_("code"), ordering="industry__code")
    def industry_code(self, obj):
        return obj.industry.code


@admin.register(RegionalRiskRate)
class RegionalRiskRateAdmin(AuditedModelAdmin):
    list_display = ["region", "year", "risk_class", "base_rate_percent", "note"]
    list_filter = ["year", "risk_class"]
    search_fields = ["region__code", "region__name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region", "risk_class"]


@admin.register(IndustryFlag)
class IndustryFlagAdmin(AuditedModelAdmin):
    list_display = ["kind", "region", "code_prefix", "label", "is_excluded", "note"]
    list_filter = ["kind", "is_excluded", ("region", admin.EmptyFieldListFilter)]
    search_fields = ["label", "code_prefix", "region__code", "region__name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


@admin.register(OccupationalHazardRisk)
class OccupationalHazardRiskAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "risk", "is_split", "note"]
    list_filter = ["risk", "is_split"]
    search_fields = ["code", "name"]


@admin.register(AccidentType)
class AccidentTypeAdmin(ReadOnlyAdmin):
    list_display = ["edition", "code", "name", "kind", "note"]
    list_filter = ["edition", "kind"]
    search_fields = ["code", "name"]


@admin.register(AccidentTypeMapping)
class AccidentTypeMappingAdmin(ReadOnlyAdmin):
    list_display = ["old", "new", "is_default", "needs_review", "note"]
    list_filter = ["needs_review", "is_default"]
    search_fields = ["old__code", "old__name", "new__code", "new__name"]
    list_select_related = ["old", "new"]


@admin.register(AccidentGrade)
class AccidentGradeAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "deaths_min",
        "deaths_max",
        "serious_min",
        "serious_max",
        "loss_min_yuan",
        "loss_max_yuan",
    ]


@admin.register(OccupationalDisease)
class OccupationalDiseaseAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "class_name", "subclass_name", "restriction_note", "valid_from", "valid_to"]
    list_filter = ["catalogue_version", "class_no", "is_open_clause"]
    search_fields = ["code", "name"]


@admin.register(DiseaseCatalogueMapping)
class DiseaseCatalogueMappingAdmin(ReadOnlyAdmin):
    list_display = ["old", "new", "change", "note"]
    list_filter = ["change"]
    search_fields = ["old__code", "old__name", "new__code", "new__name"]
    list_select_related = ["old", "new"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ["date", "weekday", "is_workday", "name"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]


@admin.register(ReferenceDataset)
class ReferenceDatasetAdmin(ReadOnlyAdmin):
    list_display = ["name", "rows", "loaded_at", "checksum"]
