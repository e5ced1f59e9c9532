"""Writes of the exchange, one function per user action: obligations, confirming and reopening a quarter,
reminders, and building a report version."""

from __future__ import annotations

import datetime
import hashlib
import logging
import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.accounts.models import Agency, User
from portal.jobs import enqueue_named
from portal.notifications.models import Notification
from portal.notifications.services import notify, notify_many
from portal.permissions import AGENCY_ROLE_NAMES, is_secretariat_of
from portal.reference.models import Region
from portal.services import create_object, update_object

from . import report as report_content
from .kinds import DEFAULT_OBLIGATIONS
from .models import (
    Confirmation,
    ConfirmationEvent,
    ExchangeReminder,
    ExchangeReport,
    Obligation,
    ReportFile,
    quarter_bounds,
)
from .selectors import Status, board, due_on, has_ended, last_quarter, obligations_of, quarter_entries

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 5


def _today() -> datetime.date:
    return timezone.localdate()


def _now() -> datetime.datetime:
    return timezone.now()


def _agency_users(agency_ids):
    return User.objects.filter(agency__in=list(agency_ids), role__in=sorted(AGENCY_ROLE_NAMES), is_active=True)


# --- obligations -------------------------------------------------------------------------------------------------


def _check_secretariat(actor, agency) -> None:
    if not is_secretariat_of(actor, agency.region):
        raise PermissionDenied(_("Only the joint meeting's secretariat sets what its member agencies owe."))


@transaction.atomic
def set_obligation(*, actor, agency: Agency, kind: str, due_days: int, is_active: bool = True, note: str = ""):
    """Create or change what ``agency`` owes each quarter (the secretariat of its region, audited)."""
    _check_secretariat(actor, agency)
    data = {"due_days": due_days, "is_active": is_active, "note": note}
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # two secretaries at once: one after the other
    existing = Obligation.objects.select_for_update().filter(agency=agency, kind=kind).first()
    if existing is None:
        return create_object(actor=actor, model=Obligation, data={"agency": agency, "kind": kind, **data})
    return update_object(actor=actor, instance=existing, data=data)


@transaction.atomic
def apply_default_obligations(*, actor, region: Region) -> list[Obligation]:
    """The defaults of DESIGN §3.4 for the member agencies of ``region`` itself that owe nothing yet: 人社 cases,
    recognitions and insurance figures; 卫健 diagnoses; 应急 accidents; 住建 and 交通运输 per-project insurance."""
    if not is_secretariat_of(actor, region):
        raise PermissionDenied(_("Only the joint meeting's secretariat sets what its member agencies owe."))
    created = []
    agencies = Agency.objects.filter(region=region, is_active=True, kind__in=list(DEFAULT_OBLIGATIONS))
    for agency in agencies.exclude(exchange_obligations__isnull=False):
        for kind in DEFAULT_OBLIGATIONS[agency.kind]:
            created.append(create_object(actor=actor, model=Obligation, data={"agency": agency, "kind": kind}))
    return created


# --- confirming and reopening ------------------------------------------------------------------------------------


@transaction.atomic
def confirm_quarter(*, actor, year: int, quarter: int) -> Confirmation:
    """The actor's agency confirms its data of an ended quarter: from now on its records of that quarter, of the
    kinds it owes, are locked. Confirming again after a reopening counts as a new confirmation (a new report
    version follows if a report of the quarter exists)."""
    agency = actor.agency
    if getattr(actor, "role", None) not in AGENCY_ROLE_NAMES or agency is None:
        raise PermissionDenied(_("Only member agencies confirm their data."))
    if not has_ended(year, quarter, _today()):
        raise ValidationError({"quarter": _("A quarter can be confirmed only after it has ended.")})
    obligations = obligations_of(agency)
    if not obligations:
        raise ValidationError({"quarter": _("Your agency owes the exchange no data.")})
    Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one confirmation at a time per agency
    existing = Confirmation.objects.select_for_update().filter(agency=agency, year=year, quarter=quarter).first()
    if existing is not None and existing.is_locked:
        raise ValidationError({"quarter": _("This quarter is already confirmed.")})
    kinds = [o.kind for o in obligations]
    counts = {row["kind"]: row["total"] for row in quarter_entries(agency, year, quarter, kinds)}
    now = _now()
    if existing is None:
        confirmation = Confirmation(
            agency=agency,
            year=year,
            quarter=quarter,
            first_confirmed_at=now,
            times_confirmed=1,
            due_on=due_on(obligations, year, quarter),
        )
    else:
        confirmation = existing
        confirmation.times_confirmed += 1
    confirmation.state = Confirmation.State.CONFIRMED
    confirmation.kinds = kinds
    confirmation.counts = counts
    confirmation.confirmed_at = now
    confirmation.confirmed_by = actor
    confirmation.full_clean()
    confirmation.save()
    ConfirmationEvent.objects.create(
        confirmation=confirmation, action=ConfirmationEvent.Action.CONFIRM, actor=actor, at=now, counts=counts
    )
    audit.record(actor=actor, verb="confirm", obj=confirmation, changes={"kinds": kinds, "counts": counts})
    if existing is not None:
        # A reconfirmed quarter: each report of it that exists gets its next version.
        regions = (
            ExchangeReport.objects.filter(year=year, quarter=quarter, region__path__in=_paths_up(agency.region))
            .order_by()
            .values_list("region_id", flat=True)
            .distinct()
        )
        for region_id in regions:
            enqueue_named("exchange.build_report", region_id, year, quarter, trigger=ExchangeReport.Trigger.RECONFIRMED)
    return confirmation


def _paths_up(region) -> list[str]:
    return [region.path, *region.ancestor_paths()]


@transaction.atomic
def reopen_quarter(*, actor, confirmation: Confirmation, reason: str) -> Confirmation:
    """The secretariat reopens an agency's confirmed quarter, with a reason: its records can be changed again until
    the agency confirms anew."""
    confirmation = Confirmation.objects.select_for_update().select_related("agency__region").get(pk=confirmation.pk)
    if not is_secretariat_of(actor, confirmation.agency.region):
        raise PermissionDenied(_("Only the joint meeting's secretariat reopens a quarter."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("State why the quarter is reopened (at least 4 characters).")})
    if not confirmation.is_locked:
        raise ValidationError({"reason": _("This quarter is not confirmed; there is nothing to reopen.")})
    now = _now()
    confirmation.state = Confirmation.State.REOPENED
    confirmation.reopened_at = now
    confirmation.reopened_by = actor
    confirmation.reopen_reason = reason[:300]
    confirmation.save(update_fields=["state", "reopened_at", "reopened_by", "reopen_reason"])
    ConfirmationEvent.objects.create(
        confirmation=confirmation, action=ConfirmationEvent.Action.REOPEN, actor=actor, at=now, reason=reason[:300]
    )
    audit.record(actor=actor, verb="reopen", obj=confirmation, note=reason)
    title = _("%(year)s Q%(quarter)s reopened for corrections") % {
        "year": confirmation.year,
        "quarter": confirmation.quarter,
    }
    body = _("The secretariat reopened your data of this quarter: %(reason)s. Correct it and confirm again.") % {
        "reason": reason
    }
    notify(
        recipients=list(_agency_users([confirmation.agency_id])),
        title=title,
        body=body,
        url=reverse("exchange:quarter", args=[confirmation.year, confirmation.quarter]),
        level="warning",
    )
    return confirmation


# --- reminders ----------------------------------------------------------------------------------------------------


def _reminder_rows(agencies, year: int, quarter: int, *, overdue: bool, due) -> list[Notification]:
    users = _agency_users([a.pk for a in agencies]).select_related("agency")
    title = (
        _("Overdue: confirm your data of %(year)s Q%(quarter)s")
        if overdue
        else _("Due soon: confirm your data of %(year)s Q%(quarter)s")
    ) % {"year": year, "quarter": quarter}
    url = reverse("exchange:quarter", args=[year, quarter])
    return [
        Notification(
            recipient=u,
            title=title[:200],
            body=_("Your agency's data of the quarter was due on %(due)s.") % {"due": due[u.agency_id].isoformat()}
            if overdue
            else _("Your agency's data of the quarter is due on %(due)s.") % {"due": due[u.agency_id].isoformat()},
            url=url,
            level=Notification.Level.URGENT if overdue else Notification.Level.WARNING,
        )
        for u in users
    ]


def send_reminders(*, today: datetime.date | None = None) -> int:
    """Remind the agencies that have not confirmed the last ended quarter: once when its deadline is 5 days away,
    once when it has passed. Returns the reminders sent (agencies)."""
    today = today or _today()
    year, quarter = last_quarter(today)
    sent = 0
    for region in _root_regions():
        rows = board(region, year, quarter, today)
        for stage, wanted in (
            (ExchangeReminder.Stage.OVERDUE, lambda r: r["status"] == Status.OVERDUE),
            (
                ExchangeReminder.Stage.DUE_SOON,
                lambda r: (
                    r["status"] in (Status.PENDING, Status.REOPENED)
                    and r["due_on"] is not None
                    and today >= r["due_on"] - datetime.timedelta(days=DUE_SOON_DAYS)
                ),
            ),
        ):
            agencies = [r["agency"] for r in rows if wanted(r)]
            if not agencies:
                continue
            with transaction.atomic():
                now = _now()
                ExchangeReminder.objects.bulk_create(
                    [
                        ExchangeReminder(agency=a, year=year, quarter=quarter, stage=stage, sent_at=now)
                        for a in agencies
                    ],
                    ignore_conflicts=True,
                )
                fresh = set(
                    ExchangeReminder.objects.filter(
                        agency__in=agencies, year=year, quarter=quarter, stage=stage, sent_at=now
                    ).values_list("agency_id", flat=True)
                )
                fresh_agencies = [a for a in agencies if a.pk in fresh]
                due = {r["agency"].pk: r["due_on"] for r in rows}
                notify_many(
                    _reminder_rows(
                        fresh_agencies, year, quarter, overdue=stage == ExchangeReminder.Stage.OVERDUE, due=due
                    )
                )
                sent += len(fresh_agencies)
    return sent


def _root_regions() -> list[Region]:
    """The regions whose agencies owe data, without those under another one of them (each agency once)."""
    paths = sorted(
        set(Obligation.objects.filter(is_active=True).values_list("agency__region__path", flat=True).distinct())
    )
    roots = []
    for path in paths:
        if not any(path.startswith(r) for r in roots):
            roots.append(path)
    return list(Region.objects.filter(path__in=roots))


@transaction.atomic
def remind_late_agencies(*, actor, region: Region, year: int, quarter: int) -> int:
    """The secretariat reminds the agencies of its region that are late with a quarter (audited)."""
    if not is_secretariat_of(actor, region):
        raise PermissionDenied(_("Only the joint meeting's secretariat sends reminders."))
    rows = [r for r in board(region, year, quarter, _today()) if r["status"] == Status.OVERDUE]
    if not rows:
        return 0
    due = {r["agency"].pk: r["due_on"] for r in rows}
    notify_many(_reminder_rows([r["agency"] for r in rows], year, quarter, overdue=True, due=due))
    audit.record(
        actor=actor,
        verb="remind",
        obj=region,
        note=f"{year}Q{quarter}: " + ", ".join(r["agency"].name for r in rows),
    )
    return len(rows)


# --- reports ------------------------------------------------------------------------------------------------------


def _sha256_of(handle) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def build_report(
    *,
    region: Region,
    year: int,
    quarter: int,
    actor=None,
    trigger: str = ExchangeReport.Trigger.ON_DEMAND,
    today: datetime.date | None = None,
) -> tuple[ExchangeReport, bool]:
    """Build the consolidated report of ``region``'s quarter: its figures (statistics service), and if they differ
    from the latest version's, the next version with its XLSX, PDF and JSON files, and a message to every agency in
    scope. Returns (report, created); the same data twice gives the existing version and False."""
    from . import renderers

    if actor is not None and not is_secretariat_of(actor, region):
        raise PermissionDenied(_("Only the joint meeting's secretariat builds the exchange report."))
    today = today or _today()
    if not has_ended(year, quarter, today):
        raise ValidationError({"quarter": _("A report can be built only after the quarter has ended.")})
    data = report_content.content(region, year, quarter, today)
    fingerprint = report_content.fingerprint(data)
    found = ExchangeReport.objects.filter(region=region, year=year, quarter=quarter, fingerprint=fingerprint).first()
    if found is not None:
        return found, False
    now = _now()
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).first()  # one build at a time per region
        found = ExchangeReport.objects.filter(
            region=region, year=year, quarter=quarter, fingerprint=fingerprint
        ).first()
        if found is not None:
            return found, False
        last = ExchangeReport.objects.filter(region=region, year=year, quarter=quarter).aggregate(v=Max("version"))
        version = (last["v"] or 0) + 1
        report = ExchangeReport.objects.create(
            region=region,
            year=year,
            quarter=quarter,
            version=version,
            fingerprint=fingerprint,
            content=data,
            trigger=trigger,
            created_at=now,
            created_by=actor,
        )
        meta = {
            "version": version,
            "generated_at": timezone.localtime(now).isoformat(),
            "fingerprint": fingerprint,
            "report_url": report.get_absolute_url(),
        }
        with tempfile.TemporaryFile() as handle:
            renderers.render_xlsx(data, meta, handle)
            _attach(report, ReportFile.Format.XLSX, File(handle, name="report.xlsx"))
        _attach(report, ReportFile.Format.PDF, ContentFile(renderers.render_pdf(data, meta), name="report.pdf"))
        _attach(report, ReportFile.Format.JSON, ContentFile(renderers.render_json(data, meta), name="report.json"))
        audit.record(
            actor=actor,
            verb="create",
            obj=report,
            changes={"version": [None, version], "fingerprint": [None, fingerprint], "trigger": [None, trigger]},
        )
        _announce(report)
    return report, True


def refresh_statistics(year: int, quarter: int) -> None:
    """Recompute the summary tables' rows of a quarter (its cases, diagnoses and accidents by month, its insured
    employees) from the records as they are now."""
    from incidents.analysis import cubes

    start, _end = quarter_bounds(year, quarter)
    months = [start.replace(month=start.month + i) for i in range(3)]
    cubes.refresh_months(months)
    cubes.refresh_disease_months(months)
    cubes.refresh_accident_months(months)
    cubes.refresh_quarters([(year, quarter)])


def _attach(report: ExchangeReport, fmt: str, content: File) -> ReportFile:
    sha256, size = _sha256_of(content)
    row = ReportFile(report=report, format=fmt, size=size, sha256=sha256)
    row.file.save(f"report.{fmt}", content, save=False)
    row.save()
    return row


def _announce(report: ExchangeReport) -> None:
    """Every agency user in the report's scope (its region and the regions under it) is told of the new version."""
    users = User.objects.filter(
        agency__region__path__startswith=report.region.path,
        agency__is_active=True,
        role__in=sorted(AGENCY_ROLE_NAMES),
        is_active=True,
    ).only("pk", "email")
    title = _("Quarterly exchange report: %(report)s") % {"report": str(report)}
    body = _("The consolidated report of %(year)s Q%(quarter)s is ready to download (XLSX, PDF, JSON).") % {
        "year": report.year,
        "quarter": report.quarter,
    }
    url = report.get_absolute_url()
    notify_many([Notification(recipient=u, title=title[:200], body=body, url=url) for u in users.iterator()])


def record_download(*, actor, report_file: ReportFile) -> None:
    audit.record(actor=actor, verb="download", obj=report_file.report, note=report_file.format)


def scheduled_reports(*, today: datetime.date | None = None) -> list[int]:
    """After the deadline of the last ended quarter (its latest obligation's), each exchange region's report, if it
    has none yet; returns the ids of the regions queued."""
    today = today or _today()
    year, quarter = last_quarter(today)
    queued = []
    from .selectors import report_regions

    for region in report_regions():
        deadline = Obligation.objects.filter(agency__region__path__startswith=region.path, is_active=True).aggregate(
            d=Max("due_days")
        )["d"]
        if deadline is None or today <= quarter_bounds(year, quarter)[1] + datetime.timedelta(days=deadline):
            continue
        if ExchangeReport.objects.filter(region=region, year=year, quarter=quarter).exists():
            continue
        enqueue_named("exchange.build_report", region.pk, year, quarter, trigger=ExchangeReport.Trigger.SCHEDULE)
        queued.append(region.pk)
    return queued
