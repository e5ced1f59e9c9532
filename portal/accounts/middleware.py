"""Request-wide account rules: audit context and forced password change."""

from django.shortcuts import redirect
from django.urls import reverse

from portal import audit

_EXEMPT_PREFIXES = ("/static/", "/healthz", "/i18n/", "/accounts/logout", "/accounts/password/", "/jsi18n/")


class PasswordExpiryMiddleware:
    """Sets the audit request context; sends a user whose password expired (or was never set by them)
    to the change-password page before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_request_context(request)
        try:
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and (user.password_expired or user.password_changed_at is None)
                and not request.path.startswith(_EXEMPT_PREFIXES)
                and not request.path.startswith("/api/")
            ):
                return redirect(reverse("accounts:password_change") + "?expired=1")
            return self.get_response(request)
        finally:
            audit.reset_request_context(token)
