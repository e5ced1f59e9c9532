"""Opinion solicitations (征求意见, seed 000: 逾期不回复视为无意见): drafting and circulating, the agencies' replies
until the deadline, the reminder and deadline jobs, the pages' scope and the feedback summary exports."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from meetings.models import Reply, Solicitation, SolicitationAttachment
from meetings.services import solicitations as services
from meetings.tasks import solicitations as tasks
from meetings.views.solicitations import todos
from portal.models import AuditEvent
from portal.notifications.models import Notification
from tests.meetings.conftest import local

pytestmark = pytest.mark.django_db

T0 = local(2026, 5, 20, 9, 0)  # when the letter goes out
DEADLINE = local(2026, 5, 26, 14, 30)  # 5月26日（周一）下午14:30前
SECOND = datetime.timedelta(seconds=1)


def pdf(name="盖章扫描件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% stamped scan\n", content_type="application/pdf")


class Clock:
    def __init__(self, monkeypatch):
        self.now = T0
        monkeypatch.setattr(services, "_now", lambda: self.now)

    def set(self, when):
        self.now = when


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def secretariat(users, committee):
    return users["secretariat_a"]


@pytest.fixture
def draft(secretariat, committee, agency_a_emergency, agency_a_health, clock):
    return services.draft_solicitation(
        actor=secretariat,
        committee=committee,
        title="关于征求《永康市重点行业、领域工伤预防监测机制工作实施方案（征求意见稿）》意见建议的函",
        body="现向各成员单位征求意见。逾期不回复视为无意见。",
        deadline=DEADLINE,
        agencies=[agency_a_emergency, agency_a_health],
    )


@pytest.fixture
def circulated(draft, secretariat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.circulate_solicitation(actor=secretariat, solicitation=draft)


def reply_of(solicitation, agency) -> Reply:
    return Reply.objects.get(solicitation=solicitation, agency=agency)


# --- drafting and circulating ----------------------------------------------------------------------------------


def test_draft_asks_every_current_member_agency_by_default(secretariat, committee, clock):
    solicitation = services.draft_solicitation(
        actor=secretariat, committee=committee, title="征求意见", body="函", deadline=DEADLINE
    )
    agencies = set(solicitation.replies.values_list("agency__name", flat=True))
    assert agencies == {"永康市人力资源和社会保障局", "永康市应急管理局", "永康市卫生健康局"}
    assert solicitation.state == Solicitation.State.DRAFT
    assert AuditEvent.objects.filter(verb="create", object_type="meetings.solicitation").count() == 1


def test_draft_refuses_an_agency_that_is_not_a_member(secretariat, committee, agency_b, clock):
    with pytest.raises(ValidationError) as exc:
        services.draft_solicitation(
            actor=secretariat, committee=committee, title="征求意见", body="函", deadline=DEADLINE, agencies=[agency_b]
        )
    assert "agencies" in exc.value.message_dict


def test_only_the_secretariat_drafts(users, committee, clock):
    with pytest.raises(PermissionDenied):
        services.draft_solicitation(
            actor=users["staff_a"], committee=committee, title="征求意见", body="函", deadline=DEADLINE
        )


def test_draft_edits_change_recipients_and_fields(draft, secretariat, agency_a_health):
    services.update_solicitation(
        actor=secretariat, solicitation=draft, data={"title": "新标题"}, agencies=[agency_a_health]
    )
    draft.refresh_from_db()
    assert draft.title == "新标题"
    assert list(draft.replies.values_list("agency", flat=True)) == [agency_a_health.pk]


def test_circulating_opens_replies_and_notifies_every_user_of_the_agencies(
    draft, secretariat, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.circulate_solicitation(actor=secretariat, solicitation=draft)
    draft.refresh_from_db()
    assert draft.state == Solicitation.State.OPEN and draft.circulated_at == T0
    assert set(draft.replies.values_list("state", flat=True)) == {Reply.State.WAITING}
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert notified == {"staff_a_em", "staff_a_health"}
    assert sorted(m.to[0] for m in mail.outbox) == ["staff_a_em@example.gov.cn", "staff_a_health@example.gov.cn"]
    assert AuditEvent.objects.filter(verb="circulate").count() == 1


def test_circulating_needs_a_deadline_ahead(draft, secretariat, clock):
    clock.set(DEADLINE)
    with pytest.raises(ValidationError) as exc:
        services.circulate_solicitation(actor=secretariat, solicitation=draft)
    assert "deadline" in exc.value.message_dict
    assert Solicitation.objects.get(pk=draft.pk).state == Solicitation.State.DRAFT


def test_a_circulated_solicitation_can_no_longer_be_edited(circulated, secretariat):
    with pytest.raises(ValidationError):
        services.update_solicitation(actor=secretariat, solicitation=circulated, data={"title": "改"})


def test_attachments_are_checked_by_content(draft, secretariat):
    services.add_attachment(actor=secretariat, solicitation=draft, upload=pdf("征求意见稿.pdf"))
    with pytest.raises(ValidationError):
        services.add_attachment(
            actor=secretariat, solicitation=draft, upload=SimpleUploadedFile("方案.pdf", b"not a pdf at all")
        )
    assert list(SolicitationAttachment.objects.values_list("name", flat=True)) == ["征求意见稿.pdf"]


# --- replies ----------------------------------------------------------------------------------------------------


def test_agency_replies_no_opinion(circulated, users, agency_a_emergency, clock):
    reply = reply_of(circulated, agency_a_emergency)
    services.reply_to_solicitation(actor=users["staff_a_emergency"], reply=reply, state="no_opinion")
    reply.refresh_from_db()
    assert reply.state == Reply.State.NO_OPINION and reply.replied_at == T0
    assert reply.replied_by == users["staff_a_emergency"]
    assert AuditEvent.objects.filter(verb="reply", object_type="meetings.reply").count() == 1


def test_comments_need_the_stamped_scan(circulated, users, agency_a_emergency):
    reply = reply_of(circulated, agency_a_emergency)
    with pytest.raises(ValidationError) as exc:
        services.reply_to_solicitation(
            actor=users["staff_a_emergency"], reply=reply, state="comments", comments="建议增加建筑施工领域"
        )
    assert "scan" in exc.value.message_dict
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"], reply=reply, state="comments", comments="建议增加建筑施工领域", scan=pdf()
    )
    reply.refresh_from_db()
    assert reply.state == Reply.State.COMMENTS and reply.scan.name.endswith(".pdf")


def test_a_reply_may_change_until_the_deadline_and_not_at_it(circulated, users, agency_a_emergency, clock):
    reply = reply_of(circulated, agency_a_emergency)
    user = users["staff_a_emergency"]
    services.reply_to_solicitation(actor=user, reply=reply, state="comments", comments="意见一", scan=pdf())
    clock.set(DEADLINE - SECOND)
    services.reply_to_solicitation(actor=user, reply=reply, state="no_opinion")
    reply.refresh_from_db()
    assert reply.state == Reply.State.NO_OPINION and reply.replied_at == DEADLINE - SECOND
    clock.set(DEADLINE)
    with pytest.raises(ValidationError) as exc:
        services.reply_to_solicitation(actor=user, reply=reply, state="comments", comments="晚了", scan=pdf())
    with translation.override("zh-hans"):
        expected = gettext("The deadline (%(deadline)s) has passed; replies are no longer accepted.") % {
            "deadline": "2026-05-26 14:30"
        }
    assert exc.value.messages == [expected]


def test_an_agency_cannot_reply_for_another(circulated, users, agency_a_health):
    with pytest.raises(PermissionDenied):
        services.reply_to_solicitation(
            actor=users["staff_a_emergency"], reply=reply_of(circulated, agency_a_health), state="no_opinion"
        )


# --- the deadline job --------------------------------------------------------------------------------------------


def test_deadline_job_records_missing_replies_once(circulated, users, agency_a_emergency, agency_a_health, clock):
    # 应急 replies one second before the deadline: that is its reply.
    clock.set(DEADLINE - SECOND)
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"],
        reply=reply_of(circulated, agency_a_emergency),
        state="comments",
        comments="建议明确监测数据报送频次",
        scan=pdf(),
    )
    # Nothing happens before the deadline.
    assert services.close_due_solicitations(now=DEADLINE - SECOND) == 0
    assert Solicitation.objects.get(pk=circulated.pk).state == Solicitation.State.OPEN
    assert reply_of(circulated, agency_a_health).state == Reply.State.WAITING

    # At the deadline: 卫健's missing reply becomes 无意见（逾期未回复）, at the deadline.
    clock.set(DEADLINE)
    assert tasks.close_solicitations() == 1
    circulated.refresh_from_db()
    assert circulated.state == Solicitation.State.CLOSED and circulated.closed_at == DEADLINE
    emergency, health = reply_of(circulated, agency_a_emergency), reply_of(circulated, agency_a_health)
    assert emergency.state == Reply.State.COMMENTS and emergency.replied_at == DEADLINE - SECOND
    assert health.state == Reply.State.LAPSED and health.replied_at == DEADLINE and health.replied_by is None
    with translation.override("zh-hans"):
        assert health.get_state_display() == gettext("No opinion (no reply by the deadline)")
    assert AuditEvent.objects.filter(verb="close", object_type="meetings.solicitation").count() == 1
    assert Notification.objects.filter(recipient=circulated.created_by, url=circulated.get_absolute_url()).exists()

    # Again, later: nothing changes.
    snapshot = list(Reply.objects.order_by("pk").values())
    assert services.close_due_solicitations(now=DEADLINE + datetime.timedelta(hours=3)) == 0
    assert list(Reply.objects.order_by("pk").values()) == snapshot
    assert AuditEvent.objects.filter(verb="close").count() == 1
    assert Solicitation.objects.get(pk=circulated.pk).closed_at == DEADLINE


def test_deadline_job_leaves_drafts_alone(draft):
    assert services.close_due_solicitations(now=DEADLINE + SECOND) == 0
    assert Solicitation.objects.get(pk=draft.pk).state == Solicitation.State.DRAFT


# --- reminders ---------------------------------------------------------------------------------------------------


def test_reminders_go_once_to_the_agencies_that_have_not_replied(
    circulated, users, agency_a_emergency, agency_a_health, clock, django_capture_on_commit_callbacks
):
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"], reply=reply_of(circulated, agency_a_emergency), state="no_opinion"
    )
    Notification.objects.all().delete()
    # More than a day before the deadline: none.
    assert services.remind_solicitations(now=DEADLINE - datetime.timedelta(hours=25)) == 0
    clock.set(DEADLINE - datetime.timedelta(hours=23))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_solicitations() == 1
    reminded = Notification.objects.exclude(recipient=circulated.created_by)
    assert set(reminded.values_list("recipient__username", flat=True)) == {"staff_a_health"}
    assert [m.to[0] for m in mail.outbox] == ["staff_a_health@example.gov.cn"]
    assert reply_of(circulated, agency_a_health).reminded_at == DEADLINE - datetime.timedelta(hours=23)
    assert reply_of(circulated, agency_a_emergency).reminded_at is None
    # The next hour: not again.
    assert services.remind_solicitations(now=DEADLINE - datetime.timedelta(hours=22)) == 0
    assert reminded.count() == 1
    # After the deadline: nobody.
    assert services.remind_solicitations(now=DEADLINE + SECOND) == 0


# --- pages: scope and permissions ----------------------------------------------------------------------------------


def test_agency_sees_its_waiting_list_and_a_todo(circulated, users, client_for, clock):
    user = users["staff_a_health"]
    response = client_for(user).get(reverse("meetings:reply_waiting"))
    assert response.status_code == 200
    reply = reply_of(circulated, user.agency)
    assert [r.pk for r in response.context["waiting"]] == [reply.pk]
    items = list(todos(user))
    assert [i.url for i in items] == [reverse("meetings:reply_edit", args=[reply.pk])]
    assert items[0].due == DEADLINE
    assert list(todos(users["staff_b"])) == []


def test_waiting_list_soonest_deadline_first(circulated, secretariat, committee, users, agency_a_health, clock):
    sooner = services.draft_solicitation(
        actor=secretariat,
        committee=committee,
        title="较早截止",
        body="函",
        deadline=DEADLINE - datetime.timedelta(days=2),
        agencies=[agency_a_health],
    )
    services.circulate_solicitation(actor=secretariat, solicitation=sooner)
    titles = [r.solicitation.title for r in services.waiting_replies(users["staff_a_health"])]
    assert titles == ["较早截止", circulated.title]


def test_agency_replies_through_the_page(circulated, users, client_for, clock):
    user = users["staff_a_emergency"]
    reply = reply_of(circulated, user.agency)
    client = client_for(user)
    url = reverse("meetings:reply_edit", args=[reply.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"state": "comments", "comments": "建议增加", "scan": pdf()})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.state == Reply.State.COMMENTS
    # Comments without a scan on a fresh reply are refused on the form.
    other = reply_of(circulated, users["staff_a_health"].agency)
    response = client_for(users["staff_a_health"]).post(
        reverse("meetings:reply_edit", args=[other.pk]), {"state": "comments", "comments": "意见"}
    )
    assert response.status_code == 200 and response.context["form"].errors["scan"]


def test_reply_page_after_the_deadline_refuses(circulated, users, client_for, clock):
    user = users["staff_a_emergency"]
    reply = reply_of(circulated, user.agency)
    clock.set(DEADLINE)
    response = client_for(user).post(reverse("meetings:reply_edit", args=[reply.pk]), {"state": "no_opinion"})
    assert response.status_code == 200
    assert reply_of(circulated, user.agency).state == Reply.State.WAITING


def test_agency_gets_404_for_another_agencys_reply(circulated, users, client_for, agency_a_health):
    other = reply_of(circulated, agency_a_health)
    client = client_for(users["staff_a_emergency"])
    assert client.get(reverse("meetings:reply_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("meetings:reply_edit", args=[other.pk]), {"state": "no_opinion"}).status_code == 404
    assert reply_of(circulated, agency_a_health).state == Reply.State.WAITING


def test_staff_cannot_circulate(draft, users, client_for):
    response = client_for(users["staff_a"]).post(reverse("meetings:solicitation_circulate", args=[draft.pk]))
    assert response.status_code == 403
    assert Solicitation.objects.get(pk=draft.pk).state == Solicitation.State.DRAFT


def test_secretariat_circulates_through_the_page(draft, secretariat, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(secretariat).post(reverse("meetings:solicitation_circulate", args=[draft.pk]))
    assert response.status_code == 302
    assert Solicitation.objects.get(pk=draft.pk).state == Solicitation.State.OPEN


def test_user_of_another_county_gets_404(circulated, users, client_for):
    client = client_for(users["staff_b"])
    assert client.get(reverse("meetings:solicitation_detail", args=[circulated.pk])).status_code == 404
    response = client.get(reverse("meetings:solicitation_list"))
    assert list(response.context["table"].data) == []


def test_drafts_are_the_secretariats_only(draft, users, client_for):
    url = reverse("meetings:solicitation_detail", args=[draft.pk])
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 404
    assert client_for(users["secretariat_a"]).get(url).status_code == 200


def test_secretariat_creates_a_draft_through_the_form(
    secretariat, committee, client_for, agency_a_emergency, agency_a_health, clock
):
    client = client_for(secretariat)
    form = client.get(reverse("meetings:solicitation_add")).context["form"]
    assert set(form.initial["agencies"]) == {agency_a_emergency.pk, agency_a_health.pk, committee.lead_agency_id}
    response = client.post(
        reverse("meetings:solicitation_add"),
        {
            "committee": committee.pk,
            "title": "征求意见",
            "body": "请提出意见",
            "deadline": "2026-05-26T14:30",
            "agencies": [agency_a_emergency.pk, agency_a_health.pk],
            "attachments": [pdf("征求意见稿.pdf")],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    solicitation = Solicitation.objects.get()
    assert solicitation.deadline == DEADLINE
    assert solicitation.attachments.count() == 1
    assert solicitation.replies.count() == 2
    response = client.post(
        reverse("meetings:solicitation_edit", args=[solicitation.pk]),
        {
            "title": "征求意见（修改）",
            "body": "请提出意见",
            "deadline": "2026-05-27T14:30",
            "agencies": [agency_a_health.pk],
        },
    )
    assert response.status_code == 302
    solicitation.refresh_from_db()
    assert solicitation.title == "征求意见（修改）" and solicitation.replies.count() == 1


def test_secretariat_sees_replies_side_by_side(circulated, secretariat, users, client_for, agency_a_emergency):
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"],
        reply=reply_of(circulated, agency_a_emergency),
        state="comments",
        comments="建议增加",
        scan=pdf(),
    )
    response = client_for(secretariat).get(reverse("meetings:solicitation_detail", args=[circulated.pk]))
    assert response.status_code == 200
    assert response.context["counts"]["comments"] == 1 and response.context["counts"]["waiting"] == 1
    assert [r.state for r in response.context["replies"]] == ["comments", "waiting"]
    # Another member agency reads the letter but not the replies.
    response = client_for(users["staff_a_health"]).get(reverse("meetings:solicitation_detail", args=[circulated.pk]))
    assert "replies" not in response.context


def test_scan_download_only_to_the_secretariat_and_the_replying_agency(
    circulated, secretariat, users, client_for, agency_a_emergency
):
    reply = reply_of(circulated, agency_a_emergency)
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"], reply=reply, state="comments", comments="意见", scan=pdf()
    )
    url = reverse("meetings:reply_scan", args=[reply.pk])
    assert client_for(secretariat).get(url).status_code == 200
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 200
    assert client_for(users["staff_a_health"]).get(url).status_code == 404
    assert client_for(users["staff_b"]).get(url).status_code == 404


def test_attachment_download_only_to_those_who_see_the_solicitation(draft, secretariat, users, client_for):
    attachment = services.add_attachment(actor=secretariat, solicitation=draft, upload=pdf("方案.pdf"))
    url = reverse("meetings:solicitationattachment_download", args=[attachment.pk])
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 404  # still a draft
    assert client_for(secretariat).get(url).status_code == 200
    services.circulate_solicitation(actor=secretariat, solicitation=draft)
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 200
    assert client_for(users["staff_b"]).get(url).status_code == 404


def test_list_pages_query_caps(circulated, secretariat, committee, users, client_for, django_assert_max_num_queries):
    for i in range(5):
        s = services.draft_solicitation(
            actor=secretariat, committee=committee, title=f"征求意见{i}", body="函", deadline=DEADLINE
        )
        services.circulate_solicitation(actor=secretariat, solicitation=s)
    client = client_for(secretariat)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("meetings:solicitation_list")).status_code == 200
    client = client_for(users["staff_a_health"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("meetings:reply_waiting"))
    assert len(response.context["waiting"]) == 6


# --- the feedback summary ------------------------------------------------------------------------------------------


@pytest.fixture
def closed(circulated, users, agency_a_emergency, clock):
    clock.set(DEADLINE - SECOND)
    services.reply_to_solicitation(
        actor=users["staff_a_emergency"],
        reply=reply_of(circulated, agency_a_emergency),
        state="comments",
        comments="建议明确监测数据报送频次",
        scan=pdf(),
    )
    clock.set(DEADLINE)
    services.close_due_solicitations()
    circulated.refresh_from_db()
    return circulated


def test_xlsx_export_lists_each_agencys_opinion(closed, secretariat, client_for):
    from openpyxl import load_workbook

    with translation.override("zh-hans"):
        lapsed = gettext("No opinion (no reply by the deadline)")
        comments = gettext("With comments")
    response = client_for(secretariat).get(reverse("meetings:solicitation_export", args=[closed.pk, "xlsx"]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(row) for row in ws.iter_rows(min_row=4, values_only=True)]
    assert rows == [
        (1, "永康市应急管理局", comments, "建议明确监测数据报送频次", "2026-05-26 14:29", "✓"),
        (2, "永康市卫生健康局", lapsed, lapsed, "2026-05-26 14:30", None),
    ]
    assert AuditEvent.objects.filter(verb="export", object_type="meetings.solicitation").count() == 1


def test_docx_export_has_the_summary_table_in_a_chinese_font(closed, secretariat, client_for):
    import docx
    from docx.oxml.ns import qn

    with translation.override("zh-hans"):
        lapsed = gettext("No opinion (no reply by the deadline)")
    response = client_for(secretariat).get(reverse("meetings:solicitation_export", args=[closed.pk, "docx"]))
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    table = document.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert rows == [
        ["1", "永康市应急管理局", "建议明确监测数据报送频次", "2026-05-26 14:29"],
        ["2", "永康市卫生健康局", lapsed, "2026-05-26 14:30"],
    ]
    run = table.rows[1].cells[1].paragraphs[0].runs[0]
    assert run.font.name == services.EAST_ASIAN_FONT
    assert run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == services.EAST_ASIAN_FONT
    assert AuditEvent.objects.filter(verb="export").count() == 1


def test_only_the_secretariat_exports(closed, users, client_for):
    url = reverse("meetings:solicitation_export", args=[closed.pk, "xlsx"])
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 403
