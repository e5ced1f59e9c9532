"""The registry record (scale, employees, status, contacts, key/dust flags, risk class) and quarterly insurance
snapshots: validation, scope, owner-only edits, pages and API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enterprises.models import Enterprise, InsuranceSnapshot
from portal.models import AuditEvent
from portal.reference.models import IndustryFlag
from tests.factories import EnterpriseFactory, IndustryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metal_is_key(db):
    return IndustryFlag.objects.create(kind="key", label="金属制品", code_prefix="33")


@pytest.fixture
def snapshot_a(enterprise_a, agency_a):
    return InsuranceSnapshot.objects.create(
        enterprise=enterprise_a,
        year=2025,
        quarter=4,
        insured_employees=80,
        premium_paid=Decimal("12000.00"),
        fund_payout=Decimal("6000.00"),
        owner_agency=agency_a,
    )


def test_enterprise_needs_an_industry_class(enterprise_a, industry):
    enterprise_a.industry = industry.parent  # a group, not a class
    with pytest.raises(ValidationError) as exc:
        enterprise_a.full_clean()
    assert "industry" in exc.value.message_dict


def test_enterprise_region_must_be_county_town_or_zone(enterprise_a, regions):
    enterprise_a.region = regions["jinhua"]
    with pytest.raises(ValidationError) as exc:
        enterprise_a.full_clean()
    assert "region" in exc.value.message_dict


def test_key_flag_follows_the_industry(enterprise_a, metal_is_key, regions):
    assert enterprise_a.is_key_industry
    assert not enterprise_a.is_dust_industry
    furniture = IndustryFactory(code="2110", name="木质家具制造", level="class")
    other = EnterpriseFactory(region=regions["a"], industry=furniture, owner_agency=enterprise_a.owner_agency)
    assert set(Enterprise.objects.flagged("key")) == {enterprise_a}
    assert other not in Enterprise.objects.flagged("key")


def test_a_region_can_exclude_an_industry_from_the_key_list(enterprise_a, metal_is_key, regions):
    IndustryFlag.objects.create(kind="key", label="金属制品", code_prefix="3311", region=regions["a"], is_excluded=True)
    enterprise_a.refresh_from_db()
    assert not enterprise_a.is_key_industry
    assert not Enterprise.objects.flagged("key", regions["a"]).exists()
    assert Enterprise.objects.flagged("key", regions["b"]).exists()


def test_list_filters_by_key_flag_scale_and_status(client_for, users, enterprise_a, metal_is_key, regions, agency_a):
    furniture = IndustryFactory(code="2110", name="木质家具制造", level="class")
    EnterpriseFactory(
        name="家具厂", region=regions["a"], industry=furniture, owner_agency=agency_a, scale="micro", status="closed"
    )
    client = client_for(users["staff_a"])

    def names(query):
        response = client.get(reverse("enterprises:enterprise_list") + query)
        return {row.record.name for row in response.context["table"].page.object_list}

    assert names("?flag=key") == {enterprise_a.name}
    assert names("?scale=micro") == {"家具厂"}
    assert names("?status=closed") == {"家具厂"}


def test_snapshot_quarter_must_be_1_to_4(enterprise_a, agency_a):
    snap = InsuranceSnapshot(
        enterprise=enterprise_a, year=2025, quarter=5, insured_employees=1, premium_paid=1, owner_agency=agency_a
    )
    with pytest.raises(ValidationError) as exc:
        snap.full_clean()
    assert "quarter" in exc.value.message_dict


def test_payout_ratio(snapshot_a):
    assert snapshot_a.payout_ratio == Decimal("0.5")


def test_member_agency_records_a_quarter_and_owns_it(client_for, users, enterprise_a):
    clerk = users["staff_a_emergency"]
    response = client_for(clerk).post(
        reverse("enterprises:insurancesnapshot_add", args=[enterprise_a.pk]),
        {"year": 2026, "quarter": 1, "insured_employees": 75, "premium_paid": "9800.50", "fund_payout": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    snap = InsuranceSnapshot.objects.get(enterprise=enterprise_a, year=2026, quarter=1)
    assert snap.owner_agency == clerk.agency
    assert AuditEvent.objects.filter(verb="create", object_type="enterprises.insurancesnapshot").count() == 1


def test_same_quarter_twice_names_the_field(client_for, users, snapshot_a):
    response = client_for(users["staff_a"]).post(
        reverse("enterprises:insurancesnapshot_add", args=[snapshot_a.enterprise_id]),
        {"year": 2025, "quarter": 4, "insured_employees": 75, "premium_paid": "1", "fund_payout": "0"},
    )
    assert response.status_code == 200
    assert "quarter" in response.context["form"].errors
    assert InsuranceSnapshot.objects.count() == 1


def test_other_county_cannot_record_for_our_enterprise(client_for, users, enterprise_a):
    url = reverse("enterprises:insurancesnapshot_add", args=[enterprise_a.pk])
    assert client_for(users["staff_b"]).get(url).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("staff_a", 200), ("staff_a_emergency", 404), ("staff_b", 404)])
def test_only_the_owning_agency_edits_a_snapshot(role, status, client_for, users, snapshot_a):
    url = reverse("enterprises:insurancesnapshot_edit", args=[snapshot_a.pk])
    assert client_for(users[role]).get(url).status_code == status


def test_officer_sees_own_snapshots_without_edit_links(client_for, users, snapshot_a):
    response = client_for(users["officer_a"]).get(
        reverse("enterprises:enterprise_detail", args=[snapshot_a.enterprise_id])
    )
    assert response.status_code == 200
    assert list(response.context["snapshots"]) == [snapshot_a]
    assert not response.context["editable_snapshot_ids"]
    assert not response.context["can_add_snapshot"]


def test_detail_page_query_count(client_for, users, snapshot_a, django_assert_max_num_queries):
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(24):  # constant: one query per timeline, whatever the number of rows
        assert client.get(reverse("enterprises:enterprise_detail", args=[snapshot_a.enterprise_id])).status_code == 200


def test_api_snapshot_for_another_county_is_refused(api_client_for, users, enterprise_b):
    response = api_client_for(users["staff_a"]).post(
        "/api/v1/enterprises/insurance-snapshots/",
        {"enterprise": enterprise_b.pk, "year": 2025, "quarter": 1, "insured_employees": 3, "premium_paid": "10"},
        format="json",
    )
    assert response.status_code == 400
    assert "enterprise" in response.json()
    assert not InsuranceSnapshot.objects.exists()


def test_api_snapshot_create_sets_the_owner(api_client_for, users, enterprise_a):
    response = api_client_for(users["staff_a"]).post(
        "/api/v1/enterprises/insurance-snapshots/",
        {"enterprise": enterprise_a.pk, "year": 2025, "quarter": 2, "insured_employees": 3, "premium_paid": "10"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert InsuranceSnapshot.objects.get().owner_agency == users["staff_a"].agency


def test_api_duplicate_quarter_is_a_field_error(api_client_for, users, snapshot_a):
    response = api_client_for(users["staff_a"]).post(
        "/api/v1/enterprises/insurance-snapshots/",
        {
            "enterprise": snapshot_a.enterprise_id,
            "year": 2025,
            "quarter": 4,
            "insured_employees": 3,
            "premium_paid": "1",
        },
        format="json",
    )
    assert response.status_code == 400
    assert InsuranceSnapshot.objects.count() == 1
