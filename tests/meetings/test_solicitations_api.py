"""The solicitations API: /api/v1/meetings/solicitations/ and /api/v1/meetings/replies/ — scoped reads, the
secretariat's drafts and circulation, the agency's own reply, 403 for a role without the permission and 404 out of
scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings.models import Reply, Solicitation
from meetings.services import solicitations as services
from portal.models import AuditEvent
from tests.meetings.conftest import local

pytestmark = pytest.mark.django_db

T0 = local(2026, 5, 20, 9, 0)
DEADLINE = local(2026, 5, 26, 14, 30)
BASE = "/api/v1/meetings"


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("盖章扫描件.pdf", b"%PDF-1.4\n% stamped\n", content_type="application/pdf")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    class Clock:
        now = T0

    monkeypatch.setattr(services, "_now", lambda: Clock.now)
    return Clock


@pytest.fixture
def secretariat_api(users, committee, api_client_for):
    return api_client_for(users["secretariat_a"])


def _create(client, committee, agencies=None):
    data = {"committee": committee.pk, "title": "征求意见", "body": "请提出意见", "deadline": DEADLINE.isoformat()}
    if agencies is not None:
        data["agencies"] = [a.pk for a in agencies]
    return client.post(f"{BASE}/solicitations/", data, format="json")


@pytest.fixture
def circulated(secretariat_api, committee, agency_a_emergency, agency_a_health, django_capture_on_commit_callbacks):
    response = _create(secretariat_api, committee, [agency_a_emergency, agency_a_health])
    assert response.status_code == 201, response.data
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_api.post(f"{BASE}/solicitations/{response.data['id']}/circulate/")
    assert response.status_code == 200, response.data
    return Solicitation.objects.get(pk=response.data["id"])


def test_secretariat_creates_edits_and_circulates(
    secretariat_api, committee, agency_a_emergency, agency_a_health, django_capture_on_commit_callbacks
):
    response = _create(secretariat_api, committee)
    assert response.status_code == 201, response.data
    assert response.data["state"] == "draft"
    assert len(response.data["recipients"]) == 3  # every current member agency
    pk = response.data["id"]
    response = secretariat_api.patch(
        f"{BASE}/solicitations/{pk}/", {"title": "新标题", "agencies": [agency_a_health.pk]}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["title"] == "新标题" and response.data["recipients"] == [agency_a_health.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_api.post(f"{BASE}/solicitations/{pk}/circulate/")
    assert response.status_code == 200
    assert response.data["state"] == "open"
    assert response.data["counts"]["waiting"] == 1
    # A circulated solicitation is no longer a draft: 400.
    response = secretariat_api.patch(f"{BASE}/solicitations/{pk}/", {"title": "再改"}, format="json")
    assert response.status_code == 400


def test_circulating_with_a_past_deadline_is_a_400(secretariat_api, committee, clock):
    pk = _create(secretariat_api, committee).data["id"]
    clock.now = DEADLINE
    response = secretariat_api.post(f"{BASE}/solicitations/{pk}/circulate/")
    assert response.status_code == 400 and "deadline" in response.data


def test_staff_cannot_create_or_circulate(users, committee, api_client_for, secretariat_api):
    staff = api_client_for(users["staff_a"])
    assert _create(staff, committee).status_code == 403
    pk = _create(secretariat_api, committee).data["id"]
    assert staff.post(f"{BASE}/solicitations/{pk}/circulate/").status_code == 403
    assert Solicitation.objects.get(pk=pk).state == Solicitation.State.DRAFT


def test_user_of_another_county_gets_404(circulated, users, api_client_for):
    client = api_client_for(users["staff_b"])
    assert client.get(f"{BASE}/solicitations/{circulated.pk}/").status_code == 404
    assert client.get(f"{BASE}/solicitations/").data["results"] == []
    reply = circulated.replies.first()
    assert client.get(f"{BASE}/replies/{reply.pk}/").status_code == 404


def test_agency_lists_its_waiting_replies_and_replies_for_itself(circulated, users, api_client_for, agency_a_health):
    client = api_client_for(users["staff_a_emergency"])
    response = client.get(f"{BASE}/replies/", {"waiting": "true"})
    assert response.status_code == 200
    [row] = response.data["results"]
    assert row["agency"] == users["staff_a_emergency"].agency_id and row["state"] == "waiting"
    # Only its own reply is listed at all.
    assert [r["id"] for r in client.get(f"{BASE}/replies/").data["results"]] == [row["id"]]

    response = client.post(f"{BASE}/replies/{row['id']}/reply/", {"state": "comments", "comments": "建议"})
    assert response.status_code == 400 and "scan" in response.data
    response = client.post(
        f"{BASE}/replies/{row['id']}/reply/",
        {"state": "comments", "comments": "建议", "scan": pdf()},
        format="multipart",
    )
    assert response.status_code == 200, response.data
    assert response.data["state"] == "comments" and response.data["scan_url"]
    assert client.get(f"{BASE}/replies/", {"waiting": "true"}).data["results"] == []

    other = Reply.objects.get(solicitation=circulated, agency=agency_a_health)
    assert client.get(f"{BASE}/replies/{other.pk}/").status_code == 404
    assert client.post(f"{BASE}/replies/{other.pk}/reply/", {"state": "no_opinion"}).status_code == 404
    assert Reply.objects.get(pk=other.pk).state == Reply.State.WAITING
    assert AuditEvent.objects.filter(verb="reply").count() == 1


def test_reply_after_the_deadline_is_a_400(circulated, users, api_client_for, clock):
    client = api_client_for(users["staff_a_health"])
    reply = Reply.objects.get(solicitation=circulated, agency=users["staff_a_health"].agency)
    clock.now = DEADLINE - datetime.timedelta(seconds=1)
    assert client.post(f"{BASE}/replies/{reply.pk}/reply/", {"state": "no_opinion"}).status_code == 200
    clock.now = DEADLINE
    response = client.post(f"{BASE}/replies/{reply.pk}/reply/", {"state": "no_opinion"})
    assert response.status_code == 400 and "non_field_errors" in response.data


def test_secretariat_reads_every_reply(circulated, secretariat_api):
    response = secretariat_api.get(f"{BASE}/replies/", {"solicitation": circulated.pk})
    assert len(response.data["results"]) == 2
    response = secretariat_api.get(f"{BASE}/solicitations/{circulated.pk}/")
    assert response.data["counts"] == {"waiting": 2, "no_opinion": 0, "comments": 0, "lapsed": 0, "total": 2}


def test_drafts_hidden_from_member_agencies(secretariat_api, committee, users, api_client_for):
    pk = _create(secretariat_api, committee).data["id"]
    client = api_client_for(users["staff_a_emergency"])
    assert client.get(f"{BASE}/solicitations/{pk}/").status_code == 404
    assert client.get(f"{BASE}/replies/").data["results"] == []


def test_api_lists_query_caps(
    circulated, secretariat_api, committee, users, api_client_for, django_assert_max_num_queries
):
    for _i in range(5):
        pk = _create(secretariat_api, committee).data["id"]
        secretariat_api.post(f"{BASE}/solicitations/{pk}/circulate/")
    with django_assert_max_num_queries(10):
        response = secretariat_api.get(f"{BASE}/solicitations/")
    assert response.data["count"] == 6
    with django_assert_max_num_queries(10):
        response = secretariat_api.get(f"{BASE}/replies/")
    assert response.data["count"] == 17
    client = api_client_for(users["staff_a_health"])
    with django_assert_max_num_queries(10):
        response = client.get(f"{BASE}/replies/", {"waiting": "true"})
    assert response.data["count"] == 6


def test_secretariat_attaches_files_to_the_draft_only(secretariat_api, committee, users, api_client_for):
    pk = _create(secretariat_api, committee).data["id"]
    response = secretariat_api.post(f"{BASE}/solicitations/{pk}/attachments/", {"file": pdf()}, format="multipart")
    assert response.status_code == 201, response.data
    assert response.data["name"] == "盖章扫描件.pdf"
    bad = SimpleUploadedFile("方案.docx", b"plain text, not a document")
    response = secretariat_api.post(f"{BASE}/solicitations/{pk}/attachments/", {"file": bad}, format="multipart")
    assert response.status_code == 400 and "file" in response.data
    staff = api_client_for(users["staff_a"])
    assert staff.post(f"{BASE}/solicitations/{pk}/attachments/", {"file": pdf()}, format="multipart").status_code == 403
    assert (
        secretariat_api.get(f"{BASE}/solicitations/{pk}/")
        .data["attachments"][0]["url"]
        .endswith(f"/solicitation-attachments/{Solicitation.objects.get(pk=pk).attachments.get().pk}/")
    )
