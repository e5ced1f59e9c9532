"""My exports: the user's large list exports, built by background jobs, with their progress and the download of
the finished file (its owner only; anyone else gets a 404)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from portal import exports
from portal.models import ExportJob, ExportStatus
from portal.permissions import get_visible_or_404


class ExportListView(LoginRequiredMixin, ListView):
    """The user's own export jobs, newest first; the page refreshes itself while one is being prepared."""

    template_name = "exports/export_list.html"
    context_object_name = "jobs"
    paginate_by = 25

    def get_queryset(self):
        exports.expire_exports(owner=self.request.user)  # files past their date go now, not at the next beat run
        return ExportJob.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["any_running"] = any(job.is_running for job in ctx["jobs"])
        ctx["retention_days"] = settings.EXPORT_RETENTION_DAYS
        return ctx


class ExportDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = get_visible_or_404(ExportJob, request.user, pk=pk)
        if job.status == ExportStatus.DONE and not job.is_downloadable:
            exports.expire_exports(owner=request.user)
            job.refresh_from_db()
        if job.status == ExportStatus.EXPIRED:
            messages.error(request, _("This export has expired. Export the list again."))
            return redirect("exports:export_list")
        if not job.is_downloadable:
            messages.info(request, _("This export is not ready yet."))
            return redirect("exports:export_list")
        try:
            handle = exports.open_export(actor=request.user, job=job)
        except (FileNotFoundError, ExportJob.DoesNotExist):
            raise Http404 from None
        content_type = exports.XLSX_CONTENT_TYPE if job.format == "xlsx" else "text/csv; charset=utf-8"
        return FileResponse(handle, as_attachment=True, filename=job.file_name, content_type=content_type)
