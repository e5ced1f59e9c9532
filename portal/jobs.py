"""``enqueue(task, ...)``: dispatch a Celery task after the current transaction commits.

A request never waits on or fails because of the broker: if the broker cannot be reached the job goes to
the ``JobOutbox`` table and the beat job ``flush_outbox`` sends it later.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> None:
    """Queue ``task`` with JSON-serialisable ``args``/``kwargs`` once the surrounding transaction commits."""
    transaction.on_commit(lambda: send_now(task.name, args, kwargs))


def enqueue_named(task_name: str, *args, **kwargs) -> None:
    """``enqueue`` by the task's registered name, for a lower module that must not import a higher one's tasks."""
    transaction.on_commit(lambda: send_now(task_name, args, kwargs))


def publish(task_name: str, args, kwargs) -> None:
    """Hand a job to the broker, or run it inline in eager mode. Raises if the broker cannot be reached."""
    from portal.celery import app

    if app.conf.task_always_eager:
        app.tasks[task_name].apply(args=list(args), kwargs=dict(kwargs), throw=True)
    else:
        app.send_task(task_name, args=list(args), kwargs=dict(kwargs), retry=False)


def send_now(task_name: str, args, kwargs) -> bool:
    """Publish a job; if the broker is unreachable keep it in the outbox and return False."""
    from portal.celery import app
    from portal.models import JobOutbox

    try:
        publish(task_name, args, kwargs)
        return True
    except Exception as exc:  # broker down, connection refused, timeout …
        if app.conf.task_always_eager:
            raise
        logger.warning("broker unavailable, job %s kept in outbox: %s", task_name, exc)
        JobOutbox.objects.create(task_name=task_name, args=list(args), kwargs=dict(kwargs), error=str(exc)[:500])
        return False
