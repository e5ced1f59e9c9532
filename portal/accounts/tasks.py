"""Account jobs."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override


@shared_task(name="portal.accounts.tasks.remind_password_expiry")
def remind_password_expiry(days_before: int = 7) -> int:
    """Tell users whose password expires within ``days_before`` days — once per expiry date."""
    from django.conf import settings

    from portal.notifications.models import Notification
    from portal.notifications.services import notify

    from .models import User

    if not settings.PASSWORD_EXPIRY_DAYS:
        return 0
    now = timezone.now()
    changed_before = now - timedelta(days=settings.PASSWORD_EXPIRY_DAYS - days_before)
    sent = 0
    for user in User.objects.filter(is_active=True, password_changed_at__lte=changed_before):
        with override(settings.LANGUAGE_CODE):
            title = _("Your password expires on %(date)s") % {
                "date": timezone.localtime(user.password_expires_at).strftime("%Y-%m-%d")
            }
        if Notification.objects.filter(recipient=user, title=title).exists():
            continue
        notify(recipients=[user], title=title, url="/accounts/password/", level="warning")
        sent += 1
    return sent
