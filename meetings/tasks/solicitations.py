"""Jobs of the joint meeting: solicitations. Beat sends both by name (portal/celery.py):

* ``meetings.remind_solicitations`` — hourly (crontab(minute=0)): remind the agencies that have not replied when the
  deadline is within 24 hours, once per reply;
* ``meetings.close_solicitations`` — every minute (60.0): close the solicitations whose deadline has passed and
  record every missing reply as 无意见（逾期未回复）, once.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from ..services import solicitations as services


@shared_task(name="meetings.remind_solicitations", autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3)
def remind_solicitations() -> int:
    return services.remind_solicitations()


@shared_task(name="meetings.close_solicitations", autoretry_for=(OperationalError,), retry_backoff=10, max_retries=3)
def close_solicitations() -> int:
    return services.close_due_solicitations()
