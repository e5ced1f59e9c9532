# syntax=docker/dockerfile:1
# Production image of the work-injury prevention portal (工伤预防联防联控平台).
# One image, several roles (see docker/entrypoint.sh): web (gunicorn), worker, beat, migrate.
#
#   docker compose build            # or: docker build -t work-injury-portal .
#
# Stages: node-modules (npm ci from package-lock.json) -> python-deps (requirements.txt into /opt/venv)
#         -> runtime (python:3.11-slim, non-root user, static files collected at build).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- front-end packages and PDF fonts ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS node-modules
WORKDIR /app
COPY package.json package-lock.json ./
# Only vendored assets (bootstrap, htmx, echarts, Noto fonts): no install scripts are needed.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- Python dependencies -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python-deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
# constraints.txt is optional: the [t] glob copies it when it exists and does not fail when it does not.
COPY requirements.txt constraints.tx[t] /tmp/requirements/
# tzdata: the slim image has no system time-zone database; zoneinfo (Asia/Shanghai) falls back to it.
RUN set -eu; \
    if [ -f /tmp/requirements/constraints.txt ]; then set -- -c /tmp/requirements/constraints.txt; fi; \
    /opt/venv/bin/pip install -r /tmp/requirements/requirements.txt tzdata "$@"

# --- runtime -------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=portal.settings \
    PORTAL_VAR_DIR=/app/var \
    STATIC_ROOT=/app/var/static \
    MEDIA_ROOT=/app/var/media \
    DJANGO_DEBUG=false

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app/var --no-create-home \
       --shell /usr/sbin/nologin portal

WORKDIR /app
COPY --from=python-deps /opt/venv /opt/venv
# settings.STATICFILES_DIRS and settings.PDF_FONT_DIRS point into /app/node_modules.
COPY --from=node-modules /app/node_modules /app/node_modules
# The code stays owned by root (read-only for the app user); only /app/var is writable.
COPY . /app

# The translations' .mo files are committed, so no compilemessages (and no gettext) here.
# collectstatic runs at build with throwaway secrets: the image serves its own static files (WhiteNoise,
# CompressedManifestStaticFilesStorage); the migrate service re-runs it into the static volume on start.
RUN set -eu; \
    mkdir -p /app/var/static /app/var/media /app/var/beat; \
    DJANGO_DEBUG=false \
    SECRET_KEY=build-time-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=localhost \
    REDIS_URL=redis://localhost:6379/0 \
    FIELD_ENCRYPTION_KEY=YnVpbGQtdGltZS1vbmx5LW5vdC1hLXNlY3JldC0wMDA= \
        python manage.py collectstatic --noinput --verbosity 0; \
    python -m compileall -q -j 0 -x '/app/(node_modules|var)/' /app; \
    chmod 0755 /app/docker/entrypoint.sh; \
    chown -R portal:portal /app/var

# Numeric, so that Kubernetes' runAsNonRoot can verify it (10001 = portal).
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
