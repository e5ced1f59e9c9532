"""Gunicorn settings for the portal image (docker/entrypoint.sh `web`). Each can be changed from the environment."""

import multiprocessing
import os


def _int(name, default):
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One request at a time per process (gunicorn's sync worker) behind the buffering proxy: the portal's requests are CPU
# bound (pages, PDFs, Excel), so the process count follows the cores, and a request waits in the one accept queue for
# the first free process. Threads (gthread, GUNICORN_THREADS > 1) tie a keep-alive connection to the process that
# accepted it: with 10 connections on 5 processes of 4 threads, a process serving 3 of them ran each at a third of
# the speed of a process serving one; a list page's p95 was 2-3x its median against 1.4x with sync workers
# (bench/README.md, "Sync workers, a frozen heap and a cheaper page").
workers = _int("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 9))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# Large exports (PDF with embedded CJK fonts, xlsx) may take a while; longer jobs belong in Celery.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The heartbeat file lives in memory, not on the container's overlay file system.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for containers
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy in front sets X-Forwarded-Proto; Django trusts it through SECURE_PROXY_SSL_HEADER. Gunicorn itself
# reads FORWARDED_ALLOW_IPS from the environment (default 127.0.0.1,::1).
