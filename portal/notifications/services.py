"""Sending notifications: inbox rows now, e-mail copies by a background job."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.counts import cached_result
from portal.jobs import enqueue

from .models import Notification

# Notifications e-mailed per background message: a job that notifies thousands sends a few messages, not one
# per recipient.
EMAIL_BATCH = 500


@transaction.atomic
def notify(*, recipients, title: str, body: str = "", url: str = "", level: str = "info", email: bool = True):
    """Put a message into each recipient's inbox and, if ``email``, queue an e-mail copy."""
    rows = [
        Notification(recipient=user, title=title[:200], body=body, url=url, level=level)
        for user in {u.pk: u for u in recipients if u.is_active}.values()
    ]
    created = Notification.objects.bulk_create(rows)
    if email:
        queue_emails([n.pk for n in created if n.recipient.email])
    return created


@transaction.atomic
def notify_many(rows: list[Notification], *, email: bool = True) -> list[Notification]:
    """Write many prepared inbox rows at once (jobs) and queue their e-mail copies in batches."""
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    if email:
        queue_emails([n.pk for n in created if n.recipient.email])
    return created


def queue_emails(ids: list[int]) -> int:
    """Queue e-mail copies of these notifications, ``EMAIL_BATCH`` to a message; returns the messages queued."""
    from .tasks import send_notification_emails

    batches = [ids[i : i + EMAIL_BATCH] for i in range(0, len(ids), EMAIL_BATCH)]
    for batch in batches:
        enqueue(send_notification_emails, batch)
    return len(batches)


def mark_read(*, user, notifications) -> int:
    return notifications.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def unread_count(user) -> int:
    """The user's unread notifications (the shell's badge, the inbox's to-do), counted again after a write to them.
    The query is built only to count (the badge is on every page; a cached count needs no QuerySet)."""

    def count() -> int:
        return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()

    return cached_result(("unread", user.pk), [Notification._meta.db_table], count, local=True)
