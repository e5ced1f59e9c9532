"""Fixtures of the quarterly exchange: 永康市's member agencies with their default obligations, and a clock set
to 2026-11-01 (2026 Q3 ended; due 2026-10-15)."""

import datetime

import pytest

from portal.accounts.models import Role
from portal.exchange import services
from portal.exchange.models import Obligation
from tests.factories import AgencyFactory, UserFactory

TODAY = datetime.date(2026, 11, 1)


@pytest.fixture
def today(monkeypatch):
    """Move the exchange's clock; returns a setter."""

    def set_today(day: datetime.date):
        monkeypatch.setattr(services, "_today", lambda: day)
        return day

    set_today(TODAY)
    return set_today


@pytest.fixture
def agency_a_health(regions):
    return AgencyFactory(name="永康市卫生健康局", region=regions["a"], kind="health", is_lead=False)


@pytest.fixture
def exchange(users, regions, agency_a, agency_a_emergency, agency_a_health, today):
    """The default obligations of 永康市 (人社: cases, recognitions, insurance; 应急: accidents; 卫健: diagnoses)."""
    users["staff_a_health"] = UserFactory(username="staff_a_health", role=Role.AGENCY_STAFF, agency=agency_a_health)
    services.apply_default_obligations(actor=users["secretariat_a"], region=regions["a"])
    assert Obligation.objects.count() == 5
    return users
