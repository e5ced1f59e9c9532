"""The exchange's jobs: reports after each quarter's deadline, reminders, a report on demand or after a
reconfirmation. Each takes ids, loads the objects and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from portal.accounts.models import User
from portal.reference.models import Region

from . import services


@shared_task(name="exchange.build_report", autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3)
def build_report(region_id: int, year: int, quarter: int, trigger: str = "schedule", actor_id: int | None = None):
    region = Region.objects.get(pk=region_id)
    actor = User.objects.get(pk=actor_id) if actor_id else None
    if trigger == "reconfirmed":
        # The corrections made while the quarter was open each queued a refresh of the summary tables, which may
        # still be waiting beside this job: the quarter's months are brought up to date here first.
        services.refresh_statistics(year, quarter)
    report, created = services.build_report(region=region, year=year, quarter=quarter, actor=actor, trigger=trigger)
    return {"report": report.pk, "version": report.version, "created": created}


@shared_task(name="exchange.scheduled_reports")
def scheduled_reports():
    return services.scheduled_reports()


@shared_task(name="exchange.send_reminders")
def send_reminders():
    return services.send_reminders()
