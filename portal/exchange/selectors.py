"""Reads of the exchange: what an agency owes and has entered for a quarter, who confirmed and who is late."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency
from portal.locks import DataKind

from .kinds import KINDS
from .models import Confirmation, Obligation, previous_quarter, quarter_bounds, quarter_containing


class Status:
    CONFIRMED = "confirmed"
    CONFIRMED_LATE = "confirmed_late"
    REOPENED = "reopened"
    PENDING = "pending"
    OVERDUE = "overdue"


STATUS_LABELS = {
    Status.CONFIRMED: _("Confirmed on time"),
    Status.CONFIRMED_LATE: _("Confirmed late"),
    Status.REOPENED: _("Reopened"),
    Status.PENDING: _("Not yet confirmed"),
    Status.OVERDUE: _("Overdue"),
}


def last_quarter(today: datetime.date) -> tuple[int, int]:
    """The last quarter that has ended: the one agencies confirm now."""
    return previous_quarter(*quarter_containing(today))


def has_ended(year: int, quarter: int, today: datetime.date) -> bool:
    return quarter_bounds(year, quarter)[1] < today


def obligations_of(agency) -> list[Obligation]:
    return list(Obligation.objects.filter(agency=agency, is_active=True).order_by("kind"))


def due_on(obligations, year: int, quarter: int) -> datetime.date | None:
    """When an agency's quarter is due: the earliest deadline of its obligations."""
    dates = [o.due_on(year, quarter) for o in obligations]
    return min(dates) if dates else None


def quarter_to_confirm(agency, today: datetime.date) -> tuple[int, int, datetime.date] | None:
    """The agency's last ended quarter if it owes data and has not confirmed it (year, quarter, due date)."""
    obligations = obligations_of(agency)
    if not obligations:
        return None
    year, quarter = last_quarter(today)
    confirmed = Confirmation.objects.filter(
        agency=agency, year=year, quarter=quarter, state=Confirmation.State.CONFIRMED
    ).exists()
    return None if confirmed else (year, quarter, due_on(obligations, year, quarter))


def quarter_entries(agency, year: int, quarter: int, kinds) -> list[dict]:
    """What the agency has entered for the quarter, per kind it owes: records, records per month of the quarter,
    incomplete records (one query per kind)."""
    start, _end = quarter_bounds(year, quarter)
    months = [start.replace(month=start.month + i) for i in range(3)]
    result = []
    for kind in kinds:
        spec = KINDS[kind]
        sums = {"total": Count("pk"), "gaps": Count("pk", filter=spec.gap)}
        if spec.date_field is not None:
            field = f"{spec.date_field}__month"
            for i, month in enumerate(months):
                sums[f"m{i}"] = Count("pk", filter=Q(**{field: month.month}))
        row = spec.records(agency, year, quarter).aggregate(**sums)
        per_month = [row[f"m{i}"] for i in range(3)] if spec.date_field is not None else []
        result.append(
            {
                "kind": kind,
                "label": DataKind(kind).label,
                "total": row["total"],
                "gaps": row["gaps"],
                "gap_label": spec.gap_label,
                "months": [{"month": m, "records": n} for m, n in zip(months, per_month, strict=False)],
                "empty_months": [m for m, n in zip(months, per_month, strict=False) if n == 0],
            }
        )
    return result


def member_agencies(region):
    """The agencies of the region's subtree (None: all) that owe the exchange something."""
    return (
        Agency.objects.filter(
            region__path__startswith=region.path if region is not None else "",
            is_active=True,
            exchange_obligations__is_active=True,
        )
        .distinct()
        .select_related("region")
        .order_by("region__path", "kind", "name")
    )


def board(region, year: int, quarter: int, today: datetime.date) -> list[dict]:
    """Every agency of the region that owes data: what, by when, and where its quarter stands."""
    agencies = list(member_agencies(region))
    obligations = defaultdict(list)
    for o in Obligation.objects.filter(agency__in=agencies, is_active=True).order_by("kind"):
        obligations[o.agency_id].append(o)
    confirmations = {
        c.agency_id: c
        for c in Confirmation.objects.filter(agency__in=agencies, year=year, quarter=quarter).select_related(
            "confirmed_by", "reopened_by"
        )
    }
    rows = []
    for agency in agencies:
        owed = obligations.get(agency.pk, [])
        due = due_on(owed, year, quarter)
        confirmation = confirmations.get(agency.pk)
        if confirmation is not None and confirmation.is_locked:
            # Late is judged by the first confirmation against the deadline of that time (a correction the
            # secretariat asked for later does not make an agency late).
            status = Status.CONFIRMED_LATE if confirmation.was_late else Status.CONFIRMED
        elif confirmation is not None:
            status = Status.REOPENED if today <= due else Status.OVERDUE
        else:
            status = Status.OVERDUE if due and today > due else Status.PENDING
        rows.append(
            {
                "agency": agency,
                "kinds": [o.kind for o in owed],
                "kind_labels": [o.get_kind_display() for o in owed],
                "due_on": due,
                "confirmation": confirmation,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "reopened": confirmation is not None and confirmation.reopened_at is not None,
            }
        )
    return rows


def late_agencies(region, today: datetime.date):
    """(year, quarter, agencies) of the last ended quarter's agencies past their deadline without confirmation."""
    year, quarter = last_quarter(today)
    late = [r["agency"] for r in board(region, year, quarter, today) if r["status"] == Status.OVERDUE]
    return (year, quarter, late) if late else None


def report_regions():
    """The regions whose joint meeting runs the exchange: those of lead agencies whose own member agencies (of the
    same region) owe data."""
    from portal.reference.models import Region

    owing = Obligation.objects.filter(is_active=True, agency__is_active=True).values("agency__region")
    regions = Agency.objects.filter(is_lead=True, is_active=True, region__in=owing).values("region")
    return list(Region.objects.filter(pk__in=regions).order_by("path"))
