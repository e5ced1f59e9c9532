"""``record(...)``: the one way to write the audit trail. Services call it inside their transaction."""

from __future__ import annotations

import contextvars
import datetime
import decimal
import uuid

from django.db import models
from django.db.models.fields.files import FieldFile

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("audit_request", default=None)

# Fields whose values never enter the audit trail in clear (the trail itself must not leak secrets).
SECRET_FIELDS = {"password"}


def set_request_context(request) -> contextvars.Token:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return _request_context.set({"ip": ip or None, "path": request.path[:300]})


def reset_request_context(token) -> None:
    _request_context.reset(token)


def record(*, actor, verb: str, obj: models.Model | None = None, changes: dict | None = None, note: str = ""):
    """Append one audit event. ``actor`` may be None (system jobs) or an unsaved/anonymous user."""
    from portal.models import AuditEvent

    ctx = _request_context.get() or {}
    real_actor = actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=real_actor,
        actor_name=(getattr(actor, "username", "") or "")[:150] if actor is not None else "system",
        verb=verb,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        note=note[:500],
        ip_address=ctx.get("ip"),
        request_path=ctx.get("path", ""),
    )


def record_change(*, actor, verb: str, obj: models.Model, before: dict):
    """``record`` with what changed in ``obj`` since ``before`` (its ``snapshot`` taken before the change)."""
    return record(actor=actor, verb=verb, obj=obj, changes=diff(before, snapshot(obj)))


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """JSON-safe values of the concrete fields of ``instance`` (FKs as ids), for old/new comparisons."""
    data = {}
    masks = getattr(instance, "audit_masks", {})  # personal data enters the trail masked only
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        if field.name in SECRET_FIELDS:
            continue
        value = getattr(instance, field.attname)
        if field.name in masks and value not in (None, ""):
            value = masks[field.name](value)
        data[field.name] = _json_value(value)
    return data


def diff(old: dict, new: dict) -> dict:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def _json_value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).isoformat()  # one instant, one text, whatever the zone
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):  # (``hasattr(value, "url")`` raises on an empty one)
        return value.name or None
    if isinstance(value, list | dict):
        return value
    return str(value)
