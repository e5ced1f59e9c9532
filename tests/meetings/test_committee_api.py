"""API of the committee (members nested; the secretariat adds members, members leave and are replaced), the key
tasks (adopt the template, edit, report progress, status) and the yearly reports (list, content, files)."""

import datetime

import pytest
from django.utils import timezone

from meetings.models import Committee, KeyTask, TaskProgress, YearlyReport
from meetings.services import keytasks as task_services
from portal.models import AuditEvent
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/meetings"


@pytest.fixture
def clock(monkeypatch):
    def set_day(day):
        monkeypatch.setattr(task_services, "_today", lambda: day)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
        monkeypatch.setattr(task_services, "_now", lambda: moment)

    return set_day


@pytest.fixture
def secretariat_b(users):
    return UserFactory(username="sec_b", role="secretariat", agency=users["staff_b"].agency)


# --- committees and members ------------------------------------------------------------------------------------


def test_committees_with_their_members(committee, users, api_client_for, django_assert_max_num_queries):
    client = api_client_for(users["staff_a_emergency"])
    with django_assert_max_num_queries(12):
        response = client.get(f"{API}/committees/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == committee.name and row["region_code"] == "330784"
    assert {m["name"] for m in row["members"]} == {"陈建华", "周立群", "吴晓燕", "王晓明"}
    assert api_client_for(users["staff_b"]).get(f"{API}/committees/").json()["results"] == []
    assert api_client_for(users["staff_b"]).get(f"{API}/committees/{committee.pk}/").status_code == 404
    assert api_client_for(users["officer_a"]).get(f"{API}/committees/").status_code == 403
    assert api_client_for().get(f"{API}/committees/").status_code in (401, 403)


def test_the_secretariat_sets_up_a_committee(users, api_client_for, regions, secretariat_b):
    response = api_client_for(secretariat_b).post(
        f"{API}/committees/", {"name": "武义县工伤预防工作联席会议"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Committee.objects.get().region == regions["b"]
    again = api_client_for(secretariat_b).post(f"{API}/committees/", {"name": "again"}, format="json")
    assert again.status_code == 400 and "non_field_errors" in again.json()
    assert api_client_for(users["staff_a"]).post(f"{API}/committees/", {"name": "x"}, format="json").status_code == 403


def test_members_are_added_left_and_replaced(committee, users, api_client_for, agency_a_emergency, secretariat_b):
    client = api_client_for(users["secretariat_a"])
    url = f"{API}/committees/{committee.pk}/members/"
    body = {
        "agency": agency_a_emergency.pk,
        "role": "liaison",
        "name": "赵磊",
        "title": "科长",
        "joined_on": "2025-01-02",
    }
    response = client.post(url, body, format="json")
    assert response.status_code == 201 and response.json()["is_current"]
    new_id = response.json()["id"]
    assert api_client_for(users["staff_a"]).post(url, body, format="json").status_code == 403
    assert api_client_for(secretariat_b).post(url, body, format="json").status_code == 404
    bad = client.post(url, {**body, "agency": users["staff_b"].agency_id}, format="json")
    assert bad.status_code == 400 and "agency" in bad.json()

    response = client.post(
        f"{API}/members/{new_id}/replace/", {"on": "2025-06-01", "name": "孙伟", "title": "科长"}, format="json"
    )
    assert response.status_code == 201
    successor = response.json()
    assert successor["replaces"] == new_id and successor["joined_on"] == "2025-06-01" and successor["role"] == "liaison"
    old = client.get(f"{API}/members/{new_id}/").json()
    assert old["left_on"] == "2025-06-01" and old["replaced_by"] == successor["id"]

    response = client.post(f"{API}/members/{successor['id']}/leave/", {"left_on": "2025-09-30"}, format="json")
    assert response.status_code == 200 and response.json()["left_on"] == "2025-09-30"
    again = client.post(f"{API}/members/{successor['id']}/leave/", {"left_on": "2025-10-30"}, format="json")
    assert again.status_code == 400 and "non_field_errors" in again.json()
    assert api_client_for(users["staff_a"]).post(f"{API}/members/{new_id}/leave/", {}, format="json").status_code == 403
    assert api_client_for(secretariat_b).post(f"{API}/members/{new_id}/leave/", {}, format="json").status_code == 404
    current = client.get(f"{API}/members/?committee={committee.pk}&current=true").json()["results"]
    assert "孙伟" not in {m["name"] for m in current} and len(current) == 4
    assert AuditEvent.objects.filter(verb="replace").count() == 1


# --- key tasks ---------------------------------------------------------------------------------------------------


@pytest.fixture
def tasks(committee, users, api_client_for):
    response = api_client_for(users["secretariat_a"]).post(f"{API}/tasks/adopt-template/", {}, format="json")
    assert response.status_code == 201, response.content
    KeyTask.objects.update(created_at=timezone.make_aware(datetime.datetime(2021, 10, 8, 9)))  # adopted in 2021
    return {t.number: t for t in KeyTask.objects.all()}


def test_adopting_the_template_through_the_api(committee, users, api_client_for):
    client = api_client_for(users["secretariat_a"])
    response = client.post(f"{API}/tasks/adopt-template/", {"committee": committee.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 11 and len(body["tasks"]) == 11
    assert "市住建委" in body["missing"]["1"] and "市总工会" in body["missing"]["4"]  # only 人社, 应急, 卫健 here
    again = client.post(f"{API}/tasks/adopt-template/", {"committee": committee.pk}, format="json")
    assert again.status_code == 200 and again.json()["created"] == 0
    assert KeyTask.objects.count() == 11
    assert api_client_for(users["staff_a"]).post(f"{API}/tasks/adopt-template/", {}, format="json").status_code == 403
    other = UserFactory(username="sec_b2", role="secretariat", agency=users["staff_b"].agency)
    assert (
        api_client_for(other)
        .post(f"{API}/tasks/adopt-template/", {"committee": committee.pk}, format="json")
        .status_code
        == 404
    )


def test_listing_and_editing_tasks(committee, tasks, users, api_client_for, django_assert_max_num_queries, agency_a):
    client = api_client_for(users["staff_a"])
    with django_assert_max_num_queries(12):
        response = client.get(f"{API}/tasks/?committee={committee.pk}")
    rows = response.json()["results"]
    assert [r["number"] for r in rows] == list(range(1, 12))
    assert rows[0]["schedule"] == "quarterly" and rows[4]["due_on"] == "2022-12-31" and rows[4]["template_number"] == 5
    assert client.patch(f"{API}/tasks/{tasks[1].pk}/", {"title": "x"}, format="json").status_code == 403
    secretariat = api_client_for(users["secretariat_a"])
    response = secretariat.patch(f"{API}/tasks/{tasks[7].pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    response = secretariat.post(
        f"{API}/tasks/",
        {
            "number": 12,
            "title": "新任务",
            "measures": "措施",
            "schedule": "by_date",
            "due_on": "2026-12-31",
            "lead_agencies": [agency_a.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    bad = secretariat.post(
        f"{API}/tasks/",
        {"number": 13, "title": "x", "measures": "x", "schedule": "by_date", "lead_agencies": [agency_a.pk]},
        format="json",
    )
    assert bad.status_code == 400
    assert api_client_for(users["staff_b"]).get(f"{API}/tasks/{tasks[1].pk}/").status_code == 404


def test_agencies_report_progress(committee, tasks, users, api_client_for, clock):
    clock(datetime.date(2026, 5, 10))
    url = f"{API}/tasks/{tasks[1].pk}/progress/"
    body = {"year": 2026, "quarter": 1, "status": "on_track", "text": "已报送"}
    client = api_client_for(users["staff_a_emergency"])
    response = client.post(url, body, format="json")
    assert response.status_code == 201 and response.json()["agency"] == users["staff_a_emergency"].agency_id
    again = client.post(url, {**body, "text": "已更正"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert TaskProgress.objects.get().text == "已更正"
    assert client.post(url, {**body, "quarter": 0}, format="json").status_code == 400  # quarterly: by quarter
    not_mine = client.post(f"{API}/tasks/{tasks[2].pk}/progress/", body, format="json")  # 应急 not on task 2
    assert not_mine.status_code == 403
    assert api_client_for(users["staff_b"]).post(url, body, format="json").status_code == 404
    assert api_client_for(users["officer_a"]).post(url, body, format="json").status_code == 403
    status = client.get(f"{API}/tasks/status/").json()
    task1 = next(s for s in status if s["number"] == 1)
    states = {a["agency"]: a["state"] for a in task1["agencies"]}
    assert states[users["staff_a_emergency"].agency_id] == "due" and states[users["staff_a"].agency_id] == "late"


# --- yearly reports -------------------------------------------------------------------------------------------------


def test_yearly_reports_list_content_and_files(committee, tasks, users, api_client_for, clock):
    clock(datetime.date(2026, 12, 15))
    secretariat = api_client_for(users["secretariat_a"])
    response = secretariat.post(f"{API}/yearly-reports/compile/", {"year": 2026}, format="json")
    assert response.status_code == 201 and response.json()["version"] == 1
    assert secretariat.post(f"{API}/yearly-reports/compile/", {"year": 2026}, format="json").status_code == 200
    assert (
        api_client_for(users["staff_a"])
        .post(f"{API}/yearly-reports/compile/", {"year": 2026}, format="json")
        .status_code
        == 403
    )
    report = YearlyReport.objects.get()
    client = api_client_for(users["staff_a_emergency"])
    listing = client.get(f"{API}/yearly-reports/").json()["results"]
    assert [r["id"] for r in listing] == [report.pk] and "content" not in listing[0]
    detail = client.get(f"{API}/yearly-reports/{report.pk}/").json()
    assert detail["fingerprint"] == report.fingerprint and len(detail["content"]["tasks"]) == 11
    pdf = client.get(f"{API}/yearly-reports/{report.pk}/files/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    docx = client.get(f"{API}/yearly-reports/{report.pk}/files/docx/")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert AuditEvent.objects.filter(verb="export", object_type="meetings.yearlyreport").count() == 2
    assert api_client_for(users["staff_b"]).get(f"{API}/yearly-reports/{report.pk}/files/pdf/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/yearly-reports/").json()["results"] == []


def test_the_api_schema_builds(users, api_client_for, committee):
    AgencyFactory(name="永康市财政局", region=committee.region, kind="finance")
    response = api_client_for(users["staff_a"]).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/meetings/tasks/adopt-template/" in text and "/api/v1/meetings/members/{id}/replace/" in text
