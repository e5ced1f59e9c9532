"""Account administration for the three admin duties (system admin: accounts and agencies; security admin:
roles, unlocking, login attempts; auditor: read-only) and for agency admins (their agency's staff)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from portal.admin import AuditedModelAdmin, PortalModelAdmin
from portal.services import update_object

from . import services
from .models import Agency, LoginAttempt, Role, User


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "level", "region", "is_lead", "is_active"]
    list_filter = ["kind", "level", "is_lead", "is_active"]
    search_fields = ["name", "region__name", "region__code"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return Agency.objects.visible_to(request.user).select_related("region")

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or Agency.objects.editable_by(request.user).filter(pk=obj.pk).exists()


class UserAddForm(forms.ModelForm):
    """New account with an initial password that the user must change at the first login."""

    initial_password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("The user must choose a new password at the first login."),
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "title", "email", "phone", "role", "agency", "enterprise"]

    def clean_initial_password(self):
        value = self.cleaned_data["initial_password"]
        password_validation.validate_password(value, User(username=self.cleaned_data.get("username", "")))
        return value


@admin.register(User)
class UserAdmin(PortalModelAdmin):
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
    autocomplete_fields = ["enterprise"]
    actions = ["unlock_accounts"]

    def get_queryset(self, request):
        return User.objects.visible_to(request.user).select_related("agency", "enterprise")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserAddForm
            kwargs["fields"] = [*UserAddForm.Meta.fields, "initial_password"]
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*UserAddForm.Meta.fields, "initial_password"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        if obj is None:
            return []
        if not request.user.has_perm("accounts.assign_role"):
            ro += ["role", "agency", "enterprise"]
        return ro

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = (
                Agency.objects.filter(pk=request.user.agency_id)
                if request.user.role == Role.AGENCY_ADMIN
                else Agency.objects.filter(is_active=True).select_related("region")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and request.user.role == Role.AGENCY_ADMIN:
            kwargs["choices"] = [(Role.AGENCY_STAFF.value, Role.AGENCY_STAFF.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or User.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if not change:
            password = data.pop("initial_password")
            created = services.create_user(actor=request.user, data=data, password=password, must_change=True)
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
class LoginAttemptAdmin(PortalModelAdmin):
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
