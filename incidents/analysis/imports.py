"""Regional GDP import: region code, year and GDP in 100 million yuan, a row per region and year."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports
from portal.imports import Column
from portal.reference.models import Region

from .models import RegionGDP


def _region(cell, ctx):
    code = str(cell).strip()
    region = ctx["regions"].get(code)
    if region is None:
        raise ValidationError(_("Unknown region code %(code)s, or outside your region.") % {"code": code})
    return region


class RegionGDPImport(imports.ImportSpec):
    kind = "analysis.regiongdp"
    model = RegionGDP
    title = gettext_lazy("regional GDP")
    columns = [
        Column(gettext_lazy("region code"), "region", _region, required=True),
        Column(gettext_lazy("year"), "year", imports.integer, required=True),
        Column(gettext_lazy("GDP (100 million yuan)"), "gdp", imports.decimal, required=True),
    ]
    scope_fields = ("region_id",)

    def may_import(self, actor) -> bool:
        return actor.has_perm("analysis.add_regiongdp") and actor.agency_id is not None

    def context(self, actor, rows):
        codes = {str(r.get("region")).strip() for r in rows if r.get("region") is not None}
        regions = Region.objects.filter(code__in=codes)
        if actor.region is not None:
            regions = regions.subtree(actor.region)
        return {"regions": {r.code: r for r in regions}}

    def key(self, values):
        return (values["region"].pk, values["year"])

    def existing(self, actor, keys, ctx):
        found = RegionGDP.objects.filter(region__in={k[0] for k in keys}, year__in={k[1] for k in keys})
        return {(g.region_id, g.year): g for g in found}

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency}

    def label(self, values):
        return f"{values['region'].name} {values['year']}"

    def check_update(self, actor, instance, ctx):
        if instance.owner_agency_id != actor.agency_id:
            return _("This figure was entered by another agency; only that agency can change it.")
        return None

    def in_scope(self, actor, rows):
        ids = {r["region_id"] for r in rows}
        regions = Region.objects.filter(id__in=ids)
        if actor.region is not None:
            regions = regions.subtree(actor.region)
        return regions.count() == len(ids)
