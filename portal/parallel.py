"""Set-based jobs on several database connections at once (PostgreSQL): the statistics' nightly rebuild and the
yearly screening split their work into statements that each use one core of the database server."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_on_connections(jobs: list[Callable[[], object]], connections: int) -> None:
    """Run ``jobs`` (callables, the longest first) on ``connections`` threads, each with its own database
    connection, taking the next job as they finish one (PostgreSQL outside a transaction); one after the other on
    this connection otherwise. The first error stops the taking of jobs and is raised here."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(jobs) < 2 or connections < 2:
        for job in jobs:
            job()
        return
    pending = list(reversed(jobs))
    taking = threading.Lock()
    errors: list[BaseException] = []

    def work():
        try:
            while True:
                with taking:
                    if errors or not pending:
                        return
                    job = pending.pop()
                job()
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(min(connections, len(jobs)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
