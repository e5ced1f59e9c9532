"""Background jobs: queued after commit, never failing a request when the broker is down, re-sent later,
and run by a real Celery worker on the configured broker (file system by default, Redis in CI)."""

import time

import pytest
from django.db import transaction
from django.test import Client

from portal.celery import app
from portal.jobs import enqueue
from portal.models import JobOutbox, WorkerHeartbeat
from portal.tasks import flush_outbox, heartbeat

DEAD_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


@pytest.fixture
def real_broker(settings):
    """Switch off eager mode so jobs really go through the broker."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def _reset_connections():
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(real_broker):
    original = (app.conf.broker_url, app.conf.broker_transport_options)
    _reset_connections()
    app.conf.broker_url = DEAD_BROKER
    # The production options for a Redis broker (the default run uses the file-system transport).
    app.conf.broker_transport_options = {"socket_connect_timeout": 3, "max_retries": 1, "interval_start": 0}
    yield
    _reset_connections()
    app.conf.broker_url, app.conf.broker_transport_options = original


@pytest.mark.django_db
def test_job_runs_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        enqueue(heartbeat, "after-commit")
        assert not WorkerHeartbeat.objects.filter(hostname="after-commit").exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert WorkerHeartbeat.objects.filter(hostname="after-commit").exists()


@pytest.mark.django_db
def test_job_is_dropped_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue(heartbeat, "rolled-back")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_broker_down_keeps_the_job_in_the_outbox(dead_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(heartbeat, "later")
    job = JobOutbox.objects.get()
    assert job.task_name == "portal.tasks.heartbeat"
    assert job.args == ["later"]
    assert job.sent_at is None


@pytest.mark.django_db
def test_flush_outbox_sends_waiting_jobs_once(settings):
    JobOutbox.objects.create(task_name="portal.tasks.heartbeat", args=["from-outbox"])
    assert flush_outbox() == 1  # eager: runs the job inline
    assert WorkerHeartbeat.objects.filter(hostname="from-outbox").exists()
    assert flush_outbox() == 0


@pytest.mark.django_db
def test_flush_outbox_keeps_jobs_while_the_broker_is_still_down(dead_broker):
    JobOutbox.objects.create(task_name="portal.tasks.heartbeat", args=["x"])
    assert flush_outbox() == 0
    assert JobOutbox.objects.get().attempts == 2


@pytest.mark.django_db
def test_healthz_answers_503_instead_of_hanging_when_the_broker_is_down(dead_broker):
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False


@pytest.mark.django_db
def test_healthz_reports_a_fresh_heartbeat():
    heartbeat("worker@test")
    body = Client().get("/healthz").json()
    assert body["worker_heartbeat"]["ok"] is True
    assert body["worker_heartbeat"]["worker"] == "worker@test"
    assert body["status"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_job_from_the_broker(real_broker):
    """Start a real Celery worker (in a thread) on the configured broker and let it run the heartbeat."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        heartbeat.apply_async(args=["real-worker"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.filter(hostname="real-worker").exists():
            time.sleep(0.2)
    assert WorkerHeartbeat.objects.filter(hostname="real-worker").exists()
    assert Client().get("/healthz").json()["worker_heartbeat"]["ok"] is True


def test_redis_broker_publishes_with_one_quick_retry(monkeypatch):
    """With Redis, a publish gives up after one quick retry (kombu would otherwise back off for seconds)."""
    import importlib

    import portal.settings as settings_module

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    reloaded = importlib.reload(settings_module)
    try:
        assert reloaded.CELERY_BROKER_URL == "redis://127.0.0.1:6379/0"
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] == 1
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["interval_start"] == 0
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
