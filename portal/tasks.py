"""Cross-cutting background jobs: worker heartbeat and the job outbox."""

import socket

from celery import shared_task
from django.db import transaction
from django.utils import timezone


@shared_task(name="portal.tasks.heartbeat")
def heartbeat(hostname: str | None = None) -> str:
    """Record that a worker is alive (read by /healthz)."""
    from portal.models import WorkerHeartbeat

    name = hostname or (heartbeat.request.hostname if heartbeat.request.hostname else socket.gethostname())
    WorkerHeartbeat.objects.update_or_create(hostname=name, defaults={"at": timezone.now()})
    return name


@shared_task(name="portal.tasks.flush_outbox")
def flush_outbox(limit: int = 500) -> int:
    """Re-send jobs that could not reach the broker when queued. Idempotent: each row is sent once."""
    from portal.jobs import publish
    from portal.models import JobOutbox

    sent = 0
    for job_id in JobOutbox.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            job = JobOutbox.objects.select_for_update().filter(pk=job_id, sent_at__isnull=True).first()
            if job is None:
                continue
            try:
                publish(job.task_name, job.args, job.kwargs)
            except Exception as exc:  # still unreachable: try again next minute
                job.attempts += 1
                job.error = str(exc)[:500]
                job.save(update_fields=["attempts", "error"])
                break
            job.sent_at = timezone.now()
            job.save(update_fields=["sent_at"])
            sent += 1
    return sent


@shared_task(name="portal.tasks.check_import")
def check_import(batch_id: int, actor_id: int) -> str:
    """Validate an uploaded file too large to check during the request."""
    from portal import imports
    from portal.accounts.models import User
    from portal.models import ImportBatch, ImportStatus

    batch = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).first()
    if batch is None:
        return "skipped"
    imports.check_file(actor=User.objects.get(pk=actor_id), spec=imports.get_spec(batch.kind), batch=batch)
    return batch.status


@shared_task(name="portal.tasks.confirm_import")
def confirm_import(batch_id: int, actor_id: int) -> str:
    """Commit a large validated import (all rows or none); idempotent: a committed batch is left alone."""
    from portal import imports
    from portal.accounts.models import User
    from portal.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    imports.confirm(actor=User.objects.get(pk=actor_id), batch=batch)
    batch.refresh_from_db()
    return batch.status


@shared_task(name="portal.tasks.build_export")
def build_export(job_id: int, actor_id: int) -> str:
    """Write the file of a large list export for its owner; idempotent: only a queued job is built."""
    from portal import exports
    from portal.models import ExportJob

    job = ExportJob.objects.select_related("created_by").filter(pk=job_id, created_by_id=actor_id).first()
    if job is None:
        return "skipped"
    return exports.build_export_job(job=job).status


@shared_task(name="portal.tasks.expire_exports")
def expire_exports() -> int:
    """Delete export files past their retention (``EXPORT_RETENTION_DAYS``)."""
    from portal import exports

    return exports.expire_exports()
