"""Progress against reduction targets, from the statistics service: the rate of the baseline year, of the latest
complete year up to the target year, the rate the target asks for, and whether the region is on the straight path
from the baseline to the target."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from portal.reference.models import Region

from .models import Target, TargetMetric
from .stats import Selection, Stats


@dataclass
class Progress:
    target: Target
    region: Region | None
    baseline_rate: float | None
    year: int  # the year the current rate is of
    current_rate: float | None
    required_rate: float | None
    achieved_percent: float | None  # reduction reached so far against the baseline
    expected_percent: float  # reduction the straight path asks for by ``year``
    status: str  # achieved / on_track / behind / no_data

    @property
    def share_of_goal(self) -> int:
        """Achieved reduction as a share of the target's, for a progress bar (0–100)."""
        if not self.achieved_percent or self.achieved_percent <= 0:
            return 0
        return min(100, round(self.achieved_percent * 100 / float(self.target.reduction_percent)))


def applicable(region: Region | None):
    """The targets that apply in ``region``: the national ones and those of the region and the regions above it."""
    q = Q(region__isnull=True)
    if region is not None:
        q |= Q(region__path__in=region.ancestor_paths(include_self=True))
    national_first = F("region__path").asc(nulls_first=True)
    return Target.objects.filter(q).select_related("region").order_by(national_first, "target_year")


def progress(target: Target, region: Region | None, today: datetime.date | None = None, shared=None) -> Progress:
    """``shared``: see ``Stats`` (look-ups shared within one request)."""
    today = today or timezone.localdate()
    shared = shared if shared is not None else {}
    flag = "key" if target.metric == TargetMetric.KEY_INCIDENCE else None
    year = min(target.target_year, today.year - 1)  # the latest complete year
    baseline = Stats(Selection.year(target.baseline_year, region=region, flag=flag), shared=shared).totals()
    baseline = baseline["incidence_rate"]
    current = baseline
    if year > target.baseline_year:
        current = Stats(Selection.year(year, region=region, flag=flag), shared=shared).totals()["incidence_rate"]
    reduction = float(target.reduction_percent)
    span = target.target_year - target.baseline_year
    expected = round(reduction * max(0, year - target.baseline_year) / span, 1)
    if not baseline or current is None:
        return Progress(target, region, baseline, year, current, None, None, expected, "no_data")
    required = round(baseline * (1 - reduction / 100), 3)
    achieved = round((baseline - current) * 100 / baseline, 1)
    if current <= required:
        status = "achieved"
    elif achieved >= expected:
        status = "on_track"
    else:
        status = "behind"
    return Progress(target, region, baseline, year, current, required, achieved, expected, status)
