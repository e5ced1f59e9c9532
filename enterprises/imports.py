"""Enterprise register and construction project imports: the templates' columns, scope and update rules."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports
from portal.imports import Column
from portal.permissions import may_record
from portal.reference.models import Industry, Region
from portal.reference.validators import normalize_credit_code, validate_credit_code

from .models import (
    ConstructionProject,
    Enterprise,
    EnterpriseScale,
    EnterpriseStatus,
    ProjectSector,
    enterprise_errors,
    project_errors,
)


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
        found = list(Enterprise.objects.filter(credit_code__any=codes).select_related("region", "industry"))
        # Who may change them: one query for the file, not one per row.
        editable = set(
            Enterprise.objects.editable_by(actor).filter(pk__any=[e.pk for e in found]).values_list("pk", flat=True)
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


def _contractor(cell, ctx):
    code = normalize_credit_code(str(cell))
    enterprise = ctx["enterprises"].get(code)
    if enterprise is None:
        raise ValidationError(_("No enterprise with credit code %(code)s in your region.") % {"code": code})
    return enterprise


def _amount(cell, ctx):
    """An amount with two decimals: "5600" is stored as 5600.00, so a sheet imported again changes nothing. More
    decimals are left as they are, for the field's validator to refuse."""
    value = imports.decimal(cell, ctx)
    if value.is_finite() and value.as_tuple().exponent > -2:
        try:
            value = value.quantize(Decimal("0.01"))
        except InvalidOperation:  # too many digits: the validator says so
            pass
    return value


def _regions_in_scope(actor, regions):
    """Site regions a project may have: counties, towns or zones within the actor's region."""
    regions = regions.filter(level__in=["county", "town", "zone"])
    return regions.subtree(actor.region) if actor.region is not None else regions


class ConstructionProjectImport(imports.ImportSpec):
    """Projects of 住建, 交通运输 and 水利 agencies, one row per project; the permit number is the key, so a sheet
    imported again updates the projects it lists (those of the importing agency only)."""

    kind = "enterprises.constructionproject"
    model = ConstructionProject
    title = gettext_lazy("construction projects")
    columns = [
        Column(gettext_lazy("permit number"), "permit_number", imports.text(60), required=True),
        Column(gettext_lazy("project name"), "name", imports.text(200), required=True),
        Column(
            gettext_lazy("unified social credit code"),
            "enterprise",
            _contractor,
            required=True,
            note=gettext_lazy("Of the general contractor, an enterprise of your region"),
        ),
        Column(gettext_lazy("sector"), "sector", imports.choice(ProjectSector.choices), required=True),
        Column(
            gettext_lazy("site region code"),
            "region",
            _region,
            required=True,
            note=gettext_lazy("County, town or street code"),
        ),
        Column(gettext_lazy("contract value (10,000 yuan)"), "contract_value", _amount, required=True),
        Column(gettext_lazy("workers"), "workers", imports.integer, required=True),
        Column(gettext_lazy("start date"), "started_on", imports.date, required=True),
        Column(gettext_lazy("planned completion"), "planned_end", imports.date),
        Column(
            gettext_lazy("insured on"),
            "insured_on",
            imports.date,
            note=gettext_lazy("Empty while the project is not insured."),
        ),
        Column(gettext_lazy("insured workers"), "insured_workers", imports.integer),
        Column(gettext_lazy("premium (yuan)"), "premium", _amount),
    ]

    def may_import(self, actor) -> bool:
        return may_record(actor, ConstructionProject)

    def context(self, actor, rows):
        codes = {normalize_credit_code(str(r["enterprise"])) for r in rows if r.get("enterprise") is not None}
        region_codes = {str(r["region"]).strip() for r in rows if r.get("region") is not None}
        enterprises = (
            Enterprise.objects.visible_to(actor).filter(credit_code__in=codes).only("id", "credit_code", "name")
        )
        regions = _regions_in_scope(actor, Region.objects.filter(code__in=region_codes))
        return {"enterprises": {e.credit_code: e for e in enterprises}, "regions": {r.code: r for r in regions}}

    def key(self, values):
        return (values["permit_number"],)

    def existing(self, actor, keys, ctx):
        numbers = [k[0] for k in keys]
        found = list(ConstructionProject.objects.filter(permit_number__any=numbers).select_related("region"))
        editable = set(
            ConstructionProject.objects.editable_by(actor)
            .filter(pk__any=[p.pk for p in found])
            .values_list("pk", flat=True)
        )
        for project in found:
            project.import_editable = project.pk in editable
        return {(p.permit_number,): p for p in found}

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency}

    def row_errors(self, values):
        return project_errors(
            region=values.get("region"),
            started_on=values.get("started_on"),
            planned_end=values.get("planned_end"),
            insured_on=values.get("insured_on"),
            insured_workers=values.get("insured_workers"),
            workers=values.get("workers"),
        )

    def label(self, values):
        return f"{values['permit_number']} {values['name']}"

    def check_update(self, actor, instance, ctx):
        if not instance.import_editable:
            return _("This project was recorded by another agency; only that agency can change it.")
        return None

    scope_fields = ("enterprise_id", "region_id")

    def in_scope(self, actor, rows):
        enterprise_ids = {r["enterprise_id"] for r in rows}
        region_ids = {r["region_id"] for r in rows}
        enterprises = Enterprise.objects.visible_to(actor).filter(id__in=enterprise_ids).count()
        regions = _regions_in_scope(actor, Region.objects.filter(id__in=region_ids)).count()
        return enterprises == len(enterprise_ids) and regions == len(region_ids)
