"""Login, logout, password change and the user's own profile."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.generic import FormView, TemplateView

from . import services
from .forms import LoginForm, PasswordChangeForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from django.conf import settings

        return {**super().get_context_data(**kwargs), "idle_minutes": settings.SESSION_COOKIE_AGE // 60}


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(LoginRequiredMixin, FormView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["expired"] = self.request.user.password_expired or self.request.user.password_changed_at is None
        return ctx

    def form_valid(self, form):
        try:
            services.change_password(
                actor=self.request.user, user=self.request.user, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("home")


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/profile.html"


class SecurityPolicyView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The policy in force (passwords, lock-out, sessions) and what each role may do, for the 三员."""

    permission_required = "accounts.view_security_policy"
    template_name = "accounts/security_policy.html"

    def get_context_data(self, **kwargs):
        from django.apps import apps
        from django.conf import settings

        from portal.permissions import ROLE_PERMISSIONS

        from .models import Role

        actions = {
            "view": pgettext_lazy("permission", "view"),
            "add": pgettext_lazy("permission", "add"),
            "change": pgettext_lazy("permission", "change"),
            "delete": pgettext_lazy("permission", "delete"),
        }
        rows = []
        for role in Role:
            perms = []
            for perm in sorted(ROLE_PERMISSIONS.get(role.value, ())):
                app_label, codename = perm.split(".", 1)
                action, _sep, model_name = codename.partition("_")
                try:
                    model = apps.get_model(app_label, model_name)
                except LookupError:
                    model = None
                if model is not None and action in actions:
                    perms.append(
                        pgettext("permission", "%(action)s %(model)s")
                        % {"action": actions[action], "model": model._meta.verbose_name}
                    )
                else:
                    perms.append(self._custom_permission_name(app_label, codename))
            rows.append({"role": role.label, "permissions": perms})
        policy = [
            (_("Minimum password length"), 12),
            (_("Character classes required"), 3),
            (_("Password expiry (days, 0 = never)"), settings.PASSWORD_EXPIRY_DAYS),
            (_("Failed logins before lock-out"), settings.LOGIN_FAILURE_LIMIT),
            (_("Counting window (minutes)"), settings.LOGIN_FAILURE_WINDOW_MINUTES),
            (_("Lock-out duration (minutes)"), settings.LOGIN_LOCKOUT_MINUTES),
            (_("Idle session timeout (minutes)"), settings.SESSION_COOKIE_AGE // 60),
        ]
        return {**super().get_context_data(**kwargs), "roles": rows, "policy": policy}

    @staticmethod
    def _custom_permission_name(app_label: str, codename: str) -> str:
        from django.apps import apps

        for model in apps.get_app_config(app_label).get_models():
            for code, name in model._meta.permissions:
                if code == codename:
                    return str(name)
        return f"{app_label}.{codename}"
