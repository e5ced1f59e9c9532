"""Jobs of the loop. Each takes ids (or nothing), calls one service, and is idempotent."""

from __future__ import annotations

import datetime

from celery import shared_task


@shared_task(name="prevention.send_case_warnings")
def send_case_warnings(case_ids: list[int] | None = None) -> int:
    """线上日常预警: the cases given (queued when a case is recorded), or every recent case without a warning
    (the sweep beat runs each minute, which also covers imports)."""
    from . import services

    return services.send_case_warnings(case_ids=case_ids)


@shared_task(name="prevention.annual_screenings")
def annual_screenings(today: str | None = None) -> list[int]:
    from . import services

    return services.annual_screenings(today=datetime.date.fromisoformat(today) if today else None)


@shared_task(name="prevention.escalate")
def escalate(today: str | None = None) -> dict:
    from . import services

    return services.escalate(today=datetime.date.fromisoformat(today) if today else None)


@shared_task(name="prevention.send_reminders")
def send_reminders(today: str | None = None) -> int:
    from . import services

    return services.send_reminders(today=datetime.date.fromisoformat(today) if today else None)
