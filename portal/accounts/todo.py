"""To-dos the accounts module contributes to the home page."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.todos import TodoItem


def account_todos(user):
    expires = user.password_expires_at
    if expires is not None and expires - timezone.now() <= timedelta(days=14):
        yield TodoItem(
            title=_("Change your password before it expires"),
            url=reverse("accounts:password_change"),
            due=expires,
            level="warning",
        )
    if user.role == "security_admin":
        from .models import User

        locked = User.objects.filter(locked_until__gt=timezone.now()).count()
        if locked:
            yield TodoItem(
                title=_("Locked accounts to review"),
                url=reverse("admin:accounts_user_changelist"),
                count=locked,
                level="warning",
            )
    if user.role == "auditor":
        from portal.models import AuditEvent

        denied = AuditEvent.objects.filter(verb="denied", at__gte=timezone.now() - timedelta(days=7)).count()
        if denied:
            yield TodoItem(
                title=_("Access denials in the last 7 days"),
                url=reverse("admin:portal_auditevent_changelist") + "?verb__exact=denied",
                count=denied,
                level="warning",
            )
    if user.role == "system_admin":
        from portal.models import JobOutbox, WorkerHeartbeat

        waiting = JobOutbox.objects.filter(sent_at__isnull=True).count()
        if waiting:
            yield TodoItem(
                title=_("Background jobs waiting for the broker"),
                url=reverse("admin:portal_joboutbox_changelist"),
                count=waiting,
                level="danger",
            )
        last = WorkerHeartbeat.objects.order_by("-at").first()
        stale = timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
        if last is None or timezone.now() - last.at > stale:
            yield TodoItem(
                title=_("No recent heartbeat from the background worker"), url=reverse("healthz"), level="danger"
            )
    if user.role == "agency_admin":
        from .models import User

        never = User.objects.filter(agency_id=user.agency_id, last_login__isnull=True, is_active=True).count()
        if never:
            yield TodoItem(
                title=_("Accounts of your agency that have never logged in"),
                url=reverse("admin:accounts_user_changelist"),
                count=never,
            )
