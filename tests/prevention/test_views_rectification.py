"""The notice-letter and rectification-report pages: what officers and staff see and may do, from outside."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enterprises.models import Enterprise
from incidents.prevention import services
from incidents.prevention.models import (
    DeadlineExtension,
    LoopEvent,
    NoticeLetter,
    Outcome,
    RectificationReport,
    ReportAttachment,
)
from portal.accounts.models import Role
from portal.models import AuditEvent
from portal.notifications.models import Notification
from portal.reference.models import CalendarDay
from tests.factories import EnterpriseFactory, UserFactory
from tests.prevention.conftest import insure, make_case

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def small_pdf() -> bytes:
    """A real one-page PDF."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "rectification photo")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.fixture
def open_calendar(calendar):
    """The real calendar plus a row for every year a notice of these tests may touch (today's and the next), so
    deadlines a month from today can be computed whatever the day the tests run."""
    today = timezone.localdate()
    for year in range(today.year - 1, today.year + 2):
        if not CalendarDay.objects.filter(date__year=year).exists():
            CalendarDay.objects.create(date=datetime.date(year, 1, 1), is_workday=False, name="元旦")


def issue_notice(staff, region, enterprise, agency, *, posts=("冲压工", "冲压工", "装配工")) -> NoticeLetter:
    """A notice to ``enterprise`` from the annual screening of last year, issued today (deadline in a month)."""
    year = timezone.localdate().year - 1
    for i, post in enumerate(posts):
        make_case(enterprise, agency, datetime.date(year, 3, 1 + i), post=post)
    insure(enterprise, agency, year, 100)
    services.default_rule(actor=staff, region=region)
    run = services.run_screening(actor=staff, region=region, kind="annual", window=services.annual_window(year))
    services.issue_notices(actor=staff, run=run, issued_on=timezone.localdate())
    return NoticeLetter.objects.get(run=run, enterprise=enterprise)


@pytest.fixture
def notice(open_calendar, users, regions, enterprise_a, agency_a):
    return issue_notice(users["staff_a"], regions["a"], enterprise_a, agency_a)


@pytest.fixture
def notice_b(open_calendar, users, regions, enterprise_b, agency_b):
    return issue_notice(users["staff_b"], regions["b"], enterprise_b, agency_b, posts=("焊工", "焊工", "焊工"))


@pytest.fixture
def login_as():
    """A client of its own per user (``client_for`` shares one client: a second login replaces the first)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def complete_data(notice, **overrides) -> dict:
    data = {
        "immediate_measures": "停机检修冲床，加装防护罩",
        "self_inspection": "全厂排查冲压设备 42 台，发现防护缺失 3 处",
        "causes_found": "防护罩缺失、操作规程未落实",
        "responsible_handled": "车间主任通报批评",
        "people_educated": "全员安全培训 2 次",
        "measures_in_place": "每班点检防护装置",
    }
    for case in services.notice_cases(notice):
        data[f"cause_{case.pk}"] = f"案例{case.pk}：防护罩缺失"
    for i, _post in enumerate(services.notice_posts(notice)):
        data[f"measures_{i}"] = "加装光电保护"
    data.update(overrides)
    return data


def submitted_report(notice, officer) -> RectificationReport:
    report = services.save_report(actor=officer, notice=notice, data={})
    data = complete_data(notice)
    report = services.save_report(
        actor=officer,
        notice=notice,
        data={
            **{k: v for k, v in data.items() if not k.startswith("cause_") and not k[-1].isdigit()},
            "case_analyses": [{"case": c.pk, "cause": "原因"} for c in services.notice_cases(notice)],
            "post_measures": [{"post": p.post, "measures": "措施"} for p in services.notice_posts(notice)],
        },
    )
    return services.submit_report(actor=officer, report=report)


# --- the list -------------------------------------------------------------------------------------------------


def test_officer_lists_only_the_notices_of_their_enterprise(client_for, users, notice, notice_b):
    html = client_for(users["officer_a"]).get(reverse("prevention:noticeletter_list")).content.decode()
    assert notice.number in html and reverse("prevention:noticeletter_detail", args=[notice.pk]) in html
    assert notice_b.number not in html
    html = client_for(users["staff_b"]).get(reverse("prevention:noticeletter_list")).content.decode()
    assert notice_b.number in html and notice.number not in html


def test_staff_list_query_count_does_not_grow_with_notices(
    client_for, users, regions, agency_a, industry, open_calendar, django_assert_max_num_queries
):
    for i in range(6):
        EnterpriseFactory(name=f"永康企业{i}", region=regions["a_town"], industry=industry, owner_agency=agency_a)
    enterprises = list(Enterprise.objects.filter(name__startswith="永康企业"))
    year = timezone.localdate().year - 1
    for e in enterprises:
        for d in range(3):
            make_case(e, agency_a, datetime.date(year, 5, 1 + d))
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    run = services.run_screening(
        actor=users["staff_a"], region=regions["a"], kind="annual", window=services.annual_window(year)
    )
    services.issue_notices(actor=users["staff_a"], run=run, issued_on=timezone.localdate())
    assert NoticeLetter.objects.count() == 6
    first = NoticeLetter.objects.first()
    submitted_report(first, _officer_of(first))
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("prevention:noticeletter_list"))
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 6
    assert response.content.decode().count('data-report-state="submitted"') == 1


def _officer_of(notice):
    return UserFactory(
        username=f"officer_{notice.enterprise_id}", role=Role.SAFETY_OFFICER, agency=None, enterprise=notice.enterprise
    )


def test_waiting_filters_are_the_todo_links(client_for, users, notice):
    client = client_for(users["staff_a"])
    url = reverse("prevention:noticeletter_list")

    def listed(query):
        return [r.record for r in client.get(url + query).context["table"].page.object_list]

    assert listed("?waiting=review") == []
    assert listed("?waiting=overdue") == []
    submitted_report(notice, users["officer_a"])
    assert listed("?waiting=review") == [notice]
    today = timezone.localdate()
    NoticeLetter.objects.filter(pk=notice.pk).update(issued_on=today - datetime.timedelta(days=40), deadline=today)
    assert listed("?waiting=soon") == [notice]
    NoticeLetter.objects.filter(pk=notice.pk).update(deadline=today - datetime.timedelta(days=1))
    assert listed("?waiting=overdue") == [notice]
    assert listed("?waiting=soon") == []
    html = client.get(url + "?waiting=overdue").content.decode()
    assert 'data-testid="deadline-overdue"' in html
    # staff of another agency are never shown A's notices, whatever the filter
    assert list(client_for(users["staff_b"]).get(url + "?waiting=overdue").context["table"].page.object_list) == []


def test_year_and_state_filters(client_for, users, notice):
    client = client_for(users["officer_a"])
    url = reverse("prevention:noticeletter_list")
    year = notice.issued_on.year
    assert len(client.get(url + f"?year={year}").context["table"].page.object_list) == 1
    assert len(client.get(url + f"?year={year - 3}").context["table"].page.object_list) == 0
    assert len(client.get(url + "?state=rectified").context["table"].page.object_list) == 0


# --- the notice page ----------------------------------------------------------------------------------------------


def test_officer_sees_the_letter_deadline_and_their_buttons(client_for, users, notice):
    response = client_for(users["officer_a"]).get(notice.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert notice.enterprise.name in html and notice.number in html
    assert "冲压工" in html and "装配工" in html  # the high-incident posts
    assert notice.deadline.strftime("%Y-%m-%d") in html
    assert response.context["days_left"] == (notice.deadline - timezone.localdate()).days
    for testid in ("download-pdf", "write-report", "extension-form"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="decision-form"' not in html
    assert 'data-step="notice_issued"' in html
    assert "王小五" not in html  # the letter lists cases masked


def test_staff_of_the_issuing_agency_sees_no_officer_buttons(client_for, users, notice):
    html = client_for(users["staff_a"]).get(notice.get_absolute_url()).content.decode()
    assert 'data-testid="download-pdf"' in html
    assert 'data-testid="write-report"' not in html and 'data-testid="extension-form"' not in html


@pytest.mark.parametrize("role", ["officer_b", "staff_b"])
def test_outsiders_get_404_for_the_notice_its_pdf_and_its_report_form(client_for, users, notice, role):
    client = client_for(users[role])
    assert client.get(notice.get_absolute_url()).status_code == 404
    assert client.get(reverse("prevention:noticeletter_pdf", args=[notice.pk])).status_code == 404


def test_officer_b_gets_404_for_the_report_form_of_a(client_for, users, notice):
    client = client_for(users["officer_b"])
    assert client.get(reverse("prevention:report_edit", args=[notice.pk])).status_code == 404
    response = client.post(reverse("prevention:report_edit", args=[notice.pk]), complete_data(notice))
    assert response.status_code == 404
    assert not RectificationReport.objects.exists()


def test_staff_cannot_write_a_report(client_for, users, notice):
    assert client_for(users["staff_a"]).get(reverse("prevention:report_edit", args=[notice.pk])).status_code == 403


def test_pdf_download(client_for, users, notice):
    response = client_for(users["officer_a"]).get(reverse("prevention:noticeletter_pdf", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(verb="download", object_id=str(notice.pk)).count() == 1


# --- writing and submitting the report -----------------------------------------------------------------------------


def test_draft_keeps_immediate_measures_first(client_for, users, notice):
    client = client_for(users["officer_a"])
    url = reverse("prevention:report_edit", args=[notice.pk])
    response = client.get(url)
    assert response.status_code == 200
    cases = list(services.notice_cases(notice))
    html = response.content.decode()
    assert all(f'name="cause_{c.pk}"' in html for c in cases)
    assert 'name="measures_0"' in html and 'name="measures_1"' in html
    response = client.post(url, {"immediate_measures": "停机检修", "save": "1"})
    assert response.status_code == 302 and response["Location"] == url
    report = RectificationReport.objects.get()
    assert (report.version, report.state, report.immediate_measures) == (1, "draft", "停机检修")
    assert "停机检修" in client.get(url).content.decode()


def test_incomplete_submit_shows_the_errors_and_saves_nothing(client_for, users, notice):
    client = client_for(users["officer_a"])
    url = reverse("prevention:report_edit", args=[notice.pk])
    client.post(url, {"immediate_measures": "停机检修", "save": "1"})
    data = complete_data(notice, immediate_measures="改过的措施", self_inspection="")
    first_case = services.notice_cases(notice).first()
    data[f"cause_{first_case.pk}"] = ""
    response = client.post(url, {**data, "submit": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="self_inspection"' in html
    assert 'data-field="case_analyses"' in html
    assert f'data-field="cause_{first_case.pk}"' in html
    assert "改过的措施" in html  # what was typed is still on the form
    report = RectificationReport.objects.get()
    assert (report.state, report.immediate_measures, report.self_inspection) == ("draft", "停机检修", "")
    assert not LoopEvent.objects.filter(verb="report_submitted").exists()


def test_incomplete_first_submit_creates_no_report(client_for, users, notice):
    response = client_for(users["officer_a"]).post(
        reverse("prevention:report_edit", args=[notice.pk]), {"immediate_measures": "停机", "submit": "1"}
    )
    assert response.status_code == 200
    assert not RectificationReport.objects.exists()


def test_complete_submit_goes_to_review(client_for, users, notice):
    client = client_for(users["officer_a"])
    url = reverse("prevention:report_edit", args=[notice.pk])
    response = client.post(url, {**complete_data(notice), "submit": "1"})
    report = RectificationReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert report.state == "submitted"
    assert {a["cause"] for a in report.case_analyses} == {
        f"案例{c.pk}：防护罩缺失" for c in services.notice_cases(notice)
    }
    assert sorted(m["post"] for m in report.post_measures) == ["冲压工", "装配工"]
    assert Notification.objects.filter(recipient=users["staff_a"], url=report.get_absolute_url()).exists()
    # under review, the form sends the officer to the report
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == report.get_absolute_url()


def test_submit_button_on_the_report_page_shows_missing_parts_on_the_form(client_for, users, notice):
    client = client_for(users["officer_a"])
    client.post(reverse("prevention:report_edit", args=[notice.pk]), {"immediate_measures": "停机", "save": "1"})
    report = RectificationReport.objects.get()
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'data-testid="submit-report"' in page
    response = client.post(reverse("prevention:report_submit", args=[report.pk]))
    assert response.status_code == 200
    assert 'data-field="self_inspection"' in response.content.decode()
    report.refresh_from_db()
    assert report.state == "draft"


# --- review -----------------------------------------------------------------------------------------------------


def test_officer_cannot_accept_or_return(client_for, users, notice):
    report = submitted_report(notice, users["officer_a"])
    client = client_for(users["officer_a"])
    assert client.post(reverse("prevention:report_accept", args=[report.pk])).status_code == 403
    assert client.post(reverse("prevention:report_return", args=[report.pk]), {"reason": "自己退回"}).status_code == 403
    assert 'data-testid="review-form"' not in client.get(report.get_absolute_url()).content.decode()
    report.refresh_from_db()
    assert report.state == "submitted"


@pytest.mark.parametrize("role", ["staff_b", "officer_b"])
def test_outsiders_get_404_for_the_report(client_for, users, notice, role):
    report = submitted_report(notice, users["officer_a"])
    client = client_for(users[role])
    assert client.get(report.get_absolute_url()).status_code == 404


def test_another_agency_cannot_review(client_for, users, notice):
    report = submitted_report(notice, users["officer_a"])
    # 应急管理局 of the same county sees the report but did not issue the notice
    client = client_for(users["staff_a_emergency"])
    assert client.get(report.get_absolute_url()).status_code == 200
    assert client.post(reverse("prevention:report_accept", args=[report.pk])).status_code == 404
    assert client_for(users["staff_b"]).post(reverse("prevention:report_accept", args=[report.pk])).status_code == 404
    report.refresh_from_db()
    assert report.state == "submitted"


def test_return_needs_a_reason_then_the_officer_revises_as_version_2(login_as, users, notice):
    report = submitted_report(notice, users["officer_a"])
    staff = login_as(users["staff_a"])
    page = staff.get(report.get_absolute_url()).content.decode()
    assert 'data-testid="accept"' in page and 'data-testid="return"' in page
    response = staff.post(reverse("prevention:report_return", args=[report.pk]), {"reason": "补"})
    assert response.status_code == 200 and 'data-field="reason"' in response.content.decode()
    report.refresh_from_db()
    assert report.state == "submitted"
    response = staff.post(
        reverse("prevention:report_return", args=[report.pk]), {"reason": "请补充冲压工岗位的整改照片"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "returned"

    officer = login_as(users["officer_a"])
    notice_page = officer.get(notice.get_absolute_url()).content.decode()
    assert "请补充冲压工岗位的整改照片" in notice_page and 'data-step="report_returned"' in notice_page
    url = reverse("prevention:report_edit", args=[notice.pk])
    form_page = officer.get(url)
    assert 'data-testid="return-reason"' in form_page.content.decode()
    assert form_page.context["form"].initial["self_inspection"] == report.self_inspection  # prefilled from v1
    assert form_page.context["version"] == 2
    initial = {k: v for k, v in form_page.context["form"].initial.items() if v}
    response = officer.post(url, {**initial, "self_inspection": "补充了整改照片", "submit": "1"})
    assert response.status_code == 302
    v2 = RectificationReport.objects.get(version=2)
    assert v2.state == "submitted" and v2.self_inspection == "补充了整改照片"
    assert RectificationReport.objects.get(version=1).self_inspection != "补充了整改照片"  # v1 kept as filed

    response = staff.post(reverse("prevention:report_accept", args=[v2.pk]), {"reason": ""})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == "rectified"
    html = officer.get(notice.get_absolute_url()).content.decode()
    assert 'data-testid="notice-state" data-state="rectified"' in html
    assert 'data-testid="write-report"' not in html
    assert officer.get(url).status_code == 302


# --- attachments -------------------------------------------------------------------------------------------------


@pytest.fixture
def draft(client_for, users, notice):
    client_for(users["officer_a"]).post(reverse("prevention:report_edit", args=[notice.pk]), {"save": "1"})
    return RectificationReport.objects.get()


def upload(client, report, name, content):
    return client.post(
        reverse("prevention:attachment_upload", args=[report.pk]), {"file": SimpleUploadedFile(name, content)}
    )


def test_attach_download_and_remove_a_pdf(client_for, users, draft):
    client = client_for(users["officer_a"])
    pdf = small_pdf()
    response = upload(client, draft, "整改照片.pdf", pdf)
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get()
    assert (attachment.name, attachment.content_type, attachment.size) == ("整改照片.pdf", "application/pdf", len(pdf))
    assert "整改照片.pdf" in client.get(reverse("prevention:report_edit", args=[draft.notice_id])).content.decode()

    for role in ("officer_a", "staff_a"):
        response = client_for(users[role]).get(attachment.get_absolute_url())
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(verb="download", object_type="prevention.reportattachment").count() == 2

    client = client_for(users["officer_a"])
    assert client.post(reverse("prevention:attachment_delete", args=[attachment.pk])).status_code == 302
    assert not ReportAttachment.objects.exists()


@pytest.mark.parametrize("role", ["officer_b", "staff_b"])
def test_outsiders_get_404_for_an_attachment(client_for, users, draft, role):
    upload(client_for(users["officer_a"]), draft, "a.pdf", small_pdf())
    attachment = ReportAttachment.objects.get()
    client = client_for(users[role])
    assert client.get(attachment.get_absolute_url()).status_code == 404
    assert client.post(reverse("prevention:attachment_delete", args=[attachment.pk])).status_code in (403, 404)
    assert upload(client, draft, "b.pdf", small_pdf()).status_code in (403, 404)
    assert ReportAttachment.objects.count() == 1


@pytest.mark.parametrize(
    "name, content",
    [
        ("照片.pdf", PNG),  # a PNG named .pdf
        ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100),  # a Windows program renamed
        ("说明.txt", b"plain text"),
    ],
)
def test_attachment_type_is_checked_by_content(client_for, users, draft, name, content):
    response = upload(client_for(users["officer_a"]), draft, name, content)
    assert response.status_code == 200
    assert 'data-field="file"' in response.content.decode()
    assert not ReportAttachment.objects.exists()


def test_attachment_size_is_limited(client_for, users, draft, settings):
    settings.PREVENTION_ATTACHMENT_MAX_BYTES = 200
    response = upload(client_for(users["officer_a"]), draft, "big.pdf", small_pdf() + b"\n" * 300)
    assert response.status_code == 200
    assert 'data-field="file"' in response.content.decode()
    assert not ReportAttachment.objects.exists()


def test_attachments_of_a_submitted_version_cannot_change(client_for, users, draft):
    client = client_for(users["officer_a"])
    upload(client, draft, "a.pdf", small_pdf())
    client.post(
        reverse("prevention:report_edit", args=[draft.notice_id]), {**complete_data(draft.notice), "submit": "1"}
    )
    draft.refresh_from_db()
    assert draft.state == "submitted"
    attachment = ReportAttachment.objects.get()
    client.post(reverse("prevention:attachment_delete", args=[attachment.pk]))
    assert ReportAttachment.objects.count() == 1
    assert upload(client, draft, "b.pdf", small_pdf()).status_code == 200
    assert ReportAttachment.objects.count() == 1
    # the submitted version lists it, with a download link
    page = client.get(draft.get_absolute_url()).content.decode()
    assert attachment.get_absolute_url() in page


# --- extensions ---------------------------------------------------------------------------------------------------


def test_extension_request_and_grant(login_as, users, notice):
    officer = login_as(users["officer_a"])
    url = reverse("prevention:extension_request", args=[notice.pk])
    too_early = officer.post(url, {"requested_date": notice.deadline.isoformat(), "reason": "设备到货延迟"})
    assert too_early.status_code == 200 and 'data-field="requested_date"' in too_early.content.decode()
    assert not DeadlineExtension.objects.exists()
    wanted = notice.deadline + datetime.timedelta(days=14)
    assert officer.post(url, {"requested_date": wanted.isoformat(), "reason": "设备到货延迟"}).status_code == 302
    extension = DeadlineExtension.objects.get()
    assert extension.state == "pending"

    staff = login_as(users["staff_a"])
    html = staff.get(notice.get_absolute_url()).content.decode()
    assert 'data-testid="decision-form"' in html and "设备到货延迟" in html
    decide = reverse("prevention:extension_decide", args=[extension.pk])
    assert login_as(users["officer_a"]).post(decide, {"grant": "yes"}).status_code == 403
    assert login_as(users["staff_b"]).post(decide, {"grant": "yes"}).status_code == 404
    refused = staff.post(decide, {"grant": "no", "reason": ""})
    assert refused.status_code == 200 and 'data-field="reason"' in refused.content.decode()
    assert staff.post(decide, {"grant": "yes", "reason": "同意"}).status_code == 302
    extension.refresh_from_db()
    notice.refresh_from_db()
    assert extension.state == "granted" and notice.deadline == extension.granted_date >= wanted
    html = login_as(users["officer_a"]).get(notice.get_absolute_url()).content.decode()
    assert 'data-step="extension_granted"' in html and notice.deadline.strftime("%Y-%m-%d") in html


def test_no_extension_after_the_deadline(client_for, users, notice):
    today = timezone.localdate()
    NoticeLetter.objects.filter(pk=notice.pk).update(
        issued_on=today - datetime.timedelta(days=40), deadline=today - datetime.timedelta(days=1)
    )
    client = client_for(users["officer_a"])
    assert 'data-testid="extension-form"' not in client.get(notice.get_absolute_url()).content.decode()
    response = client.post(
        reverse("prevention:extension_request", args=[notice.pk]),
        {"requested_date": (today + datetime.timedelta(days=10)).isoformat(), "reason": "来不及了"},
    )
    assert response.status_code == 200 and 'data-field="requested_date"' in response.content.decode()
    assert not DeadlineExtension.objects.exists()


# --- escalation as seen on the notice page ---------------------------------------------------------------------


def test_overdue_notice_shows_key_supervision_and_the_referral(client_for, users, notice, agency_a_emergency):
    today = timezone.localdate()
    NoticeLetter.objects.filter(pk=notice.pk).update(
        issued_on=today - datetime.timedelta(days=40), deadline=today - datetime.timedelta(days=1)
    )
    services.escalate(today=today)
    for role in ("officer_a", "staff_a"):
        html = client_for(users[role]).get(notice.get_absolute_url()).content.decode()
        assert 'data-testid="notice-state" data-state="supervised"' in html
        assert 'data-outcome="penalty"' in html and 'data-outcome="supervision"' in html
        assert agency_a_emergency.name in html
    assert Outcome.objects.filter(notice=notice).count() == 2


# --- the warning page ------------------------------------------------------------------------------------------


def test_case_warning_page_is_masked_and_scoped(client_for, users, enterprise_a, agency_a):
    case = make_case(enterprise_a, agency_a, timezone.localdate() - datetime.timedelta(days=1), severity="serious")
    services.send_case_warnings(case_ids=[case.pk])
    url = reverse("prevention:warning_case", args=[case.pk])
    response = client_for(users["officer_a"]).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "王*五" in html and "王小五" not in html and case.worker_id_number not in html
    assert case.masked_id_number in html and 'data-testid="warning-sent"' in html
    assert Notification.objects.filter(recipient=users["officer_a"], url=url).exists()
    assert client_for(users["staff_a"]).get(url).status_code == 200
    assert client_for(users["officer_b"]).get(url).status_code == 404
    assert client_for(users["staff_b"]).get(url).status_code == 404


def test_notice_page_query_count_does_not_grow_with_versions(login_as, users, notice, django_assert_max_num_queries):
    officer, staff = users["officer_a"], users["staff_a"]
    for _round in range(3):
        report = submitted_report(notice, officer)
        services.return_report(actor=staff, report=report, reason="请补充整改照片")
    draft = services.save_report(actor=officer, notice=notice, data={})
    for i in range(3):
        services.add_attachment(actor=officer, report=draft, upload=SimpleUploadedFile(f"{i}.pdf", small_pdf()))
    client = login_as(staff)
    with django_assert_max_num_queries(16):
        response = client.get(notice.get_absolute_url())
    assert response.content.decode().count("data-version=") == 4
    with django_assert_max_num_queries(14):
        assert client.get(draft.get_absolute_url()).status_code == 200
