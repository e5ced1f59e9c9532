"""Admin for the portal's own records: the audit trail is read-only, for the audit administrator."""

from django.contrib import admin

from .models import AuditEvent, JobOutbox, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
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

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.role == "system_admin"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "at"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.role == "system_admin"
