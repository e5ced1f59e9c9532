"""Pages of the joint meeting: keytasks — the key task list (重点工作任务清单) with what is due and late per task
and agency, a task with its progress reports, the secretariat's forms (adopt seed 000's template, add and change
tasks, compile the yearly implementation report), the agencies' progress reports, and the yearly reports with
their PDF and DOCX (downloads audited).

Every write is one service call (``meetings.services.keytasks``): its ValidationError comes back on the form or as
a message, its PermissionDenied is a 403; an object outside the user's scope is a 404. "Today" is the services'
clock (``services._today``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from portal import views as generic
from portal.pdf import pdf_response
from portal.permissions import get_visible_or_404
from portal.todos import TodoItem

from ..forms.keytasks import CompileForm, KeyTaskForm, ProgressForm
from ..models import Committee, KeyTask, TaskProgress, YearlyReport, is_secretariat_of
from ..services import keytasks as services
from ..services.committee import committee_for
from .committee import ServiceFormView, section_links

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def current_committee(request) -> Committee:
    """``?committee=<id>`` among the committees the user sees, else the user's own (or the nearest above)."""
    wanted = request.GET.get("committee")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        return get_visible_or_404(Committee.objects.select_related("region"), request.user, pk=int(wanted))
    committee = committee_for(request.user)
    if committee is None:
        raise Http404(_("Your region has no joint meeting."))
    return committee


# --- the list ------------------------------------------------------------------------------------------------


def _posted_pk(request, name: str) -> int:
    """A primary key sent in the form (anything but digits is no row: 404, not an error)."""
    raw = (request.POST.get(name) or "").strip()
    if not raw.isdigit():
        raise Http404
    return int(raw)


class TaskListView(generic.PortalPermissionMixin, TemplateView):
    permission_required = "meetings.view_keytask"
    template_name = "meetings/keytasks/task_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        committee = current_committee(self.request)
        today = services._today()
        states = services.task_status(committee, today)
        rows = [{"state": s, "mine": s.of(user.agency_id) if user.agency_id else None} for s in states]
        secretariat = is_secretariat_of(user, committee)
        inactive = list(committee.tasks.filter(is_active=False).order_by("number")) if secretariat else []
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "today": today,
            "rows": rows,
            "late_count": sum(1 for s in states if s.late),
            "inactive": inactive,
            "is_secretariat": secretariat,
            "adopted": committee.tasks.filter(template_number__isnull=False).count(),
            "compile_form": CompileForm(initial={"year": today.year}) if secretariat else None,
            "links": section_links(),
        }


class TaskDetailView(generic.ScopedDetailView):
    model = KeyTask
    template_name = "meetings/keytasks/task_detail.html"

    def get_queryset(self):
        return KeyTask.objects.select_related("committee__region").prefetch_related("lead_agencies", "participants")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        task = self.object
        today = services._today()
        state = services.state_of(
            services.tasks_with_reports(task.committee, today, active_only=False).get(pk=task.pk), today
        )
        reports = task.progress.select_related("agency", "reported_by").order_by("-year", "-quarter", "agency__kind")
        return {
            **ctx,
            "task": task,
            "state": state,
            "reports": [{"report": r, "period": services.period_label(r.year, r.quarter)} for r in reports],
            "may_report": services.may_report(self.request.user, task),
            "is_secretariat": is_secretariat_of(self.request.user, task.committee),
            "today": today,
        }


# --- the secretariat's forms -----------------------------------------------------------------------------------


class TaskFormMixin:
    form_class = KeyTaskForm
    template_name = "meetings/keytasks/task_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "committee": self.committee}

    def cancel_url(self):
        return reverse("meetings:task_list") + f"?committee={self.committee.pk}"

    def success_url_for(self, result):
        return reverse("meetings:task_detail", args=[result.pk])


class TaskCreateView(TaskFormMixin, ServiceFormView):
    permission_required = "meetings.add_keytask"
    page_title = gettext_lazy("Add a key task")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.committee = current_committee(request)
            if not is_secretariat_of(request.user, self.committee):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        last = self.committee.tasks.order_by("-number").first()
        return {"number": (last.number + 1) if last else 1, "is_active": True}

    def perform(self, form):
        return services.create_task(actor=self.request.user, committee=self.committee, data=form.cleaned_data)


class TaskUpdateView(TaskFormMixin, ServiceFormView):
    permission_required = "meetings.change_keytask"
    page_title = gettext_lazy("Edit the key task")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.task = get_visible_or_404(
                KeyTask.objects.select_related("committee__region"), request.user, editable=True, pk=kwargs["pk"]
            )
            self.committee = self.task.committee
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": KeyTask.objects.get(pk=self.task.pk)}

    def perform(self, form):
        return services.update_task(actor=self.request.user, task=self.task, data=form.cleaned_data)


class PostView(generic.PortalPermissionMixin, View):
    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])


class AdoptTemplateView(PostView):
    """POST: the secretariat adopts seed 000's eleven tasks (idempotent)."""

    permission_required = "meetings.add_keytask"

    def post(self, request, *args, **kwargs):
        committee = get_visible_or_404(Committee, request.user, editable=True, pk=_posted_pk(request, "committee"))
        result = services.adopt_template(actor=request.user, committee=committee)
        if result.created:
            messages.success(request, _("%(count)s tasks adopted from the template.") % {"count": len(result.created)})
        else:
            messages.info(request, _("The template's tasks had already been adopted."))
        if result.missing:
            messages.warning(
                request,
                _("No agency of the region for: %(departments)s. Those departments were skipped.")
                % {"departments": "、".join(result.missing_departments)},
            )
        return redirect(reverse("meetings:task_list") + f"?committee={committee.pk}")


class ProgressReportView(ServiceFormView):
    """An agency reports its progress on a task it leads or takes part in (one report per period, changeable)."""

    permission_required = "meetings.add_taskprogress"
    form_class = ProgressForm
    template_name = "meetings/keytasks/progress_form.html"
    page_title = gettext_lazy("Report progress")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.task = get_visible_or_404(
                KeyTask.objects.select_related("committee__region"), request.user, pk=kwargs["pk"]
            )
            if not services.may_report(request.user, self.task):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "task": self.task}

    def get_initial(self):
        today = services._today()
        if self.task.schedule == KeyTask.Schedule.QUARTERLY:
            year, quarter = services.last_ended_quarter(today)
        elif self.task.schedule == KeyTask.Schedule.FIRST_QUARTER:
            year, quarter = today.year, 1
        else:
            year, quarter = today.year, 0
        wanted = (self.request.GET.get("year", ""), self.request.GET.get("quarter", ""))
        if wanted[0].isdigit() and wanted[1].isdigit():
            year, quarter = int(wanted[0]), int(wanted[1])
        initial = {"year": year, "quarter": quarter}
        existing = TaskProgress.objects.filter(
            task=self.task, agency=self.request.user.agency, year=initial["year"], quarter=initial["quarter"]
        ).first()
        if existing is not None:
            initial.update(status=existing.status, text=existing.text)
        return initial

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "task": self.task, "agency": self.request.user.agency}

    def perform(self, form):
        progress, _created = services.report_progress(actor=self.request.user, task=self.task, **form.cleaned_data)
        return progress

    def success_url_for(self, result):
        return reverse("meetings:task_detail", args=[self.task.pk])

    def cancel_url(self):
        return reverse("meetings:task_detail", args=[self.task.pk])


# --- yearly reports ------------------------------------------------------------------------------------------


class YearlyReportListView(generic.PortalPermissionMixin, TemplateView):
    permission_required = "meetings.view_yearlyreport"
    template_name = "meetings/keytasks/yearlyreport_list.html"

    def get_context_data(self, **kwargs):
        reports = (
            YearlyReport.objects.visible_to(self.request.user)
            .select_related("committee__region", "compiled_by")
            .defer("content")
            .order_by("committee__region__path", "-year", "-version")[:200]
        )
        return {**super().get_context_data(**kwargs), "reports": reports, "links": section_links()}


class YearlyReportDetailView(generic.ScopedDetailView):
    model = YearlyReport
    template_name = "meetings/keytasks/yearlyreport_detail.html"

    def get_queryset(self):
        return YearlyReport.objects.select_related("committee__region", "compiled_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.object
        content = report.content
        statuses = services.REPORT_STATUS_LABELS
        tasks = [
            {
                **t,
                "status_label": statuses.get(t["status"], t["status"]),
                "lead_names": "、".join(a["name"] for a in t["lead"]),
                "participant_names": "、".join(a["name"] for a in t["participants"]),
                "agency_rows": [
                    {
                        **a,
                        "status_label": statuses.get(a["status"], a["status"]),
                        "periods": [
                            {
                                **r,
                                "label": services.period_label(content["year"], r["quarter"]),
                                "status_label": statuses.get(r["status"], r["status"]),
                            }
                            for r in a["reports"]
                        ],
                    }
                    for a in t["agencies"]
                ],
            }
            for t in content["tasks"]
        ]
        versions = YearlyReport.objects.filter(committee=report.committee_id, year=report.year).defer("content")
        return {
            **ctx,
            "report": report,
            "title": services.report_title(content),
            "tasks": tasks,
            "summary": services._summary_text(content),
            "versions": versions.order_by("-version"),
        }


class YearlyReportCompileView(PostView):
    permission_required = "meetings.add_yearlyreport"

    def post(self, request, *args, **kwargs):
        committee = get_visible_or_404(Committee, request.user, editable=True, pk=_posted_pk(request, "committee"))
        form = CompileForm(request.POST)
        if not form.is_valid():
            generic.error_messages(request, form)
            return redirect(reverse("meetings:task_list") + f"?committee={committee.pk}")
        report, created = services.compile_yearly_report(committee, form.cleaned_data["year"], actor=request.user)
        if created:
            messages.success(request, _("Version %(version)s compiled.") % {"version": report.version})
        else:
            messages.info(
                request,
                _("Nothing changed since version %(version)s: no new version.") % {"version": report.version},
            )
        return redirect("meetings:yearlyreport_detail", report.pk)


class YearlyReportDownloadView(generic.PortalPermissionMixin, View):
    permission_required = "meetings.view_yearlyreport"

    def get(self, request, pk: int, fmt: str):
        report = get_visible_or_404(YearlyReport.objects.select_related("committee"), request.user, pk=pk)
        if fmt == "pdf":
            data = services.render_pdf(report)
            response = pdf_response(data, services.report_file_name(report, "pdf"))
        elif fmt == "docx":
            data = services.render_docx(report)
            response = file_response(data, services.report_file_name(report, "docx"), DOCX_CONTENT_TYPE)
        else:
            raise Http404
        services.record_download(actor=request.user, report=report, fmt=fmt)
        return response


def file_response(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = pdf_response(data, name)
    response["Content-Type"] = content_type
    return response


# --- to-dos --------------------------------------------------------------------------------------------------


def todos(user):
    """An agency that is late with progress reports on key tasks it leads or takes part in."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "agency_id", None):
        return
    if not user.has_perm("meetings.add_taskprogress"):
        return
    late = services.late_tasks_of(user.agency, services._today())
    if late:
        yield TodoItem(
            title=_("Key tasks with late progress reports"),
            url=reverse("meetings:task_list"),
            level="danger",
            count=len(late),
        )


urlpatterns: list = [
    path("tasks/", TaskListView.as_view(), name="task_list"),
    path("tasks/add/", TaskCreateView.as_view(), name="task_add"),
    path("tasks/adopt-template/", AdoptTemplateView.as_view(), name="task_adopt_template"),
    path("tasks/<int:pk>/", TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", TaskUpdateView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/report/", ProgressReportView.as_view(), name="task_report"),
    path("yearly-reports/", YearlyReportListView.as_view(), name="yearlyreport_list"),
    path("yearly-reports/compile/", YearlyReportCompileView.as_view(), name="yearlyreport_compile"),
    path("yearly-reports/<int:pk>/", YearlyReportDetailView.as_view(), name="yearlyreport_detail"),
    path("yearly-reports/<int:pk>/<str:fmt>/", YearlyReportDownloadView.as_view(), name="yearlyreport_download"),
]
