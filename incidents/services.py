"""Writes on incidents: one function per user action, each audited (personal data masked in the trail)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from portal import audit
from portal.jobs import enqueue_named
from portal.permissions import may_record, may_unmask
from portal.services import create_object, update_object

from .models import InjuryCase, OccupationalDiseaseCase, SafetyAccident

_WHO_RECORDS = {
    InjuryCase: _("Only the human resources and social security agency records work-injury cases."),
    OccupationalDiseaseCase: _("Only the health commission records occupational-disease cases."),
    SafetyAccident: _("Only the emergency management agency records safety accidents."),
}


def record_incident(*, actor, model: type[models.Model], data: dict) -> models.Model:
    """Record a case or accident of an enterprise in the actor's region; the actor's agency owns it."""
    if not may_record(actor, model):
        raise PermissionDenied(_WHO_RECORDS[model])
    enterprise = data.get("enterprise")
    if enterprise is None or not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": _("Choose an enterprise of your region.")})
    _check_linked_cases(actor, data)
    with transaction.atomic():
        record = create_object(actor=actor, model=model, data=data, owner_agency=actor.agency)
        if model is InjuryCase:
            # Once committed, the case's online warning goes to its enterprise at once (the warning module's
            # minute-by-minute sweep catches cases that arrive by import).
            enqueue_named("prevention.send_case_warnings", [record.pk])
    return record


def update_incident(*, actor, instance: models.Model, data: dict) -> models.Model:
    _check_linked_cases(actor, data)
    return update_object(actor=actor, instance=instance, data=data)


def _check_linked_cases(actor, data: dict) -> None:
    cases = data.get("injury_cases")
    if cases is not None:
        visible = InjuryCase.objects.visible_to(actor).filter(pk__in=[c.pk for c in cases]).count()
        if visible != len(cases):
            raise ValidationError({"injury_cases": _("Link only work-injury cases you can see.")})


def record_injury_case(*, actor, data: dict) -> InjuryCase:
    return record_incident(actor=actor, model=InjuryCase, data=data)


@transaction.atomic
def unmask_personal_data(*, actor, case, reason: str) -> dict:
    """Show a case's personal data in clear to a permitted user of the owning agency, for a stated reason."""
    reason = (reason or "").strip()
    if not may_unmask(actor, case):
        raise PermissionDenied
    if len(reason) < 4:
        raise ValidationError({"reason": _("State why you need the personal data (at least 4 characters).")})
    audit.record(actor=actor, verb="unmask", obj=case, note=reason)
    return {name: getattr(case, name) for name in case.personal_fields}


def unmask_injury_case(*, actor, case: InjuryCase, reason: str) -> dict:
    return unmask_personal_data(actor=actor, case=case, reason=reason)
