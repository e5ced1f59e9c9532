"""Account administration for the three admin duties (system admin: accounts and agencies; security admin:
roles, unlocking, login attempts; auditor: read-only) and for agency admins (their agency's staff)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.services import update_object

from . import services
from .models import Agency, LoginAttempt, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "region", "is_lead", "is_active"]
    list_filter = ["kind", "level", "is_lead", "is_active"]
    search_fields = ["name", "region__name", "region__code"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return Agency.objects.visible_to(request.user).select_related("region")

    def save_model(self, request, obj, form, change):
        if change:
            original = Agency.objects.get(pk=obj.pk)
            update_object(actor=request.user, instance=original, data=form.cleaned_data)
        else:
            from portal.services import create_object

            created = create_object(actor=request.user, model=Agency, data=form.cleaned_data)
            obj.pk = created.pk


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "role", "agency", "enterprise", "is_active", "locked_until", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "email"]
    fields = [
        "username",
        "full_name",
        "title",
        "email",
        "phone",
        "role",
        "agency",
        "enterprise",
        "is_active",
        "locked_until",
        "last_login",
        "password_changed_at",
    ]
    readonly_fields = ["last_login", "password_changed_at", "locked_until"]
    autocomplete_fields = ["agency", "enterprise"]
    actions = ["unlock_accounts"]

    def get_queryset(self, request):
        return User.objects.visible_to(request.user).select_related("agency", "enterprise")

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        if not request.user.has_perm("accounts.assign_role") and obj is not None:
            ro += ["role", "agency", "enterprise"]
        return ro

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or User.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items()}
        if not change:
            created = services.create_user(actor=request.user, data=data)
            obj.pk = created.pk
            return
        original = User.objects.get(pk=obj.pk)
        role_fields = {"role", "agency", "enterprise"}
        if role_fields & set(form.changed_data):
            services.assign_role(
                actor=request.user,
                user=original,
                role=data.get("role", original.role),
                agency=data.get("agency", original.agency),
                enterprise=data.get("enterprise", original.enterprise),
            )
        other = [f for f in form.changed_data if f not in role_fields]
        if other:
            update_object(actor=request.user, instance=original, data=data, fields=other)

    @admin.action(description=_("Unlock selected accounts"), permissions=["unlock"])
    def unlock_accounts(self, request, queryset):
        for user in queryset:
            services.unlock_user(actor=request.user, user=user)
        messages.success(request, _("Accounts unlocked."))

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.unlock_user")


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "succeeded", "ip_address"]
    list_filter = ["succeeded"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
