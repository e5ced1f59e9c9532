"""Work-injury case import (人社): template columns, references resolved in batches, the natural key."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.models import Enterprise
from portal import imports
from portal.crypto import blind_index, mask_name
from portal.imports import Column
from portal.permissions import may_record
from portal.reference.models import (
    AccidentGradeLevel,
    AccidentType,
    AccidentTypeKind,
    OccupationalDisease,
    Region,
    accident_grade,
    disease_catalogue_for,
    region_tiers,
)
from portal.reference.validators import (
    normalize_credit_code,
    normalize_id_number,
    parse_id_number,
    validate_id_number,
)

from .models import (
    InjuryCase,
    OccupationalDiseaseCase,
    SafetyAccident,
    Severity,
    accident_errors,
    disease_case_errors,
    injury_case_errors,
)


def _enterprise(cell, ctx):
    code = normalize_credit_code(str(cell))
    enterprise = ctx["enterprises"].get(code)
    if enterprise is None:
        raise ValidationError(_("No enterprise with credit code %(code)s in your region.") % {"code": code})
    return enterprise


def _accident_type(cell, ctx):
    code = str(cell).strip().upper()
    if code.isdigit():
        code = code.zfill(2)
    kind = ctx["accident_types"].get(code)
    if kind is None:
        raise ValidationError(_("Unknown GB 6441 accident type code %(code)s.") % {"code": code})
    return kind


def _id_number(cell, ctx):
    value = normalize_id_number(str(cell))
    validate_id_number(value, today=ctx.get("today"))
    return value


def _derive_personal_fields(values):
    """Birth date and sex from the ID number (what ``WorkerCase.derive_personal_fields`` does; the blind index
    is set when the row is parsed, see ``_id_number``)."""
    number = values.get("worker_id_number")
    if number:
        values["birth_date"], values["sex"] = parse_id_number(number, validate=False)


def _local_day(moment):
    """The portal's local date of an aware time (the site's zone: no per-user zones are activated)."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def _case_label(day, values):
    """As the models' ``__str__``: date, enterprise, masked name."""
    return f"{day:%Y-%m-%d} {values['enterprise']} {mask_name(values['worker_name'])}"


def _enterprises_in_scope(actor, rows):
    """Every enterprise still visible to the actor, and in the province, city, county and industry the rows took
    from it."""
    places = {r["enterprise_id"]: (r["province_id"], r["city_id"], r["county_id"], r["industry_id"]) for r in rows}
    visible = Enterprise.objects.visible_to(actor).filter(id__in=places).values_list("pk", "region_id", "industry_id")
    enterprises = {pk: (region, industry) for pk, region, industry in visible}
    if len(enterprises) != len(places):
        return False
    now = region_tiers({region for region, _industry in enterprises.values()})
    return all(
        (*now.get(enterprises[pk][0], (None,) * 3), enterprises[pk][1]) == wanted for pk, wanted in places.items()
    )


def _visible_enterprises(actor, rows):
    """The actor's enterprises named in the rows, and the tiers of their regions (for the rows to carry)."""
    codes = {normalize_credit_code(str(r["enterprise"])) for r in rows if r.get("enterprise") is not None}
    enterprises = (
        Enterprise.objects.visible_to(actor)
        .filter(credit_code__in=codes)
        .select_related("industry")
        .only("id", "credit_code", "name", "region_id", "industry__id")
    )
    by_code = {e.credit_code: e for e in enterprises}
    tiers = region_tiers({e.region_id for e in by_code.values()})
    regions = Region.objects.in_bulk({pk for t in tiers.values() for pk in t if pk is not None})
    return {
        "enterprises": by_code,
        "tiers": {r: tuple(regions.get(pk) for pk in t) for r, t in tiers.items()},
    }


def _take_tiers(values, ctx):
    """A new case or accident carries its enterprise's province, city, county and industry (``TieredRecord``)."""
    enterprise = values["enterprise"]
    values["province"], values["city"], values["county"] = ctx["tiers"].get(enterprise.region_id, (None,) * 3)
    values["industry"] = enterprise.industry


TIER_SCOPE = ("enterprise_id", "province_id", "city_id", "county_id", "industry_id")


class InjuryCaseImport(imports.ImportSpec):
    kind = "incidents.injurycase"
    model = InjuryCase
    title = gettext_lazy("work-injury cases")
    columns = [
        Column(gettext_lazy("unified social credit code"), "enterprise", _enterprise, required=True),
        Column(gettext_lazy("time of the accident"), "occurred_at", imports.date_time, required=True),
        Column(gettext_lazy("place"), "place", imports.text(200)),
        Column(
            gettext_lazy("accident type code"),
            "accident_type",
            _accident_type,
            required=True,
            note=gettext_lazy("GB/T 6441-1986 code 01–20, or GB 6441-2025 code WSA1xxxx, by the accident date"),
        ),
        Column(gettext_lazy("cause"), "cause", imports.text(2000)),
        Column(gettext_lazy("post"), "post", imports.text(60), required=True),
        Column(gettext_lazy("injured worker"), "worker_name", imports.text(50), required=True),
        Column(gettext_lazy("ID number"), "worker_id_number", _id_number, required=True),
        Column(gettext_lazy("hire date"), "hire_date", imports.date),
        Column(gettext_lazy("severity"), "severity", imports.choice(Severity.choices), required=True),
        Column(gettext_lazy("lost workdays"), "lost_workdays", imports.integer),
        Column(gettext_lazy("recognition date"), "recognized_on", imports.date),
        Column(gettext_lazy("disability grade"), "disability_grade", imports.integer),
        Column(gettext_lazy("fund payout (yuan)"), "fund_payout", imports.decimal),
    ]

    def may_import(self, actor) -> bool:
        return may_record(actor, InjuryCase)

    def context(self, actor, rows):
        return {
            **_visible_enterprises(actor, rows),
            "accident_types": {t.code: t for t in AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)},
        }

    def key(self, values):
        return (values["enterprise"].pk, values["worker_id_hash"], values["occurred_at"])

    def existing(self, actor, keys, ctx):
        if not keys:
            return {}
        found = InjuryCase.objects.filter(
            enterprise_id__in={k[0] for k in keys}, worker_id_hash__any={k[1] for k in keys}
        ).select_related("enterprise", "accident_type")
        return {(c.enterprise_id, c.worker_id_hash, c.occurred_at): c for c in found}

    def complete(self, values):
        values["worker_id_hash"] = blind_index(values["worker_id_number"])

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency}

    derive = staticmethod(_derive_personal_fields)

    def row_errors(self, values):
        return injury_case_errors(
            occurred_at=values["occurred_at"],
            accident_type=values["accident_type"],
            hire_date=values.get("hire_date"),
            recognized_on=values.get("recognized_on"),
            severity=values["severity"],
            disability_grade=values.get("disability_grade"),
            day=_local_day(values["occurred_at"]),
        )

    def label(self, values):
        return _case_label(_local_day(values["occurred_at"]), values)

    def check_update(self, actor, instance, ctx):
        if instance.owner_agency_id != actor.agency_id:
            return _("This case was recorded by another agency; only that agency can change it.")
        return None

    derive_new = staticmethod(_take_tiers)
    scope_fields = TIER_SCOPE
    in_scope = staticmethod(_enterprises_in_scope)


def _disease(cell, ctx):
    """A catalogue item by its code (2024-05-0-27) or by its name in the catalogue of the diagnosis date."""
    value = str(cell).strip()
    disease = ctx["diseases_by_code"].get(value)
    if disease is None:
        matches = ctx["diseases_by_name"].get(value, [])
        disease = matches[0] if len(matches) == 1 else None
        if matches and disease is None:
            return matches  # resolved against the diagnosis date in the spec
    if disease is None:
        raise ValidationError(_("Unknown occupational disease %(value)s.") % {"value": value})
    return disease


class OccupationalDiseaseCaseImport(imports.ImportSpec):
    kind = "incidents.occupationaldiseasecase"
    model = OccupationalDiseaseCase
    title = gettext_lazy("occupational-disease cases")
    columns = [
        Column(gettext_lazy("unified social credit code"), "enterprise", _enterprise, required=True),
        Column(gettext_lazy("injured worker"), "worker_name", imports.text(50), required=True),
        Column(gettext_lazy("ID number"), "worker_id_number", _id_number, required=True),
        Column(
            gettext_lazy("occupational disease"),
            "disease",
            _disease,
            required=True,
            note=gettext_lazy("Catalogue code, or the disease name of the catalogue in force on the diagnosis date"),
        ),
        Column(gettext_lazy("diagnosis"), "diagnosis", imports.text(200)),
        Column(gettext_lazy("hazard factor"), "hazard_factor", imports.text(60), required=True),
        Column(gettext_lazy("exposure start"), "exposure_start", imports.date),
        Column(gettext_lazy("years of exposure"), "exposure_years", imports.decimal, required=True),
        Column(gettext_lazy("diagnosis date"), "diagnosed_on", imports.date, required=True),
        Column(gettext_lazy("diagnosing institution"), "diagnosing_institution", imports.text(100)),
    ]

    def may_import(self, actor) -> bool:
        return may_record(actor, OccupationalDiseaseCase)

    def context(self, actor, rows):
        ctx = InjuryCaseImport.context(self, actor, rows)
        diseases = list(OccupationalDisease.objects.all())
        by_name: dict[str, list] = {}
        for d in diseases:
            by_name.setdefault(d.name, []).append(d)
        return {**ctx, "diseases_by_code": {d.code: d for d in diseases}, "diseases_by_name": by_name}

    def key(self, values):
        return (values["enterprise"].pk, values["worker_id_hash"], values["diagnosed_on"])

    def existing(self, actor, keys, ctx):
        if not keys:
            return {}
        found = OccupationalDiseaseCase.objects.filter(
            enterprise_id__in={k[0] for k in keys}, worker_id_hash__any={k[1] for k in keys}
        ).select_related("enterprise", "disease")
        return {(c.enterprise_id, c.worker_id_hash, c.diagnosed_on): c for c in found}

    def complete(self, values):
        values["worker_id_hash"] = blind_index(values["worker_id_number"])
        if isinstance(values.get("disease"), list):  # a name found in both catalogues: take the one in force
            version = disease_catalogue_for(values["diagnosed_on"])
            values["disease"] = next(
                (d for d in values["disease"] if d.catalogue_version == version), values["disease"][0]
            )

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency}

    derive = staticmethod(_derive_personal_fields)

    def row_errors(self, values):
        return disease_case_errors(
            diagnosed_on=values["diagnosed_on"], disease=values["disease"], exposure_start=values.get("exposure_start")
        )

    def label(self, values):
        return _case_label(values["diagnosed_on"], values)

    check_update = InjuryCaseImport.check_update
    derive_new = staticmethod(_take_tiers)
    scope_fields = TIER_SCOPE
    in_scope = staticmethod(_enterprises_in_scope)


class SafetyAccidentImport(imports.ImportSpec):
    kind = "incidents.safetyaccident"
    model = SafetyAccident
    title = gettext_lazy("safety accidents")
    columns = [
        Column(gettext_lazy("unified social credit code"), "enterprise", _enterprise, required=True),
        Column(gettext_lazy("time of the accident"), "occurred_at", imports.date_time, required=True),
        Column(gettext_lazy("place"), "place", imports.text(200)),
        Column(gettext_lazy("accident type code"), "accident_type", _accident_type, required=True),
        Column(gettext_lazy("summary"), "summary", imports.text(4000)),
        Column(gettext_lazy("deaths"), "deaths", imports.integer),
        Column(gettext_lazy("serious injuries"), "serious_injuries", imports.integer),
        Column(gettext_lazy("minor injuries"), "minor_injuries", imports.integer),
        Column(gettext_lazy("direct economic loss (yuan)"), "direct_loss", imports.decimal),
    ]

    def may_import(self, actor) -> bool:
        return may_record(actor, SafetyAccident)

    def context(self, actor, rows):
        return InjuryCaseImport.context(self, actor, rows)

    def key(self, values):
        return (values["enterprise"].pk, values["occurred_at"])

    def existing(self, actor, keys, ctx):
        if not keys:
            return {}
        found = SafetyAccident.objects.filter(enterprise_id__in={k[0] for k in keys}).select_related(
            "enterprise", "accident_type"
        )
        return {(a.enterprise_id, a.occurred_at): a for a in found}

    def create_defaults(self, actor):
        return {"owner_agency": actor.agency}

    def derive(self, values):
        values["grade"] = accident_grade(
            values.get("deaths") or 0, values.get("serious_injuries") or 0, values.get("direct_loss") or 0
        )

    def row_errors(self, values):
        return accident_errors(values["occurred_at"], values["accident_type"], day=_local_day(values["occurred_at"]))

    def label(self, values):
        day = _local_day(values["occurred_at"])
        return f"{day:%Y-%m-%d} {values['enterprise']} {AccidentGradeLevel(values['grade']).label}"

    check_update = InjuryCaseImport.check_update
    derive_new = staticmethod(_take_tiers)
    scope_fields = TIER_SCOPE
    in_scope = staticmethod(_enterprises_in_scope)
