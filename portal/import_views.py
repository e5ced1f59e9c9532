"""Import pages: upload a file, see the preview (what will be created or updated, every error by row and
column), confirm; download the template."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from portal import imports
from portal.forms import StyledFormMixin
from portal.models import ImportBatch
from portal.permissions import get_visible_or_404

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class SpecMixin:
    def dispatch(self, request, *args, **kwargs):
        self.spec = imports.get_spec(kwargs["kind"])
        if self.spec is None:
            raise Http404
        if request.user.is_authenticated and not self.spec.may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportListView(LoginRequiredMixin, ListView):
    """The user's own imports, and what they may import."""

    template_name = "imports/import_list.html"
    context_object_name = "batches"
    paginate_by = 25

    def get_queryset(self):
        return ImportBatch.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "specs": imports.specs_for(self.request.user)}


class ImportUploadView(LoginRequiredMixin, SpecMixin, FormView):
    form_class = UploadForm
    template_name = "imports/import_upload.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "spec": self.spec}

    def form_valid(self, form):
        batch = imports.upload(actor=self.request.user, spec=self.spec, uploaded_file=form.cleaned_data["file"])
        return redirect("imports:import_detail", pk=batch.pk)


class ImportDetailView(LoginRequiredMixin, DetailView):
    template_name = "imports/import_detail.html"
    context_object_name = "batch"

    def get_object(self, queryset=None):
        return get_visible_or_404(ImportBatch, self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "spec": imports.get_spec(self.object.kind)}


class ImportConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk):
        batch = get_visible_or_404(ImportBatch, request.user, editable=True, pk=pk)
        spec = imports.get_spec(batch.kind)
        if spec is None or not spec.may_import(request.user):
            raise PermissionDenied
        if imports.request_confirm(actor=request.user, batch=batch):
            messages.info(request, _("The import runs in the background; this page shows its progress."))
            return redirect("imports:import_detail", pk=batch.pk)
        batch.refresh_from_db()
        if batch.status == "committed":
            messages.success(request, _("Imported."))
        else:
            messages.error(
                request, _("The data changed since the preview; see the errors below. Nothing was imported.")
            )
        return redirect("imports:import_detail", pk=batch.pk)


class ImportTemplateView(LoginRequiredMixin, SpecMixin, View):
    def get(self, request, kind):
        response = HttpResponse(
            imports.template_workbook(self.spec),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        from urllib.parse import quote

        name = f"{self.spec.title}-template.xlsx"
        response["Content-Disposition"] = f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{quote(name)}"
        return response


def import_url(kind: str) -> str:
    return reverse("imports:import_upload", kwargs={"kind": kind})
