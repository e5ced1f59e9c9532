"""Writes on enterprise records that are more than plain CRUD: one function per user action, each audited through
``portal.services`` (which also refuses writes into a quarter confirmed for the exchange)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from portal.permissions import may_record
from portal.reference.models import Region
from portal.services import create_object, update_object

from .models import ConstructionProject, Enterprise


def record_construction_project(*, actor, data: dict) -> ConstructionProject:
    """Record a construction project (按项目参保) of an enterprise the actor sees, sited in the actor's region; only
    住建, 交通运输 and 水利 agencies record them, and the actor's agency owns the record."""
    if not may_record(actor, ConstructionProject):
        raise PermissionDenied(
            _("Only the housing, transport or water resources agency records construction projects.")
        )
    _check_scope(actor, data)
    return create_object(actor=actor, model=ConstructionProject, data=data, owner_agency=actor.agency)


def update_construction_project(*, actor, instance: ConstructionProject, data: dict) -> ConstructionProject:
    """Change a project of the actor's own agency; its enterprise and site stay within the actor's scope."""
    if not ConstructionProject.objects.editable_by(actor).filter(pk=instance.pk).exists():
        raise PermissionDenied(_("Only the agency that recorded this project can change it."))
    _check_scope(actor, {"enterprise": instance.enterprise, "region": instance.region, **data})
    return update_object(actor=actor, instance=instance, data=data)


def _check_scope(actor, data: dict) -> None:
    errors = {}
    enterprise = data.get("enterprise")
    if enterprise is None or not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        errors["enterprise"] = [_("Choose an enterprise of your region.")]
    region = data.get("region")
    home = actor.region
    if region is not None and (home is None or not Region.objects.subtree(home).filter(pk=region.pk).exists()):
        errors["region"] = [_("Choose a site in your region.")]
    if errors:
        raise ValidationError(errors)
