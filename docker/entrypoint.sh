#!/bin/sh
# Entrypoint of the portal image. The first argument picks the role:
#
#   web       gunicorn serving portal.wsgi:application on :8000 (docker/gunicorn.conf.py)
#   worker    celery -A portal worker
#   beat      celery -A portal beat (exactly one per deployment; schedule file in /app/var/beat)
#   migrate   one-shot release step: wait for the database, migrate, load_reference, collectstatic
#   manage …  python manage.py … (e.g. `docker compose run --rm web manage createsuperuser`)
#   anything else is executed as given (e.g. `sh`).
set -eu

app_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$app_dir"

role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
web)
    exec gunicorn --config "$app_dir/docker/gunicorn.conf.py" portal.wsgi:application "$@"
    ;;
worker)
    exec celery -A portal worker \
        --loglevel "${LOG_LEVEL:-INFO}" \
        --hostname "celery@%h" \
        --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
        --max-tasks-per-child "${CELERY_WORKER_MAX_TASKS_PER_CHILD:-200}" \
        "$@"
    ;;
beat)
    schedule=${CELERY_BEAT_SCHEDULE_FILE:-${PORTAL_VAR_DIR:-$app_dir/var}/beat/celerybeat-schedule}
    mkdir -p "$(dirname "$schedule")"
    exec celery -A portal beat --loglevel "${LOG_LEVEL:-INFO}" --schedule "$schedule" "$@"
    ;;
migrate)
    # Wait for the database (compose already waits for the healthcheck; other orchestrators may not).
    python - <<'PY'
import os
import sys
import time

import django

django.setup()
from django.db import connection
from django.db.utils import OperationalError

deadline = time.monotonic() + int(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"database not reachable: {exc}")
        print("waiting for the database ...", flush=True)
        time.sleep(2)
PY
    python manage.py migrate --noinput
    python manage.py load_reference
    python manage.py collectstatic --noinput --verbosity 1
    echo "migrate: done"
    ;;
manage)
    exec python manage.py "$@"
    ;;
*)
    exec "$role" "$@"
    ;;
esac
