"""Fixtures of the warning and rectification loop: the real holiday calendar, cases and insured employees."""

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from enterprises.models import InsuranceSnapshot
from incidents.models import InjuryCase
from portal.reference.models import AccidentType, CalendarDay
from portal.reference.validators import id_number_check_char

CALENDAR_CSV = Path(settings.BASE_DIR) / "portal" / "reference" / "data" / "calendar" / "cn-workdays-2024-2026.csv"


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def worker_id(n: int) -> str:
    first17 = f"33078419900101{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


_serial = [0]


def make_case(enterprise, agency, when, severity="minor", post="冲压工", **extra) -> InjuryCase:
    """A work-injury case of ``enterprise`` at ``when`` (a date or an aware datetime)."""
    _serial[0] += 1
    if isinstance(when, datetime.date) and not isinstance(when, datetime.datetime):
        when = local(when.year, when.month, when.day, 10)
    kind = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})[0]
    return InjuryCase.objects.create(
        enterprise=enterprise,
        owner_agency=agency,
        occurred_at=when,
        accident_type=kind,
        post=post,
        place="二号车间",
        cause="冲床防护罩缺失",
        worker_name="王小五",
        worker_id_number=worker_id(_serial[0]),
        severity=severity,
        fund_payout=Decimal(0),
        **extra,
    )


def insure(enterprise, agency, year, employees, quarters=(1, 2, 3, 4)) -> None:
    for q in quarters:
        InsuranceSnapshot.objects.create(
            enterprise=enterprise,
            owner_agency=agency,
            year=year,
            quarter=q,
            insured_employees=employees,
            premium_paid=Decimal(1000),
        )


def load_calendar() -> None:
    """The official 2024–2026 holiday calendar, as ``load_reference`` loads it."""
    with CALENDAR_CSV.open(encoding="utf-8") as fh:
        CalendarDay.objects.bulk_create(
            CalendarDay(date=datetime.date.fromisoformat(r["date"]), is_workday=r["is_workday"] == "1", name=r["name"])
            for r in csv.DictReader(fh)
        )


@pytest.fixture
def calendar(db):
    load_calendar()
