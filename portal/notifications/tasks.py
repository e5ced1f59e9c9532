"""E-mail copies of notifications."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError, transaction
from django.utils import timezone


@shared_task(
    name="portal.notifications.tasks.send_notification_email",
    autoretry_for=(OSError, OperationalError),  # the mail server, or a database busy for a moment
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> bool:
    """Send one notification by e-mail; idempotent (a notification is e-mailed at most once)."""
    from .models import Notification

    with transaction.atomic():
        n = Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        if n is None or n.emailed_at is not None or not n.recipient.email:
            return False
        body = n.body
        if n.url:
            body = f"{body}\n\n{settings.PORTAL_BASE_URL.rstrip('/')}{n.url}"
        send_mail(n.title, body, settings.DEFAULT_FROM_EMAIL, [n.recipient.email])
        n.emailed_at = timezone.now()
        n.save(update_fields=["emailed_at"])
        return True


@shared_task(
    name="portal.notifications.tasks.send_notification_emails",
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send a batch of notifications by e-mail (each at most once: see ``send_notification_email``)."""
    return sum(bool(send_notification_email(pk)) for pk in notification_ids)
