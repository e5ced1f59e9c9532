"""Jobs of the joint meeting: action items (督办事项)."""

from __future__ import annotations

import datetime

from celery import shared_task


@shared_task(name="meetings.remind_action_items")
def remind_action_items(today: str | None = None) -> int:
    """Daily: remind the agencies of open action items a week before the due date and once when overdue."""
    from ..services import meetings

    return meetings.remind_action_items(today=datetime.date.fromisoformat(today) if today else None)
