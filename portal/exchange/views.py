"""Pages of the quarterly data exchange (DESIGN §3.4): an agency's quarter (what it owes and has entered, and the
button that confirms and locks it), the board of the region's member agencies (the secretariat reopens, reminds
and builds the report there), the obligations, and the report versions with their files.

Every write is one service call (``portal.exchange.services``); a service's ``ValidationError`` comes back as a
form error or a message, its ``PermissionDenied`` as 403, and an object out of the user's scope is a 404. "Today"
is the services' clock (``services._today``), so pages and services agree on which quarter has ended."""

from __future__ import annotations

import datetime

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView

from incidents.analysis.stats import change
from portal import jobs
from portal import views as generic
from portal.accounts.models import AgencyKind
from portal.exports import XLSX_CONTENT_TYPE
from portal.forms import add_service_errors
from portal.locks import DataKind
from portal.pagination import KeysetPaginator
from portal.permissions import get_visible_or_404, is_secretariat_of

from . import selectors, services, tasks
from .forms import (
    ConfirmQuarterForm,
    ExchangeReportFilterSet,
    ObligationFilterSet,
    ObligationForm,
    ReopenForm,
    ReportBuildForm,
)
from .models import (
    Confirmation,
    ExchangeReport,
    Obligation,
    ReportFile,
    previous_quarter,
    quarter_bounds,
)
from .selectors import Status

CONTENT_TYPES = {
    ReportFile.Format.XLSX: XLSX_CONTENT_TYPE,
    ReportFile.Format.PDF: "application/pdf",
    ReportFile.Format.JSON: "application/json",
}

# Board statuses as colours: overdue red, late amber, confirmed green.
STATUS_CSS = {
    Status.CONFIRMED: "success",
    Status.CONFIRMED_LATE: "warning",
    Status.REOPENED: "info",
    Status.PENDING: "secondary",
    Status.OVERDUE: "danger",
}

# Headline figures of a report: (key in content["totals"], label).
HEADLINES = [
    ("enterprises", gettext_lazy("enterprises")),
    ("insured", gettext_lazy("insured employees")),
    ("cases", gettext_lazy("work-injury cases")),
    ("incidence_rate", gettext_lazy("incidence rate (‰)")),
    ("serious", gettext_lazy("serious injuries")),
    ("deaths", gettext_lazy("deaths")),
    ("disease_cases", gettext_lazy("new occupational-disease cases")),
    ("disease_short", gettext_lazy("of which exposed fewer than 5 years")),
    ("accidents", gettext_lazy("safety accidents")),
    ("accident_deaths", gettext_lazy("deaths in safety accidents")),
]

AGENCY_KINDS = dict(AgencyKind.choices)
DATA_KINDS = dict(DataKind.choices)


def today() -> datetime.date:
    return services._today()


def valid_quarter(year: int, quarter: int) -> tuple[int, int]:
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise Http404
    return year, quarter


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_links(year: int, quarter: int, url_name: str) -> dict:
    """Links to the quarter before and after (after: only a quarter that has begun)."""
    before = previous_quarter(year, quarter)
    after = next_quarter(year, quarter)
    return {
        "previous": {"year": before[0], "quarter": before[1], "url": reverse(url_name, args=before)},
        "next": {"year": after[0], "quarter": after[1], "url": reverse(url_name, args=after)}
        if quarter_bounds(*after)[0] <= today()
        else None,
    }


def count_rows(counts: dict) -> list[dict]:
    """A {kind: records} dict as labelled rows, in the order of the kinds."""
    return [
        {"kind": kind, "label": DATA_KINDS.get(kind, kind), "records": counts[kind]}
        for kind in DATA_KINDS
        if kind in counts
    ] + [{"kind": k, "label": k, "records": n} for k, n in counts.items() if k not in DATA_KINDS]


def percent(value) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%"


class NavMixin:
    """The exchange's tabs lead to the page's quarter, or to the quarter agencies confirm now."""

    def nav_period(self) -> tuple[int, int]:
        return selectors.last_quarter(today())

    def get_context_data(self, **kwargs):
        year, quarter = self.nav_period()
        return {**super().get_context_data(**kwargs), "nav_year": year, "nav_quarter": quarter}


class AgencyMixin:
    """Pages for agency users only: the role's permission and an agency (its region is the page's region)."""

    def has_permission(self):
        return super().has_permission() and self.request.user.agency_id is not None

    @property
    def region(self):
        return self.request.user.agency.region


# --- index -------------------------------------------------------------------------------------------------------


class ExchangeIndexView(AgencyMixin, generic.PortalPermissionMixin, View):
    """The quarter agencies confirm now: an agency goes to its own quarter, the secretariat to the board."""

    permission_required = "exchange.view_confirmation"

    def get(self, request, *args, **kwargs):
        year, quarter = selectors.last_quarter(today())
        if request.user.has_perm("exchange.reopen_confirmation"):
            return redirect("exchange:board", year, quarter)
        return redirect("exchange:quarter", year, quarter)


# --- an agency's quarter -----------------------------------------------------------------------------------------


class QuarterView(NavMixin, AgencyMixin, generic.PortalPermissionMixin, TemplateView):
    """The agency's own quarter: what it owes and by when, the records it has entered (per month, empty months and
    incomplete records flagged), where the confirmation stands and its history; ``?step=confirm`` is the
    confirmation step, which repeats the counts before the agency confirms."""

    permission_required = "exchange.view_confirmation"
    template_name = "exchange/quarter.html"

    @property
    def year(self) -> int:
        return valid_quarter(self.kwargs["year"], self.kwargs["quarter"])[0]

    @property
    def quarter(self) -> int:
        return valid_quarter(self.kwargs["year"], self.kwargs["quarter"])[1]

    def nav_period(self):
        return self.year, self.quarter

    def get_obligations(self):
        if not hasattr(self, "_obligations"):
            self._obligations = selectors.obligations_of(self.request.user.agency)
        return self._obligations

    def get_entries(self) -> list[dict]:
        if not hasattr(self, "_entries"):
            kinds = [o.kind for o in self.get_obligations()]
            self._entries = selectors.quarter_entries(self.request.user.agency, self.year, self.quarter, kinds)
        return self._entries

    def counts(self) -> dict:
        return {row["kind"]: row["total"] for row in self.get_entries()}

    def get_confirmation(self):
        return (
            Confirmation.objects.visible_to(self.request.user)
            .filter(agency=self.request.user.agency_id, year=self.year, quarter=self.quarter)
            .select_related("confirmed_by", "reopened_by")
            .first()
        )

    def get_context_data(self, form=None, **kwargs):
        user, year, quarter = self.request.user, self.year, self.quarter
        day = today()
        start, end = quarter_bounds(year, quarter)
        obligations = self.get_obligations()
        entries = self.get_entries()
        for row in entries:
            for month in row["months"]:
                month["is_gap"] = month["records"] == 0 and month["month"] <= day
            row["has_gaps"] = any(m["is_gap"] for m in row["months"])
            row["list_url"] = _records_url(row["kind"], start, end)
        confirmation = self.get_confirmation()
        events = []
        if confirmation is not None:
            events = [
                {"event": e, "counts": count_rows(e.counts)}
                for e in confirmation.events.select_related("actor").order_by("at", "id")
            ]
        ended = selectors.has_ended(year, quarter, day)
        locked = confirmation is not None and confirmation.is_locked
        can_confirm = bool(obligations) and ended and not locked and user.has_perm("exchange.add_confirmation")
        step = can_confirm and (form is not None or self.request.GET.get("step") == "confirm")
        due = selectors.due_on(obligations, year, quarter)
        return {
            **super().get_context_data(**kwargs),
            "agency": user.agency,
            "year": year,
            "quarter": quarter,
            "start": start,
            "end": end,
            "today": day,
            "ended": ended,
            "obligations": obligations,
            "due": due,
            "days_left": (due - day).days if due else None,
            "days_overdue": (day - due).days if due and day > due else 0,
            "entries": entries,
            "total_records": sum(r["total"] for r in entries),
            "total_gaps": sum(r["gaps"] for r in entries),
            "confirmation": confirmation,
            "locked": locked,
            "confirmed_counts": count_rows(confirmation.counts) if locked else [],
            "events": events,
            "can_confirm": can_confirm,
            "step": step,
            "form": form if form is not None else (ConfirmQuarterForm(counts=self.counts()) if step else None),
            "links": quarter_links(year, quarter, "exchange:quarter"),
            "report": ExchangeReport.objects.visible_to(user)
            .filter(region=user.agency.region_id, year=year, quarter=quarter)
            .order_by("-version")
            .first(),
            "is_secretariat": is_secretariat_of(user, user.agency.region),
            "tab": "quarter",
        }


def _records_url(kind: str, start: datetime.date, end: datetime.date) -> str | None:
    """The list of the kind's records, filtered to the quarter where the list has a date filter."""
    lists = {
        DataKind.INJURY_CASES: ("incidents:injurycase_list", "occurred_from", "occurred_to"),
        DataKind.RECOGNITIONS: ("incidents:injurycase_list", None, None),
        DataKind.DISEASE_CASES: ("incidents:occupationaldiseasecase_list", "diagnosed_from", "diagnosed_to"),
        DataKind.SAFETY_ACCIDENTS: ("incidents:safetyaccident_list", "occurred_from", "occurred_to"),
        DataKind.PROJECT_INSURANCE: ("enterprises:constructionproject_list", "started_from", "started_to"),
    }
    if kind not in lists:
        return None
    name, start_param, end_param = lists[kind]
    url = reverse(name)
    if start_param:
        url += f"?{start_param}={start.isoformat()}&{end_param}={end.isoformat()}"
    return url


class QuarterConfirmView(QuarterView):
    """POST: the agency confirms its quarter (``services.confirm_quarter``); its records of the quarter are locked.
    A refusal is shown on the quarter page, in the confirmation step."""

    permission_required = "exchange.add_confirmation"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ConfirmQuarterForm(request.POST, counts=self.counts())
        if form.is_valid():
            try:
                confirmation = services.confirm_quarter(actor=request.user, year=self.year, quarter=self.quarter)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your agency's data of %(year)s Q%(quarter)s is confirmed (%(records)s records) and locked "
                        "for the exchange."
                    )
                    % {"year": self.year, "quarter": self.quarter, "records": sum(confirmation.counts.values())},
                )
                return redirect("exchange:quarter", self.year, self.quarter)
        # The page again with the form's errors; the step now carries the counts as they are (the agency checks
        # them again if they changed). A quarter that cannot be confirmed (not ended, already confirmed) has no step
        # to show them in: they come as messages on the quarter's page.
        form.data = form.data.copy()
        form.data["counts"] = form.current
        context = self.get_context_data(form=form)
        if not context["step"]:
            generic.error_messages(request, form)
            return redirect("exchange:quarter", self.year, self.quarter)
        return self.render_to_response(context)


# --- the board ---------------------------------------------------------------------------------------------------


class BoardView(NavMixin, AgencyMixin, generic.PortalPermissionMixin, TemplateView):
    """Every member agency of the user's region: what it owes, by when, and where its quarter stands. Agencies read
    it; the secretariat reopens a confirmed quarter, reminds the late agencies and builds the report from it."""

    permission_required = "exchange.view_confirmation"
    template_name = "exchange/board.html"

    def nav_period(self):
        return valid_quarter(self.kwargs["year"], self.kwargs["quarter"])

    def get_context_data(self, **kwargs):
        user, region = self.request.user, self.region
        year, quarter = valid_quarter(self.kwargs["year"], self.kwargs["quarter"])
        day = today()
        rows = selectors.board(region, year, quarter, day)
        for row in rows:
            row["css"] = STATUS_CSS[row["status"]]
            confirmation = row["confirmation"]
            row["counts"] = (
                count_rows(confirmation.counts) if confirmation is not None and confirmation.is_locked else []
            )
        statuses = [r["status"] for r in rows]
        secretariat = is_secretariat_of(user, region)
        ended = selectors.has_ended(year, quarter, day)
        reports = list(
            ExchangeReport.objects.visible_to(user)
            .filter(region=region, year=year, quarter=quarter)
            .order_by("-version")[:1]
        )
        return {
            **super().get_context_data(**kwargs),
            "region": region,
            "year": year,
            "quarter": quarter,
            "start": quarter_bounds(year, quarter)[0],
            "end": quarter_bounds(year, quarter)[1],
            "ended": ended,
            "rows": rows,
            "summary": {
                "agencies": len(rows),
                "confirmed": statuses.count(Status.CONFIRMED) + statuses.count(Status.CONFIRMED_LATE),
                "late": statuses.count(Status.CONFIRMED_LATE),
                "waiting": statuses.count(Status.PENDING) + statuses.count(Status.REOPENED),
                "overdue": statuses.count(Status.OVERDUE),
            },
            "is_secretariat": secretariat,
            "can_reopen": secretariat and user.has_perm("exchange.reopen_confirmation"),
            "can_remind": secretariat and Status.OVERDUE in statuses,
            "can_build": secretariat and ended and user.has_perm("exchange.build_exchangereport"),
            "report": reports[0] if reports else None,
            "reopen_form": ReopenForm(),
            "links": quarter_links(year, quarter, "exchange:board"),
            "tab": "board",
        }


class ConfirmationReopenView(generic.ActionView):
    """POST: the secretariat reopens an agency's confirmed quarter, with a reason (``services.reopen_quarter``)."""

    model = Confirmation

    def get_permission_required(self):
        return ["exchange.reopen_confirmation"]

    def get_object(self, queryset=None):
        return super().get_object(Confirmation.objects.select_related("agency"))

    def perform(self, obj):
        back = reverse("exchange:board", args=[obj.year, obj.quarter])
        form = ReopenForm(self.request.POST)
        if not form.is_valid():
            generic.error_messages(self.request, form)
            return redirect(back)
        try:
            services.reopen_quarter(actor=self.request.user, confirmation=obj, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            generic.error_messages(self.request, exc)
            return redirect(back)
        messages.success(
            self.request,
            _("%(agency)s can correct its data of %(year)s Q%(quarter)s again; it has been told why.")
            % {"agency": obj.agency.name, "year": obj.year, "quarter": obj.quarter},
        )
        return redirect(back)


class BoardRemindView(AgencyMixin, generic.PortalPermissionMixin, View):
    """POST: the secretariat reminds the agencies late with the quarter (``services.remind_late_agencies``)."""

    permission_required = "exchange.view_confirmation"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        year, quarter = valid_quarter(kwargs["year"], kwargs["quarter"])
        count = services.remind_late_agencies(actor=request.user, region=self.region, year=year, quarter=quarter)
        if count:
            messages.success(
                request,
                ngettext("%(count)s late agency reminded.", "%(count)s late agencies reminded.", count)
                % {"count": count},
            )
        else:
            messages.info(request, _("No agency is late with this quarter: nobody was reminded."))
        return redirect("exchange:board", year, quarter)


# --- obligations -------------------------------------------------------------------------------------------------


class ObligationTable(tables.Table):
    """An agency's obligations under its name (the template groups the rows by agency; sorting would break the
    groups, so the list keeps its own order)."""

    kind = tables.Column()
    due_days = tables.Column()
    is_active = tables.BooleanColumn(yesno=("✔", "✘"))
    note = tables.Column(default="—")
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i")
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        model = Obligation
        fields = ["kind", "due_days", "is_active", "note", "updated_at", "actions"]
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "obligation-table"}
        row_attrs = {
            "data-obligation": lambda record: record.pk,
            "data-kind": lambda record: record.kind,
            "data-active": lambda record: "1" if record.is_active else "0",
        }

    def __init__(self, *args, can_change=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_change = can_change

    def render_due_days(self, value):
        return ngettext("%(days)s day after the quarter", "%(days)s days after the quarter", value) % {"days": value}

    def render_actions(self, record):
        if not self.can_change:
            return ""
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}" data-testid="edit-obligation">{}</a>',
            reverse("exchange:obligation_update", args=[record.pk]),
            _("Edit"),
        )


class ObligationListView(NavMixin, generic.ScopedListView):
    model = Obligation
    table_class = ObligationTable
    filterset_class = ObligationFilterSet
    template_name = "exchange/obligation_list.html"
    table_pagination = {"per_page": 100, "paginator_class": KeysetPaginator}

    def get_queryset(self):
        return super().get_queryset().select_related("agency__region")

    def get_table_kwargs(self):
        return {"can_change": self.request.user.has_perm("exchange.change_obligation")}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        region = user.agency.region if user.agency_id else None
        secretariat = region is not None and is_secretariat_of(user, region)
        ctx.update(
            region=region,
            can_add=secretariat and user.has_perm("exchange.add_obligation"),
            tab="obligations",
        )
        return ctx


class _ObligationSave:
    """Create and edit save through ``services.set_obligation`` (which audits), an agency and kind given by
    ``owed``."""

    model = Obligation
    form_class = ObligationForm
    template_name = "exchange/obligation_form.html"

    def owed(self, data):
        return data["agency"], data["kind"]

    def form_valid(self, form):
        data = form.cleaned_data
        agency, kind = self.owed(data)
        try:
            services.set_obligation(
                actor=self.request.user,
                agency=agency,
                kind=kind,
                due_days=data["due_days"],
                is_active=data["is_active"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("exchange:obligation_list")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "tab": "obligations"}


class ObligationCreateView(_ObligationSave, NavMixin, generic.ScopedCreateView):
    def has_permission(self):
        return super().has_permission() and self.request.user.agency_id is not None


class ObligationUpdateView(_ObligationSave, NavMixin, generic.ScopedUpdateView):
    def get_object(self, queryset=None):
        return super().get_object(Obligation.objects.select_related("agency__region"))

    def owed(self, data):  # an obligation's agency and kind are fixed once set
        return self.object.agency, self.object.kind


class ObligationDefaultsView(AgencyMixin, generic.PortalPermissionMixin, View):
    """POST: the default obligations for the member agencies of the secretariat's region that owe nothing yet."""

    permission_required = "exchange.add_obligation"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        created = services.apply_default_obligations(actor=request.user, region=self.region)
        if created:
            agencies = len({o.agency_id for o in created})
            messages.success(
                request,
                ngettext(
                    "%(count)s obligation added for %(agencies)s agencies.",
                    "%(count)s obligations added for %(agencies)s agencies.",
                    len(created),
                )
                % {"count": len(created), "agencies": agencies},
            )
        else:
            messages.info(request, _("Every member agency of the region already owes its data; nothing was added."))
        return redirect("exchange:obligation_list")


# --- reports -----------------------------------------------------------------------------------------------------


def file_links(report: ExchangeReport) -> str:
    files = sorted(report.files.all(), key=lambda f: list(CONTENT_TYPES).index(f.format))
    return format_html_join(
        " ",
        '<a class="btn btn-sm btn-outline-secondary" href="{}" data-format="{}">{}</a>',
        (
            (reverse("exchange:report_download", args=[report.pk, f.format]), f.format, f.get_format_display())
            for f in files
        ),
    )


class ExchangeReportTable(tables.Table):
    region = tables.Column(accessor="region__name", order_by=("region__path",))
    period = tables.Column(
        verbose_name=gettext_lazy("quarter"),
        accessor="year",
        order_by=("year", "quarter"),
        linkify=lambda record: record.get_absolute_url(),
    )
    version = tables.Column()
    created_at = tables.DateTimeColumn(format="Y-m-d H:i")
    trigger = tables.Column()
    files = tables.Column(verbose_name=gettext_lazy("files"), empty_values=(), orderable=False)

    class Meta:
        model = ExchangeReport
        fields = ["region", "period", "version", "created_at", "trigger", "files"]
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "report-table"}
        row_attrs = {"data-report": lambda record: record.pk, "data-version": lambda record: record.version}

    def render_period(self, record):
        return _("%(year)s Q%(quarter)s") % {"year": record.year, "quarter": record.quarter}

    def render_version(self, value):
        return f"v{value}"

    def render_files(self, record):
        return file_links(record)


class ReportListView(NavMixin, generic.ScopedListView):
    model = ExchangeReport
    table_class = ExchangeReportTable
    filterset_class = ExchangeReportFilterSet
    template_name = "exchange/report_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region")
            .prefetch_related("files")
            .order_by("-year", "-quarter", "region__path", "-version")
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "tab": "reports"}


class ReportDetailView(NavMixin, generic.ScopedDetailView):
    """One report version: its headline figures with the changes against the quarter before and the same quarter a
    year earlier, the regions, the key industries, the enterprises with most cases, the agencies' confirmations,
    the files with their checksums, and the other versions of the same quarter (each still downloadable)."""

    model = ExchangeReport
    template_name = "exchange/report_detail.html"
    context_object_name = "report"

    def nav_period(self):
        return self.object.year, self.object.quarter

    def get_object(self, queryset=None):
        return super().get_object(
            ExchangeReport.objects.select_related("region", "created_by").prefetch_related("files")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.object
        content = report.content or {}
        totals = content.get("totals", {})
        previous, last_year = totals.get("previous", {}), totals.get("last_year", {})
        stored_previous, stored_last_year = totals.get("change_previous", {}), totals.get("change_last_year", {})
        headlines = []
        for key, label in HEADLINES:
            value = totals.get(key)
            vs_previous = stored_previous.get(key) if key in stored_previous else change(value, previous.get(key))
            vs_last_year = stored_last_year.get(key) if key in stored_last_year else change(value, last_year.get(key))
            headlines.append(
                {
                    "key": key,
                    "label": label,
                    "value": value,
                    "previous": previous.get(key),
                    "last_year": last_year.get(key),
                    "change_previous": percent(vs_previous),
                    "change_last_year": percent(vs_last_year),
                    "up_previous": vs_previous is not None and vs_previous > 0,
                    "up_last_year": vs_last_year is not None and vs_last_year > 0,
                }
            )
        regions = [
            {
                **row,
                "change_previous_label": percent(row.get("change_previous")),
                "change_last_year_label": percent(row.get("change_last_year")),
            }
            for row in content.get("regions", [])
        ]
        agencies = [
            {
                **row,
                "kind_label": AGENCY_KINDS.get(row.get("kind"), row.get("kind")),
                "data_labels": [DATA_KINDS.get(k, k) for k in row.get("data", [])],
                "status_label": selectors.STATUS_LABELS.get(row.get("status"), row.get("status")),
                "css": STATUS_CSS.get(row.get("status"), "secondary"),
                "records": count_rows(row.get("records") or {}),
                "confirmed_at": _iso_datetime(row.get("confirmed_at")),
            }
            for row in content.get("agencies", [])
        ]
        files = sorted(report.files.all(), key=lambda f: list(CONTENT_TYPES).index(f.format))
        versions = list(
            ExchangeReport.objects.visible_to(self.request.user)
            .filter(region=report.region_id, year=report.year, quarter=report.quarter)
            .exclude(pk=report.pk)
            .select_related("created_by")
            .prefetch_related("files")
            .order_by("-version")
        )
        latest = max([report.version, *(v.version for v in versions)])
        ctx.update(
            content=content,
            totals=totals,
            headlines=headlines,
            projects=totals.get("projects") or {},
            regions=regions,
            key_industries=content.get("key_industries", []),
            top_enterprises=content.get("top_enterprises", []),
            agencies=agencies,
            files=files,
            versions=[
                {"report": v, "files": sorted(v.files.all(), key=lambda f: list(CONTENT_TYPES).index(f.format))}
                for v in versions
            ],
            is_latest=report.version == latest,
            latest=latest,
            period=content.get("period", {}),
            tab="reports",
        )
        return ctx


def _iso_datetime(value):
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class ReportDownloadView(generic.PortalPermissionMixin, View):
    """One file of a report version, as a download under its Chinese name; every download is audited."""

    permission_required = "exchange.view_exchangereport"

    def get(self, request, *args, **kwargs):
        fmt = kwargs["fmt"]
        if fmt not in ReportFile.Format.values:
            raise Http404
        report = get_visible_or_404(ExchangeReport.objects.select_related("region"), request.user, pk=kwargs["pk"])
        report_file = report.files.filter(format=fmt).first()
        if report_file is None:
            raise Http404
        report_file.report = report
        response = FileResponse(
            report_file.file.open("rb"),
            as_attachment=True,
            filename=report_file.filename,
            content_type=CONTENT_TYPES[fmt],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        services.record_download(actor=request.user, report_file=report_file)
        return response


class ReportBuildView(AgencyMixin, generic.PortalPermissionMixin, View):
    """POST: build the report of the secretariat's region for a quarter now (a job; everyone in scope is told when
    it is ready). The same figures as the latest version make no new version."""

    permission_required = "exchange.build_exchangereport"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        form = ReportBuildForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the quarter whose report to build."))
            return redirect("exchange:index")
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        region = self.region
        if not is_secretariat_of(request.user, region):
            raise PermissionDenied(_("Only the joint meeting's secretariat builds the exchange report."))
        if not selectors.has_ended(year, quarter, today()):
            messages.error(request, _("A report can be built only after the quarter has ended."))
            return redirect("exchange:board", year, quarter)
        jobs.enqueue(tasks.build_report, region.pk, year, quarter, trigger="on_demand", actor_id=request.user.pk)
        messages.info(request, _("The report is being built; every member agency will be told when it is ready."))
        return redirect("exchange:board", year, quarter)
