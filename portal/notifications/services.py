"""Sending notifications: inbox rows now, e-mail copies by a background job."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.jobs import enqueue

from .models import Notification


@transaction.atomic
def notify(*, recipients, title: str, body: str = "", url: str = "", level: str = "info", email: bool = True):
    """Put a message into each recipient's inbox and, if ``email``, queue an e-mail copy."""
    rows = [
        Notification(recipient=user, title=title[:200], body=body, url=url, level=level)
        for user in {u.pk: u for u in recipients if u.is_active}.values()
    ]
    created = Notification.objects.bulk_create(rows)
    if email:
        from .tasks import send_notification_email

        for n in created:
            if n.recipient.email:
                enqueue(send_notification_email, n.pk)
    return created


def mark_read(*, user, notifications) -> int:
    return notifications.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
