"""The quarterly data exchange (数据交换, DESIGN §3.4): which member agency owes which data each quarter, the quarters
agencies have confirmed (and so locked), and the consolidated reports built from them — immutable, versioned, with
a checksum per file."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.locks import DataKind
from portal.permissions import AGENCY_ROLE_NAMES, ScopedQuerySet, region_tree_q, secretariat_q

DEFAULT_DUE_DAYS = 15  # 每季度报送: by the 15th day after the quarter ends


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    start = datetime.date(year, quarter * 3 - 2, 1)
    following = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, quarter * 3 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def quarter_containing(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


class Obligation(models.Model):
    """What one member agency owes the exchange each quarter, and by how many days after the quarter's end."""

    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("agency"), on_delete=models.CASCADE, related_name="exchange_obligations"
    )
    kind = models.CharField(_("data"), max_length=20, choices=DataKind.choices)
    due_days = models.PositiveSmallIntegerField(
        _("days to confirm"),
        default=DEFAULT_DUE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Days after the quarter's end by which the agency confirms its data."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange obligation")
        verbose_name_plural = _("exchange obligations")
        ordering = ["agency__region__path", "agency__kind", "kind"]
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="exchange_obligation_once")]

    def __str__(self):
        return f"{self.agency} · {self.get_kind_display()}"

    def due_on(self, year: int, quarter: int) -> datetime.date:
        return quarter_bounds(year, quarter)[1] + datetime.timedelta(days=self.due_days)

    @classmethod
    def scope_visible(cls, qs, user):
        q = region_tree_q(user, "agency__region")
        return qs.none() if q is None else qs.filter(q)

    @classmethod
    def scope_editable(cls, qs, user):
        q = secretariat_q(user, "agency__region")
        return qs.none() if q is None else qs.filter(q)


class Confirmation(models.Model):
    """An agency's quarter: confirmed (its data of the quarter locked) or reopened by the secretariat. Each
    confirmation and reopening is also a ``ConfirmationEvent`` and an audit record."""

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        REOPENED = "reopened", _("Reopened")

    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="exchange_confirmations"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    kinds = models.JSONField(_("data locked"), default=list)
    counts = models.JSONField(_("records confirmed"), default=dict)
    due_on = models.DateField(_("due on"))
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT, related_name="+"
    )
    first_confirmed_at = models.DateTimeField(_("first confirmed at"))
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reopened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reopen_reason = models.CharField(_("reason for reopening"), max_length=300, blank=True)
    times_confirmed = models.PositiveSmallIntegerField(_("times confirmed"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quarter confirmation")
        verbose_name_plural = _("quarter confirmations")
        ordering = ["-year", "-quarter", "agency__kind"]
        permissions = [("reopen_confirmation", _("Can reopen a confirmed quarter"))]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "quarter"], name="exchange_confirmation_once"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="exchange_confirmation_q1_4"),
        ]

    def __str__(self):
        return f"{self.agency} {self.year}Q{self.quarter}"

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.CONFIRMED

    @property
    def was_late(self) -> bool:
        from django.utils import timezone

        return timezone.localdate(self.first_confirmed_at) > self.due_on

    @classmethod
    def scope_visible(cls, qs, user):
        q = region_tree_q(user, "agency__region")
        return qs.none() if q is None else qs.filter(q)

    @classmethod
    def scope_editable(cls, qs, user):
        """An agency confirms its own quarters; the secretariat reopens those of its region."""
        if getattr(user, "role", None) in AGENCY_ROLE_NAMES and user.agency_id:
            return qs.filter(Q(agency=user.agency_id) | (secretariat_q(user, "agency__region") or Q(pk__in=[])))
        return qs.none()


class ConfirmationEvent(models.Model):
    """One confirmation or reopening of an agency's quarter, with who, when, why and the counts confirmed."""

    class Action(models.TextChoices):
        CONFIRM = "confirm", _("Confirmed")
        REOPEN = "reopen", _("Reopened")

    confirmation = models.ForeignKey(
        Confirmation, verbose_name=_("quarter confirmation"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    counts = models.JSONField(_("records"), default=dict)

    class Meta:
        verbose_name = _("confirmation event")
        verbose_name_plural = _("confirmation events")
        ordering = ["confirmation", "at", "id"]

    def __str__(self):
        return f"{self.confirmation} {self.get_action_display()}"


def locked_quarters(agency_ids: Iterable[int]) -> set[tuple]:
    """{(agency id, kind, year, quarter)} of the confirmed quarters of these agencies (``portal.locks``)."""
    rows = Confirmation.objects.filter(agency__in=list(agency_ids), state=Confirmation.State.CONFIRMED).values_list(
        "agency_id", "kinds", "year", "quarter"
    )
    return {(agency, kind, year, quarter) for agency, kinds, year, quarter in rows for kind in kinds}


class ExchangeReport(models.Model):
    """One version of the consolidated quarterly report of a region: an immutable snapshot of its figures
    (``content``) and its files. A new version is made only when the figures differ from the last one's
    (``fingerprint``: SHA-256 of the content)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("After the deadline")
        ON_DEMAND = "on_demand", _("On demand")
        RECONFIRMED = "reconfirmed", _("After a reconfirmation")

    region = models.ForeignKey("reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    version = models.PositiveSmallIntegerField(_("version"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    content = models.JSONField(_("figures"))
    trigger = models.CharField(_("made"), max_length=12, choices=Trigger.choices)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange report")
        verbose_name_plural = _("exchange reports")
        ordering = ["-year", "-quarter", "region__path", "-version"]
        permissions = [("build_exchangereport", _("Can build the quarterly exchange report"))]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "quarter", "version"], name="exchange_report_version"),
            models.UniqueConstraint(
                fields=["region", "year", "quarter", "fingerprint"], name="exchange_report_fingerprint"
            ),
        ]

    def __str__(self):
        return _("%(region)s %(year)s Q%(quarter)s, version %(version)s") % {
            "region": self.region.name,
            "year": self.year,
            "quarter": self.quarter,
            "version": self.version,
        }

    def get_absolute_url(self):
        return reverse("exchange:report_detail", args=[self.pk])

    @classmethod
    def scope_visible(cls, qs, user):
        q = region_tree_q(user, "region")
        return qs.none() if q is None else qs.filter(q)

    @classmethod
    def scope_editable(cls, qs, user):
        return qs.none()  # immutable


def _report_path(instance, filename):
    report = instance.report
    return f"exchange/{report.region.code}/{report.year}Q{report.quarter}/v{report.version}/{filename}"


class ReportFile(models.Model):
    """One file of a report version (XLSX, PDF or JSON) with its SHA-256 checksum."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"
        JSON = "json", "JSON"

    report = models.ForeignKey(ExchangeReport, verbose_name=_("report"), on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    file = models.FileField(_("file"), upload_to=_report_path, max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)

    class Meta:
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        ordering = ["report", "format"]
        constraints = [models.UniqueConstraint(fields=["report", "format"], name="exchange_report_file_once")]

    def __str__(self):
        return f"{self.report} {self.get_format_display()}"

    @property
    def filename(self) -> str:
        r = self.report
        return f"{r.region.name}{r.year}年第{r.quarter}季度工伤预防数据交换报告-v{r.version}.{self.format}"


class ExchangeReminder(models.Model):
    """A reminder sent to an agency that has not confirmed its quarter (one per stage; the secretariat's manual
    reminders are audit records)."""

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("exchange reminder")
        verbose_name_plural = _("exchange reminders")
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "quarter", "stage"], name="exchange_reminder_once")
        ]

    def __str__(self):
        return f"{self.agency} {self.year}Q{self.quarter} {self.stage}"
