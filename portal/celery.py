"""The Celery application. The beat schedule lives here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute: the worker proves it is alive (/healthz reads this).
    "worker-heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    # Every minute: re-send jobs that could not reach the broker when they were queued.
    "flush-job-outbox": {"task": "portal.tasks.flush_outbox", "schedule": 60.0},
    # Minute 25 of every hour: delete export files past EXPORT_RETENTION_DAYS.
    "expire-exports": {"task": "portal.tasks.expire_exports", "schedule": crontab(minute=25)},
    # 02:10 daily: mark accounts whose password expired, remind those about to expire.
    "password-expiry-reminders": {
        "task": "portal.accounts.tasks.remind_password_expiry",
        "schedule": crontab(hour=2, minute=10),
    },
    # 01:30 daily: rebuild the statistics summary tables whole (edits and imports refresh their months at once).
    "rebuild-statistics": {"task": "analysis.rebuild", "schedule": crontab(hour=1, minute=30)},
    # Every minute: the online warning of cases recorded since (forms queue theirs at once; this catches imports).
    "case-warnings": {"task": "prevention.send_case_warnings", "schedule": 60.0},
    # 03:00 daily: the yearly screening of regions whose rule names today, with its notice letters.
    "annual-screenings": {"task": "prevention.annual_screenings", "schedule": crontab(hour=3, minute=0)},
    # 03:30 daily: overdue notices, four-month reviews, referrals of serious cases.
    "escalate": {"task": "prevention.escalate", "schedule": crontab(hour=3, minute=30)},
    # 08:00 daily: reminders to enterprises that still owe a rectification report.
    "rectification-reminders": {"task": "prevention.send_reminders", "schedule": crontab(hour=8, minute=0)},
    # 04:00 daily (after the statistics rebuild): the quarterly exchange report of each region whose deadline for
    # the last quarter has passed, once.
    "exchange-reports": {"task": "exchange.scheduled_reports", "schedule": crontab(hour=4, minute=0)},
    # 08:30 daily: reminders to agencies that have not confirmed the last quarter (5 days before, and once late).
    "exchange-reminders": {"task": "exchange.send_reminders", "schedule": crontab(hour=8, minute=30)},
    # Every minute: close the opinion solicitations whose deadline has passed; each missing reply is recorded as
    # 无意见（逾期未回复）, once.
    "close-solicitations": {"task": "meetings.close_solicitations", "schedule": 60.0},
    # Hourly: remind, once, the agencies that have not replied to a solicitation due within 24 hours.
    "solicitation-reminders": {"task": "meetings.remind_solicitations", "schedule": crontab(minute=0)},
    # 08:15 daily: action items due within 7 days, and overdue ones (once per stage).
    "action-item-reminders": {"task": "meetings.remind_action_items", "schedule": crontab(hour=8, minute=15)},
    # 04:30 daily, doing nothing before 15 December: each committee's yearly implementation report of its key
    # tasks, for the level above (a new version only when the progress reports changed).
    "yearly-task-reports": {"task": "meetings.compile_yearly_reports", "schedule": crontab(hour=4, minute=30)},
}


@worker_ready.connect
def _heartbeat_on_start(sender, **kwargs):
    """Report in at once, so /healthz does not wait a minute for the first scheduled heartbeat."""
    sender.app.send_task("portal.tasks.heartbeat")
