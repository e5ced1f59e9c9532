"""The statistics service: every figure of the dashboard, the API, the reports and the warning engine.

It reads only the summary tables (``models``), built by ``cubes``. A ``Selection`` is a period of whole months, a
region (None: the whole country) and an industry (a GB/T 4754 node and/or the key/dust group of the region's
rules). Rates are per 1,000 insured employees, the insured count of a period being the mean of its quarters'
totals (quarters without figures are left out of the mean):

- incidence rate (工伤发生率) = cases / insured × 1,000;
- 千人死亡率 = deaths / insured × 1,000; 千人重伤率 = serious injuries / insured × 1,000 (GB 6441).
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from incidents.models import Severity
from portal import counts
from portal.reference.models import (
    AccidentType,
    Industry,
    IndustryFlag,
    OccupationalDisease,
    Region,
)

from . import cubes, sources
from .cubes import FLAGS, MAX_TIER, tier_of
from .models import (
    AccidentCube,
    CauseCube,
    DiseaseCube,
    EnterpriseCube,
    InjuryCube,
    InsuranceCube,
    PostCube,
    RegionGDP,
)

CASE_MEASURES = ("cases", "minor", "serious", "deaths", "lost_workdays", "fund_payout")
DETAIL_MEASURES = ("cases", "serious", "deaths")


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Selection:
    start: datetime.date  # first day of the first month
    end: datetime.date  # first day of the last month (inclusive)
    region: Region | None = None
    industry: Industry | None = None
    flag: str | None = None  # "key" / "dust": the region's key or dust industries

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if self.flag not in (None, *FLAGS):
            raise ValueError(f"unknown industry group {self.flag}")

    @classmethod
    def year(cls, year: int, **kwargs) -> Selection:
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 1), **kwargs)

    def key(self) -> tuple:
        """What the figures of this selection depend on, besides the tables (a cache key)."""
        return (
            self.start,
            self.end,
            self.region.pk if self.region else None,
            self.industry.pk if self.industry else None,
            self.flag,
        )

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def shifted(self, months: int) -> Selection:
        return replace(self, start=add_months(self.start, months), end=add_months(self.end, months))

    def previous(self) -> Selection:
        """The period of the same length just before."""
        return self.shifted(-self.months)

    def last_year(self) -> Selection:
        return self.shifted(-12)

    def quarters(self) -> list[tuple[int, int]]:
        first = (self.start.year, (self.start.month - 1) // 3 + 1)
        last = (self.end.year, (self.end.month - 1) // 3 + 1)
        quarters, current = [], first
        while current <= last:
            quarters.append(current)
            year, quarter = current
            current = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return quarters

    def quarter_q(self) -> Q:
        q = Q(pk__in=[])
        for year, quarter in self.quarters():
            q |= Q(year=year, quarter=quarter)
        return q


def rate(count, insured) -> float | None:
    """Per 1,000 insured employees, three decimals; None without insured employees."""
    if not insured:
        return None
    return round(float(count) * 1000 / float(insured), 3)


def change(current, previous) -> float | None:
    """Percentage change; None when there is nothing to compare with."""
    if current is None or previous in (None, 0):
        return None
    return round((float(current) - float(previous)) * 100 / float(previous), 1)


@functools.cache
def source_tables() -> tuple[str, ...]:
    """What the figures are read from: the summary tables, the source rows (read for the grains the tables do not
    hold) and the reference data that name and group them."""
    from django.apps import apps

    from enterprises.models import Enterprise, InsuranceSnapshot
    from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident

    reference = (Region, Industry, IndustryFlag, AccidentType, OccupationalDisease)
    source = (InjuryCase, OccupationalDiseaseCase, SafetyAccident, Enterprise, InsuranceSnapshot)
    models = (*apps.get_app_config("analysis").get_models(), *reference, *source)
    return tuple(sorted({m._meta.db_table for m in models}))


def _memo(method):
    """Cache a figure (``portal.counts``, with a shared cache) until a table it is read from is written to: the
    statistics change when the summary tables are refreshed, not with every request."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = ("analysis.Stats", method.__name__, self.memo_key(), args, sorted(kwargs.items()), get_language())
        return counts.cached_result(key, source_tables(), lambda: method(self, *args, **kwargs))

    return wrapper


class Stats:
    """Figures of one selection. Each method runs one or two small queries on the summary tables, or on the source
    rows where the tables do not hold the grain a question needs (``_read``); the figures the pages and the API
    show are cached until the tables change (``_memo``)."""

    def __init__(self, selection: Selection, *, shared: dict | None = None, source: str = "auto"):
        """``shared``: a dict to share look-ups (the divisions of an industry) between the Stats of one request.
        ``source``: "auto" (the summary tables where they hold the grain), or "rows" (always the source rows: the
        check the tests and the bench hold the tables against)."""
        self.sel = selection
        self.tier = tier_of(selection.region)
        self.source = source
        self._totals: dict = {}
        self._paths: dict = {}  # region id → path, of the regions read so far
        self.shared = shared if shared is not None else {}

    def memo_key(self) -> tuple:
        return (*self.sel.key(), self.source)

    # --- reading ---

    def divisions(self, node: Industry) -> list[int]:
        """The divisions of a section (or the division itself)."""
        key = ("divisions", node.pk)
        if key not in self.shared:
            self.shared[key] = list(
                Industry.objects.filter(level="division", path__startswith=node.path).values_list("pk", flat=True)
            )
        return self.shared[key]

    def _read(
        self,
        model,
        groups: tuple = (),
        measures: tuple | None = None,
        *,
        sel: Selection | None = None,
        children: bool = False,
        industry_depth: int | None = None,
    ) -> list[dict]:
        """Sums of ``measures`` per ``groups`` over the selection (or its ``children`` regions; ``"region"`` then
        names the child), from ``model``'s summary table where it holds that grain, otherwise from the source rows
        (``sources``). ``industry_depth``: rows per industry (``"industry"``: a division from the table, a class from
        the source rows) to be grouped at that depth (0 section, 1 division, …)."""
        sel = sel or self.sel
        family = cubes.family_of(model)
        measures = measures or tuple(m for m, _a in family.measures)
        tier = self.tier + (1 if children else 0)
        if tier > MAX_TIER:
            return []
        industries = industry_depth is not None or sel.industry is not None
        if (
            self.source == "auto"
            and family.has(tier, industries=industries)
            and (industry_depth or 0) <= 1
            and (sel.industry is None or sel.industry.depth <= 1)
        ):
            qs = model.objects.filter(tier=tier)
            if children:  # the provinces' rows have no parent: saying so lets the index serve it (41 → 1.3 ms)
                qs = qs.filter(parent=sel.region) if sel.region is not None else qs.filter(parent__isnull=True)
            else:
                qs = qs.filter(region=sel.region) if sel.region is not None else qs.filter(region__isnull=True)
            if not industries:
                qs = qs.filter(industry__isnull=True)
            elif sel.industry is not None:
                qs = qs.filter(industry__in=self.divisions(sel.industry))
            else:
                qs = qs.filter(industry__isnull=False)
            if sel.flag:
                qs = qs.filter(**{sel.flag: True})
            if family.column is not None:
                qs = qs.filter(month__gte=sel.start, month__lte=sel.end)
            elif family is cubes.INSURANCE:
                qs = qs.filter(sel.quarter_q())
            sums = {m: Sum(m) for m in measures}
            if not groups:
                return [qs.aggregate(**sums)]
            return list(qs.values(*groups).annotate(**sums))
        return sources.rows(family, sel, groups, measures)

    # --- figures ---

    def totals(self, sel: Selection | None = None) -> dict:
        """Counts, sums, mean insured employees and the three rates of the period."""
        sel = sel or self.sel
        if sel not in self._totals:
            figures = _sums(self._read(InjuryCube, sel=sel)[0])
            insured = self._insured(self._read(InsuranceCube, ("year", "quarter"), ("insured",), sel=sel))
            self._totals[sel] = _with_rates(figures, insured.get(None))
        return dict(self._totals[sel])

    @_memo
    def summary(self) -> dict:
        """Totals of the period, of the period before and of the same period last year, with the changes."""
        current = self.totals()
        previous = self.totals(self.sel.previous())
        last_year = self.totals(self.sel.last_year())
        keys = (*CASE_MEASURES, "incidence_rate", "death_rate", "serious_rate")
        return {
            "current": current,
            "previous": previous,
            "last_year": last_year,
            "change_previous": {k: change(current[k], previous[k]) for k in keys},
            "change_last_year": {k: change(current[k], last_year[k]) for k in keys},
        }

    @_memo
    def trend(self, granularity: str = "month") -> list[dict]:
        """One row per month (or ``quarter``, ``year``) of the period, periods without cases included as zeros;
        ``month`` and ``last_month`` are its first and last months within the selection, ``label`` names it
        (2025-03, 2025Q1, 2025)."""
        rows = {_as_date(r["month"]): _sums(r) for r in self._read(InjuryCube, ("month",))}
        result: list[dict] = []
        month = self.sel.start
        while month <= self.sel.end:
            if granularity == "year":
                start, label = month.replace(month=1), f"{month.year}"
            elif granularity == "quarter":
                quarter = (month.month - 1) // 3
                start, label = month.replace(month=quarter * 3 + 1), f"{month.year}Q{quarter + 1}"
            else:
                start, label = month, f"{month:%Y-%m}"
            if not result or result[-1]["label"] != label:
                result.append({"month": max(start, self.sel.start), "label": label, **_sums({})})
            result[-1]["last_month"] = month
            for key, value in rows.get(month, {}).items():
                result[-1][key] += value
            month = add_months(month, 1)
        return result

    @_memo
    def by_region(self) -> list[dict]:
        """The selection's child regions (provinces … towns), with their rates; largest first. Cases of
        enterprises registered at the selected region itself (not in any child) form a row of their own."""
        if "by_region" not in self._totals:
            self._totals["by_region"] = self._by_region()
        return [dict(r) for r in self._totals["by_region"]]

    def _by_region(self) -> list[dict]:
        rows = {r["region"]: _sums(r) for r in self._read(InjuryCube, ("region",), children=True)}
        insured_rows = self._read(InsuranceCube, ("region", "year", "quarter"), ("insured",), children=True)
        insured = self._insured(insured_rows, "region")
        found = Region.objects.filter(pk__in=set(rows) | set(insured)).values_list("pk", "name", "code", "path")
        names, codes = {pk: name for pk, name, _c, _p in found}, {pk: code for pk, _n, code, _p in found}
        self._paths.update({pk: path for pk, _n, _c, path in found})
        result = [
            {
                "region": pk,
                "name": names.get(pk, ""),
                "code": codes.get(pk, ""),
                **_with_rates(figures, insured.get(pk)),
            }
            for pk, figures in rows.items()
        ]
        result += [
            {"region": pk, "name": names.get(pk, ""), "code": codes.get(pk, ""), **_with_rates(_sums({}), n)}
            for pk, n in insured.items()
            if pk not in rows
        ]
        if self.sel.region is not None and self.tier < MAX_TIER:
            total = self.totals()
            rest = {k: total[k] - sum(r[k] for r in result) for k in CASE_MEASURES}
            rest_insured = total["insured"] - sum(r["insured"] for r in result)
            if rest["cases"] or rest_insured > 0:
                name = _("%(region)s itself") % {"region": self.sel.region.name}
                result.append({"region": None, "name": name, "code": "", **_with_rates(rest, max(rest_insured, 0))})
        result.sort(key=lambda r: (-r["cases"], r["code"]))
        return result

    @_memo
    def by_industry(self, depth: int | None = None) -> list[dict]:
        """The selected industry's children (sections when none is selected), with their rates; or, with
        ``depth`` (0 section, 1 division, 2 group, 3 class), the industries at that level."""
        node = self.sel.industry
        if depth is None:
            depth = node.depth + 1 if node is not None else 0
        case_rows = self._read(InjuryCube, ("industry",), industry_depth=depth)
        insured_rows = self._read(InsuranceCube, ("industry", "year", "quarter"), ("insured",), industry_depth=depth)
        classes = {r["industry"] for r in case_rows} | {r["industry"] for r in insured_rows}
        paths = dict(Industry.objects.filter(pk__in=classes).values_list("pk", "path"))
        group_of = {pk: "/" + "/".join(p.strip("/").split("/")[: depth + 1]) + "/" for pk, p in paths.items()}
        figures: dict[str, dict] = defaultdict(lambda: _sums({}))
        for row in case_rows:
            target = figures[group_of[row["industry"]]]
            for key in CASE_MEASURES:
                target[key] += row[key] or 0
        per_quarter: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        for row in insured_rows:
            per_quarter[group_of[row["industry"]]][(row["year"], row["quarter"])] += row["insured"] or 0
        insured = {g: sum(q.values()) / len(q) for g, q in per_quarter.items() if q}
        nodes = {i.path: i for i in Industry.objects.filter(path__in=set(figures) | set(insured))}
        result = [
            {
                "industry": nodes[path].pk,
                "code": nodes[path].code,
                "name": nodes[path].name,
                **_with_rates(figures.get(path, _sums({})), insured.get(path)),
            }
            for path in set(figures) | set(insured)
            if path in nodes
        ]
        result.sort(key=lambda r: (-r["cases"], r["code"]))
        return result

    @_memo
    def by_accident_type(self) -> list[dict]:
        """Cases by GB 6441 accident type (types of both editions when the period spans the 2025 change)."""
        rows = self._read(CauseCube, ("accident_type",), DETAIL_MEASURES)
        types = {t.pk: t for t in AccidentType.objects.filter(pk__in=[r["accident_type"] for r in rows])}
        result = [
            {
                "accident_type": r["accident_type"],
                "code": types[r["accident_type"]].code,
                "name": types[r["accident_type"]].name,
                "edition": types[r["accident_type"]].edition,
                **{m: r[m] or 0 for m in DETAIL_MEASURES},
            }
            for r in rows
            if r["accident_type"] in types
        ]
        result.sort(key=lambda r: (-r["cases"], r["edition"], r["code"]))
        return result

    @_memo
    def by_post(self, limit: int = 10) -> list[dict]:
        """The posts (岗位) with most cases, as recorded."""
        rows = sorted(self._read(PostCube, ("post",), DETAIL_MEASURES), key=lambda r: (-(r["cases"] or 0), r["post"]))
        rows = rows[:limit]
        return [{"post": r["post"], **{m: r[m] or 0 for m in DETAIL_MEASURES}} for r in rows]

    @_memo
    def by_severity(self, totals: dict | None = None) -> list[dict]:
        totals = totals or self.totals()
        return [
            {"severity": value, "name": str(label), "cases": totals[key]}
            for (value, label), key in zip(Severity.choices, ("minor", "serious", "deaths"), strict=True)
        ]

    @_memo
    def ranking(self) -> list[dict]:
        """The child regions (towns and streets of a county) scored as seed 004 §3.1 has 市安委办 score them: the
        work-injury incidence rate, the safety-accident rate (accidents per 1,000 insured employees) and accidents
        per 100 million yuan of GDP. Each figure scores 100 for the best region and 0 for the worst (lower is
        better); the score is their mean over the figures a region has; best first."""
        regions = {r["region"]: r for r in self.by_region() if r["region"] is not None}
        accidents = {
            r["region"]: {"n": r["accidents"], "deaths": r["deaths"]}
            for r in self._read(AccidentCube, ("region",), ("accidents", "deaths"), children=True)
        }
        gdp = self._gdp(set(regions) | set(accidents))
        rows = []
        for pk in set(regions) | set(accidents):
            base = regions.get(pk) or {"region": pk, "cases": 0, "insured": 0, "incidence_rate": None}
            n = (accidents.get(pk) or {}).get("n") or 0
            rows.append(
                {
                    "region": pk,
                    "name": base.get("name", ""),
                    "code": base.get("code", ""),
                    "cases": base["cases"],
                    "insured": base["insured"],
                    "accidents": n,
                    "accident_deaths": (accidents.get(pk) or {}).get("deaths") or 0,
                    "gdp": gdp.get(pk),
                    "incidence_rate": base["incidence_rate"],
                    "accident_rate": rate(n, base["insured"]),
                    "accidents_per_gdp": round(n / float(gdp[pk]), 3) if gdp.get(pk) else None,
                }
            )
        figures = ("incidence_rate", "accident_rate", "accidents_per_gdp")
        for key in figures:
            values = [r[key] for r in rows if r[key] is not None]
            best, worst = (min(values), max(values)) if values else (None, None)
            for row in rows:
                value = row[key]
                if value is None:
                    row[f"{key}_score"] = None
                else:
                    row[f"{key}_score"] = 100.0 if worst == best else round(100 * (worst - value) / (worst - best), 1)
        for row in rows:
            scores = [row[f"{k}_score"] for k in figures if row[f"{k}_score"] is not None]
            row["score"] = round(sum(scores) / len(scores), 1) if scores else None
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
        names = dict(
            Region.objects.filter(pk__in=[r["region"] for r in rows if not r["name"]]).values_list("pk", "name")
        )
        for position, row in enumerate(rows, start=1):
            row["rank"] = position if row["score"] is not None else None
            row["name"] = row["name"] or names.get(row["region"], "")
        return rows

    def _gdp(self, region_ids) -> dict:
        """GDP of each region over the period (亿元): its own figure of each year, or else the sum of the regions
        under it; a year counts by the share of its months in the period."""
        months_in: dict[int, int] = defaultdict(int)
        month = self.sel.start
        while month <= self.sel.end:
            months_in[month.year] += 1
            month = add_months(month, 1)
        missing = set(region_ids) - set(self._paths)
        if missing:
            self._paths.update(Region.objects.filter(pk__in=missing).values_list("pk", "path"))
        under = Q(region__path__startswith=self.sel.region.path) if self.sel.region is not None else Q()
        entries = list(
            RegionGDP.objects.filter(under, year__in=list(months_in)).values_list(
                "region_id", "region__path", "year", "gdp"
            )
        )
        result = {}
        for pk in region_ids:
            path = self._paths.get(pk)
            if path is None:
                continue
            total = Decimal(0)
            for year, months in months_in.items():
                own = [g for rid, _p, y, g in entries if rid == pk and y == year]
                below = [g for rid, p, y, g in entries if rid != pk and y == year and p.startswith(path)]
                figure = own[0] if own else sum(below, Decimal(0))
                total += figure * months / 12
            if total:
                result[pk] = round(total, 2)
        return result

    @_memo
    def coverage(self) -> dict:
        """Work-injury insurance coverage of the region's key and dust industries: mean insured employees of the
        period against the employees of the operating enterprises now (targets: key ≥ 80 %, dust ≥ 90 %)."""
        result = {}
        for flag, target in (("key", 80), ("dust", 90)):
            stats = Stats(replace(self.sel, flag=flag), shared=self.shared)
            employees = stats._read(EnterpriseCube)[0]
            employees = {"n": employees["employees"], "e": employees["enterprises"]}
            insured = stats._insured(stats._read(InsuranceCube, ("year", "quarter"), ("insured",))).get(None, 0)
            result[flag] = {
                "enterprises": employees["e"] or 0,
                "employees": employees["n"] or 0,
                "insured": round(insured, 1),
                "share": _share(insured, employees["n"] or 0),
                "target": target,
            }
        return result

    @_memo
    def diseases(self, top: int = 10) -> dict:
        """New occupational-disease diagnoses of the period: total, pneumoconiosis and its share with fewer than
        5 years of exposure, the diseases with most cases, and by year the short-exposure share (seed 000)."""
        rows = [{**r, "n": r["cases"]} for r in self._read(DiseaseCube, ("disease", "short_exposure", "month__year"))]
        depth = self.sel.industry.depth + 1 if self.sel.industry is not None else 0
        by_class = [{**r, "n": r["cases"]} for r in self._read(DiseaseCube, ("industry",), industry_depth=depth)]
        diseases = {d.pk: d for d in OccupationalDisease.objects.filter(pk__in={r["disease"] for r in rows})}
        by_disease: dict = defaultdict(int)
        years: dict = defaultdict(lambda: [0, 0])
        total = dust = dust_short = 0
        for row in rows:
            disease = diseases.get(row["disease"])
            n = row["n"] or 0
            total += n
            by_disease[row["disease"]] += n
            if disease is not None and disease.is_pneumoconiosis:
                dust += n
                years[row["month__year"]][0] += n
                if row["short_exposure"]:
                    dust_short += n
                    years[row["month__year"]][1] += n
        top_rows = sorted(
            by_disease.items(), key=lambda kv: (-kv[1], diseases[kv[0]].code if kv[0] in diseases else "")
        )
        return {
            "cases": total,
            "pneumoconiosis": dust,
            "pneumoconiosis_short": dust_short,
            "short_share": _share(dust_short, dust),
            "by_disease": [
                {"disease": pk, "code": diseases[pk].code, "name": diseases[pk].name, "cases": n}
                for pk, n in top_rows[:top]
                if pk in diseases
            ],
            "by_industry": self._group_classes(by_class),
            "short_share_by_year": [
                {"year": year, "pneumoconiosis": v[0], "short": v[1], "share": _share(v[1], v[0])}
                for year, v in sorted(years.items())
            ],
        }

    def _group_classes(self, rows) -> list[dict]:
        """Rows of ``{"industry": class id, "n": count}`` summed by the selected industry's children (sections
        when none is selected)."""
        node = self.sel.industry
        depth = node.depth + 1 if node is not None else 0
        paths = dict(Industry.objects.filter(pk__in={r["industry"] for r in rows}).values_list("pk", "path"))
        totals: dict[str, int] = defaultdict(int)
        for row in rows:
            path = paths.get(row["industry"])
            if path:
                totals["/" + "/".join(path.strip("/").split("/")[: depth + 1]) + "/"] += row["n"] or 0
        nodes = {i.path: i for i in Industry.objects.filter(path__in=list(totals))}
        result = [
            {"industry": nodes[p].pk, "code": nodes[p].code, "name": nodes[p].name, "cases": n}
            for p, n in totals.items()
            if p in nodes
        ]
        return sorted(result, key=lambda r: (-r["cases"], r["code"]))

    def _insured(self, rows, key: str | None = None) -> dict:
        """Mean over the quarters with figures of the insured employees, per ``key`` (None: one total)."""
        per_quarter: dict = defaultdict(lambda: defaultdict(int))
        for row in rows:
            per_quarter[row[key] if key else None][(row["year"], row["quarter"])] += row["insured"] or 0
        return {k: sum(q.values()) / len(q) for k, q in per_quarter.items() if q}


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _share(part, whole) -> float | None:
    """Percentage, one decimal; None of nothing."""
    return round(part * 100 / whole, 1) if whole else None


def _case_sums() -> dict:
    return {m: Sum(m) for m in CASE_MEASURES}


def _sums(row: dict) -> dict:
    figures = {m: row.get(m) or 0 for m in CASE_MEASURES}
    figures["fund_payout"] = Decimal(figures["fund_payout"] or 0).quantize(Decimal("0.01"))
    return figures


def _with_rates(figures: dict, insured) -> dict:
    insured = round(insured, 1) if insured else 0
    return {
        **figures,
        "insured": insured,
        "incidence_rate": rate(figures["cases"], insured),
        "death_rate": rate(figures["deaths"], insured),
        "serious_rate": rate(figures["serious"], insured),
    }


__all__ = ["Selection", "Stats", "rate", "change"]


def enterprise_figures(enterprise, selection: Selection) -> dict:
    """One enterprise's figures over the selection's period, from its own cases and insurance quarters (a
    handful of rows), with the same measures and rates as the summary tables."""
    from django.utils import timezone as tz

    from enterprises.models import InsuranceSnapshot
    from incidents.models import InjuryCase

    start = tz.make_aware(datetime.datetime(selection.start.year, selection.start.month, 1))  # noqa: DTZ001
    following = add_months(selection.end, 1)
    end = tz.make_aware(datetime.datetime(following.year, following.month, 1))  # noqa: DTZ001
    cases = InjuryCase.objects.filter(enterprise=enterprise).in_period(start, end)
    figures = _sums(
        cases.aggregate(
            cases=Count("id"),
            minor=Count("id", filter=Q(severity="minor")),
            serious=Count("id", filter=Q(severity="serious")),
            deaths=Count("id", filter=Q(severity="fatal")),
            lost_workdays=Sum("lost_workdays"),
            fund_payout=Sum("fund_payout"),
        )
    )
    quarters = list(
        InsuranceSnapshot.objects.filter(selection.quarter_q(), enterprise=enterprise).values_list(
            "insured_employees", flat=True
        )
    )
    insured = sum(quarters) / len(quarters) if quarters else 0
    posts = list(cases.values("post").annotate(cases=Count("id")).order_by("-cases", "post")[:5])
    return {**_with_rates(figures, insured), "posts": posts}


# --- the quarterly exchange's tables (portal.exchange) ------------------------------------------------------------


class ExchangeFigures(Stats):
    """The figures of the consolidated quarterly report (DESIGN §3.4): per child region and, for the key industries,
    per child region × industry section; new occupational-disease cases and those with fewer than 5 years of
    exposure; safety accidents; the enterprises with most cases; per-project insurance of construction projects."""

    @_memo
    def region_extras(self) -> dict:
        """Per child region (and ``None``: the whole selection): enterprises and employees now, new
        occupational-disease cases (and short-exposure ones), safety accidents and their deaths."""
        result: dict = defaultdict(lambda: dict.fromkeys(EXTRA_MEASURES, 0))
        for children in (False, True):
            key = (lambda r: r["region"]) if children else (lambda r: None)
            groups = ("region",) if children else ()
            for row in self._read(EnterpriseCube, groups, children=children):
                result[key(row)]["enterprises"] += row["enterprises"] or 0
                result[key(row)]["employees"] += row["employees"] or 0
            for row in self._read(DiseaseCube, (*groups, "short_exposure"), children=children):
                result[key(row)]["disease_cases"] += row["cases"] or 0
                if row["short_exposure"]:
                    result[key(row)]["disease_short"] += row["cases"] or 0
            for row in self._read(AccidentCube, groups, ("accidents", "deaths"), children=children):
                result[key(row)]["accidents"] += row["accidents"] or 0
                result[key(row)]["accident_deaths"] += row["deaths"] or 0
        return {k: dict(v) for k, v in result.items()}

    @_memo
    def by_region_industry(self, depth: int = 0) -> list[dict]:
        """Child region × industry (sections by default) of the selection: cases, deaths, serious injuries, insured
        employees and the rates, enterprises, new occupational-disease cases and short-exposure ones; largest
        first. With ``flag="key"`` in the selection: the region's key industries only."""
        reads = {
            "cases": self._read(InjuryCube, ("region", "industry"), children=True, industry_depth=depth),
            "insured": self._read(
                InsuranceCube,
                ("region", "industry", "year", "quarter"),
                ("insured",),
                children=True,
                industry_depth=depth,
            ),
            "enterprises": self._read(EnterpriseCube, ("region", "industry"), children=True, industry_depth=depth),
            "diseases": self._read(
                DiseaseCube, ("region", "industry", "short_exposure"), children=True, industry_depth=depth
            ),
        }
        classes = {r["industry"] for rows in reads.values() for r in rows}
        paths = dict(Industry.objects.filter(pk__in=classes).values_list("pk", "path"))
        group_of = {pk: "/" + "/".join(p.strip("/").split("/")[: depth + 1]) + "/" for pk, p in paths.items()}
        cells: dict = defaultdict(lambda: {**_sums({}), **dict.fromkeys(EXTRA_MEASURES, 0)})
        quarters: dict = defaultdict(lambda: defaultdict(int))
        for row in reads["cases"]:
            target = cells[(row["region"], group_of[row["industry"]])]
            for key in CASE_MEASURES:
                target[key] += row[key] or 0
        for row in reads["insured"]:
            quarters[(row["region"], group_of[row["industry"]])][(row["year"], row["quarter"])] += row["insured"] or 0
        for row in reads["enterprises"]:
            target = cells[(row["region"], group_of[row["industry"]])]
            target["enterprises"] += row["enterprises"] or 0
            target["employees"] += row["employees"] or 0
        for row in reads["diseases"]:
            target = cells[(row["region"], group_of[row["industry"]])]
            target["disease_cases"] += row["cases"] or 0
            if row["short_exposure"]:
                target["disease_short"] += row["cases"] or 0
        for key in quarters:
            cells[key]  # noqa: B018 - a cell with insured employees only
        regions = dict(Region.objects.filter(pk__in={r for r, _p in cells}).values_list("pk", "name"))
        codes = dict(Region.objects.filter(pk__in={r for r, _p in cells}).values_list("pk", "code"))
        nodes = {i.path: i for i in Industry.objects.filter(path__in={p for _r, p in cells})}
        result = []
        for (region, path), figures in cells.items():
            if path not in nodes or region not in regions:
                continue
            q = quarters.get((region, path))
            insured = sum(q.values()) / len(q) if q else None
            result.append(
                {
                    "region": region,
                    "region_name": regions[region],
                    "region_code": codes[region],
                    "industry": nodes[path].pk,
                    "industry_code": nodes[path].code,
                    "industry_name": nodes[path].name,
                    **_with_rates(figures, insured),
                }
            )
        result.sort(key=lambda r: (r["region_code"], -r["cases"], r["industry_code"]))
        return result

    @_memo
    def top_enterprises(self, limit: int = 10) -> list[dict]:
        """The enterprises with most work-injury cases in the period (from the cases: the summary tables do not
        hold enterprises), with their deaths and serious injuries."""
        from enterprises.models import Enterprise
        from incidents.models import InjuryCase

        start, end = cubes.month_bounds(self.sel.start)[0], cubes.month_bounds(self.sel.end)[1]
        cases = InjuryCase.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        if self.sel.region is not None:
            cases = cases.in_region(self.sel.region)
        if self.sel.flag:
            cases = cases.filter(cubes.flag_q(self.sel.flag))
        rows = list(
            cases.values("enterprise")
            .annotate(
                cases=Count("id"),
                serious=Count("id", filter=Q(severity="serious")),
                deaths=Count("id", filter=Q(severity="fatal")),
            )
            .order_by("-cases", "-deaths", "enterprise")[:limit]
        )
        found = Enterprise.objects.filter(pk__in=[r["enterprise"] for r in rows]).values(
            "pk", "name", "credit_code", "region__name", "industry__code", "industry__name"
        )
        enterprises = {e["pk"]: e for e in found}
        return [
            {
                "enterprise": r["enterprise"],
                "name": enterprises[r["enterprise"]]["name"],
                "credit_code": enterprises[r["enterprise"]]["credit_code"],
                "region_name": enterprises[r["enterprise"]]["region__name"],
                "industry_code": enterprises[r["enterprise"]]["industry__code"],
                "industry_name": enterprises[r["enterprise"]]["industry__name"],
                "cases": r["cases"],
                "serious": r["serious"],
                "deaths": r["deaths"],
            }
            for r in rows
            if r["enterprise"] in enterprises
        ]

    def project_coverage(self) -> dict:
        """Construction projects started in the period and those insured per project (按项目参保), in total
        (``None``) and per child region; ``share``: insured projects in percent. Read from the projects each time
        (a few thousand rows a quarter; not cached: the summary tables do not cover them)."""
        from enterprises.models import ConstructionProject

        projects = ConstructionProject.objects.filter(
            started_on__gte=self.sel.start, started_on__lt=add_months(self.sel.end, 1)
        )
        if self.sel.region is not None:
            projects = projects.in_region(self.sel.region)
        rows = list(
            projects.values("region")
            .annotate(
                projects=Count("id"),
                insured=Count("id", filter=Q(insured_on__isnull=False)),
                workers=Sum("workers"),
                insured_workers=Sum("insured_workers"),
            )
            .order_by()
        )
        depth = self.sel.region.depth + 1 if self.sel.region is not None else 0
        paths = dict(Region.objects.filter(pk__in={r["region"] for r in rows}).values_list("pk", "path"))
        child_paths = {pk: "/" + "/".join(p.strip("/").split("/")[: depth + 1]) + "/" for pk, p in paths.items()}
        child_ids = dict(Region.objects.filter(path__in=set(child_paths.values())).values_list("path", "pk"))
        result: dict = defaultdict(lambda: dict.fromkeys(PROJECT_MEASURES, 0))
        for row in rows:
            path = paths.get(row["region"], "")
            child = child_ids.get(child_paths.get(row["region"])) if path.count("/") - 1 > depth else None
            for target in {None, child} if child is not None else (None,):
                for key in PROJECT_MEASURES:
                    result[target][key] += row[key] or 0
        return {k: {**v, "share": _share(v["insured"], v["projects"])} for k, v in result.items()}


EXTRA_MEASURES = ("enterprises", "employees", "disease_cases", "disease_short", "accidents", "accident_deaths")
PROJECT_MEASURES = ("projects", "insured", "workers", "insured_workers")
