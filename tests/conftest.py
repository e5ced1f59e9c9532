"""Shared fixtures: two agencies in sibling counties (A: 永康市, B: 武义县, both under 金华市, 浙江省),
an enterprise in each, and one user per role."""

import pytest
from rest_framework.test import APIClient

from portal.accounts.models import Role
from tests.factories import AgencyFactory, EnterpriseFactory, IndustryFactory, RegionFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (counts, choices and throttles of earlier tests would leak)."""
    from django.core.cache import cache

    from portal import counts

    cache.clear()
    counts._LOCAL.clear()  # (its entries would not match the new generations anyway)


@pytest.fixture(autouse=True)
def _no_pending_refreshes():
    """Refreshes asked for by an earlier test whose transaction never committed (its on-commit callbacks never ran)
    would be sent with this test's."""
    from incidents.analysis import signals

    signals._local.pending = None


@pytest.fixture
def regions(db):
    zhejiang = RegionFactory(code="330000", name="浙江省", level="province")
    jinhua = RegionFactory(code="330700", name="金华市", level="city", parent=zhejiang)
    yongkang = RegionFactory(code="330784", name="永康市", level="county", parent=jinhua)
    wuyi = RegionFactory(code="330723", name="武义县", level="county", parent=jinhua)
    town = RegionFactory(code="330784001", name="东城街道", level="town", parent=yongkang)
    return {"zhejiang": zhejiang, "jinhua": jinhua, "a": yongkang, "b": wuyi, "a_town": town}


@pytest.fixture
def industry(db):
    section = IndustryFactory(code="C", name="制造业", level="section")
    division = IndustryFactory(code="33", name="金属制品业", level="division", parent=section)
    group = IndustryFactory(code="331", name="结构性金属制品制造", level="group", parent=division)
    return IndustryFactory(code="3311", name="金属结构制造", level="class", parent=group)


@pytest.fixture
def agency_a(regions):
    return AgencyFactory(name="永康市人力资源和社会保障局", region=regions["a"], kind="hrss", is_lead=True)


@pytest.fixture
def agency_a_emergency(regions):
    return AgencyFactory(name="永康市应急管理局", region=regions["a"], kind="emergency", is_lead=False)


@pytest.fixture
def agency_b(regions):
    return AgencyFactory(name="武义县人力资源和社会保障局", region=regions["b"], kind="hrss", is_lead=True)


@pytest.fixture
def agency_city(regions):
    return AgencyFactory(name="金华市人力资源和社会保障局", region=regions["jinhua"], kind="hrss", level="city")


@pytest.fixture
def enterprise_a(regions, industry, agency_a):
    return EnterpriseFactory(
        name="永康五金制品有限公司", region=regions["a_town"], industry=industry, owner_agency=agency_a
    )


@pytest.fixture
def enterprise_b(regions, industry, agency_b):
    return EnterpriseFactory(name="武义机械有限公司", region=regions["b"], industry=industry, owner_agency=agency_b)


@pytest.fixture
def users(agency_a, agency_a_emergency, agency_b, agency_city, enterprise_a, enterprise_b):
    """One user per role in A, plus B's staff and officer and a city-level staff member."""
    return {
        "staff_a": UserFactory(username="staff_a", role=Role.AGENCY_STAFF, agency=agency_a),
        "staff_a_emergency": UserFactory(username="staff_a_em", role=Role.AGENCY_STAFF, agency=agency_a_emergency),
        "admin_a": UserFactory(username="admin_a", role=Role.AGENCY_ADMIN, agency=agency_a),
        "secretariat_a": UserFactory(username="secretariat_a", role=Role.SECRETARIAT, agency=agency_a),
        "officer_a": UserFactory(username="officer_a", role=Role.SAFETY_OFFICER, agency=None, enterprise=enterprise_a),
        "expert": UserFactory(username="expert", role=Role.EXPERT, agency=None),
        "sysadmin": UserFactory(username="sysadmin", role=Role.SYSTEM_ADMIN, agency=None),
        "secadmin": UserFactory(username="secadmin", role=Role.SECURITY_ADMIN, agency=None),
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR, agency=None),
        "staff_b": UserFactory(username="staff_b", role=Role.AGENCY_STAFF, agency=agency_b),
        "officer_b": UserFactory(username="officer_b", role=Role.SAFETY_OFFICER, agency=None, enterprise=enterprise_b),
        "staff_city": UserFactory(username="staff_city", role=Role.AGENCY_STAFF, agency=agency_city),
    }


@pytest.fixture
def api_client_for():
    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def client_for(client):
    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture
def count_statements(settings):
    """Statements a list's count takes in this set-up (``portal.pagination``): on PostgreSQL without a shared cache,
    the planner's estimate and then the capped count; otherwise one count (or the cached one)."""
    from django.db import connection

    return 2 if connection.vendor == "postgresql" and settings.COUNT_CACHE_SECONDS <= 0 else 1
