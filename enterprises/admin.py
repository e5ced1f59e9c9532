"""Enterprises are business data: the three admin duties do not read them, so the admin only offers the
search that account binding (safety officers) needs."""

from django.contrib import admin

from portal.admin import PortalModelAdmin

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(PortalModelAdmin):
    search_fields = ["name", "credit_code"]

    def has_module_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("accounts.add_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
