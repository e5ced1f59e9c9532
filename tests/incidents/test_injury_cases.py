"""Work-injury cases: who records them, who sees what, personal data encrypted at rest and masked on every way
out (pages, lists, API, audit trail), unmasking with a reason, validation messages per field."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import InjuryCase
from portal.models import AuditEvent
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char

pytestmark = pytest.mark.django_db


def id_number(birth="19900101", serial="123"):
    first17 = "330784" + birth + serial
    return first17 + id_number_check_char(first17)


WORKER_ID = id_number()


@pytest.fixture
def machine_1986(db):
    return AccidentType.objects.create(edition=1986, code="04", name="机械伤害", kind="type")


@pytest.fixture
def machine_2025(db):
    return AccidentType.objects.create(edition=2025, code="WSA10004", name="机械伤害", kind="type")


@pytest.fixture
def hrss_a(users):
    return users["staff_a"]  # 永康市人力资源和社会保障局


def occurred(days_ago=30):
    return timezone.now() - datetime.timedelta(days=days_ago)


@pytest.fixture
def case_a(hrss_a, enterprise_a, machine_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    return services.record_injury_case(
        actor=hrss_a,
        data={
            "enterprise": enterprise_a,
            "occurred_at": occurred(),
            "accident_type": machine_1986,
            "post": "冲压工",
            "worker_name": "王小明",
            "worker_id_number": WORKER_ID,
            "severity": "serious",
            "lost_workdays": 45,
            "fund_payout": Decimal("15000.00"),
        },
    )


def form_data(enterprise, accident_type, **overrides):
    data = {
        "enterprise": enterprise.pk,
        "occurred_at": occurred().strftime("%Y-%m-%dT%H:%M"),
        "place": "冲压车间",
        "accident_type": accident_type.pk,
        "cause": "未停机清理模具",
        "post": "冲压工",
        "worker_name": "李四",
        "worker_id_number": id_number("19851212", "456"),
        "severity": "minor",
        "lost_workdays": "10",
        "fund_payout": "0",
    }
    return {**data, **overrides}


def test_personal_data_is_encrypted_at_rest_and_derived_fields_are_set(case_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_id_number FROM incidents_injurycase WHERE id = %s", [case_a.pk])
        stored = cursor.fetchone()[0]
    assert WORKER_ID not in stored and "19900101" not in stored
    case = InjuryCase.objects.get(pk=case_a.pk)
    assert case.worker_id_number == WORKER_ID
    assert case.birth_date == datetime.date(1990, 1, 1)
    assert case.sex == "M"  # 17th digit 3 is odd


def test_case_is_found_by_exact_id_number(case_a):
    assert list(InjuryCase.objects.with_id_number(WORKER_ID.lower())) == [case_a]
    assert not InjuryCase.objects.with_id_number(id_number(serial="125")).exists()


def test_audit_trail_holds_masked_personal_data_only(case_a):
    event = AuditEvent.objects.get(verb="create", object_type="incidents.injurycase")
    text = str(event.changes) + event.object_repr
    assert WORKER_ID not in text and "王小明" not in text
    assert "330784********" in text and "王*明" in text


def test_hrss_clerk_records_a_case_through_the_form(client_for, hrss_a, enterprise_a, machine_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    response = client_for(hrss_a).post(reverse("incidents:injurycase_add"), form_data(enterprise_a, machine_1986))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    case = InjuryCase.objects.get()
    assert case.owner_agency == hrss_a.agency
    assert case.worker_name == "李四"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("worker_id_number", id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")),
        ("worker_id_number", "33078419901301123X"),
        ("disability_grade", "11"),
        ("hire_date", (timezone.localdate() + datetime.timedelta(days=1)).isoformat()),
        ("recognized_on", "2000-01-01"),
    ],
)
def test_form_names_the_bad_field(field, value, client_for, hrss_a, enterprise_a, machine_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    response = client_for(hrss_a).post(
        reverse("incidents:injurycase_add"), form_data(enterprise_a, machine_1986, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not InjuryCase.objects.exists()


def test_accident_type_must_match_the_edition_of_the_date(client_for, hrss_a, enterprise_a, machine_2025, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"  # every past date is still GB/T 6441-1986
    response = client_for(hrss_a).post(reverse("incidents:injurycase_add"), form_data(enterprise_a, machine_2025))
    assert "accident_type" in response.context["form"].errors


def test_wrong_check_digit_message_is_chinese(client_for, hrss_a, enterprise_a, machine_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    bad = WORKER_ID[:-1] + ("0" if WORKER_ID[-1] != "0" else "1")
    response = client_for(hrss_a).post(
        reverse("incidents:injurycase_add"), form_data(enterprise_a, machine_1986, worker_id_number=bad)
    )
    assert "校验" in " ".join(response.context["form"].errors["worker_id_number"])


@pytest.mark.parametrize("role", ["staff_a_emergency", "officer_a", "sysadmin"])
def test_only_hrss_records_cases(role, client_for, users):
    assert client_for(users[role]).get(reverse("incidents:injurycase_add")).status_code == 403


def test_member_agency_reads_masked_and_cannot_unmask(client_for, users, case_a):
    client = client_for(users["staff_a_emergency"])
    response = client.get(reverse("incidents:injurycase_detail", args=[case_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王*明" in html and WORKER_ID not in html and "王小明" not in html
    assert not response.context["may_unmask"]
    unmask = client.post(reverse("incidents:injurycase_unmask", args=[case_a.pk]), {"reason": "核对身份"})
    assert unmask.status_code == 404
    assert not AuditEvent.objects.filter(verb="unmask").exists()


@pytest.mark.parametrize("role", ["staff_b", "officer_b"])
def test_other_county_gets_404(role, client_for, users, case_a):
    assert client_for(users[role]).get(reverse("incidents:injurycase_detail", args=[case_a.pk])).status_code == 404


def test_officer_sees_own_case_masked(client_for, users, case_a):
    response = client_for(users["officer_a"]).get(reverse("incidents:injurycase_detail", args=[case_a.pk]))
    assert response.status_code == 200
    assert WORKER_ID not in response.content.decode()


def test_owner_unmasks_with_a_reason_and_it_is_audited(client_for, hrss_a, case_a):
    client = client_for(hrss_a)
    url = reverse("incidents:injurycase_detail", args=[case_a.pk])
    assert WORKER_ID not in client.get(url).content.decode()
    client.post(reverse("incidents:injurycase_unmask", args=[case_a.pk]), {"reason": ""})
    assert WORKER_ID not in client.get(url).content.decode()
    client.post(reverse("incidents:injurycase_unmask", args=[case_a.pk]), {"reason": "工伤认定复核"})
    html = client.get(url).content.decode()
    assert WORKER_ID in html and "王小明" in html
    event = AuditEvent.objects.get(verb="unmask")
    assert event.actor == hrss_a and event.note == "工伤认定复核" and event.object_id == str(case_a.pk)


def test_edit_keeps_the_id_number_when_left_empty(client_for, hrss_a, case_a, settings):
    data = form_data(case_a.enterprise, case_a.accident_type, worker_id_number="", worker_name="王小明")
    response = client_for(hrss_a).post(reverse("incidents:injurycase_edit", args=[case_a.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert InjuryCase.objects.get(pk=case_a.pk).worker_id_number == WORKER_ID


def test_list_never_shows_personal_data_and_filters_by_id(client_for, users, case_a, django_assert_max_num_queries):
    client = client_for(users["staff_city"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("incidents:injurycase_list"))
    html = response.content.decode()
    assert "王*明" in html and "王小明" not in html and WORKER_ID not in html
    found = client.get(reverse("incidents:injurycase_list") + f"?id_number={WORKER_ID}")
    assert [r.record for r in found.context["table"].page.object_list] == [case_a]


def test_api_masks_and_unmasks_for_the_owner_only(api_client_for, users, hrss_a, case_a):
    body = api_client_for(users["staff_a_emergency"]).get("/api/v1/incidents/injury-cases/").content.decode()
    assert WORKER_ID not in body and "王小明" not in body and "330784********" in body
    url = f"/api/v1/incidents/injury-cases/{case_a.pk}/unmask/"
    assert api_client_for(users["staff_a_emergency"]).post(url, {"reason": "核对身份"}).status_code == 404
    assert api_client_for(hrss_a).post(url, {"reason": "x"}).status_code == 400
    response = api_client_for(hrss_a).post(url, {"reason": "工伤认定复核"})
    assert response.json() == {"worker_name": "王小明", "worker_id_number": WORKER_ID}


def test_api_create_by_another_agency_kind_is_refused(api_client_for, users, enterprise_a, machine_1986, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    payload = {
        "enterprise": enterprise_a.pk,
        "occurred_at": occurred().isoformat(),
        "accident_type": machine_1986.pk,
        "post": "冲压工",
        "worker_name": "李四",
        "worker_id_number": WORKER_ID,
        "severity": "minor",
    }
    assert (
        api_client_for(users["staff_a_emergency"])
        .post("/api/v1/incidents/injury-cases/", payload, format="json")
        .status_code
        == 403
    )
    response = api_client_for(users["staff_a"]).post("/api/v1/incidents/injury-cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert "worker_id_number" not in response.json()
    bad = {**payload, "worker_id_number": WORKER_ID[:-1] + ("0" if WORKER_ID[-1] != "0" else "1")}
    response = api_client_for(users["staff_a"]).post("/api/v1/incidents/injury-cases/", bad, format="json")
    assert response.status_code == 400 and "worker_id_number" in response.json()


def test_enterprise_page_lists_its_cases(client_for, users, case_a):
    response = client_for(users["staff_a"]).get(reverse("enterprises:enterprise_detail", args=[case_a.enterprise_id]))
    assert list(response.context["cases"]) == [case_a]
