"""上一年度工伤事故总体形势 (seed 004 §2.1.2): the situation briefing for the start-of-year joint meeting —
totals and their change, key industries and enterprises, main causes and posts, the towns, target progress —
as a page and a PDF. Every figure comes from the statistics service, except the enterprise ranking, which is
read from the region's cases of the year."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from incidents.models import InjuryCase
from portal.reference.models import Region

from . import targets
from .labels import KPIS
from .stats import Selection, Stats


@dataclass
class Briefing:
    year: int
    region: Region | None
    totals: dict
    previous: dict
    changes: dict
    key: dict
    key_previous: dict
    industries: list
    enterprises: list
    causes: list
    posts: list
    regions: list
    progress: list = field(default_factory=list)

    @property
    def figure_rows(self) -> list[dict]:
        return [
            {"label": label, "now": self.totals[key], "before": self.previous[key], "change": self.changes[key]}
            for key, label in KPIS
        ]

    @property
    def region_name(self) -> str:
        return self.region.name if self.region is not None else _("Whole country")

    def summary_text(self) -> str:
        t, c = self.totals, self.changes
        text = _(
            "In %(year)s, %(region)s recorded %(cases)s work-injury cases: %(deaths)s deaths and %(serious)s serious "
            "injuries, %(lost)s lost workdays and %(payout)s yuan paid by the fund."
        ) % {
            "year": self.year,
            "region": self.region_name,
            "cases": t["cases"],
            "deaths": t["deaths"],
            "serious": t["serious"],
            "lost": t["lost_workdays"],
            "payout": t["fund_payout"],
        }
        if c["cases"] is not None:
            text += _("Cases changed by %(change)s%% on the year before.") % {"change": _signed(c["cases"])}
        if t["incidence_rate"] is not None:
            text += _("The incidence rate was %(rate)s per 1,000 insured employees.") % {"rate": t["incidence_rate"]}
        return text

    def key_text(self) -> str:
        k, p = self.key, self.key_previous
        text = _("Key industries: %(cases)s cases, %(deaths)s deaths, incidence %(rate)s per 1,000 insured.") % {
            "cases": k["cases"],
            "deaths": k["deaths"],
            "rate": k["incidence_rate"] if k["incidence_rate"] is not None else "—",
        }
        if k["incidence_rate"] is not None and p["incidence_rate"]:
            change = round((k["incidence_rate"] - p["incidence_rate"]) * 100 / p["incidence_rate"], 1)
            text += _("The key-industry rate changed by %(change)s%% on the year before.") % {"change": _signed(change)}
        return text


def _signed(value) -> str:
    return f"+{value}" if value > 0 else f"{value}"


def build(year: int, region: Region | None, *, top: int = 10) -> Briefing:
    selection = Selection.year(year, region=region)
    stats = Stats(selection)
    summary = stats.summary()
    key = Stats(Selection.year(year, region=region, flag="key"))
    key_previous = Stats(Selection.year(year - 1, region=region, flag="key"))
    start = datetime.date(year, 1, 1)
    cases = InjuryCase.objects.in_period(*_year_bounds(year))
    if region is not None:
        cases = cases.filter(enterprise__region__path__startswith=region.path)
    enterprises = list(
        cases.values("enterprise", "enterprise__name", "enterprise__industry__name")
        .annotate(cases=Count("id"), deaths=Count("id", filter=Q(severity="fatal")), lost=Sum("lost_workdays"))
        .order_by("-cases", "-deaths", "enterprise__name")[:top]
    )
    return Briefing(
        year=start.year,
        region=region,
        totals=summary["current"],
        previous=summary["last_year"],
        changes=summary["change_last_year"],
        key=key.totals(),
        key_previous=key_previous.totals(),
        industries=stats.by_industry(depth=1)[:top],
        enterprises=enterprises,
        causes=stats.by_accident_type()[:5],
        posts=stats.by_post(limit=5),
        regions=stats.by_region(),
        progress=[targets.progress(t, region) for t in targets.applicable(region)],
    )


def _year_bounds(year: int):
    from django.utils import timezone

    start = timezone.make_aware(datetime.datetime(year, 1, 1))  # noqa: DTZ001 - made aware here
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))  # noqa: DTZ001
    return start, end


def pdf(briefing: Briefing, author: str) -> bytes:
    from portal.pdf import PdfDocument

    title = _("Work-injury situation in %(year)s: %(region)s") % {
        "year": briefing.year,
        "region": briefing.region_name,
    }
    doc = PdfDocument(title=title, author=author, header_text=title)
    doc.heading(title, level=1)
    doc.heading(_("Overall situation"), level=2)
    doc.paragraph(briefing.summary_text())
    doc.paragraph(briefing.key_text())
    doc.table(
        [_("Figure"), str(briefing.year), str(briefing.year - 1), _("Change")],
        [[str(r["label"]), _fmt(r["now"]), _fmt(r["before"]), _fmt_change(r["change"])] for r in briefing.figure_rows],
        col_widths=[4, 2, 2, 2],
        col_align=["left", "right", "right", "right"],
    )
    if briefing.industries:
        doc.heading(_("Industries with most cases"), level=2)
        doc.table(
            [_("Industry"), _("Cases"), _("Deaths"), _("Incidence per 1,000 insured")],
            [
                [f"{r['code']} {r['name']}", r["cases"], r["deaths"], _fmt(r["incidence_rate"])]
                for r in briefing.industries
            ],
            col_widths=[5, 1.5, 1.5, 2],
            col_align=["left", "right", "right", "right"],
        )
    if briefing.enterprises:
        doc.heading(_("Enterprises with most cases"), level=2)
        doc.table(
            [_("Enterprise"), _("Industry"), _("Cases"), _("Deaths"), _("Lost workdays")],
            [
                [e["enterprise__name"], e["enterprise__industry__name"], e["cases"], e["deaths"], e["lost"] or 0]
                for e in briefing.enterprises
            ],
            col_widths=[4, 3, 1, 1, 1.5],
            col_align=["left", "left", "right", "right", "right"],
        )
    if briefing.causes or briefing.posts:
        doc.heading(_("Main causes and posts"), level=2)
        if briefing.causes:
            doc.table(
                [_("accident type"), _("Cases"), _("Deaths")],
                [[f"{r['code']} {r['name']}", r["cases"], r["deaths"]] for r in briefing.causes],
                col_widths=[5, 1.5, 1.5],
                col_align=["left", "right", "right"],
            )
        if briefing.posts:
            doc.table(
                [_("post"), _("Cases"), _("Deaths")],
                [[r["post"], r["cases"], r["deaths"]] for r in briefing.posts],
                col_widths=[5, 1.5, 1.5],
                col_align=["left", "right", "right"],
            )
    if briefing.regions:
        doc.heading(_("By region"), level=2)
        doc.table(
            [_("Region"), _("Cases"), _("Deaths"), _("Insured employees"), _("Incidence per 1,000 insured")],
            [
                [r["name"], r["cases"], r["deaths"], _fmt(r["insured"]), _fmt(r["incidence_rate"])]
                for r in briefing.regions
            ],
            col_widths=[4, 1.5, 1.5, 2, 2],
            col_align=["left", "right", "right", "right", "right"],
        )
    if briefing.progress:
        doc.heading(_("Targets"), level=2)
        for item in briefing.progress:
            doc.paragraph(_progress_text(item))
    return doc.build()


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _fmt_change(value) -> str:
    return "—" if value is None else f"{_signed(value)}%"


def _progress_text(item) -> str:
    where = item.target.region.name if item.target.region_id else _("national")
    status = {
        "achieved": _("Achieved"),
        "on_track": _("On track"),
        "behind": _("Behind"),
        "no_data": _("No figures"),
    }[item.status]
    return _(
        "%(where)s: %(metric)s down %(pct)s%% on %(base)s by %(year)s. Rate %(base)s: %(baseline)s; %(now_year)s: "
        "%(current)s; required: %(required)s. %(status)s."
    ) % {
        "where": where,
        "metric": item.target.get_metric_display(),
        "pct": item.target.reduction_percent,
        "base": item.target.baseline_year,
        "year": item.target.target_year,
        "baseline": _fmt(item.baseline_rate),
        "now_year": item.year,
        "current": _fmt(item.current_rate),
        "required": _fmt(item.required_rate),
        "status": status,
    }
