"""What each kind of exchanged data is in the registries: its model, the date that puts a record in a quarter, and
what makes a record of it incomplete (a gap the agency should close before confirming)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enterprises.models import ConstructionProject, InsuranceSnapshot
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.locks import DataKind

from .models import quarter_bounds


@dataclass(frozen=True)
class Kind:
    kind: str
    model: type
    date_field: str | None  # None: the record names its (year, quarter)
    gap: Q  # an incomplete record
    gap_label: Promise
    aware: bool = False  # date_field is a DateTimeField

    @property
    def label(self):
        return DataKind(self.kind).label

    def in_quarter(self, year: int, quarter: int) -> Q:
        if self.date_field is None:
            return Q(year=year, quarter=quarter)
        start, end = quarter_bounds(year, quarter)
        end = end + datetime.timedelta(days=1)
        if self.aware:
            tz = timezone.get_current_timezone()
            start = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
            end = datetime.datetime.combine(end, datetime.time(), tzinfo=tz)
        return Q(**{f"{self.date_field}__gte": start, f"{self.date_field}__lt": end})

    def records(self, agency, year: int, quarter: int) -> QuerySet:
        """The agency's records of the quarter (scoped through the agency's region first: the indexed column)."""
        qs = self.model.objects.all()
        if hasattr(qs, "in_region"):
            qs = qs.in_region(agency.region)
        return qs.filter(self.in_quarter(year, quarter), owner_agency=agency)


KINDS: dict[str, Kind] = {
    DataKind.INJURY_CASES: Kind(
        DataKind.INJURY_CASES,
        InjuryCase,
        "occurred_at",
        Q(cause="") | Q(place=""),
        _("without cause or place"),
        aware=True,
    ),
    DataKind.RECOGNITIONS: Kind(
        DataKind.RECOGNITIONS,
        InjuryCase,
        "recognized_on",
        Q(severity="serious", disability_grade__isnull=True),
        _("serious injuries without disability grade"),
    ),
    DataKind.INSURANCE: Kind(DataKind.INSURANCE, InsuranceSnapshot, None, Q(premium_paid=0), _("without premium paid")),
    DataKind.DISEASE_CASES: Kind(
        DataKind.DISEASE_CASES,
        OccupationalDiseaseCase,
        "diagnosed_on",
        Q(exposure_start__isnull=True) | Q(diagnosing_institution=""),
        _("without exposure start or diagnosing institution"),
    ),
    DataKind.SAFETY_ACCIDENTS: Kind(
        DataKind.SAFETY_ACCIDENTS,
        SafetyAccident,
        "occurred_at",
        Q(summary=""),
        _("without summary"),
        aware=True,
    ),
    DataKind.PROJECT_INSURANCE: Kind(
        DataKind.PROJECT_INSURANCE,
        ConstructionProject,
        "started_on",
        Q(insured_on__isnull=True),
        _("not insured"),
    ),
}

# The defaults the secretariat starts from (DESIGN §3.4): agency kind → the data it owes.
DEFAULT_OBLIGATIONS: dict[str, tuple[str, ...]] = {
    "hrss": (DataKind.INJURY_CASES, DataKind.RECOGNITIONS, DataKind.INSURANCE),
    "health": (DataKind.DISEASE_CASES,),
    "emergency": (DataKind.SAFETY_ACCIDENTS,),
    "housing": (DataKind.PROJECT_INSURANCE,),
    "transport": (DataKind.PROJECT_INSURANCE,),
}
