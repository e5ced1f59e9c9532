"""The meetings API: scoped reads, the secretariat calls meetings and decides the agenda, agencies propose and report
progress; 403 for the wrong role or agency, 404 outside the region."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from meetings.models import ActionItem, AgendaItem, Meeting
from meetings.services import meetings as services

pytestmark = pytest.mark.django_db

BASE = "/api/v1/meetings"


@pytest.fixture
def meeting(committee, users):
    now = timezone.now()
    return services.call_meeting(
        actor=users["secretariat_a"],
        committee=committee,
        kind=Meeting.Kind.REGULAR,
        title="第二次联席会议",
        starts_at=now + datetime.timedelta(days=10),
        place="会议室",
        agenda_cutoff=now + datetime.timedelta(days=5),
    )


def test_secretariat_calls_a_meeting(api_client_for, committee, users):
    start = timezone.now() + datetime.timedelta(days=20)
    payload = {
        "committee": committee.pk,
        "kind": "annual",
        "title": "年度工作会议",
        "starts_at": start.isoformat(),
        "place": "会议室",
        "agenda_cutoff": (start - datetime.timedelta(days=5)).isoformat(),
    }
    response = api_client_for(users["secretariat_a"]).post(f"{BASE}/meetings/", payload, format="json")
    assert response.status_code == 201, response.data
    meeting = Meeting.objects.get(pk=response.data["id"])
    assert meeting.agenda_items.filter(source=AgendaItem.Source.BRIEFING).exists()
    assert api_client_for(users["staff_a"]).post(f"{BASE}/meetings/", payload, format="json").status_code == 403
    bad = {**payload, "agenda_cutoff": (start + datetime.timedelta(days=1)).isoformat()}
    assert api_client_for(users["secretariat_a"]).post(f"{BASE}/meetings/", bad, format="json").status_code == 400


def test_list_and_retrieve_are_scoped(api_client_for, meeting, users):
    response = api_client_for(users["staff_a_health"]).get(f"{BASE}/meetings/")
    assert response.status_code == 200 and [m["id"] for m in response.data["results"]] == [meeting.pk]
    detail = api_client_for(users["staff_a_health"]).get(f"{BASE}/meetings/{meeting.pk}/")
    assert len(detail.data["attendance"]) == 3
    assert detail.data["agenda_items"][0]["source"] == "open_actions"
    assert api_client_for(users["staff_b"]).get(f"{BASE}/meetings/").data["results"] == []
    assert api_client_for(users["staff_b"]).get(f"{BASE}/meetings/{meeting.pk}/").status_code == 404
    assert api_client_for(users["officer_a"]).get(f"{BASE}/meetings/").status_code == 403


def test_agency_proposes_and_secretariat_decides(api_client_for, meeting, users, agency_a_health):
    staff = api_client_for(users["staff_a_emergency"])
    response = staff.post(f"{BASE}/agenda-items/", {"meeting": meeting.pk, "title": "联合检查"}, format="json")
    assert response.status_code == 201, response.data
    item_id = response.data["id"]
    assert response.data["agency"] == users["staff_a_emergency"].agency_id
    other = staff.post(
        f"{BASE}/agenda-items/", {"meeting": meeting.pk, "title": "x", "agency": agency_a_health.pk}, format="json"
    )
    assert other.status_code == 403
    assert staff.post(f"{BASE}/agenda-items/{item_id}/approve/").status_code == 403
    assert api_client_for(users["staff_b"]).post(f"{BASE}/agenda-items/{item_id}/approve/").status_code == 403
    sec = api_client_for(users["secretariat_a"])
    assert sec.post(f"{BASE}/agenda-items/{item_id}/decline/", {}, format="json").status_code == 400
    response = sec.post(f"{BASE}/agenda-items/{item_id}/approve/", {}, format="json")
    assert response.status_code == 200 and response.data["state"] == "approved"
    assert staff.post(f"{BASE}/meetings/{meeting.pk}/send-notice/").status_code == 403
    response = sec.post(f"{BASE}/meetings/{meeting.pk}/send-notice/")
    assert response.status_code == 200 and response.data["state"] == "notified"
    assert sec.post(f"{BASE}/meetings/{meeting.pk}/send-notice/").status_code == 400


def test_another_regions_meeting_is_no_choice_for_a_proposal(api_client_for, meeting, users):
    """As for a meeting that does not exist: the answer does not tell that it exists elsewhere."""
    client = api_client_for(users["staff_b"])
    response = client.post(f"{BASE}/agenda-items/", {"meeting": meeting.pk, "title": "x"}, format="json")
    missing = client.post(f"{BASE}/agenda-items/", {"meeting": meeting.pk + 999, "title": "x"}, format="json")
    assert response.status_code == missing.status_code == 400 and "meeting" in response.data


def test_propose_after_cutoff_is_400(api_client_for, meeting, users):
    Meeting.objects.filter(pk=meeting.pk).update(agenda_cutoff=timezone.now() - datetime.timedelta(minutes=1))
    response = api_client_for(users["staff_a_emergency"]).post(
        f"{BASE}/agenda-items/", {"meeting": meeting.pk, "title": "迟到"}, format="json"
    )
    assert response.status_code == 400 and response.data["non_field_errors"]


@pytest.fixture
def action(meeting, users, agency_a_emergency):
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        agenda_cutoff=timezone.now() - datetime.timedelta(hours=2),
    )
    meeting.refresh_from_db()
    decision = services.add_decision(actor=users["secretariat_a"], meeting=meeting, text="联合检查")
    return services.create_action_item(
        actor=users["secretariat_a"],
        decision=decision,
        title="联合执法检查",
        lead_agency=agency_a_emergency,
        participants=[users["staff_a_health"].agency],
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )


def test_action_items_progress_and_done(api_client_for, action, users):
    lead = api_client_for(users["staff_a_emergency"])
    listed = lead.get(f"{BASE}/action-items/").data["results"]
    assert listed[0]["id"] == action.pk and listed[0]["overdue"] is True
    response = api_client_for(users["staff_a_health"]).post(
        f"{BASE}/action-items/{action.pk}/progress/", {"text": "配合检查", "percent": 30}, format="json"
    )
    assert response.status_code == 201
    assert (
        api_client_for(users["staff_a"])
        .post(f"{BASE}/action-items/{action.pk}/progress/", {"text": "x", "percent": 1}, format="json")
        .status_code
        == 403
    )
    assert api_client_for(users["staff_a_health"]).post(f"{BASE}/action-items/{action.pk}/done/").status_code == 403
    assert api_client_for(users["staff_b"]).post(f"{BASE}/action-items/{action.pk}/done/").status_code == 404
    response = lead.post(f"{BASE}/action-items/{action.pk}/done/")
    assert response.status_code == 200 and response.data["state"] == "done"
    detail = lead.get(f"{BASE}/action-items/{action.pk}/").data
    assert detail["progress"][0]["percent"] == 30
    assert ActionItem.objects.get(pk=action.pk).state == ActionItem.State.DONE


def test_action_item_list_query_cap(api_client_for, action, users, django_assert_max_num_queries):
    client = api_client_for(users["staff_a"])
    with django_assert_max_num_queries(10):
        assert client.get(f"{BASE}/action-items/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"{BASE}/meetings/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"{BASE}/agenda-items/").status_code == 200


def test_propose_with_a_file(api_client_for, meeting, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.meetings.test_meetings import small_pdf

    upload = SimpleUploadedFile("方案.pdf", small_pdf(), content_type="application/pdf")
    response = api_client_for(users["staff_a_health"]).post(
        f"{BASE}/agenda-items/", {"meeting": meeting.pk, "title": "职业健康议题", "files": [upload]}, format="multipart"
    )
    assert response.status_code == 201, response.data
    assert [a["name"] for a in response.data["attachments"]] == ["方案.pdf"]


def test_secretariat_of_another_region_gets_404(api_client_for, meeting, users, agency_b):
    from portal.accounts.models import Role
    from tests.factories import UserFactory

    other = api_client_for(UserFactory(username="secretariat_b", role=Role.SECRETARIAT, agency=agency_b))
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="议题")
    assert other.post(f"{BASE}/agenda-items/{item.pk}/approve/").status_code == 404
    assert other.post(f"{BASE}/meetings/{meeting.pk}/send-notice/").status_code == 404


def test_another_agencys_proposal_is_its_own_until_it_is_on_the_agenda(api_client_for, meeting, users):
    """卫健 does not read 应急's pending proposal (nor its files); once approved it is the agenda, read by all."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = services.propose_agenda_item(
        actor=users["staff_a_emergency"],
        meeting=meeting,
        title="联合检查",
        description="",
        files=[SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")],
    )
    health = api_client_for(users["staff_a_health"])
    assert health.get(f"{BASE}/agenda-items/{item.pk}/").status_code == 404
    assert item.pk not in [i["id"] for i in health.get(f"{BASE}/agenda-items/").data["results"]]
    assert api_client_for(users["staff_a_emergency"]).get(f"{BASE}/agenda-items/{item.pk}/").status_code == 200
    from meetings.models import AgendaAttachment

    assert not AgendaAttachment.objects.visible_to(users["staff_a_health"]).exists()
    services.approve_agenda_item(actor=users["secretariat_a"], item=item)
    assert health.get(f"{BASE}/agenda-items/{item.pk}/").status_code == 200
    assert AgendaAttachment.objects.visible_to(users["staff_a_health"]).count() == 1
