"""Meetings of the joint meeting: calling, agenda (cut-off, own agency, secretariat only), notice, replies,
attendance, minutes, decisions and action items (progress, done, reminders), the minutes as PDF and DOCX, and the
pages (403/404, query caps)."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess

import docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings import minutes
from meetings.models import ActionItem, ActionReminder, AgendaItem, Attendance, Meeting, Member
from meetings.services import meetings as services
from meetings.views.meetings import todos
from portal.models import AuditEvent
from portal.notifications.models import Notification

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now().replace(microsecond=0)
        monkeypatch.setattr(services, "_now", lambda: self.now)
        monkeypatch.setattr(services, "_today", lambda: timezone.localtime(self.now).date())

    def set(self, value):
        self.now = value

    def shift(self, **kwargs):
        self.now = self.now + datetime.timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def call(committee, secretariat, clock, kind=Meeting.Kind.REGULAR, **overrides):
    data = {
        "kind": kind,
        "title": "2026年第二次工伤预防工作联席会议",
        "starts_at": clock.now + datetime.timedelta(days=10),
        "place": "市人社局三楼会议室",
        "agenda_cutoff": clock.now + datetime.timedelta(days=5),
        **overrides,
    }
    return services.call_meeting(actor=secretariat, committee=committee, **data)


def small_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "agenda attachment")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.fixture
def meeting(committee, users, clock):
    return call(committee, users["secretariat_a"], clock)


def held(meeting, clock, users, agency_a_emergency):
    """The meeting after its start with minutes, a decision and an action item."""
    clock.set(meeting.starts_at + datetime.timedelta(hours=2))
    sec = users["secretariat_a"]
    services.record_minutes(actor=sec, meeting=meeting, minutes="会议听取了各成员单位工作汇报。", chaired_by="陈建华")
    decision = services.add_decision(actor=sec, meeting=meeting, text="开展建筑施工领域联合检查")
    action = services.create_action_item(
        actor=sec,
        decision=decision,
        title="建筑施工领域联合执法检查",
        lead_agency=agency_a_emergency,
        participants=[sec.agency],
        due_on=timezone.localtime(clock.now).date() + datetime.timedelta(days=30),
    )
    meeting.refresh_from_db()
    return decision, action


# --- calling ----------------------------------------------------------------------------------------------------


def test_calling_a_meeting_invites_every_current_member_agency(committee, users, clock, agency_a_health):
    Member.objects.filter(agency=agency_a_health).update(left_on=datetime.date(2025, 1, 1))
    meeting = call(committee, users["secretariat_a"], clock)
    agencies = set(meeting.attendance.values_list("agency_id", flat=True))
    assert agencies == {users["secretariat_a"].agency_id, users["staff_a_emergency"].agency_id}
    assert set(meeting.attendance.values_list("reply", flat=True)) == {Attendance.Reply.PENDING}
    assert Notification.objects.filter(recipient=users["staff_a_emergency"], url=meeting.get_absolute_url()).exists()
    assert not Notification.objects.filter(recipient=users["staff_a_health"]).exists()
    assert (
        AuditEvent.objects.filter(verb="create", object_type="meetings.meeting", object_id=str(meeting.pk)).count() == 1
    )


def test_only_the_secretariat_calls_a_meeting(committee, users, clock):
    with pytest.raises(PermissionDenied):
        call(committee, users["staff_a"], clock)


def test_cutoff_after_the_start_is_refused(committee, users, clock):
    with pytest.raises(ValidationError):
        call(committee, users["secretariat_a"], clock, agenda_cutoff=clock.now + datetime.timedelta(days=11))


def test_new_meeting_lists_the_open_action_items(committee, users, clock, agency_a_emergency):
    first = call(committee, users["secretariat_a"], clock)
    _decision, action = held(first, clock, users, agency_a_emergency)
    clock.shift(days=40)  # the action item is now overdue
    second = call(committee, users["secretariat_a"], clock, title="第三次会议")
    item = second.agenda_items.get(source=AgendaItem.Source.OPEN_ACTIONS)
    assert item.state == AgendaItem.State.APPROVED
    assert action.title in item.description and agency_a_emergency.name in item.description
    assert action.due_on.isoformat() in item.description
    from django.utils.translation import gettext

    assert gettext(" (overdue)") in item.description


def test_annual_meeting_carries_last_years_briefing(committee, users, clock):
    meeting = call(committee, users["secretariat_a"], clock, kind=Meeting.Kind.ANNUAL, title="2026年度工作会议")
    briefing = meeting.agenda_items.get(source=AgendaItem.Source.BRIEFING)
    last_year = timezone.localtime(meeting.starts_at).year - 1
    assert str(last_year) in briefing.title
    assert briefing.description
    assert briefing.state == AgendaItem.State.APPROVED and briefing.position == 1
    attachment = briefing.attachments.get()
    assert attachment.file.read().startswith(b"%PDF-")
    assert meeting.agenda_items.get(source=AgendaItem.Source.OPEN_ACTIONS).position == 2


def test_regular_meeting_has_no_briefing(meeting):
    assert not meeting.agenda_items.filter(source=AgendaItem.Source.BRIEFING).exists()


# --- agenda -----------------------------------------------------------------------------------------------------


def test_member_agency_proposes_with_an_attachment(meeting, users):
    upload = SimpleUploadedFile("检查方案.pdf", small_pdf(), content_type="application/pdf")
    item = services.propose_agenda_item(
        actor=users["staff_a_emergency"], meeting=meeting, title="联合检查方案", description="审议", files=[upload]
    )
    assert item.agency_id == users["staff_a_emergency"].agency_id
    assert item.state == AgendaItem.State.PROPOSED
    assert item.attachments.get().name == "检查方案.pdf"


def test_attachment_must_be_what_its_name_says(meeting, users):
    upload = SimpleUploadedFile("方案.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="x", files=[upload])
    assert not AgendaItem.objects.filter(source=AgendaItem.Source.AGENCY).exists()


def test_proposals_are_refused_after_the_cutoff(meeting, users, clock):
    clock.set(meeting.agenda_cutoff + datetime.timedelta(minutes=1))
    with pytest.raises(ValidationError) as exc:
        services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="迟到的议题")
    from django.utils import translation

    with translation.override("zh-hans"):
        assert exc.value.messages


def test_an_agency_proposes_only_for_itself(meeting, users, agency_a_health):
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(
            actor=users["staff_a_emergency"], meeting=meeting, title="代卫健提", agency=agency_a_health
        )


def test_a_non_member_agency_cannot_propose(meeting, users):
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(actor=users["staff_b"], meeting=meeting, title="外县议题")
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(actor=users["staff_city"], meeting=meeting, title="市级议题")


def test_only_the_secretariat_approves_and_declines(meeting, users):
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="联合检查方案")
    for user in (users["staff_a_emergency"], users["staff_a"], users["staff_city"]):
        with pytest.raises(PermissionDenied):
            services.approve_agenda_item(actor=user, item=item)
        with pytest.raises(PermissionDenied):
            services.decline_agenda_item(actor=user, item=item, reason="x")
    item = services.approve_agenda_item(actor=users["secretariat_a"], item=item)
    assert item.state == AgendaItem.State.APPROVED and item.position == 2  # after the open action items


def test_decline_needs_a_reason_and_tells_the_agency(meeting, users):
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="议题")
    with pytest.raises(ValidationError):
        services.decline_agenda_item(actor=users["secretariat_a"], item=item, reason=" ")
    item = services.decline_agenda_item(actor=users["secretariat_a"], item=item, reason="下次会议再议")
    assert item.state == AgendaItem.State.DECLINED and item.decline_reason == "下次会议再议"
    assert Notification.objects.filter(recipient=users["staff_a_emergency"], body="下次会议再议").exists()


def test_ordering_the_agenda(meeting, users):
    sec = users["secretariat_a"]
    a = services.approve_agenda_item(
        actor=sec, item=services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="A")
    )
    b = services.approve_agenda_item(
        actor=sec, item=services.propose_agenda_item(actor=users["staff_a_health"], meeting=meeting, title="B")
    )
    services.order_agenda(actor=sec, meeting=meeting, item_ids=[b.pk, a.pk])
    titles = [i.title for i in services.approved_agenda(meeting)]
    assert titles[:2] == ["B", "A"]
    with pytest.raises(PermissionDenied):
        services.order_agenda(actor=users["staff_a"], meeting=meeting, item_ids=[a.pk])


def test_sending_the_notice(meeting, users):
    sec = users["secretariat_a"]
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="联合检查方案")
    with pytest.raises(ValidationError):  # a proposal is still undecided
        services.send_notice(actor=sec, meeting=meeting)
    services.approve_agenda_item(actor=sec, item=item)
    with pytest.raises(PermissionDenied):
        services.send_notice(actor=users["staff_a_emergency"], meeting=meeting)
    meeting = services.send_notice(actor=sec, meeting=meeting)
    assert meeting.state == Meeting.State.NOTIFIED and meeting.notice_sent_at is not None
    note = Notification.objects.filter(recipient=users["staff_a_health"]).latest("id")
    assert "联合检查方案" in note.body and meeting.place in note.body
    with pytest.raises(ValidationError):
        services.send_notice(actor=sec, meeting=meeting)


# --- replies, the meeting, the minutes ------------------------------------------------------------------------


def test_replies_until_the_start(meeting, users, clock):
    staff = users["staff_a_emergency"]
    with pytest.raises(ValidationError):
        services.reply_to_notice(actor=staff, meeting=meeting, reply=Attendance.Reply.DELEGATE, name="李明")
    row = services.reply_to_notice(
        actor=staff, meeting=meeting, reply=Attendance.Reply.DELEGATE, name="李明", title="安全生产科科长"
    )
    assert row.reply == Attendance.Reply.DELEGATE and row.attendee == "李明 安全生产科科长"
    row = services.reply_to_notice(actor=users["staff_a_health"], meeting=meeting, reply=Attendance.Reply.EXCUSED)
    assert row.attendee == ""
    with pytest.raises(PermissionDenied):
        services.reply_to_notice(actor=users["staff_city"], meeting=meeting, reply=Attendance.Reply.EXCUSED)
    clock.set(meeting.starts_at)
    with pytest.raises(ValidationError):
        services.reply_to_notice(actor=staff, meeting=meeting, reply=Attendance.Reply.ATTENDS, name="周立群")


def test_minutes_decisions_and_actions_after_the_start(meeting, users, clock, agency_a_emergency):
    sec = users["secretariat_a"]
    with pytest.raises(ValidationError):  # not started yet
        services.record_minutes(actor=sec, meeting=meeting, minutes="x", chaired_by="y")
    decision, action = held(meeting, clock, users, agency_a_emergency)
    second = services.add_decision(actor=sec, meeting=meeting, text="第二项")
    assert (decision.position, second.position) == (1, 2)
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.HELD
    services.record_attendance(actor=sec, meeting=meeting, present={agency_a_emergency.pk: True})
    assert Attendance.objects.get(meeting=meeting, agency=agency_a_emergency).present is True
    assert Notification.objects.filter(recipient=users["staff_a_emergency"], url=services.action_url(action)).exists()
    assert Notification.objects.filter(recipient=users["staff_a"], url=services.action_url(action)).exists()
    with pytest.raises(PermissionDenied):
        services.add_decision(actor=users["staff_a"], meeting=meeting, text="x")


def test_action_items_go_to_member_agencies_only(meeting, users, clock, agency_b):
    clock.set(meeting.starts_at + datetime.timedelta(hours=1))
    decision = services.add_decision(actor=users["secretariat_a"], meeting=meeting, text="决定")
    with pytest.raises(ValidationError):
        services.create_action_item(
            actor=users["secretariat_a"],
            decision=decision,
            title="x",
            lead_agency=agency_b,
            due_on=datetime.date(2030, 1, 1),
        )


def test_publishing_the_minutes_closes_the_meeting(meeting, users, clock, agency_a_emergency):
    held(meeting, clock, users, agency_a_emergency)
    meeting = services.publish_minutes(actor=users["secretariat_a"], meeting=meeting)
    assert meeting.state == Meeting.State.CLOSED and meeting.minutes_published_at is not None
    assert Notification.objects.filter(recipient=users["staff_a_health"], url=meeting.get_absolute_url()).count() == 2
    with pytest.raises(ValidationError):
        services.add_decision(actor=users["secretariat_a"], meeting=meeting, text="晚了")


def test_publishing_needs_minutes(meeting, users, clock):
    clock.set(meeting.starts_at + datetime.timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.publish_minutes(actor=users["secretariat_a"], meeting=meeting)


# --- action items -----------------------------------------------------------------------------------------------


def test_progress_by_the_items_agencies_only(meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    report = services.report_progress(
        actor=users["staff_a_emergency"], action=action, text="已检查12个工地", percent=40
    )
    assert report.agency_id == agency_a_emergency.pk
    services.report_progress(actor=users["staff_a"], action=action, text="配合", percent=10)  # a participant
    with pytest.raises(PermissionDenied):
        services.report_progress(actor=users["staff_a_health"], action=action, text="x", percent=1)
    with pytest.raises(ValidationError):
        services.report_progress(actor=users["staff_a_emergency"], action=action, text="x", percent=101)


def test_done_by_the_lead_or_the_secretariat(meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    for user in (users["staff_a"], users["staff_a_health"]):  # a participant, an agency not concerned
        with pytest.raises(PermissionDenied):
            services.mark_action_done(actor=user, action=action)
    action = services.mark_action_done(actor=users["staff_a_emergency"], action=action)
    assert action.state == ActionItem.State.DONE and action.done_on is not None
    with pytest.raises(ValidationError):
        services.mark_action_done(actor=users["secretariat_a"], action=action)
    with pytest.raises(ValidationError):
        services.report_progress(actor=users["staff_a_emergency"], action=action, text="x", percent=100)


def test_secretariat_marks_done(meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    assert services.mark_action_done(actor=users["secretariat_a"], action=action).state == ActionItem.State.DONE


def test_reminders_once_per_stage(meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    far = action.due_on - datetime.timedelta(days=10)
    assert services.remind_action_items(today=far) == 0
    week = action.due_on - datetime.timedelta(days=7)
    assert services.remind_action_items(today=week) == 1
    assert services.remind_action_items(today=week + datetime.timedelta(days=1)) == 0
    lead_notes = Notification.objects.filter(recipient=users["staff_a_emergency"], level="warning")
    assert lead_notes.count() == 1
    assert Notification.objects.filter(recipient=users["staff_a"], level="warning").count() == 1  # participant
    assert not Notification.objects.filter(recipient=users["staff_a_health"], level="warning").exists()
    late = action.due_on + datetime.timedelta(days=1)
    assert services.remind_action_items(today=late) == 1
    assert services.remind_action_items(today=late + datetime.timedelta(days=5)) == 0
    assert set(ActionReminder.objects.filter(action=action).values_list("stage", flat=True)) == {"due_soon", "overdue"}
    assert Notification.objects.filter(recipient=users["staff_a_emergency"], level="danger").count() == 1


def test_reminder_task_runs_the_service(meeting, users, clock, agency_a_emergency):
    from meetings.tasks.actions import remind_action_items

    _decision, action = held(meeting, clock, users, agency_a_emergency)
    assert remind_action_items((action.due_on + datetime.timedelta(days=2)).isoformat()) == 1


def test_done_items_are_not_reminded(meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    services.mark_action_done(actor=users["secretariat_a"], action=action)
    assert services.remind_action_items(today=action.due_on + datetime.timedelta(days=1)) == 0


def test_overdue_selector_and_todo(meeting, users, clock, agency_a_emergency, committee):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    assert list(services.overdue_action_items(committee)) == []
    assert list(services.overdue_action_items(committee, today=action.due_on + datetime.timedelta(days=1))) == [action]
    ActionItem.objects.filter(pk=action.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    items = list(todos(users["staff_a_emergency"]))
    assert any(i.level == "danger" and i.count == 1 for i in items)
    assert not any(i.level == "danger" for i in todos(users["staff_a_health"]))
    # The secretariat sees every overdue item of its committee, whichever agency leads it.
    flagged = [(str(i.title), i.count) for i in todos(users["secretariat_a"]) if i.level == "danger"]
    assert (str(_("Overdue action items of the joint meeting")), 1) in flagged


# --- minutes documents ------------------------------------------------------------------------------------------


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils")
    return path


def test_minutes_pdf(meeting, users, clock, agency_a_emergency, tmp_path):
    held(meeting, clock, users, agency_a_emergency)
    data = minutes.minutes_pdf(meeting)
    assert data.startswith(b"%PDF-")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    fonts = subprocess.run([_poppler("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5:-2] == ["yes", "yes", "yes"], row
    text = "".join(
        subprocess.run(
            [_poppler("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert meeting.title in text
    assert "建筑施工领域联合执法检查" in text and agency_a_emergency.name in text
    assert "开展建筑施工领域联合检查" in text and "陈建华" in text


def test_minutes_docx(meeting, users, clock, agency_a_emergency):
    held(meeting, clock, users, agency_a_emergency)
    document = docx.Document(io.BytesIO(minutes.minutes_docx(meeting)))
    paragraphs = [p.text for p in document.paragraphs]
    assert meeting.title in paragraphs[0]
    assert any("开展建筑施工领域联合检查" in p for p in paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "建筑施工领域联合执法检查" in cells and agency_a_emergency.name in cells
    run = document.paragraphs[0].runs[0]
    from docx.oxml.ns import qn

    assert run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"


# --- pages ------------------------------------------------------------------------------------------------------


def test_pages_secretariat_only_actions_are_403(client_for, meeting, users):
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="议题")
    client = client_for(users["staff_a_emergency"])
    assert client.post(reverse("meetings:agendaitem_approve", args=[item.pk])).status_code == 403
    assert client.post(reverse("meetings:meeting_send_notice", args=[meeting.pk])).status_code == 403
    item.refresh_from_db()
    assert item.state == AgendaItem.State.PROPOSED


def test_pages_other_region_is_404(client_for, meeting, users):
    client = client_for(users["staff_b"])
    assert client.get(meeting.get_absolute_url()).status_code == 404
    assert client.post(reverse("meetings:meeting_propose", args=[meeting.pk]), {"title": "x"}).status_code == 404
    assert client.get(reverse("meetings:minutes_pdf", args=[meeting.pk])).status_code == 404


def test_pages_propose_after_cutoff_shows_the_message(client_for, meeting, users, clock):
    clock.set(meeting.agenda_cutoff + datetime.timedelta(minutes=1))
    client = client_for(users["staff_a_emergency"])
    response = client.post(reverse("meetings:meeting_propose", args=[meeting.pk]), {"title": "迟到"})
    assert response.status_code == 400
    assert not AgendaItem.objects.filter(title="迟到").exists()


def test_pages_the_whole_workflow(client_for, meeting, users, clock, agency_a_emergency):
    staff = client_for(users["staff_a_emergency"])
    response = staff.get(meeting.get_absolute_url())
    assert response.status_code == 200 and b'data-testid="proposal-form"' in response.content
    upload = SimpleUploadedFile("方案.pdf", small_pdf(), content_type="application/pdf")
    staff.post(reverse("meetings:meeting_propose", args=[meeting.pk]), {"title": "联合检查", "files": [upload]})
    item = AgendaItem.objects.get(title="联合检查")
    sec = client_for(users["secretariat_a"])
    assert sec.post(reverse("meetings:agendaitem_approve", args=[item.pk])).status_code == 302
    sec.post(reverse("meetings:agendaitem_move", args=[item.pk]), {"direction": "up"})
    assert [i.pk for i in services.approved_agenda(meeting)][0] == item.pk
    assert sec.post(reverse("meetings:meeting_send_notice", args=[meeting.pk])).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.NOTIFIED
    response = sec.get(reverse("meetings:agendaattachment_download", args=[item.attachments.get().pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    clock.set(meeting.starts_at + datetime.timedelta(hours=1))
    assert sec.get(meeting.get_absolute_url()).status_code == 200  # pages read the real clock: forms not shown yet
    held_meeting = meeting
    services.record_minutes(actor=users["secretariat_a"], meeting=held_meeting, minutes="纪要", chaired_by="陈建华")
    response = sec.get(reverse("meetings:minutes_docx", args=[meeting.pk]))
    assert response.status_code in (200, 302)


def test_meeting_list_query_cap(client_for, committee, users, clock, django_assert_max_num_queries):
    for n in range(8):
        call(committee, users["secretariat_a"], clock, title=f"会议{n}")
    client = client_for(users["staff_a_emergency"])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("meetings:meeting_list"))
    assert response.status_code == 200
    assert response.content.count(b"data-meeting=") == 8
    assert client.get(reverse("meetings:meeting_list") + "?when=past").content.count(b"data-meeting=") == 0


def test_action_item_list_query_cap_and_filters(
    client_for, meeting, users, clock, agency_a_emergency, django_assert_max_num_queries
):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    for n in range(5):
        decision = services.add_decision(actor=users["secretariat_a"], meeting=meeting, text=f"决定{n}")
        services.create_action_item(
            actor=users["secretariat_a"],
            decision=decision,
            title=f"事项{n}",
            lead_agency=users["staff_a_health"].agency,
            due_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("meetings:actionitem_list"))
    assert response.content.count(b"data-action=") == 6
    assert response.content.count(b'data-overdue="1"') == 5
    response = client.get(reverse("meetings:actionitem_list") + "?overdue=true")
    assert response.content.count(b"data-action=") == 5
    response = client.get(reverse("meetings:actionitem_list") + f"?agency={agency_a_emergency.pk}")
    assert response.content.count(b"data-action=") == 1
    assert client_for(users["staff_b"]).get(reverse("meetings:actionitem_detail", args=[action.pk])).status_code == 404


def test_action_item_pages(client_for, meeting, users, clock, agency_a_emergency):
    _decision, action = held(meeting, clock, users, agency_a_emergency)
    lead = client_for(users["staff_a_emergency"])
    response = lead.get(reverse("meetings:actionitem_detail", args=[action.pk]))
    assert b'data-testid="progress-form"' in response.content and b'data-testid="mark-done"' in response.content
    lead.post(reverse("meetings:actionitem_progress", args=[action.pk]), {"text": "进行中", "percent": 50})
    assert action.progress.get().percent == 50
    other = client_for(users["staff_a_health"])
    assert other.post(reverse("meetings:actionitem_done", args=[action.pk])).status_code == 403
    lead = client_for(users["staff_a_emergency"])
    lead.post(reverse("meetings:actionitem_done", args=[action.pk]))
    action.refresh_from_db()
    assert action.state == ActionItem.State.DONE


def test_minutes_download_is_audited(client_for, meeting, users, clock, agency_a_emergency):
    held(meeting, clock, users, agency_a_emergency)
    services.publish_minutes(actor=users["secretariat_a"], meeting=meeting)
    client = client_for(users["staff_a_health"])
    response = client.get(reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    response = client.get(reverse("meetings:minutes_docx", args=[meeting.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEvent.objects.filter(verb="export", object_type="meetings.meeting").count() == 2


def test_call_meeting_page(client_for, committee, users):
    client = client_for(users["secretariat_a"])
    start = timezone.localtime() + datetime.timedelta(days=10)
    response = client.post(
        reverse("meetings:meeting_add"),
        {
            "committee": committee.pk,
            "kind": "regular",
            "title": "页面召集的会议",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "place": "会议室",
            "agenda_cutoff": (start - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    meeting = Meeting.objects.get(title="页面召集的会议")
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert client_for(users["staff_a"]).get(reverse("meetings:meeting_add")).status_code == 403


def test_proposal_tells_the_secretariat_and_todos_invite_members(meeting, users):
    items = list(todos(users["staff_a_health"]))
    assert any(i.url == meeting.get_absolute_url() for i in items)
    services.propose_agenda_item(actor=users["staff_a_health"], meeting=meeting, title="职业健康议题")
    assert Notification.objects.filter(recipient=users["secretariat_a"], url=meeting.get_absolute_url()).exists()
    assert not Notification.objects.filter(recipient=users["staff_a"], title__contains="职业健康议题").exists()
    assert any(i.count == 1 and i.level == "warning" for i in todos(users["secretariat_a"]))


def test_every_write_is_audited_once(meeting, users):
    before = AuditEvent.objects.count()
    item = services.propose_agenda_item(actor=users["staff_a_health"], meeting=meeting, title="议题")
    services.approve_agenda_item(actor=users["secretariat_a"], item=item)
    services.send_notice(actor=users["secretariat_a"], meeting=meeting)
    services.reply_to_notice(actor=users["staff_a_health"], meeting=meeting, reply="attends", name="吴晓燕")
    assert AuditEvent.objects.count() - before == 4


def test_secretariat_of_another_region_gets_404(client_for, meeting, users, agency_b):
    from portal.accounts.models import Role
    from tests.factories import UserFactory

    other = UserFactory(username="secretariat_b", role=Role.SECRETARIAT, agency=agency_b)
    item = services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title="议题")
    client = client_for(other)
    assert client.post(reverse("meetings:agendaitem_approve", args=[item.pk])).status_code == 404
    assert client.post(reverse("meetings:meeting_send_notice", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.approve_agenda_item(actor=other, item=item)


def test_meeting_page_query_cap(client_for, meeting, users, clock, agency_a_emergency, django_assert_max_num_queries):
    for n in range(5):
        services.propose_agenda_item(actor=users["staff_a_emergency"], meeting=meeting, title=f"议题{n}")
    held(meeting, clock, users, agency_a_emergency)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        agenda_cutoff=timezone.now() - datetime.timedelta(hours=2),
    )
    client = client_for(users["secretariat_a"])
    with django_assert_max_num_queries(30):
        response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert b'data-testid="minutes-form"' in response.content and b'data-testid="action-form"' in response.content
    assert response.content.count(b'data-state="proposed"') == 5
