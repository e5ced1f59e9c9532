"""Generic write services (HackSoft ``model_update``): validate, save and audit in one transaction.

Every write in the portal goes through a service so that the audit trail can never be skipped. Plain CRUD
uses these three; a module's own ``services.py`` adds one function per user action.
"""

from __future__ import annotations

from django.db import models, transaction

from portal import audit, locks


@transaction.atomic
def create_object(*, actor, model: type[models.Model], data: dict, **extra) -> models.Model:
    instance = model(**data, **extra)
    instance.full_clean()
    locks.check_write(instance, action="create")
    instance.save()
    for name, value in data.items():
        field = model._meta.get_field(name)
        if field.many_to_many:
            getattr(instance, name).set(value)
    audit.record(actor=actor, verb="create", obj=instance, changes=audit.diff({}, audit.snapshot(instance)))
    return instance


@transaction.atomic
def update_object(*, actor, instance: models.Model, data: dict, fields: list[str] | None = None) -> models.Model:
    """Set ``fields`` (default: all keys of ``data``) from ``data``, validate, save and audit old → new."""
    fields = list(fields if fields is not None else data.keys())
    before = audit.snapshot(instance)
    m2m = {}
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = data[name]
        else:
            setattr(instance, name, data[name])
    instance.full_clean()
    locks.check_write(instance, action="update")
    instance.save()
    for name, value in m2m.items():
        getattr(instance, name).set(value)
    changes = audit.diff(before, audit.snapshot(instance))
    if changes or m2m:
        audit.record(actor=actor, verb="update", obj=instance, changes=changes)
    return instance


@transaction.atomic
def delete_object(*, actor, instance: models.Model) -> None:
    locks.check_write(instance, action="delete")
    before = audit.snapshot(instance)
    audit.record(actor=actor, verb="delete", obj=instance, changes=audit.diff(before, {k: None for k in before}))
    instance.delete()
