"""The dashboard (工伤数据智控): KPI tiles, trend, breakdowns by region and industry, each chart with its table,
drillable, linked to the matching case list and downloadable as XLSX. Same selection and scope as the API."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from portal import audit, exports
from portal.reference.models import Region
from portal.services import create_object
from portal.views import PortalPermissionMixin, ScopedCreateView, ScopedDeleteView, ScopedUpdateView

from . import targets
from .forms import RegionGDPForm, SelectionForm, TargetForm, default_period
from .labels import BREAKDOWN_COLUMNS, DOWNLOADS, KPIS
from .models import CubeState, RegionGDP, Target
from .stats import Selection, Stats, add_months


class DashboardView(PortalPermissionMixin, TemplateView):
    permission_required = "analysis.view_statistics"
    template_name = "analysis/dashboard.html"

    def get(self, request, *args, **kwargs):
        form = SelectionForm(request.GET, user=request.user)
        if form.is_valid():
            selection = form.selection()
        else:
            start, end = default_period()
            selection = Selection(start, end, region=request.user.region)
        stats = Stats(selection)
        download = request.GET.get("download")
        if download in DOWNLOADS:
            return self.download(selection, stats, download)
        return self.render_to_response(self.get_context_data(form=form, selection=selection, stats=stats))

    def get_context_data(self, *, form, selection, stats, **kwargs):
        ctx = super().get_context_data(**kwargs)
        summary = stats.summary()
        granularity = form.cleaned_data.get("granularity") if form.is_valid() else None
        by_region, by_industry, trend = stats.by_region(), stats.by_industry(), stats.trend(granularity or "month")
        by_type, by_post = stats.by_accident_type(), stats.by_post()
        by_severity = stats.by_severity(summary["current"])

        cases_url = reverse("incidents:injurycase_list")
        base = self._case_filters(selection)
        diseases = stats.diseases()
        disease_url = reverse("incidents:occupationaldiseasecase_list")
        disease_base = {k: v for k, v in base.items() if not k.startswith("occurred_")}
        disease_base.update(diagnosed_from=base["occurred_from"], diagnosed_to=base["occurred_to"])
        for row in diseases["by_disease"]:
            row["cases_url"] = f"{disease_url}?{urlencode({**disease_base, 'disease': row['disease']})}"
        for row in by_region:
            row["cases_url"] = f"{cases_url}?{urlencode({**base, 'region': row['region']})}" if row["region"] else ""
            row["drill_url"] = self._url(selection, region=row["region"]) if row["region"] else ""
        for row in by_industry:
            row["cases_url"] = f"{cases_url}?{urlencode({**base, 'industry': row['industry']})}"
            row["drill_url"] = self._url(selection, industry=row["industry"])
        for row in by_type:
            row["cases_url"] = f"{cases_url}?{urlencode({**base, 'accident_type': row['accident_type']})}"
        for row in by_post:
            row["cases_url"] = f"{cases_url}?{urlencode({**base, 'post': row['post']})}"
        for row in by_severity:
            row["cases_url"] = f"{cases_url}?{urlencode({**base, 'severity': row['severity']})}"
        for row in trend:
            month = {"occurred_from": row["month"].isoformat(), "occurred_to": _last_day(row["last_month"]).isoformat()}
            row["cases_url"] = f"{cases_url}?{urlencode({**base, **month})}"
        current = summary["current"]
        ctx.update(
            form=form,
            selection=selection,
            kpis=[
                {
                    "key": key,
                    "label": label,
                    "value": current[key],
                    "change_last_year": summary["change_last_year"][key],
                    "change_previous": summary["change_previous"][key],
                }
                for key, label in KPIS
            ],
            summary=summary,
            trend=trend,
            by_region=by_region,
            by_industry=by_industry,
            by_type=by_type,
            by_post=by_post,
            by_severity=by_severity,
            diseases=diseases,
            coverage=stats.coverage(),
            ranking=stats.ranking(),
            gdp_url=reverse("analysis:gdp_list"),
            columns=BREAKDOWN_COLUMNS,
            breadcrumbs=self._breadcrumbs(selection),
            cases_url=f"{cases_url}?{urlencode(base)}",
            chart_data={
                "trend": [{"label": r["label"], "value": r["cases"], "url": r["cases_url"]} for r in trend],
                "by_region": [
                    {"label": r["name"], "value": r["cases"], "url": r["cases_url"]}
                    for r in by_region
                    if r["cases_url"]
                ],
                "by_industry": [
                    {"label": f"{r['code']} {r['name']}", "value": r["cases"], "url": r["cases_url"]}
                    for r in by_industry
                ],
                "by_type": [
                    {"label": f"{r['code']} {r['name']}", "value": r["cases"], "url": r["cases_url"]} for r in by_type
                ],
                "by_post": [{"label": r["post"], "value": r["cases"], "url": r["cases_url"]} for r in by_post],
                "by_severity": [{"label": r["name"], "value": r["cases"], "url": r["cases_url"]} for r in by_severity],
            },
            downloads={name: self._url(selection, download=name) for name in DOWNLOADS},
            as_of=getattr(CubeState.objects.filter(name="injury").first(), "refreshed_at", None),
            progress=[
                targets.progress(t, selection.region, shared=stats.shared) for t in targets.applicable(selection.region)
            ],
            targets_url=reverse("analysis:target_list"),
        )
        return ctx

    # --- links ---

    @staticmethod
    def _params(selection: Selection, **changes) -> dict:
        params = {"start": f"{selection.start:%Y-%m}", "end": f"{selection.end:%Y-%m}"}
        if selection.region is not None:
            params["region"] = selection.region.pk
        if selection.industry is not None:
            params["industry"] = selection.industry.pk
        if selection.flag:
            params["flag"] = selection.flag
        params.update({k: v for k, v in changes.items() if v is not None})
        return params

    def _url(self, selection: Selection, **changes) -> str:
        granularity = self.request.GET.get("granularity")
        if granularity in ("quarter", "year"):
            changes.setdefault("granularity", granularity)
        return f"{reverse('analysis:dashboard')}?{urlencode(self._params(selection, **changes))}"

    @staticmethod
    def _case_filters(selection: Selection) -> dict:
        params = {"occurred_from": selection.start.isoformat(), "occurred_to": _last_day(selection.end).isoformat()}
        if selection.region is not None:
            params["region"] = selection.region.pk
        if selection.industry is not None:
            params["industry"] = selection.industry.pk
        if selection.flag:
            params["industry_group"] = selection.flag
        return params

    def _breadcrumbs(self, selection: Selection) -> list[dict]:
        """From the user's own region (or the country) down to the selected region, each a link."""
        own = self.request.user.region
        crumbs = [] if own is not None else [{"name": _("Whole country"), "url": self._url(selection, region="")}]
        if selection.region is not None:
            chain = list(Region.objects.ancestors_of(selection.region, include_self=True))
            for region in chain:
                if own is None or region.is_within(own):
                    crumbs.append({"name": region.name, "url": self._url(selection, region=region.pk)})
        return crumbs

    # --- downloads ---

    def download(self, selection: Selection, stats: Stats, name: str):
        """One chart's table as XLSX (the trend has no insured column: insured figures are quarterly)."""
        measures = BREAKDOWN_COLUMNS
        if name == "trend":
            columns = [exports.Column(_("Period"), lambda r: r["label"])]
            rows = stats.trend(self.request.GET.get("granularity") or "month")
            measures = [(k, label) for k, label in BREAKDOWN_COLUMNS if k not in ("insured", "incidence_rate")]
        elif name == "by_region":
            columns = [exports.Column(_("Region"), lambda r: r["name"])]
            rows = stats.by_region()
        elif name == "ranking":
            columns = [
                exports.Column(label, _getter(key))
                for key, label in (
                    ("rank", _("Rank")),
                    ("name", _("Region")),
                    ("incidence_rate", _("Incidence per 1,000 insured")),
                    ("accidents", _("Safety accidents")),
                    ("accident_rate", _("Accidents per 1,000 insured")),
                    ("gdp", _("GDP (100 million yuan)")),
                    ("accidents_per_gdp", _("Accidents per 100 million yuan GDP")),
                    ("score", _("Score")),
                )
            ]
            rows, measures = stats.ranking(), []
        elif name in ("by_type", "by_post"):
            if name == "by_type":
                columns = [
                    exports.Column(_("GB 6441 edition"), lambda r: r["edition"]),
                    exports.Column(_("accident type code"), lambda r: r["code"]),
                    exports.Column(_("accident type"), lambda r: r["name"]),
                ]
                rows = stats.by_accident_type()
            else:
                columns = [exports.Column(_("post"), lambda r: r["post"])]
                rows = stats.by_post(limit=1000)
            measures = [(k, label) for k, label in BREAKDOWN_COLUMNS if k in ("cases", "serious", "deaths")]
        else:
            columns = [
                exports.Column(_("Industry code"), lambda r: r["code"]),
                exports.Column(_("Industry"), lambda r: r["name"]),
            ]
            rows = stats.by_industry()
        columns += [exports.Column(label, _getter(key)) for key, label in measures]
        title = f"{_('Statistics')} {selection.start:%Y%m}-{selection.end:%Y%m}"
        audit.record(
            actor=self.request.user, verb="export", note=f"statistics {name} {self.request.GET.urlencode()}"[:500]
        )
        data = ([c.value(r) for c in columns] for r in rows)
        return exports.xlsx_response(f"{title}-{name}.xlsx", title, columns, data)


def _getter(key):
    return lambda row: row.get(key)


def _last_day(month):
    return add_months(month, 1) - datetime.timedelta(days=1)


class TargetListView(PortalPermissionMixin, TemplateView):
    """The targets that apply to the user's region with its progress, and the targets set under it."""

    permission_required = "analysis.view_target"
    template_name = "analysis/target_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        visible = Target.objects.visible_to(user).select_related("region", "owner_agency")
        editable = set(Target.objects.editable_by(user).values_list("pk", flat=True))
        applying = list(targets.applicable(user.region))
        return {
            **super().get_context_data(**kwargs),
            "progress": [targets.progress(t, user.region) for t in applying],
            "below": [t for t in visible if t not in applying],
            "editable": editable,
            "can_add": user.has_perm("analysis.add_target") and user.agency_id is not None,
        }


class TargetCreateView(ScopedCreateView):
    model = Target
    form_class = TargetForm
    success_url = reverse_lazy("analysis:target_list")

    def create(self, form):
        return create_object(
            actor=self.request.user, model=Target, data={**form.cleaned_data, "owner_agency": self.request.user.agency}
        )


class TargetUpdateView(ScopedUpdateView):
    model = Target
    form_class = TargetForm
    success_url = reverse_lazy("analysis:target_list")


class TargetDeleteView(ScopedDeleteView):
    model = Target
    success_url = reverse_lazy("analysis:target_list")


class BriefingView(PortalPermissionMixin, TemplateView):
    """上一年度工伤事故总体形势: the briefing of a year for the user's region (or one under it), as a page or
    ``?format=pdf``."""

    permission_required = "analysis.view_statistics"
    template_name = "analysis/briefing.html"

    def get(self, request, *args, **kwargs):
        from portal.pdf import pdf_response

        from . import briefing

        user = request.user
        this_year = timezone.localdate().year
        try:
            year = int(request.GET.get("year") or this_year - 1)
        except ValueError:
            year = this_year - 1
        year = max(2000, min(year, this_year))
        region = user.region
        if request.GET.get("region"):
            region = get_object_or_404(Region, pk=request.GET["region"]) if request.GET["region"].isdigit() else None
            if region is None or (user.region is not None and not region.is_within(user.region)):
                raise Http404
        result = briefing.build(year, region)
        if request.GET.get("format") == "pdf":
            author = user.agency.name if user.agency_id else ""
            audit.record(actor=user, verb="export", note=f"briefing {year} {region.code if region else ''} pdf")
            name = f"{year}年工伤事故总体形势-{result.region_name}.pdf"
            return pdf_response(briefing.pdf(result, author), name)
        where = {"region": region.pk} if region is not None else {}
        period = {"start": f"{year}-01", "end": f"{year}-12"}
        return self.render_to_response(
            self.get_context_data(
                briefing=result,
                years=list(range(this_year, this_year - 10, -1)),
                pdf_url=f"{reverse('analysis:briefing')}?{urlencode({'year': year, **where, 'format': 'pdf'})}",
                dashboard_url=f"{reverse('analysis:dashboard')}?{urlencode({**period, **where})}",
            )
        )


class RegionGDPListView(PortalPermissionMixin, TemplateView):
    """GDP figures of the regions in the user's scope, latest years first."""

    permission_required = "analysis.view_regiongdp"
    template_name = "analysis/gdp_list.html"

    def get_context_data(self, **kwargs):
        from portal import imports

        user = self.request.user
        spec = imports.get_spec("analysis.regiongdp")
        return {
            **super().get_context_data(**kwargs),
            "figures": RegionGDP.objects.visible_to(user).select_related("region", "owner_agency")[:500],
            "editable": set(RegionGDP.objects.editable_by(user).values_list("pk", flat=True)),
            "can_add": user.has_perm("analysis.add_regiongdp") and user.agency_id is not None,
            "import_url": reverse("imports:import_upload", args=[spec.kind]) if spec.may_import(user) else "",
        }


class RegionGDPCreateView(ScopedCreateView):
    model = RegionGDP
    form_class = RegionGDPForm
    success_url = reverse_lazy("analysis:gdp_list")

    def create(self, form):
        return create_object(
            actor=self.request.user,
            model=RegionGDP,
            data={**form.cleaned_data, "owner_agency": self.request.user.agency},
        )


class RegionGDPUpdateView(ScopedUpdateView):
    model = RegionGDP
    form_class = RegionGDPForm
    success_url = reverse_lazy("analysis:gdp_list")


class EnterpriseStatisticsView(PortalPermissionMixin, TemplateView):
    """A safety officer's view: the enterprise's cases and rate against its industry in the county and its town."""

    permission_required = "analysis.view_own_statistics"
    template_name = "analysis/enterprise.html"

    def get_context_data(self, **kwargs):
        from .stats import enterprise_figures

        enterprise = self.request.user.enterprise
        if enterprise is None:
            raise Http404
        form = SelectionForm(self.request.GET, user=self.request.user)
        start, end = default_period()
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        town = enterprise.region
        county = next((r for r in Region.objects.ancestors_of(town, include_self=True) if r.level == "county"), town)
        industry = Selection(start, end, region=county, industry=enterprise.industry)
        own = enterprise_figures(enterprise, Selection(start, end))
        comparisons = [
            {"label": _("This enterprise"), **own},
            {
                "label": _("%(industry)s in %(region)s")
                % {"industry": enterprise.industry.name, "region": county.name},
                **Stats(industry).totals(),
            },
            {
                "label": _("All industries in %(region)s") % {"region": town.name},
                **Stats(Selection(start, end, region=town)).totals(),
            },
        ]
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "enterprise": enterprise,
            "start": start,
            "end": end,
            "comparisons": comparisons,
            "posts": own["posts"],
            "above_average": own["incidence_rate"] is not None
            and comparisons[1]["incidence_rate"] is not None
            and own["incidence_rate"] > comparisons[1]["incidence_rate"],
        }
