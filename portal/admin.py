"""Admin bases and the portal's own records: the audit trail is read-only, for the audit administrator."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .models import AuditEvent, JobOutbox, WorkerHeartbeat
from .pagination import CappedPaginator
from .services import create_object, delete_object, update_object


class PortalModelAdmin(admin.ModelAdmin):
    """Base of every admin: a changelist never counts a big table exactly. The page count stops at 100,000
    (``CappedPaginator``), the "N total" full count is off, and so are the per-filter facet counts."""

    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


class AuditedModelAdmin(PortalModelAdmin):
    """Saves and deletes through the generic services, so every admin write lands in the audit trail."""

    def save_model(self, request, obj, form, change):
        data = {f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields if not f.primary_key}
        if change:
            original = type(obj)._default_manager.get(pk=obj.pk)
            saved = update_object(actor=request.user, instance=original, data=data)
        else:
            saved = create_object(actor=request.user, model=type(obj), data=data)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        delete_object(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_object(actor=request.user, instance=obj)


class ReadOnlyAdmin(PortalModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "verb", "object_type", "object_repr", "ip_address"]
    list_filter = ["verb", "object_type", "at"]
    search_fields = ["actor_name", "object_repr", "object_id", "note"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return AuditEvent.objects.visible_to(request.user)


@admin.register(JobOutbox)
class JobOutboxAdmin(ReadOnlyAdmin):
    list_display = ["task_name", "created_at", "attempts", "sent_at", "error"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "at"]


# The admins of Django and DRF themselves (registered before ours), with the same counting rules.
class PortalGroupAdmin(PortalModelAdmin, GroupAdmin):
    pass


class PortalTokenAdmin(PortalModelAdmin, TokenAdmin):
    pass


for _model, _admin_class in ((Group, PortalGroupAdmin), (TokenProxy, PortalTokenAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
