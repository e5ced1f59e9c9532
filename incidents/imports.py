"""Work-injury case import (人社): template columns, references resolved in batches, the natural key."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.models import Enterprise
from portal import imports
from portal.crypto import blind_index
from portal.imports import Column
from portal.permissions import may_record
from portal.reference.models import AccidentType, AccidentTypeKind
from portal.reference.validators import normalize_credit_code, normalize_id_number, validate_id_number

from .models import InjuryCase, Severity


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
    validate_id_number(value)
    return value


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
        codes = {normalize_credit_code(str(r["enterprise"])) for r in rows if r.get("enterprise") is not None}
        enterprises = (
            Enterprise.objects.visible_to(actor).filter(credit_code__in=codes).only("id", "credit_code", "name")
        )
        return {
            "enterprises": {e.credit_code: e for e in enterprises},
            "accident_types": {t.code: t for t in AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)},
        }

    def key(self, values):
        return (values["enterprise"].pk, blind_index(values["worker_id_number"]), values["occurred_at"])

    def existing(self, actor, keys, ctx):
        if not keys:
            return {}
        found = InjuryCase.objects.filter(
            enterprise_id__in={k[0] for k in keys}, worker_id_hash__in={k[1] for k in keys}
        ).select_related("enterprise", "accident_type")
        return {(c.enterprise_id, c.worker_id_hash, c.occurred_at): c for c in found}

    def new_instance(self, actor, values):
        return InjuryCase(owner_agency=actor.agency, **values)

    def check_update(self, actor, instance, ctx):
        if instance.owner_agency_id != actor.agency_id:
            return _("This case was recorded by another agency; only that agency can change it.")
        return None

    def before_save(self, instance):
        instance.derive_personal_fields()
