"""Quarter locks: once a member agency has confirmed its data of a quarter for the quarterly exchange (DESIGN §3.4),
its records of that quarter are neither changed nor added to until the secretariat reopens the quarter.

The rule is asked here, in the shell, by every way a record is written — the generic services the forms and the
API call (``portal.services``) and the import engine (``portal.imports``) — so no path can skip it. Which quarters
are locked is the exchange's business (``portal.exchange`` registers the look-up in its ``ready()``); a record model
declares which of its dates put it in which kind of exchanged data::

    quarter_facets = (
        Facet("injury_cases", "occurred_at"),
        Facet("recognitions", "recognized_on", fields=("recognized_on", "disability_grade", "fund_payout")),
    )

A facet covers its ``fields`` (None: every field no other facet of the model claims). Creating or deleting a record
touches every facet that has a date; a change touches the facets of the fields it changes, and is refused if the
quarter of the facet's date — before or after the change — is locked for the record's owning agency.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataKind(models.TextChoices):
    """The kinds of data member agencies exchange each quarter (seed 000: 重点行业、企事业单位信息、事故信息、职业病信息
    和涉及安全生产事故及新发职业病的诊断信息; DESIGN §3.4)."""

    INJURY_CASES = "injury_cases", _("Work-injury cases")
    RECOGNITIONS = "recognitions", _("Work-injury recognitions")
    INSURANCE = "insurance", _("Insurance figures")
    DISEASE_CASES = "disease_cases", _("Occupational-disease diagnoses")
    SAFETY_ACCIDENTS = "safety_accidents", _("Safety accidents")
    PROJECT_INSURANCE = "project_insurance", _("Per-project insurance of construction projects")


@dataclass(frozen=True)
class Facet:
    kind: str
    date_field: str | None = None  # a DateField or DateTimeField (local date)
    quarter_fields: tuple[str, str] | None = None  # or a (year, quarter) pair of fields
    fields: tuple[str, ...] | None = None

    def date_names(self) -> tuple[str, ...]:
        return (self.date_field,) if self.date_field else tuple(self.quarter_fields or ())


def quarter_of(value) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):  # an audit value: ISO date, or time in UTC
        value = datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value.year, (value.month - 1) // 3 + 1


def facets(model) -> tuple[Facet, ...]:
    return tuple(getattr(model, "quarter_facets", ()))


# (agency ids) → {(agency id, kind, year, quarter)} of the locked quarters; set by the exchange.
_locked_quarters: Callable[[Iterable[int]], set[tuple]] | None = None


def register(look_up: Callable[[Iterable[int]], set[tuple]]) -> None:
    global _locked_quarters
    _locked_quarters = look_up


def owner_of(values: dict):
    """The owning agency's id of a row given as field values (an import row: a related object or its id)."""
    if values.get("owner_agency_id") is not None:
        return values["owner_agency_id"]
    owner = values.get("owner_agency")
    return owner if isinstance(owner, int) else getattr(owner, "pk", None)


def _value(values: dict, name: str):
    if name in values:
        return values[name]
    return values.get(f"{name}_id")


class Checker:
    """The locked quarters of some agencies, read once (one query), for checking many rows in memory (imports)."""

    def __init__(self, model, agency_ids: Iterable[int]):
        self.model = model
        self.facets = facets(model)
        ids = {a for a in agency_ids if a is not None}
        self.locked = _locked_quarters(ids) if (self.facets and ids and _locked_quarters) else set()
        claimed = {f for facet in self.facets for f in (facet.fields or ())}
        self._claimed = claimed

    def _covers(self, facet: Facet, field: str) -> bool:
        if facet.fields is not None:
            return field in facet.fields or field in facet.date_names()
        return field not in self._claimed

    def _quarter(self, facet: Facet, values: dict | None):
        if values is None:
            return None
        if facet.date_field:
            return quarter_of(_value(values, facet.date_field))
        year, quarter = (_value(values, name) for name in facet.quarter_fields)
        return (int(year), int(quarter)) if year and quarter else None

    def errors(
        self, *, owner_id, before: dict | None, after: dict | None, changed: Iterable[str] | None = None
    ) -> dict:
        """{field: [message]} if writing a row of ``owner_id`` from ``before`` (None: a new row) to ``after`` (None:
        deleted) touches a locked quarter. ``changed``: the fields that change (all when None)."""
        if not self.locked:
            return {}
        changed = None if changed is None else set(changed)
        errors: dict = {}
        for facet in self.facets:
            if changed is not None and before is not None and after is not None:
                if not any(self._covers(facet, name) for name in changed):
                    continue
            for values in (before, after):
                quarter = self._quarter(facet, values)
                if quarter and (owner_id, facet.kind, *quarter) in self.locked:
                    field = facet.date_field or facet.quarter_fields[1]
                    errors.setdefault(field, [locked_message(facet.kind, *quarter)])
                    break
        return errors


def locked_message(kind: str, year: int, quarter: int) -> str:
    return str(
        _(
            "Your agency has confirmed its %(kind)s of %(year)s Q%(quarter)s for the quarterly exchange; they are "
            "locked. Ask the joint meeting's secretariat to reopen the quarter."
        )
        % {"kind": DataKind(kind).label, "year": year, "quarter": quarter}
    )


def _row(instance: models.Model) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def check_write(instance: models.Model, *, action: str) -> None:
    """Raise ValidationError (field → message) if creating, changing or deleting ``instance`` (``action``: create /
    update / delete) touches a quarter its owning agency has confirmed. For a change the row as it is in the
    database is read again (forms set the new values on the instance before the service runs)."""
    model = type(instance)
    if not facets(model) or _locked_quarters is None:
        return
    owner = getattr(instance, "owner_agency_id", None)
    stored = None
    if action != "create" and instance.pk is not None:
        found = model._default_manager.filter(pk=instance.pk).values(*(f.attname for f in model._meta.concrete_fields))
        stored = next(iter(found), None)
        if stored is not None:
            owner = stored.get("owner_agency_id", owner)
    checker = Checker(model, [owner])
    if not checker.locked:
        return
    current = _row(instance)
    if action == "create":
        errors = checker.errors(owner_id=owner, before=None, after=current)
    elif action == "delete":
        errors = checker.errors(owner_id=owner, before=stored or current, after=None)
    else:
        changed = None
        if stored is not None:
            names = {f.attname: f.name for f in model._meta.concrete_fields}
            changed = [names[k] for k, v in current.items() if stored.get(k) != v and k != "updated_at"]
            if not changed:
                return
        errors = checker.errors(owner_id=owner, before=stored, after=current, changed=changed)
    if errors:
        raise ValidationError(errors)
