"""Cross-cutting records: the append-only audit trail, the job outbox and the worker heartbeat."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet


class AuditVerb(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOCKED = "locked", _("Account locked")
    UNLOCKED = "unlocked", _("Account unlocked")
    DENIED = "denied", _("Access denied")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ROLE_CHANGED = "role_changed", _("Role changed")
    EXPORT = "export", _("Exported")
    UNMASK = "unmask", _("Personal data shown")
    IMPORT = "import", _("Imported")
    CONFIRM = "confirm", _("Confirmed")
    REOPEN = "reopen", _("Reopened")
    REMIND = "remind", _("Reminded")
    DOWNLOAD = "download", _("Downloaded")
    # The workflows' own acts (warnings and rectification, the joint meeting).
    DRAFT = "draft", _("Drafted")
    SAVE = "save", _("Saved")
    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned")
    APPROVE = "approve", _("Approved")
    DECLINE = "decline", _("Declined")
    PUBLISH = "publish", _("Published")
    WITHDRAW = "withdraw", _("Withdrawn")
    SCREEN = "screen", _("Screened")
    ISSUE_NOTICES = "issue_notices", _("Notices issued")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    GRANT_EXTENSION = "grant_extension", _("Extension decided")
    PROPOSE_ADVANCED = "propose_advanced", _("Proposed as advanced unit")
    ATTACH = "attach", _("File attached")
    DETACH = "detach", _("File removed")
    CIRCULATE = "circulate", _("Circulated")
    REPLY = "reply", _("Replied")
    CLOSE = "close", _("Closed")
    NOTIFY = "notify", _("Notice sent")
    REPLACE = "replace", _("Replaced")


class AuditEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only audit trail. Rows are never updated or deleted (the database refuses too)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    verb = models.CharField(_("action"), max_length=20, choices=AuditVerb.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_path = models.CharField(_("request path"), max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        # Every audited action writes a row (an import one per row): as few indexes as the reads need — by time,
        # by actor, by action in time (denied requests of the week) and one object's history.
        indexes = [models.Index(fields=["verb", "at"]), models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_verb_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    @classmethod
    def scope_visible(cls, qs, user):
        """Only the audit administrator reads the trail."""
        return qs if user.role == "auditor" else qs.none()

    @classmethod
    def scope_editable(cls, qs, user):
        return qs.none()


class JobOutbox(models.Model):
    """A background job that could not be handed to the broker; re-sent by ``flush_outbox``."""

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("queued job")
        verbose_name_plural = _("queued jobs")
        ordering = ["created_at"]

    def __str__(self):
        return self.task_name


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} {self.at}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    VALIDATED = "validated", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    FAILED = "failed", _("Has errors")
    COMMITTED = "committed", _("Imported")


class ImportBatch(models.Model):
    """One uploaded spreadsheet: validated whole, previewed, then committed all at once (or not at all)."""

    kind = models.CharField(_("data"), max_length=60)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    progress = models.PositiveIntegerField(_("rows processed"), default=0)
    summary = models.JSONField(_("summary"), default=dict)
    errors = models.JSONField(_("errors"), default=list)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)

    @classmethod
    def scope_visible(cls, qs, user):
        """An import is seen by the person who uploaded it."""
        return qs.filter(created_by=user)

    @classmethod
    def scope_editable(cls, qs, user):
        return qs.filter(created_by=user)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


def export_file_path(instance, filename: str) -> str:
    """An unguessable name: the file holds (masked) personal data; the download view, not the path, authorises."""
    import secrets

    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"exports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{suffix}"


class ExportJob(models.Model):
    """A list export too large for the request: built by a background job for its owner, who downloads it
    from "My exports" until it expires. The list is re-read for the owner with the stored filter."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("list"), max_length=100)  # URL name of the list view, e.g. incidents:injurycase_list
    title = models.CharField(_("data"), max_length=200)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    query = models.TextField(_("filter"), blank=True)  # the list's GET parameters, URL-encoded
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    expected_rows = models.PositiveIntegerField(_("expected rows"), default=0)  # the capped count at request time
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    progress = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_file_path, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name or f"{self.title}.{self.format}"

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def query_display(self) -> str:
        """The stored filter as the user typed it: ``severity=serious; q=永康``."""
        from urllib.parse import parse_qsl

        return "; ".join(f"{k}={v}" for k, v in parse_qsl(self.query) if v)

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file) and self.expires_at > timezone.now()

    @classmethod
    def scope_visible(cls, qs, user):
        """An export is seen (and downloaded) by the person who asked for it, nobody else."""
        return qs.filter(created_by=user)

    @classmethod
    def scope_editable(cls, qs, user):
        return qs.filter(created_by=user)
