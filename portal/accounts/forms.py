"""Login and password forms with lock-out aware messages."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from portal.forms import StyledFormMixin

from .models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong username or password. After %(limit)s failures in %(window)s minutes the account is locked."
        ),
        "locked": _(
            "This account is locked after repeated failed logins. "
            "Try again after %(until)s or ask the security administrator."
        ),
    }

    def clean(self):
        from django.conf import settings
        from django.utils import formats, timezone

        username = self.cleaned_data.get("username")
        user = User.objects.filter(username=username).first() if username else None
        if user is not None and user.is_locked:
            # Count the attempt (audit) but never tell whether the password was right.
            from .services import record_login_failure

            record_login_failure(username=username, ip=self.request.META.get("REMOTE_ADDR") if self.request else None)
            until = formats.date_format(timezone.localtime(user.locked_until), "DATETIME_FORMAT")
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"until": until})
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                user = User.objects.filter(username=username).first() if username else None
                if user is not None and user.is_locked:
                    until = formats.date_format(timezone.localtime(user.locked_until), "DATETIME_FORMAT")
                    raise forms.ValidationError(
                        self.error_messages["locked"], code="locked", params={"until": until}
                    ) from exc
                raise forms.ValidationError(
                    self.error_messages["invalid_login"],
                    code="invalid_login",
                    params={"limit": settings.LOGIN_FAILURE_LIMIT, "window": settings.LOGIN_FAILURE_WINDOW_MINUTES},
                ) from exc
            raise


class PasswordChangeForm(StyledFormMixin, forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("The current password is wrong."), code="password_incorrect")
        return value

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("The two new passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned
