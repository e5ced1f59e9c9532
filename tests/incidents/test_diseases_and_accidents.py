"""Occupational-disease cases (卫健) and safety accidents (应急): who records them, catalogue and edition rules,
the diagnosis encrypted and masked like the ID number, the 493号令 grade, links to visible injury cases only."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.accounts.models import Role
from portal.models import AuditEvent
from portal.reference.models import AccidentType, OccupationalDisease
from portal.reference.validators import id_number_check_char
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST17 = "33078419800505321"
WORKER_ID = FIRST17 + id_number_check_char(FIRST17)


@pytest.fixture
def health_a(regions):
    agency = AgencyFactory(name="永康市卫生健康局", region=regions["a"], kind="health", is_lead=False)
    return UserFactory(username="weijian_a", role=Role.AGENCY_STAFF, agency=agency)


@pytest.fixture
def silicosis(db):
    def make(version, code):
        return OccupationalDisease.objects.create(
            code=code,
            catalogue_version=version,
            class_no=1,
            class_name="职业性尘肺病及其他呼吸系统疾病",
            subclass_no=1,
            subclass_name="尘肺病",
            item_no=1,
            name="矽肺",
            valid_from=datetime.date(2013, 12, 23) if version == 2013 else datetime.date(2025, 8, 1),
        )

    return {2013: make(2013, "2013-01-1-01"), 2024: make(2024, "2024-01-1-01")}


@pytest.fixture
def disease_case(health_a, enterprise_a, silicosis):
    return services.record_incident(
        actor=health_a,
        model=OccupationalDiseaseCase,
        data={
            "enterprise": enterprise_a,
            "worker_name": "赵大力",
            "worker_id_number": WORKER_ID,
            "disease": silicosis[2024],
            "diagnosis": "矽肺壹期",
            "hazard_factor": "矽尘",
            "exposure_years": Decimal("3.5"),
            "diagnosed_on": datetime.date(2025, 9, 1),
        },
    )


@pytest.fixture
def crushing_1986(db):
    return AccidentType.objects.create(edition=1986, code="10", name="坍塌", kind="type")


def test_diagnosis_is_encrypted_and_masked_for_other_agencies(disease_case, client_for, users):
    with connection.cursor() as cursor:
        cursor.execute("SELECT diagnosis FROM incidents_occupationaldiseasecase WHERE id = %s", [disease_case.pk])
        assert "矽肺" not in cursor.fetchone()[0]
    html = client_for(users["staff_a"]).get(disease_case.get_absolute_url()).content.decode()
    assert "矽肺壹期" not in html and WORKER_ID not in html and "赵*力" in html
    event = AuditEvent.objects.get(verb="create", object_type="incidents.occupationaldiseasecase")
    assert "矽肺壹期" not in str(event.changes) and WORKER_ID not in str(event.changes)


def test_owner_unmasks_the_diagnosis(disease_case, client_for, health_a):
    client = client_for(health_a)
    client.post(
        reverse("incidents:occupationaldiseasecase_unmask", args=[disease_case.pk]), {"reason": "职业病报告核对"}
    )
    html = client.get(disease_case.get_absolute_url()).content.decode()
    assert "矽肺壹期" in html and WORKER_ID in html
    assert AuditEvent.objects.filter(verb="unmask", object_id=str(disease_case.pk)).count() == 1


def test_disease_catalogue_must_match_the_diagnosis_date(health_a, enterprise_a, silicosis, client_for):
    response = client_for(health_a).post(
        reverse("incidents:occupationaldiseasecase_add"),
        {
            "enterprise": enterprise_a.pk,
            "worker_name": "钱二",
            "worker_id_number": WORKER_ID,
            "disease": silicosis[2024].pk,
            "hazard_factor": "矽尘",
            "exposure_years": "6",
            "diagnosed_on": "2025-07-31",  # still the 2013 catalogue
        },
    )
    assert response.status_code == 200
    assert "disease" in response.context["form"].errors
    assert not OccupationalDiseaseCase.objects.exists()


@pytest.mark.parametrize("role", ["staff_a", "staff_a_emergency"])
def test_only_health_records_disease_cases(role, client_for, users):
    assert client_for(users[role]).get(reverse("incidents:occupationaldiseasecase_add")).status_code == 403


def test_short_exposure_filter(disease_case, client_for, users):
    client = client_for(users["staff_a"])
    url = reverse("incidents:occupationaldiseasecase_list")
    short = client.get(url + "?short_exposure=true").context["table"].page.object_list
    long_ = client.get(url + "?short_exposure=false").context["table"].page.object_list
    assert [r.record for r in short] == [disease_case] and not list(long_)


def test_emergency_records_an_accident_and_its_grade_is_computed(users, enterprise_a, crushing_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    accident = services.record_incident(
        actor=users["staff_a_emergency"],
        model=SafetyAccident,
        data={
            "enterprise": enterprise_a,
            "occurred_at": timezone.now() - datetime.timedelta(days=2),
            "accident_type": crushing_1986,
            "deaths": 3,
            "serious_injuries": 0,
            "direct_loss": Decimal("500000"),
        },
    )
    assert accident.grade == "relatively_serious"  # 3 deaths: 较大 (493号令, "以上" includes the number)
    assert accident.owner_agency == users["staff_a_emergency"].agency


def test_accident_links_only_visible_injury_cases(users, enterprise_a, enterprise_b, crushing_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    first17 = "33072319900101123"
    case_b = InjuryCase.objects.create(
        enterprise=enterprise_b,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        accident_type=crushing_1986,
        post="泥工",
        worker_name="孙三",
        worker_id_number=first17 + id_number_check_char(first17),
        severity="minor",
        owner_agency=enterprise_b.owner_agency,
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.record_incident(
            actor=users["staff_a_emergency"],
            model=SafetyAccident,
            data={
                "enterprise": enterprise_a,
                "occurred_at": timezone.now() - datetime.timedelta(days=2),
                "accident_type": crushing_1986,
                "injury_cases": [case_b],
            },
        )
    assert "injury_cases" in exc.value.message_dict
    assert not SafetyAccident.objects.exists()


@pytest.mark.parametrize("role", ["staff_a", "officer_a"])
def test_only_emergency_records_accidents(role, client_for, users):
    assert client_for(users[role]).get(reverse("incidents:safetyaccident_add")).status_code == 403


def test_api_accident_create_by_hrss_is_refused(api_client_for, users, enterprise_a, crushing_1986):
    payload = {
        "enterprise": enterprise_a.pk,
        "occurred_at": timezone.now().isoformat(),
        "accident_type": crushing_1986.pk,
    }
    assert (
        api_client_for(users["staff_a"]).post("/api/v1/incidents/safety-accidents/", payload, format="json").status_code
        == 403
    )


def test_api_disease_list_is_masked(api_client_for, users, disease_case):
    body = api_client_for(users["staff_a"]).get("/api/v1/incidents/disease-cases/").content.decode()
    assert WORKER_ID not in body and "矽肺壹期" not in body and "赵*力" in body


def test_other_county_cannot_see_disease_case(client_for, users, disease_case):
    assert client_for(users["staff_b"]).get(disease_case.get_absolute_url()).status_code == 404
