"""The statistics summed from the source rows (cases, accidents, diagnoses, insurance snapshots, enterprises) for
the questions whose grain a summary table does not hold (``cubes.Family.division_tiers`` / ``all_tiers``): a
county's cases by accident type, a county's towns for one division, groups of a division.

Each answer has the shape ``Stats._read`` gives from a table, and counts a row exactly as ``cubes`` does: in the
local month of its time, under its enterprise's region, industry and flags as they are now. The tests and
``bench/dashboard.py`` hold every figure read from the tables against these sums (``Stats(…, source="rows")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, DateField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import timezone

from enterprises.models import Enterprise, EnterpriseStatus, InsuranceSnapshot
from incidents.models import SHORT_EXPOSURE_YEARS, InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.reference.models import Region

from . import cubes

CASE_SUMS = {
    "cases": Count("pk"),
    "minor": Count("pk", filter=Q(severity="minor")),
    "serious": Count("pk", filter=Q(severity="serious")),
    "deaths": Count("pk", filter=Q(severity="fatal")),
    "lost_workdays": Sum("lost_workdays"),
    "fund_payout": Sum("fund_payout"),
}


@dataclass(frozen=True)
class Source:
    model: type
    measures: dict  # summary column → aggregate over the source rows
    time: str | None = None  # the column that puts a row in a month
    dates: bool = False
    through: str = "enterprise__"  # from a source row to its enterprise
    groups: dict = field(default_factory=dict)  # group name → expression (besides month, region and industry)
    condition: Q = field(default_factory=Q)


SOURCES = {
    cubes.INJURY: Source(InjuryCase, CASE_SUMS, "occurred_at"),
    cubes.CAUSE: Source(InjuryCase, CASE_SUMS, "occurred_at", groups={"accident_type": F("accident_type")}),
    cubes.POST: Source(InjuryCase, CASE_SUMS, "occurred_at", groups={"post": F("post")}),
    cubes.DISEASE: Source(
        OccupationalDiseaseCase,
        {"cases": Count("pk")},
        "diagnosed_on",
        dates=True,
        groups={
            "disease": F("disease"),
            "short_exposure": ExpressionWrapper(
                Q(exposure_years__lt=SHORT_EXPOSURE_YEARS), output_field=BooleanField()
            ),
            "month__year": ExtractYear("diagnosed_on"),
        },
    ),
    cubes.ACCIDENT: Source(
        SafetyAccident,
        {
            "accidents": Count("pk"),
            "deaths": Sum("deaths"),
            "serious_injuries": Sum("serious_injuries"),
            "direct_loss": Sum("direct_loss"),
        },
        "occurred_at",
    ),
    cubes.INSURANCE: Source(
        InsuranceSnapshot,
        {
            "enterprises": Count("pk"),
            "insured": Sum("insured_employees"),
            "premium_paid": Sum("premium_paid"),
            "fund_payout": Sum("fund_payout"),
        },
        groups={"year": F("year"), "quarter": F("quarter")},
    ),
    cubes.ENTERPRISE: Source(
        Enterprise,
        {"enterprises": Count("pk"), "employees": Coalesce(Sum("employees"), Value(0))},
        through="",
        condition=Q(status=EnterpriseStatus.OPERATING),
    ),
}


def _bounds(sel, dates: bool):
    if dates:
        return sel.start, cubes.add_month(sel.end)
    return cubes.month_bounds(sel.start)[0], cubes.month_bounds(sel.end)[1]


def rows(family, sel, groups: tuple, measures: tuple) -> list[dict]:
    """The sums of ``measures`` per ``groups`` over the source rows of ``sel`` (``"region"``: the child region of
    ``sel.region`` the row's enterprise lies in; ``"industry"``: its industry class)."""
    source = SOURCES[family]
    through = source.through
    qs = source.model.objects.filter(source.condition)
    if sel.region is not None:
        qs = qs.in_region(sel.region)
    if source.time is not None:
        start, end = _bounds(sel, source.dates)
        qs = qs.filter(**{f"{source.time}__gte": start, f"{source.time}__lt": end})
    elif family is cubes.INSURANCE:
        qs = qs.filter(sel.quarter_q())
    if sel.industry is not None:
        qs = qs.filter(**{f"{through}industry__path__startswith": sel.industry.path})
    if sel.flag:
        qs = qs.filter(cubes.flag_q(sel.flag, through))
    expressions = dict(source.groups)
    if source.time is not None:
        tz = {} if source.dates else {"tzinfo": timezone.get_current_timezone()}
        expressions["month"] = TruncMonth(source.time, output_field=DateField(), **tz)
    expressions["region"] = F(f"{through}region")
    expressions["industry"] = F(f"{through}industry")
    wanted = list(groups)
    qs = qs.annotate(**{f"g_{g}": expressions[g] for g in wanted})
    sums = {f"s_{m}": source.measures[m] for m in measures}
    if not wanted:
        found = [qs.aggregate(**sums)]
    else:
        found = list(qs.values(*(f"g_{g}" for g in wanted)).annotate(**sums).order_by())
    result = [{**{g: r[f"g_{g}"] for g in wanted}, **{m: r[f"s_{m}"] for m in measures}} for r in found]
    if "region" in wanted:
        result = _to_children(result, sel, measures, wanted)
    return result


def _to_children(result: list[dict], sel, measures, groups) -> list[dict]:
    """Enterprise regions → the child of ``sel.region`` (tier below) each lies in; rows of enterprises registered at
    the region itself (in no child) are left out, as the summary tables leave them out of the tier below."""
    tier = cubes.tier_of(sel.region) + 1
    paths = dict(Region.objects.filter(pk__in={r["region"] for r in result}).values_list("pk", "path"))
    child_paths = {}
    for pk, path in paths.items():
        parts = [p for p in path.split("/") if p]
        if len(parts) >= tier:
            child_paths[pk] = "/" + "/".join(parts[:tier]) + "/"
    ids = dict(Region.objects.filter(path__in=set(child_paths.values())).values_list("path", "pk"))
    merged: dict[tuple, dict] = {}
    for row in result:
        child = ids.get(child_paths.get(row["region"]))
        if child is None:
            continue
        key = tuple(child if g == "region" else row[g] for g in groups)
        target = merged.setdefault(key, {**row, "region": child, **dict.fromkeys(measures, 0)})
        for m in measures:
            target[m] = (target[m] or 0) + (row[m] or 0)
    return list(merged.values())
