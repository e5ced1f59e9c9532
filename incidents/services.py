"""Writes on incidents: one function per user action, each audited (personal data masked in the trail)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from portal import audit
from portal.permissions import may_record, may_unmask
from portal.services import create_object

from .models import InjuryCase


def record_injury_case(*, actor, data: dict) -> InjuryCase:
    """A 人社 clerk records a work-injury case of an enterprise in their region; their agency owns it."""
    if not may_record(actor, InjuryCase):
        raise PermissionDenied(_("Only the human resources and social security agency records work-injury cases."))
    enterprise = data.get("enterprise")
    if enterprise is None or not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": _("Choose an enterprise of your region.")})
    return create_object(actor=actor, model=InjuryCase, data=data, owner_agency=actor.agency)


@transaction.atomic
def unmask_injury_case(*, actor, case: InjuryCase, reason: str) -> dict:
    """Show a case's personal data in clear to a permitted user of the owning agency, for a stated reason."""
    reason = (reason or "").strip()
    if not may_unmask(actor, case):
        raise PermissionDenied
    if len(reason) < 4:
        raise ValidationError({"reason": _("State why you need the personal data (at least 4 characters).")})
    audit.record(actor=actor, verb="unmask", obj=case, note=reason)
    return {"worker_name": case.worker_name, "worker_id_number": case.worker_id_number}
