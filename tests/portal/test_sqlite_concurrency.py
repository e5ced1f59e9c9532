"""The embedded default (SQLite) shared by the web server and the Celery worker: a transaction that reads and then
writes must wait for another process's write, not fail with "database is locked"."""

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default only")


def _connection(path, alias):
    options = {**settings.DATABASES["default"].get("OPTIONS", {}), "timeout": 10}
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path), "OPTIONS": options}, alias=alias)
    wrapper.ensure_connection()
    return wrapper


def test_a_transaction_that_reads_then_writes_waits_for_the_other_writer(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        _reads_then_writes(tmp_path / "shared.sqlite3")


def _reads_then_writes(path):
    from django.db import connections

    worker = _connection(path, "worker")
    with worker.cursor() as cursor:
        cursor.execute("CREATE TABLE job (n integer)")
        cursor.execute("INSERT INTO job VALUES (0)")
    other_write = threading.Event()
    errors = []

    def write_from_the_web():  # another process in real life: its own connection, in its own thread here
        web = _connection(path, "web")
        connections["web"] = web
        try:
            with transaction.atomic(using="web"), web.cursor() as cursor:
                cursor.execute("INSERT INTO job VALUES (1)")
        except Exception as exc:  # noqa: BLE001 - the test reports whatever broke
            errors.append(exc)
        finally:
            other_write.set()
            web.close()
            del connections["web"]

    connections["worker"] = worker
    try:
        with transaction.atomic(using="worker"), worker.cursor() as cursor:
            cursor.execute("SELECT n FROM job")  # read first, as select_for_update() does on SQLite
            thread = threading.Thread(target=write_from_the_web)
            thread.start()
            other_write.wait(0.5)  # deferred: the web's write would commit now, and the update below would fail
            cursor.execute("UPDATE job SET n = n + 10")
        thread.join()
    finally:
        worker.close()
        del connections["worker"]
    assert errors == []
    check = _connection(path, "check")
    with check.cursor() as cursor:
        cursor.execute("SELECT n FROM job ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == [1, 10]
    check.close()
