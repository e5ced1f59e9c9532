"""Enterprise register import: the template's columns, scope and update rules."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports
from portal.imports import Column
from portal.reference.models import Industry, Region
from portal.reference.validators import normalize_credit_code, validate_credit_code

from .models import Enterprise, EnterpriseScale, EnterpriseStatus, enterprise_errors


def _credit_code(cell, ctx):
    value = normalize_credit_code(str(cell))
    validate_credit_code(value)
    return value


def _region(cell, ctx):
    code = str(cell).strip()
    region = ctx["regions"].get(code)
    if region is None:
        raise ValidationError(_("Unknown region code %(code)s, or outside your region.") % {"code": code})
    return region


def _industry(cell, ctx):
    code = str(cell).strip()
    industry = ctx["industries"].get(code)
    if industry is None:
        raise ValidationError(_("Unknown GB/T 4754 class %(code)s.") % {"code": code})
    return industry


class EnterpriseImport(imports.ImportSpec):
    kind = "enterprises.enterprise"
    model = Enterprise
    title = gettext_lazy("enterprises")
    columns = [
        Column(gettext_lazy("unified social credit code"), "credit_code", _credit_code, required=True),
        Column(gettext_lazy("name"), "name", imports.text(200), required=True),
        Column(
            gettext_lazy("region code"),
            "region",
            _region,
            required=True,
            note=gettext_lazy("County, town or street code"),
        ),
        Column(
            gettext_lazy("industry code"),
            "industry",
            _industry,
            required=True,
            note=gettext_lazy("GB/T 4754 four-digit class"),
        ),
        Column(gettext_lazy("scale"), "scale", imports.choice(EnterpriseScale.choices)),
        Column(gettext_lazy("employees"), "employees", imports.integer),
        Column(gettext_lazy("status"), "status", imports.choice(EnterpriseStatus.choices)),
        Column(gettext_lazy("legal representative"), "legal_representative", imports.text(50)),
        Column(gettext_lazy("safety officer"), "safety_contact_name", imports.text(50)),
        Column(gettext_lazy("safety officer phone"), "safety_contact_phone", imports.text(40)),
        Column(gettext_lazy("address"), "address", imports.text(200)),
    ]

    def may_import(self, actor) -> bool:
        return actor.has_perm("enterprises.add_enterprise") and actor.agency is not None

    def context(self, actor, rows):
        region_codes = {str(r.get("region")).strip() for r in rows if r.get("region") is not None}
        industry_codes = {str(r.get("industry")).strip() for r in rows if r.get("industry") is not None}
        regions = Region.objects.filter(code__in=region_codes, level__in=["county", "town", "zone"])
        if actor.region is not None:
            regions = regions.subtree(actor.region)
        return {
            "regions": {r.code: r for r in regions},
            "industries": {i.code: i for i in Industry.objects.filter(code__in=industry_codes, level="class")},
        }

    def key(self, values):
        return (values["credit_code"],)

    def existing(self, actor, keys, ctx):
        codes = [k[0] for k in keys]
        found = list(Enterprise.objects.filter(credit_code__in=codes).select_related("region", "industry"))
        # Who may change them: one query for the file, not one per row.
        editable = set(
            Enterprise.objects.editable_by(actor).filter(pk__in=[e.pk for e in found]).values_list("pk", flat=True)
        )
        for enterprise in found:
            enterprise.import_editable = enterprise.pk in editable
        return {(e.credit_code,): e for e in found}

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency, "status": EnterpriseStatus.OPERATING}

    def row_errors(self, values):
        return enterprise_errors(values.get("industry"), values.get("region"))

    def label(self, values):
        return values["name"]

    def check_update(self, actor, instance, ctx):
        if not instance.import_editable:
            return _("This enterprise was recorded by another agency; only that agency can change it.")
        return None

    scope_fields = ("region_id",)

    def in_scope(self, actor, rows):
        ids = {r["region_id"] for r in rows}
        regions = Region.objects.filter(id__in=ids, level__in=["county", "town", "zone"])
        if actor.region is not None:
            regions = regions.subtree(actor.region)
        return regions.count() == len(ids)
