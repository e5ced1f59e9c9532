"""The consolidated quarterly report's figures (DESIGN §3.4), all from the statistics service
(``incidents.analysis.stats``), as one JSON-safe dict: the snapshot a report version keeps and its files render.

The dict holds nothing that changes between two runs on the same data (no time of generation), so its SHA-256 —
the report's fingerprint — tells whether a run found anything new."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import replace
from decimal import Decimal

from django.utils import timezone

from incidents.analysis.stats import ExchangeFigures, Selection, change
from portal.reference.models import Region

from .models import quarter_bounds
from .selectors import board

SCHEMA_VERSION = 1
CHANGE_KEYS = ("cases", "deaths", "serious", "incidence_rate", "insured")


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _figures(row: dict, keys) -> dict:
    return {k: _plain(row.get(k)) for k in keys}


CASE_KEYS = ("cases", "serious", "deaths", "insured", "incidence_rate", "death_rate", "serious_rate")
EXTRA_KEYS = ("enterprises", "employees", "disease_cases", "disease_short", "accidents", "accident_deaths")
PROJECT_KEYS = ("projects", "insured", "workers", "insured_workers", "share")


def selection(region, year: int, quarter: int) -> Selection:
    start, end = quarter_bounds(year, quarter)
    return Selection(start, end.replace(day=1), region=region)


def figures(region, year: int, quarter: int) -> dict:
    """The statistics service's answers the report is made of (every query the report runs on the data, apart from
    the agencies' confirmations): what ``bench/exchange.py`` times as "the statistics queries alone"."""
    sel = selection(region, year, quarter)
    stats = ExchangeFigures(sel)
    previous, last_year = ExchangeFigures(sel.previous()), ExchangeFigures(sel.last_year())
    key_stats = ExchangeFigures(replace(sel, flag="key"))
    return {
        "summary": stats.summary(),
        "extras": stats.region_extras(),
        "extras_previous": previous.region_extras(),
        "extras_last_year": last_year.region_extras(),
        "projects": stats.project_coverage(),
        "regions": stats.by_region(),
        "regions_previous": previous.by_region(),
        "regions_last_year": last_year.by_region(),
        "region_industries": key_stats.by_region_industry(0),
        "key_industries": key_stats.by_industry(depth=0),
        "top_enterprises": stats.top_enterprises(10),
    }


def content(region, year: int, quarter: int, today: datetime.date | None = None) -> dict:
    """Every figure of the report of ``region``'s quarter (None: the whole country, for a national summary)."""
    today = today or timezone.localdate()
    found = figures(region, year, quarter)
    summary, extras, projects = found["summary"], found["extras"], found["projects"]
    extras_previous, extras_last_year = found["extras_previous"], found["extras_last_year"]
    empty_projects = dict.fromkeys(PROJECT_KEYS, 0) | {"share": None}

    totals = {
        **_figures(summary["current"], CASE_KEYS),
        **_figures(extras.get(None, {}), EXTRA_KEYS),
        "projects": _figures(projects.get(None, empty_projects), PROJECT_KEYS),
        "previous": {
            **_figures(summary["previous"], CASE_KEYS),
            **_figures(extras_previous.get(None, {}), EXTRA_KEYS),
        },
        "last_year": {
            **_figures(summary["last_year"], CASE_KEYS),
            **_figures(extras_last_year.get(None, {}), EXTRA_KEYS),
        },
        "change_previous": {k: summary["change_previous"].get(k) for k in CHANGE_KEYS if k != "insured"},
        "change_last_year": {k: summary["change_last_year"].get(k) for k in CHANGE_KEYS if k != "insured"},
    }
    for key in ("disease_cases", "accidents"):
        totals["change_previous"][key] = change(totals[key], totals["previous"].get(key))
        totals["change_last_year"][key] = change(totals[key], totals["last_year"].get(key))

    before = {r["region"]: r for r in found["regions_previous"]}
    year_ago = {r["region"]: r for r in found["regions_last_year"]}
    regions = []
    for row in found["regions"]:
        pk = row["region"]
        p, y = before.get(pk, {}), year_ago.get(pk, {})
        regions.append(
            {
                "code": row["code"],
                "name": row["name"],
                **_figures(row, CASE_KEYS),
                **_figures(extras.get(pk, {}) if pk is not None else {}, EXTRA_KEYS),
                "projects": _figures(
                    projects.get(pk, empty_projects) if pk is not None else empty_projects, PROJECT_KEYS
                ),
                "cases_previous": p.get("cases", 0),
                "cases_last_year": y.get("cases", 0),
                "change_previous": change(row["cases"], p.get("cases")),
                "change_last_year": change(row["cases"], y.get("cases")),
                "rate_previous": p.get("incidence_rate"),
                "rate_last_year": y.get("incidence_rate"),
            }
        )
    known = {r["code"] for r in regions}
    # Regions with diseases, accidents or enterprises but no insured employees or cases: named in one query.
    children = {
        r["pk"]: r for r in Region.objects.filter(pk__in=[pk for pk in extras if pk]).values("pk", "code", "name")
    }
    for pk, extra in extras.items():
        child = children.get(pk)
        if child and child["code"] not in known:
            regions.append(
                {
                    "code": child["code"],
                    "name": child["name"],
                    **dict.fromkeys(CASE_KEYS, 0),
                    "incidence_rate": None,
                    "death_rate": None,
                    "serious_rate": None,
                    **_figures(extra, EXTRA_KEYS),
                    "projects": _figures(projects.get(pk, empty_projects), PROJECT_KEYS),
                    "cases_previous": 0,
                    "cases_last_year": 0,
                    "change_previous": None,
                    "change_last_year": None,
                    "rate_previous": None,
                    "rate_last_year": None,
                }
            )
    regions.sort(key=lambda r: (r["code"] == "", r["code"]))

    industry_rows = [
        {
            "region_code": r["region_code"],
            "region_name": r["region_name"],
            "industry_code": r["industry_code"],
            "industry_name": r["industry_name"],
            **_figures(r, CASE_KEYS),
            **_figures(r, EXTRA_KEYS[:4]),
        }
        for r in found["region_industries"]
    ]
    key_industries = [{"code": r["code"], "name": r["name"], **_figures(r, CASE_KEYS)} for r in found["key_industries"]]
    top = [
        {
            k: r[k]
            for k in (
                "credit_code",
                "name",
                "region_name",
                "industry_code",
                "industry_name",
                "cases",
                "serious",
                "deaths",
            )
        }
        for r in found["top_enterprises"]
    ]
    agencies = [
        {
            "name": r["agency"].name,
            "kind": r["agency"].kind,
            "region_code": r["agency"].region.code,
            "data": r["kinds"],
            "due_on": r["due_on"].isoformat() if r["due_on"] else None,
            "status": r["status"],
            "confirmed_at": _plain(timezone.localtime(r["confirmation"].confirmed_at))
            if r["confirmation"] and r["confirmation"].is_locked
            else None,
            "first_confirmed_at": _plain(timezone.localtime(r["confirmation"].first_confirmed_at))
            if r["confirmation"]
            else None,
            "times_confirmed": r["confirmation"].times_confirmed if r["confirmation"] else 0,
            "records": r["confirmation"].counts if r["confirmation"] and r["confirmation"].is_locked else {},
        }
        for r in board(region, year, quarter, today)
    ]
    start, end = quarter_bounds(year, quarter)
    return {
        "schema_version": SCHEMA_VERSION,
        "region": {"code": region.code, "name": region.name} if region is not None else {"code": "", "name": "全国"},
        "year": year,
        "quarter": quarter,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "totals": totals,
        "regions": regions,
        "key_industries": key_industries,
        "region_industries": industry_rows,
        "top_enterprises": top,
        "agencies": agencies,
    }


def fingerprint(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()
