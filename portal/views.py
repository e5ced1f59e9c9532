"""Generic view bases (every module's views are a few attributes on these) and the shell's own pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, TemplateView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from portal import audit, todos
from portal.filters import FilterSet
from portal.forms import LazyHtml, style_fields
from portal.pagination import CappedPaginator, KeysetPaginator
from portal.permissions import get_visible_or_404
from portal.services import create_object, delete_object, update_object


def error_messages(request, refusal) -> None:
    """A service's refusal (``ValidationError``) or an invalid form's errors as messages on the next page (for
    actions that have no form to show them on)."""
    if isinstance(refusal, ValidationError):
        found = refusal.messages
    else:
        found = [message for errors in refusal.errors.values() for message in errors]
    for message in found:
        messages.error(request, message)


class PortalPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Login, then the role's model permission; a refusal is audited and answered with 403."""

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            audit.record(actor=self.request.user, verb="denied", note=f"{self.request.method} {self.request.path}")
        return super().handle_no_permission()


class ScopedObjectMixin:
    """Single-object views fetch through the scope: out of scope → 404 (and an audit entry)."""

    editable = False

    def get_object(self, queryset=None):
        """The view's own queryset (its select_related, its filters) narrowed to the user's scope."""
        if queryset is None:  # action views (plain ``View``s) have no get_queryset
            queryset = self.get_queryset() if hasattr(self, "get_queryset") else self.model.objects.all()
        qs = queryset
        return get_visible_or_404(qs, self.request.user, editable=self.editable, pk=self.kwargs["pk"])


class ScopedListView(PortalPermissionMixin, SingleTableMixin, FilterView):
    """List with filters (django-filter) and a sortable, paginated table (django-tables2)."""

    # django-tables2 paginates (and counts) the table; Django's own list pagination would count the scope twice.
    # Keyset (cursor) pages when the table is sorted by its own non-null columns, capped page numbers otherwise.
    table_pagination = {"per_page": 25, "paginator_class": KeysetPaginator}
    template_name = "generic/object_list.html"

    def get_table_pagination(self, table):
        return {**super().get_table_pagination(table), "query": self.request.GET}

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    add_url_name: str | None = None
    export_columns: list | None = None  # portal.exports.Column list: enables ?export=csv|xlsx

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx") and self.export_columns:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export_queryset(self):
        """What an export of this list holds: the user's scope, the list's filters, the model's ordering.
        Also used by the export job (portal.exports.build_export_job) for the same user and filter."""
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            return self.get_queryset().none()
        return filterset.qs.order_by(*(self.model._meta.ordering or ["pk"]))

    def export(self, fmt: str):
        """The list as filtered (and only the rows the user may see), audited with its filter and row count.
        More rows than ``EXPORT_INLINE_MAX_ROWS`` (the capped count): a background job writes the file and the
        user goes to "My exports"."""
        from portal import exports

        queryset = self.export_queryset()
        filters = exports.export_filters(self.request.GET)
        paginator = CappedPaginator(queryset, per_page=1)
        rows = f"{paginator.cap}+" if paginator.is_capped else str(paginator.count)
        if paginator.count > settings.EXPORT_INLINE_MAX_ROWS:
            exports.start_export_job(
                actor=self.request.user,
                kind=self.request.resolver_match.view_name,
                model=self.model,
                fmt=fmt,
                filters=filters,
                expected_rows=paginator.count,
                rows_label=rows,
            )
            messages.info(
                self.request,
                _("This export is large and is prepared in the background. You will be notified."),
            )
            return redirect("exports:export_list")
        exports.audit_export(actor=self.request.user, model=self.model, fmt=fmt, rows_label=rows, filters=filters)
        name = exports.export_file_name(self.model._meta.verbose_name_plural, fmt)
        data = exports.rows(queryset, self.export_columns)
        if fmt == "csv":
            return exports.csv_response(name, self.export_columns, data)
        return exports.xlsx_response(name, self.model._meta.verbose_name_plural, self.export_columns, data)

    def get_context_data(self, **kwargs):
        from django.urls import reverse

        ctx = super().get_context_data(**kwargs)
        filterset = ctx.get("filter")
        if isinstance(filterset, FilterSet) and filterset.fields_html_key() is not None:
            # the template shows filter_fields_html: the form is built (and styled) only if it is not cached
            ctx["filter_fields_html"] = LazyHtml(filterset.fields_html)
        elif filterset is not None:
            style_fields(filterset.form)
        ctx["list_title"] = self.model._meta.verbose_name_plural
        opts = self.model._meta
        if self.add_url_name and self.request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            ctx["add_url"] = reverse(self.add_url_name)
        from portal import imports

        spec = imports.get_spec(self.model._meta.label_lower)
        if spec is not None and spec.may_import(self.request.user):
            ctx["import_url"] = reverse("imports:import_upload", args=[spec.kind])
        if self.export_columns:
            query = self.request.GET.copy()
            query.pop("page", None)
            query.pop("cursor", None)
            ctx["export_urls"] = {
                fmt: "?" + (query.urlencode() + "&" if query else "") + f"export={fmt}" for fmt in ("xlsx", "csv")
            }
        return ctx

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs


class ScopedDetailView(PortalPermissionMixin, ScopedObjectMixin, DetailView):
    def get_context_data(self, **kwargs):
        from portal.permissions import can_edit

        return {**super().get_context_data(**kwargs), "can_edit": can_edit(self.request.user, self.object)}

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"]


class ScopedCreateView(PortalPermissionMixin, CreateView):
    """``form_valid`` calls ``create_service`` (default: ``portal.services.create_object``)."""

    template_name = "generic/object_form.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "model_verbose_name": self.model._meta.verbose_name}

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.add_{self.model._meta.model_name}"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def create(self, form):
        return create_object(actor=self.request.user, model=self.model, data=form.cleaned_data)

    def form_valid(self, form):
        try:
            self.object = self.create(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.get_success_url())


class ScopedUpdateView(PortalPermissionMixin, ScopedObjectMixin, UpdateView):
    editable = True
    template_name = "generic/object_form.html"

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.change_{self.model._meta.model_name}"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        original = self.model.objects.get(pk=self.object.pk)
        try:
            self.object = update_object(
                actor=self.request.user, instance=original, data=form.cleaned_data, fields=list(form.cleaned_data)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.get_success_url())


class ScopedDeleteView(PortalPermissionMixin, ScopedObjectMixin, DeleteView):
    editable = True
    template_name = "generic/object_confirm_delete.html"

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.delete_{self.model._meta.model_name}"]

    def form_valid(self, form):
        success_url = self.get_success_url()
        delete_object(actor=self.request.user, instance=self.object)
        messages.success(self.request, _("Deleted."))
        return redirect(success_url)


class ActionView(PortalPermissionMixin, ScopedObjectMixin, View):
    """POST-only: fetch the object in the editable scope and call ``perform(obj)`` (one service call)."""

    editable = True

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.perform(self.object)

    def perform(self, obj):  # pragma: no cover - abstract
        raise NotImplementedError


class HomeView(LoginRequiredMixin, TemplateView):
    """The user's own agency or enterprise, region, and to-dos."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["todo_items"] = todos.collect(user)
        ctx["recent_notifications"] = user.notifications.all()[:5]
        return ctx


def healthz(request):
    """Database, broker and the last worker heartbeat, as JSON. 200 if database and broker answer, else 503."""
    from portal.celery import app
    from portal.models import WorkerHeartbeat

    result = {"time": timezone.now().isoformat()}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        result["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        ok = False
        result["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            transport = conn.transport_cls
        result["broker"] = {"ok": True, "transport": str(transport)}
    except Exception as exc:
        ok = False
        result["broker"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        last = WorkerHeartbeat.objects.order_by("-at").first()
    except Exception:
        last = None
    if last is None:
        result["worker_heartbeat"] = {"ok": False, "last": None}
    else:
        age = (timezone.now() - last.at).total_seconds()
        result["worker_heartbeat"] = {
            "ok": age <= settings.WORKER_HEARTBEAT_STALE_SECONDS,
            "last": last.at.isoformat(),
            "age_seconds": round(age),
            "worker": last.hostname,
        }
    result["status"] = "ok" if ok and result["worker_heartbeat"]["ok"] else ("degraded" if ok else "error")
    return JsonResponse(result, status=200 if ok else 503)


def permission_denied(request, exception=None):
    if request.user.is_authenticated:
        audit.record(actor=request.user, verb="denied", note=f"{request.method} {request.path}")
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
