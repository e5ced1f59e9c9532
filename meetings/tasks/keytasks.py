"""Jobs of the joint meeting: keytasks. Beat sends ``meetings.compile_yearly_reports`` daily; from 15 December on
it compiles each committee's yearly implementation report of the key tasks (a new version only when its content
changed) and tells the committee's secretariat and the secretariat above."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from ..services import keytasks as services


@shared_task(name="meetings.compile_yearly_reports", autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3)
def compile_yearly_reports():
    return services.scheduled_yearly_reports()
