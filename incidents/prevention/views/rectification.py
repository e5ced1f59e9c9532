"""Notice letters (告知书), rectification reports, their attachments, deadline extensions and a case's online
warning: the pages officers and staff work the loop through. Every write is one service call; a service's
ValidationError is shown on the form it came from (the page is rendered again), a PermissionDenied is a 403, and
an object outside the user's scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from incidents.models import InjuryCase
from portal import audit
from portal import views as generic
from portal.pdf import pdf_response
from portal.permissions import get_visible_or_404

from .. import letters, services
from ..filters.rectification import NoticeLetterFilterSet
from ..forms.rectification import (
    AttachmentForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    RectificationReportForm,
    ReviewForm,
    add_errors,
)
from ..models import (
    CaseWarning,
    DeadlineExtension,
    NoticeLetter,
    RectificationReport,
    ReportAttachment,
)
from ..tables.rectification import NoticeLetterTable

__all__ = [
    "AttachmentDeleteView",
    "AttachmentDownloadView",
    "AttachmentUploadView",
    "CaseWarningView",
    "ExtensionDecideView",
    "ExtensionRequestView",
    "NoticeLetterDetailView",
    "NoticeLetterListView",
    "NoticeLetterPdfView",
    "RectificationReportAcceptView",
    "RectificationReportDetailView",
    "RectificationReportEditView",
    "RectificationReportReturnView",
    "RectificationReportSubmitView",
]

State = RectificationReport.State

# The steps of a notice's timeline (LoopEvent.verb) as people read them.
STEP_LABELS = {
    "notice_issued": _("Notice letter issued"),
    "report_submitted": _("Rectification report submitted"),
    "report_returned": _("Rectification report returned"),
    "report_accepted": _("Rectification report accepted"),
    "extension_requested": _("Extension requested"),
    "extension_granted": _("Extension granted"),
    "extension_refused": _("Extension refused"),
    "supervised": _("Placed under key supervision"),
    "review_listed": _("Four-month review: listed for supervision"),
    "review_review_ok": _("Four-month review passed"),
}


# --- what the user may do with a notice ---------------------------------------------------------------------


def report_stage(notice: NoticeLetter, reports) -> str:
    """Where the notice's report stands for its officer: ``accepted``, ``submitted`` (under review), ``draft``
    (a working version to continue), ``new`` (write the first one or revise a returned one) or ``closed``
    (supervised without a report; the service decides in the end)."""
    states = {r.state for r in reports}
    if State.ACCEPTED in states:
        return "accepted"
    if State.SUBMITTED in states:
        return "submitted"
    if State.DRAFT in states:
        return "draft"
    if notice.state != NoticeLetter.State.OPEN and State.RETURNED not in states:
        return "closed"
    return "new"


def is_notice_officer(user, notice: NoticeLetter) -> bool:
    return bool(user.enterprise_id) and user.enterprise_id == notice.enterprise_id


def is_issuing_agency(user, notice: NoticeLetter) -> bool:
    return bool(user.agency_id) and user.agency_id == notice.owner_agency_id


# The figures of events and outcomes (LoopEvent.figures, Outcome.evidence) as people read them; other keys show
# as they are stored.
FIGURE_LABELS = {
    "version": _("version"),
    "attachments": _("attachments"),
    "late": _("after the deadline"),
    "on_time": _("on time"),
    "run": _("screening"),
    "rule_version": _("rule version"),
    "thresholds": _("thresholds"),
    "deadline": _("deadline"),
    "requested": _("requested deadline"),
    "deadline_before": _("deadline before"),
    "deadline_after": _("deadline after"),
    "checked_on": _("checked on"),
    "days_overdue": _("days overdue"),
    "report": _("latest report"),
    "cases": _("cases"),
    "cases_last_year": _("cases a year earlier"),
    "cut": _("cut"),
    "rate": _("incidence rate (‰)"),
    "city_rate": _("city average rate (‰)"),
    "down_30": _("down 30 %"),
    "above_city": _("above the city average"),
    "passed": _("passed"),
    "severity": _("severity"),
    "occurred_at": _("time of the accident"),
}


def _figure_value(value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return " – ".join(str(v) for v in value)
    return "—" if value is None else str(value)


def _figures(figures) -> list[tuple[str, str]]:
    if not isinstance(figures, dict):
        return []
    return [(str(FIGURE_LABELS.get(key, key)), _figure_value(value)) for key, value in figures.items()]


def notice_context(request, notice: NoticeLetter, *, extension_form=None, decision_form=None) -> dict:
    """Everything the notice page shows (also rendered by the extension views when their form has errors)."""
    user = request.user
    today = timezone.localdate()
    reports = list(
        notice.reports.select_related("reviewed_by", "created_by").prefetch_related("attachments").order_by("-version")
    )
    extensions = list(notice.extensions.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((e for e in extensions if e.state == DeadlineExtension.State.PENDING), None)
    events = [
        {"event": e, "step": STEP_LABELS.get(e.verb, e.verb), "figures": _figures(e.figures)}
        for e in notice.events.select_related("actor").order_by("at", "pk")
    ]
    outcomes = [{"outcome": o, "figures": _figures(o.evidence)} for o in notice.outcomes.select_related("referred_to")]
    officer = is_notice_officer(user, notice)
    stage = report_stage(notice, reports)
    may_write = officer and user.has_perm("prevention.add_rectificationreport") and stage in ("new", "draft")
    may_extend = (
        officer
        and user.has_perm("prevention.request_extension")
        and notice.state == NoticeLetter.State.OPEN
        and today <= notice.deadline
        and pending is None
        and stage not in ("accepted",)
    )
    may_decide = (
        pending is not None and user.has_perm("prevention.decide_extension") and is_issuing_agency(user, notice)
    )
    return {
        "object": notice,
        "notice": notice,
        "letter": letters.notice_content(notice),
        "days_left": notice.days_left(today),
        "days_overdue": -notice.days_left(today),
        "today": today,
        "reports": reports,
        "latest_report": reports[0] if reports else None,
        "extensions": extensions,
        "pending_extension": pending,
        "events": events,
        "outcomes": outcomes,
        "stage": stage,
        "is_officer": officer,
        "may_write": may_write,
        "may_extend": may_extend,
        "may_decide": may_decide,
        "extension_form": extension_form or (ExtensionRequestForm() if may_extend else None),
        "decision_form": decision_form or (ExtensionDecisionForm() if may_decide else None),
    }


def _notice_queryset():
    return NoticeLetter.objects.select_related(
        "enterprise__region", "enterprise__industry", "owner_agency", "run__rule", "run__region", "result"
    )


# --- notice letters ------------------------------------------------------------------------------------------


class NoticeLetterListView(generic.ScopedListView):
    """Officers: their enterprise's notices. Staff: the notices of their region, with the to-do filters."""

    model = NoticeLetter
    table_class = NoticeLetterTable
    filterset_class = NoticeLetterFilterSet

    def get_queryset(self):
        latest = RectificationReport.objects.filter(notice=OuterRef("pk")).order_by("-version").values("state")[:1]
        return super().get_queryset().select_related("enterprise").annotate(latest_report_state=Subquery(latest))


class NoticeLetterDetailView(generic.ScopedDetailView):
    model = NoticeLetter
    template_name = "prevention/noticeletter_detail.html"

    def get_object(self, queryset=None):
        return super().get_object(_notice_queryset() if queryset is None else queryset)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **notice_context(self.request, self.object)}


class NoticeLetterPdfView(generic.PortalPermissionMixin, generic.ScopedObjectMixin, View):
    """The notice letter as a typeset PDF (downloaded; audited)."""

    model = NoticeLetter
    permission_required = "prevention.view_noticeletter"

    def get(self, request, *args, **kwargs):
        notice = self.get_object(_notice_queryset())
        pdf = letters.notice_pdf(notice)
        audit.record(actor=request.user, verb="download", obj=notice, note="pdf")
        return pdf_response(pdf, f"{notice.number}.pdf")


# --- the report form ------------------------------------------------------------------------------------------


def _report_form(notice, data=None, report=None):
    cases = list(services.notice_cases(notice).select_related("accident_type").order_by("occurred_at", "pk"))
    posts = services.notice_posts(notice)
    return RectificationReportForm(data, cases=cases, posts=posts, report=report)


def render_report_edit(request, notice: NoticeLetter, *, form=None, attachment_form=None, status=200):
    """The report form of ``notice``: prefilled from the working draft, else from the latest version (after a
    return, saving starts the next version from it), with the draft's attachments."""
    reports = list(notice.reports.prefetch_related("attachments").order_by("-version"))
    draft = next((r for r in reports if r.state == State.DRAFT), None)
    base = draft or (reports[0] if reports else None)
    returned = next((r for r in reports if r.state == State.RETURNED), None)
    if form is None:
        form = _report_form(notice, report=base)
    next_version = draft.version if draft else ((reports[0].version + 1) if reports else 1)
    ctx = {
        "notice": notice,
        "form": form,
        "draft": draft,
        "returned": returned,
        "version": next_version,
        "attachments": list(draft.attachments.all()) if draft else [],
        "attachment_form": attachment_form or AttachmentForm(),
        "max_mb": _max_mb(),
        "days_left": notice.days_left(),
    }
    return render(request, "prevention/report_form.html", ctx, status=status)


def _max_mb():
    from django.conf import settings

    return round(settings.PREVENTION_ATTACHMENT_MAX_BYTES / (1024 * 1024), 1)


class RectificationReportEditView(generic.PortalPermissionMixin, View):
    """The officer writes the report of a notice: "save draft" keeps an incomplete version; "submit" saves and
    submits in one transaction (a refused submission saves nothing and shows why on the fields)."""

    permission_required = "prevention.add_rectificationreport"

    def get_notice(self):
        return get_visible_or_404(_notice_queryset(), self.request.user, pk=self.kwargs["pk"])

    def closed_redirect(self, notice):
        """Where to send the officer when there is nothing to write (None: the form is open)."""
        reports = list(notice.reports.order_by("-version"))
        stage = report_stage(notice, reports)
        if stage == "submitted":
            messages.info(self.request, _("The report is being reviewed; wait for the agency's decision."))
            return redirect(next(r for r in reports if r.state == State.SUBMITTED))
        if stage == "accepted":
            messages.info(self.request, _("The report has been accepted; nothing more to file."))
            return redirect(notice)
        if stage == "closed":
            messages.error(self.request, _("This notice is closed; no report can be filed."))
            return redirect(notice)
        return None

    def get(self, request, *args, **kwargs):
        notice = self.get_notice()
        return self.closed_redirect(notice) or render_report_edit(request, notice)

    def post(self, request, *args, **kwargs):
        notice = self.get_notice()
        form = _report_form(notice, data=request.POST)
        submit = "submit" in request.POST
        if not form.is_valid():
            return render_report_edit(request, notice, form=form)
        try:
            with transaction.atomic():
                report = services.save_report(actor=request.user, notice=notice, data=form.to_data())
                if submit:
                    services.submit_report(actor=request.user, report=report)
        except ValidationError as exc:
            form.add_service_errors(exc)
            if submit:
                messages.error(request, _("The report was not submitted and nothing was saved; see the marked fields."))
            return render_report_edit(request, notice, form=form)
        if submit:
            messages.success(request, _("Rectification report submitted for review."))
            return redirect(report)
        messages.success(request, _("Draft saved."))
        return redirect("prevention:report_edit", pk=notice.pk)


class RectificationReportDetailView(generic.ScopedDetailView):
    """One version as it was filed (read-only), its attachments and the review; the issuing agency accepts or
    returns a submitted version here."""

    model = RectificationReport
    template_name = "prevention/report_detail.html"

    def get_object(self, queryset=None):
        if queryset is None:
            queryset = RectificationReport.objects.select_related(
                "notice__enterprise", "notice__owner_agency", "notice__run", "reviewed_by", "created_by"
            )
        return super().get_object(queryset)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **report_context(self.request, self.object)}


def report_context(request, report: RectificationReport, *, review_form=None) -> dict:
    user = request.user
    notice = report.notice
    cases = {c.pk: c for c in services.notice_cases(notice).select_related("accident_type")}
    analyses = [
        {"case": cases.get(_int(a.get("case"))), "case_id": a.get("case"), "cause": a.get("cause", "")}
        for a in report.case_analyses or []
        if isinstance(a, dict)
    ]
    may_review = (
        report.state == State.SUBMITTED
        and user.has_perm("prevention.review_rectificationreport")
        and is_issuing_agency(user, notice)
    )
    officer = is_notice_officer(user, notice) and user.has_perm("prevention.add_rectificationreport")
    return {
        "object": report,
        "report": report,
        "notice": notice,
        "analyses": analyses,
        "post_measures": [m for m in report.post_measures or [] if isinstance(m, dict)],
        "four": [
            (RectificationReport._meta.get_field(name).verbose_name, getattr(report, name))
            for name in RectificationReport.FOUR_ANSWERS
        ],
        "attachments": list(report.attachments.all()),
        "versions": list(notice.reports.order_by("-version").only("pk", "version", "state", "notice_id")),
        "may_review": may_review,
        "review_form": review_form or (ReviewForm() if may_review else None),
        "may_edit": officer and report.state == State.DRAFT,
    }


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RectificationReportSubmitView(generic.ActionView):
    """Submit the working draft as it was saved; missing parts are shown on the report form."""

    model = RectificationReport
    permission_required = "prevention.add_rectificationreport"

    def get_object(self, queryset=None):
        return super().get_object(RectificationReport.objects.select_related("notice__enterprise", "notice__run"))

    def perform(self, report):
        try:
            services.submit_report(actor=self.request.user, report=report)
        except ValidationError as exc:
            saved = _report_form(report.notice, report=report)  # the version as saved, with the service's errors
            form = RectificationReportForm(saved.initial, cases=saved.cases, posts=saved.posts)
            form.is_valid()
            form.add_service_errors(exc)
            messages.error(self.request, _("The report was not submitted; see the marked fields."))
            return render_report_edit(self.request, report.notice, form=form)
        messages.success(self.request, _("Rectification report submitted for review."))
        return redirect(report)


class _ReviewView(generic.ActionView):
    model = RectificationReport
    permission_required = "prevention.review_rectificationreport"

    def get_object(self, queryset=None):
        return super().get_object(RectificationReport.objects.select_related("notice__enterprise", "notice__run"))

    def perform(self, report):
        form = ReviewForm(self.request.POST)
        form.is_valid()
        try:
            self.review(report, form.cleaned_data.get("reason", ""))
        except ValidationError as exc:
            add_errors(form, exc, {"review_reason": "reason"})
            ctx = report_context(self.request, report, review_form=form)
            return render(self.request, "prevention/report_detail.html", ctx)
        return redirect(report)


class RectificationReportAcceptView(_ReviewView):
    def review(self, report, reason):
        services.accept_report(actor=self.request.user, report=report, comment=reason)
        messages.success(self.request, _("Rectification report accepted."))


class RectificationReportReturnView(_ReviewView):
    def review(self, report, reason):
        services.return_report(actor=self.request.user, report=report, reason=reason)
        messages.success(self.request, _("Rectification report returned to the enterprise."))


# --- attachments ------------------------------------------------------------------------------------------------


class AttachmentUploadView(generic.PortalPermissionMixin, View):
    """Attach a file to the officer's draft (multipart POST); a refused file is shown on the report form."""

    permission_required = "prevention.add_rectificationreport"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        report = get_visible_or_404(
            RectificationReport.objects.select_related("notice__enterprise", "notice__run"),
            request.user,
            editable=True,
            pk=kwargs["pk"],
        )
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = services.add_attachment(
                    actor=request.user, report=report, upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("File attached: %(name)s") % {"name": attachment.name})
                return redirect(reverse("prevention:report_edit", args=[report.notice_id]) + "#attachments")
        return render_report_edit(request, report.notice, attachment_form=form)


class AttachmentDeleteView(generic.PortalPermissionMixin, View):
    permission_required = "prevention.add_rectificationreport"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        attachment = get_visible_or_404(
            ReportAttachment.objects.select_related("report__notice"), request.user, pk=kwargs["pk"]
        )
        notice_id = attachment.report.notice_id
        try:
            services.remove_attachment(actor=request.user, attachment=attachment)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("File removed: %(name)s") % {"name": attachment.name})
        return redirect(reverse("prevention:report_edit", args=[notice_id]) + "#attachments")


class AttachmentDownloadView(generic.PortalPermissionMixin, View):
    """The file, only to users who may see its report (else 404), as a download with its checked type."""

    permission_required = "prevention.view_rectificationreport"

    def get(self, request, *args, **kwargs):
        attachment = get_visible_or_404(ReportAttachment, request.user, pk=kwargs["pk"])
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        audit.record(actor=request.user, verb="download", obj=attachment, changes={"sha256": attachment.sha256})
        return response


# --- deadline extensions --------------------------------------------------------------------------------------


class ExtensionRequestView(generic.PortalPermissionMixin, View):
    """The officer asks for a later deadline, with a reason (before the deadline)."""

    permission_required = "prevention.request_extension"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        notice = get_visible_or_404(_notice_queryset(), request.user, pk=kwargs["pk"])
        form = ExtensionRequestForm(request.POST)
        if form.is_valid():
            try:
                services.request_extension(
                    actor=request.user,
                    notice=notice,
                    requested_date=form.cleaned_data["requested_date"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Your request has been sent to the issuing agency."))
                return redirect(notice)
        notice.refresh_from_db()
        return render(
            request, "prevention/noticeletter_detail.html", notice_context(request, notice, extension_form=form)
        )


class ExtensionDecideView(generic.PortalPermissionMixin, View):
    """The issuing agency grants a new date (the requested one unless another is given) or refuses, with a
    reason."""

    permission_required = "prevention.decide_extension"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        extension = get_visible_or_404(
            DeadlineExtension.objects.select_related("notice"), request.user, editable=True, pk=kwargs["pk"]
        )
        notice = _notice_queryset().get(pk=extension.notice_id)
        form = ExtensionDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.decide_extension(
                    actor=request.user,
                    extension=extension,
                    grant=form.cleaned_data["grant"],
                    reason=form.cleaned_data["reason"],
                    granted_date=form.cleaned_data["granted_date"],
                )
            except ValidationError as exc:
                add_errors(form, exc, {"decision_reason": "reason"})
            else:
                messages.success(request, _("Decision recorded; the enterprise has been told."))
                return redirect(notice)
        return render(
            request, "prevention/noticeletter_detail.html", notice_context(request, notice, decision_form=form)
        )


# --- a case's online warning -----------------------------------------------------------------------------------


class CaseWarningView(generic.PortalPermissionMixin, View):
    """The facts of a case as its enterprise's officer sees them (personal data masked): the page the online
    warning links to. Whoever may see the case may open it; anyone else gets 404."""

    permission_required = "incidents.view_injurycase"

    def get(self, request, *args, **kwargs):
        case = get_visible_or_404(
            InjuryCase.objects.select_related("enterprise__region", "accident_type"), request.user, pk=kwargs["pk"]
        )
        warning = CaseWarning.objects.filter(case=case).first()
        notices = NoticeLetter.objects.visible_to(request.user).filter(enterprise_id=case.enterprise_id)[:5]
        return render(
            request,
            "prevention/warning_case.html",
            {"case": case, "warning": warning, "notices": list(notices), "title": gettext("Work-injury warning")},
        )
