"""Staff pages of the loop's screening side: the overview, the thresholds (versioned, previewed before they are
published), screenings and their results, the "why is this enterprise listed" page, outcomes and recognition.

Every write is one service call (``incidents.prevention.services``); a service's ``ValidationError`` comes back
as a form error or a message, its ``PermissionDenied`` as 403, and an object out of the user's scope is a 404."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from enterprises.models import Enterprise
from portal import views as generic
from portal.accounts.models import Role
from portal.forms import add_service_errors
from portal.permissions import get_visible_or_404
from portal.reference.models import Industry

from .. import selectors, services
from ..filters.screening import (
    OutcomeFilterSet,
    ScreeningResultFilterSet,
    ScreeningRuleFilterSet,
    ScreeningRunFilterSet,
)
from ..forms.screening import (
    BenchmarkForm,
    PreviewWindowForm,
    PublishScopeForm,
    RecognitionYearForm,
    ScreeningRuleForm,
    ScreeningRunForm,
)
from ..models import (
    NoticeLetter,
    Outcome,
    RectificationReport,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
    rate,
)
from ..selectors import Window
from ..tables.screening import OutcomeTable, ScreeningResultTable, ScreeningRuleTable, ScreeningRunTable

__all__ = [
    "PreventionHomeView",
    "ScreeningRuleListView",
    "ScreeningRuleDraftView",
    "ScreeningRuleDetailView",
    "ScreeningRulePublishView",
    "ScreeningRunListView",
    "ScreeningRunCreateView",
    "ScreeningRunDetailView",
    "ScreeningRunPublishView",
    "NoticeIssueView",
    "ScreeningResultWhyView",
    "OutcomeListView",
    "RecognitionView",
    "BenchmarkMarkView",
]

PREVIEW_ROWS = 200  # enterprises listed per side of a preview (the counts are complete)


def _is_officer(user) -> bool:
    return user.role == Role.SAFETY_OFFICER


class AgencyMixin:
    """Pages for agency users only: the role's permission and an agency (its region is the page's region)."""

    def has_permission(self):
        return super().has_permission() and self.request.user.agency_id is not None

    @property
    def region(self):
        return self.request.user.agency.region


def run_results(run: ScreeningRun, user):
    """The results of ``run`` the user may read (the rule is ``ScreeningResult.scope_visible``)."""
    return ScreeningResult.objects.visible_to(user).filter(run=run)


# --- overview ------------------------------------------------------------------------------------------------------


class PreventionHomeView(generic.PortalPermissionMixin, TemplateView):
    """The loop at a glance for staff; officers go to their notices."""

    permission_required = "prevention.view_noticeletter"
    template_name = "prevention/home.html"

    def get(self, request, *args, **kwargs):
        if _is_officer(request.user) or request.user.agency_id is None:
            return redirect("prevention:noticeletter_list")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        region = user.agency.region
        today = timezone.localdate()
        year_start = selectors.day_start(datetime.date(today.year, 1, 1))
        notices = NoticeLetter.objects.visible_to(user).open()
        by_kind = dict(
            Outcome.objects.visible_to(user)
            .filter(created_at__gte=year_start)
            .order_by()
            .values_list("kind")
            .annotate(n=Count("id"))
        )
        return {
            **super().get_context_data(**kwargs),
            "region": region,
            "rule": ScreeningRule.objects.in_force_for(region),
            "draft": ScreeningRule.objects.filter(region=region, state=ScreeningRule.State.DRAFT).first(),
            "runs": list(ScreeningRun.objects.visible_to(user).select_related("region", "rule")[:5]),
            "open_notices": notices.count(),
            "overdue_notices": notices.overdue(today).count(),
            "reports_waiting": RectificationReport.objects.visible_to(user)
            .filter(state=RectificationReport.State.SUBMITTED)
            .count(),
            "outcomes": [(kind, label, by_kind.get(kind, 0)) for kind, label in Outcome.Kind.choices],
            "year": today.year,
            "can_screen": user.has_perm("prevention.add_screeningrun"),
            "can_recognise": user.has_perm("prevention.add_outcome"),
        }


# --- screening rules ----------------------------------------------------------------------------------------------


class ScreeningRuleListView(generic.ScopedListView):
    model = ScreeningRule
    table_class = ScreeningRuleTable
    filterset_class = ScreeningRuleFilterSet
    template_name = "prevention/screeningrule_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        if user.agency_id:
            region = user.agency.region
            ctx["region"] = region
            ctx["rule"] = ScreeningRule.objects.in_force_for(region)
            ctx["draft"] = ScreeningRule.objects.filter(region=region, state=ScreeningRule.State.DRAFT).first()
        ctx["can_draft"] = user.has_perm("prevention.add_screeningrule") and user.agency_id is not None
        return ctx


class ScreeningRuleDraftView(AgencyMixin, generic.PortalPermissionMixin, FormView):
    """Create or edit the region's draft thresholds; a new draft starts from the rule in force."""

    permission_required = "prevention.add_screeningrule"
    form_class = ScreeningRuleForm
    template_name = "prevention/screeningrule_form.html"

    def get_form_kwargs(self):
        region = self.region
        draft = ScreeningRule.objects.filter(region=region, state=ScreeningRule.State.DRAFT).first()
        if draft is None:
            current = ScreeningRule.objects.in_force_for(region)
            draft = ScreeningRule(region=region)
            if current is not None:
                for name in ScreeningRuleForm.Meta.fields:
                    if name != "note":
                        setattr(draft, name, getattr(current, name))
        return {**super().get_form_kwargs(), "instance": draft}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "region": self.region,
            "current": ScreeningRule.objects.in_force_for(self.region),
        }

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in ScreeningRuleForm.Meta.fields}
        try:
            rule = services.draft_rule(actor=self.request.user, region=self.region, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The draft is saved. Check the preview before publishing it."))
        return redirect(rule)


class ScreeningRuleDetailView(generic.ScopedDetailView):
    """A rule version's thresholds; a draft also shows which enterprises it would flag compared with the rule
    in force (over the previous calendar year, another year, or the rolling 12 months)."""

    model = ScreeningRule
    template_name = "prevention/screeningrule_detail.html"

    def get_object(self, queryset=None):
        qs = ScreeningRule.objects.select_related("region", "created_by", "published_by", "owner_agency")
        return super().get_object(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rule = self.object
        ctx["current"] = ScreeningRule.objects.in_force_for(rule.region)
        ctx["runs"] = list(ScreeningRun.objects.visible_to(self.request.user).filter(rule=rule)[:10])
        ctx["can_publish"] = ctx["can_edit"] and self.request.user.has_perm("prevention.add_screeningrule")
        if rule.state == ScreeningRule.State.DRAFT:
            form = PreviewWindowForm(self.request.GET or None)
            kind, year = form.window_choice()
            window = (
                services.rolling_window(timezone.localdate()) if kind == "rolling" else services.annual_window(year)
            )
            preview = services.preview_rule(draft=rule, window=window)
            ctx.update(
                preview=preview,
                preview_form=form,
                preview_kind=kind,
                preview_year=year,
                window=window,
                added=preview["added"][:PREVIEW_ROWS],
                removed=preview["removed"][:PREVIEW_ROWS],
                preview_rows=PREVIEW_ROWS,
            )
        return ctx


class ScreeningRulePublishView(generic.ActionView):
    model = ScreeningRule

    def get_permission_required(self):
        return ["prevention.add_screeningrule"]

    def perform(self, obj):
        try:
            services.publish_rule(actor=self.request.user, rule=obj)
        except ValidationError as exc:
            generic.error_messages(self.request, exc)
            return redirect(obj)
        messages.success(self.request, _("The thresholds are in force; the previous version is kept as superseded."))
        return redirect(obj)


# --- screenings -----------------------------------------------------------------------------------------------------


class ScreeningRunListView(generic.ScopedListView):
    model = ScreeningRun
    table_class = ScreeningRunTable
    filterset_class = ScreeningRunFilterSet
    add_url_name = "prevention:screeningrun_create"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "rule", "published_to")


class ScreeningRunCreateView(AgencyMixin, generic.PortalPermissionMixin, FormView):
    """Run a screening. Without a rule in force the page offers to publish the default thresholds."""

    permission_required = "prevention.add_screeningrun"
    form_class = ScreeningRunForm
    template_name = "prevention/screeningrun_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        rolling = services.rolling_window(timezone.localdate())
        return {
            **super().get_context_data(**kwargs),
            "region": self.region,
            "rule": ScreeningRule.objects.in_force_for(self.region),
            "draft": ScreeningRule.objects.filter(region=self.region, state=ScreeningRule.State.DRAFT).first(),
            "rolling": rolling,
            "can_draft": self.request.user.has_perm("prevention.add_screeningrule"),
        }

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "defaults":
            if not request.user.has_perm("prevention.add_screeningrule"):
                return self.handle_no_permission()
            rule = services.default_rule(actor=request.user, region=self.region)
            messages.success(
                request,
                _("Screening rule v%(version)s of %(region)s is in force.")
                % {"version": rule.version, "region": rule.region},
            )
            return redirect("prevention:screeningrun_create")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        if data["kind"] == ScreeningRun.Kind.ANNUAL:
            window = services.annual_window(data["year"])
        else:
            window = services.rolling_window(timezone.localdate())
        started = timezone.now()
        try:
            run = services.run_screening(
                actor=self.request.user, region=data["region"], kind=data["kind"], window=window
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if run.created_at < started:
            messages.info(self.request, _("This screening was already run with the same rule; here is its result."))
        else:
            messages.success(
                self.request,
                _("Screening done: %(multi)s multi-incident and %(general)s general-incident enterprises.")
                % {"multi": run.multi_incident, "general": run.general},
            )
        return redirect(run)


class ScreeningRunDetailView(generic.ScopedListView):
    """A screening: the rule version and thresholds used, the period, the region's average, the counts and the
    results (filtered, sorted, paginated), with the buttons that issue the notices and publish the list."""

    model = ScreeningResult
    table_class = ScreeningResultTable
    filterset_class = ScreeningResultFilterSet
    template_name = "prevention/screeningrun_detail.html"

    def get_permission_required(self):
        return ["prevention.view_screeningrun"]

    def get(self, request, *args, **kwargs):
        runs = ScreeningRun.objects.select_related("rule", "region", "owner_agency", "published_to", "created_by")
        self.run = get_visible_or_404(runs, request.user, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            run_results(self.run, self.request.user)
            .select_related("enterprise", "notice")
            .order_by("-category", "-cases", "id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, run = self.request.user, self.run
        owner = run.owner_agency_id == user.agency_id
        ctx.update(
            run=run,
            rule=run.rule,
            list_title=str(run),
            is_officer=_is_officer(user),
            can_issue=owner and user.has_perm("prevention.issue_noticeletter"),
            can_publish=owner and user.has_perm("prevention.publish_screeningrun"),
            notices=run.notices.count(),
            publish_form=PublishScopeForm(run=run) if owner else None,
            # an agency that sees the run only through its publication reads the multi-incident list only
            whole_list=user.agency_id is not None and run.region.path.startswith(user.agency.region.path),
        )
        return ctx


class ScreeningRunPublishView(generic.ActionView):
    model = ScreeningRun

    def get_permission_required(self):
        return ["prevention.publish_screeningrun"]

    def perform(self, obj):
        form = PublishScopeForm(self.request.POST, run=obj)
        if not form.is_valid():
            generic.error_messages(self.request, form)
            return redirect(obj)
        try:
            services.publish_screening(actor=self.request.user, run=obj, scope=form.cleaned_data["published_to"])
        except ValidationError as exc:
            generic.error_messages(self.request, exc)
            return redirect(obj)
        messages.success(
            self.request,
            _("The list is published to the agencies of %(region)s.") % {"region": form.cleaned_data["published_to"]},
        )
        return redirect(obj)


class NoticeIssueView(generic.ActionView):
    """告知书 to every multi-incident enterprise of the run that has none yet, dated today."""

    model = ScreeningRun

    def get_permission_required(self):
        return ["prevention.issue_noticeletter"]

    def perform(self, obj):
        try:
            count = services.issue_notices(actor=self.request.user, run=obj)
        except ValidationError as exc:
            generic.error_messages(self.request, exc)
            return redirect(obj)
        if count:
            messages.success(
                self.request,
                ngettext("%(count)s notice letter issued.", "%(count)s notice letters issued.", count)
                % {"count": count},
            )
        else:
            messages.info(self.request, _("No new notice letter: every multi-incident enterprise already has one."))
        return redirect(obj)


class ScreeningResultWhyView(generic.PortalPermissionMixin, DetailView):
    """Why an enterprise is listed (or not): the rule version and its thresholds, which rules it met, its own
    figures against the region's and its industry's averages, and its high-incident posts."""

    model = ScreeningResult
    template_name = "prevention/result_why.html"
    context_object_name = "result"

    def get_permission_required(self):
        return ["prevention.view_screeningrun"]

    def get_object(self, queryset=None):
        results = ScreeningResult.objects.select_related(
            "run__rule", "run__region", "enterprise__industry", "enterprise__region", "notice"
        )
        return get_visible_or_404(results, self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        result = self.object
        run, rule, enterprise = result.run, result.run.rule, result.enterprise
        window = Window(run.period_start, run.period_end)
        division = _division(enterprise.industry)
        industry_cases, industry_insured = selectors.industry_average(run.region, window, division)
        industry_rate = rate(industry_cases, industry_insured)
        ctx.update(
            run=run,
            rule=rule,
            enterprise=enterprise,
            checks=[
                {
                    "key": "count",
                    "label": _("Case count"),
                    "threshold": _("%(n)s or more cases") % {"n": rule.min_cases},
                    "value": result.cases,
                    "met": result.by_count,
                },
                {
                    "key": "rate",
                    "label": _("Incidence rate"),
                    "threshold": _("%(rate)s‰ or more, with at least %(n)s cases")
                    % {"rate": rule.min_rate, "n": rule.rate_min_cases},
                    "value": f"{result.rate}‰" if result.rate is not None else "—",
                    "met": result.by_rate,
                },
                {
                    "key": "severity",
                    "label": _("Serious injuries and deaths"),
                    "threshold": _("%(n)s or more cases of serious injury or death") % {"n": rule.min_serious},
                    "value": result.serious + result.fatal,
                    "met": result.by_severity,
                },
            ],
            city_rate=run.city_rate,
            division=division,
            industry_cases=industry_cases,
            industry_insured=industry_insured,
            industry_rate=industry_rate,
            above_city=_above(result.rate, run.city_rate),
            above_industry=_above(result.rate, industry_rate),
            posts=result.high_incident_posts,
            notice=getattr(result, "notice", None),
            is_officer=_is_officer(self.request.user),
        )
        return ctx


def _division(industry: Industry) -> Industry:
    """The GB/T 4754 division (two-digit) an industry belongs to, or the industry itself above that level."""
    codes = [c for c in industry.path.split("/") if c]
    if len(codes) <= 2:
        return industry
    return Industry.objects.filter(path=f"/{codes[0]}/{codes[1]}/").first() or industry


def _above(value, average) -> bool | None:
    if value is None or average is None:
        return None
    return value > average


# --- outcomes and recognition ------------------------------------------------------------------------------------


class OutcomeListView(generic.ScopedListView):
    model = Outcome
    table_class = OutcomeTable
    filterset_class = OutcomeFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "referred_to", "notice")


class RecognitionView(AgencyMixin, generic.PortalPermissionMixin, TemplateView):
    """先进单位 candidates of a year (ranked by the cut in cases), the proposals recorded, and the high-incidence
    industries with their 标杆示范 enterprises."""

    permission_required = "prevention.add_outcome"
    template_name = "prevention/recognition.html"

    def get_context_data(self, **kwargs):
        user, region = self.request.user, self.region
        form = RecognitionYearForm(self.request.GET or None)
        year = form.year_choice()
        candidates = services.recognition_candidates(region=region, year=year)
        recorded = list(
            Outcome.objects.visible_to(user)
            .filter(kind=Outcome.Kind.ADVANCED, year=year)
            .select_related("enterprise__industry")
            .order_by("rank", "id")
        )
        ids = {c["enterprise_id"] for c in candidates}
        enterprises = Enterprise.objects.filter(pk__in=ids).select_related("industry").in_bulk()
        for c in candidates:
            c["enterprise"] = enterprises.get(c["enterprise_id"])
        proposed = {o.enterprise_id for o in recorded}
        suggested = [*(o.enterprise for o in recorded), *(e for e in enterprises.values() if e.pk not in proposed)]

        rows = services.high_incidence_industries(region=region, year=year)
        by_path = {i.path: i for i in Industry.objects.filter(path__in=[r["division"] for r in rows])}
        industries = [by_path[r["division"]] for r in rows if r["division"] in by_path]
        benchmarks: dict[int, list] = {i.pk: [] for i in industries}
        for outcome in (
            Outcome.objects.filter(
                kind=Outcome.Kind.BENCHMARK,
                year=year,
                industry__in=industries,
                enterprise__region__path__startswith=region.path,
            )
            .select_related("enterprise")
            .order_by("created_at")
        ):
            benchmarks[outcome.industry_id].append(outcome)
        low, high = services.BENCHMARKS_PER_INDUSTRY
        cases = {r["division"]: r["n"] for r in rows}
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "year": year,
            "region": region,
            "candidates": candidates,
            "recorded": recorded,
            "industries": [
                {
                    "industry": industry,
                    "cases": cases[industry.path],
                    "benchmarks": benchmarks[industry.pk],
                    "too_few": len(benchmarks[industry.pk]) < low,
                    "full": len(benchmarks[industry.pk]) >= high,
                    "form": BenchmarkForm(
                        user=user,
                        suggestions=[e for e in suggested if e.industry.path.startswith(industry.path)],
                        initial={"industry": industry.pk, "year": year},
                        auto_id=f"id_benchmark_{industry.pk}_%s",
                    ),
                }
                for industry in industries
            ],
            "benchmark_range": (low, high),
        }

    def post(self, request, *args, **kwargs):
        form = RecognitionYearForm(request.POST)
        year = form.year_choice()
        count = services.propose_advanced(actor=request.user, region=self.region, year=year, agency=request.user.agency)
        if count:
            messages.success(
                request,
                ngettext(
                    "%(count)s enterprise proposed as advanced unit.",
                    "%(count)s enterprises proposed as advanced units.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.info(request, _("No new proposal: the candidates of that year are already recorded, or none."))
        return redirect(f"{reverse('prevention:recognition')}?{urlencode({'year': year})}")


class BenchmarkMarkView(AgencyMixin, generic.PortalPermissionMixin, View):
    """POST: mark an enterprise 标杆示范 of a high-incidence industry for a year."""

    permission_required = "prevention.add_outcome"

    def post(self, request, *args, **kwargs):
        form = BenchmarkForm(request.POST, user=request.user)
        year = request.POST.get("year", "")
        back = f"{reverse('prevention:recognition')}?{urlencode({'year': year})}"
        if not form.is_valid():
            generic.error_messages(request, form)
            return redirect(back)
        data = form.cleaned_data
        try:
            outcome = services.mark_benchmark(
                actor=request.user,
                enterprise=data["enterprise"],
                year=data["year"],
                industry=data["industry"],
                note=data["note"],
            )
        except ValidationError as exc:
            generic.error_messages(request, exc)
            return redirect(back)
        messages.success(
            request,
            _("%(enterprise)s is a benchmark enterprise of %(industry)s for %(year)s.")
            % {"enterprise": outcome.enterprise.name, "industry": data["industry"].name, "year": data["year"]},
        )
        return redirect(back)
