"""Login, logout and failed-login signals → audit trail and lock-out counting."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal import audit


def _ip(request):
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    from portal.middleware import IdleSessionMiddleware

    from .services import record_login_success

    record_login_success(user=user, ip=_ip(request))
    if request is not None and getattr(request, "session", None) is not None:
        IdleSessionMiddleware.renew(request.session)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, verb="logout", obj=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    from .services import record_login_failure

    record_login_failure(username=credentials.get("username", ""), ip=_ip(request))
