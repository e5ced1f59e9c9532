"""The warning and rectification loop through the browser (issue 5):

1. a 人社 clerk records a serious case → the warning reaches the enterprise → the screening lists it and a notice
   letter is issued → the officer sees the warning and the notice, downloads the PDF, files a report with an
   attachment and submits it → staff return it with a reason → the officer revises (version 2) → staff accept;
2. the overdue path: no accepted report by the deadline → the daily escalation → 重点监管 and a penalty referral,
   seen by staff and officer on the notice page.

Assertions use data attributes and data values, not translated labels."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from incidents.models import InjuryCase
from incidents.prevention import services, tasks
from incidents.prevention.models import CaseWarning, NoticeLetter, RectificationReport
from portal.notifications.models import Notification
from portal.reference.models import AccidentType, CalendarDay
from portal.reference.validators import id_number_check_char
from tests.browser.helpers import login
from tests.factories import TEST_PASSWORD
from tests.prevention.conftest import calendar, insure, make_case  # noqa: F401 - `calendar` is a fixture

FIRST17 = "33078419880612351"
WORKER_ID = FIRST17 + id_number_check_char(FIRST17)
RETURN_REASON = "请补充冲压工岗位防护装置的整改照片"


@pytest.fixture
def open_calendar(calendar):  # noqa: F811
    """The 2024–2026 calendar plus a 元旦 row for each year around today that lacks one (a notice issued today has
    its deadline next month, maybe next year)."""
    today = timezone.localdate()
    for year in range(today.year - 1, today.year + 2):
        if not CalendarDay.objects.filter(date__year=year).exists():
            CalendarDay.objects.create(date=datetime.date(year, 1, 1), is_workday=False, name="元旦")


def small_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "photo of the new guard")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def test_serious_case_to_accepted_rectification(
    open_context, live_server, users, regions, enterprise_a, open_calendar, settings
):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    occurred = timezone.localtime(timezone.now() - datetime.timedelta(days=5))

    # 1. The clerk records a serious case.
    clerk = open_context().new_page()
    login(clerk, live_server, "staff_a", TEST_PASSWORD)
    clerk.goto(f"{live_server.url}/incidents/injury-cases/add/")
    clerk.locator("#id_enterprise").select_option(label=enterprise_a.name)
    clerk.locator("#id_occurred_at").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    clerk.locator("#id_accident_type").select_option(label="GB/T 6441-1986 03 机械伤害")
    clerk.locator("#id_post").fill("冲压工")
    clerk.locator("#id_worker_name").fill("李大明")
    clerk.locator("#id_worker_id_number").fill(WORKER_ID)
    clerk.locator("#id_severity").select_option(value="serious")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    case = InjuryCase.objects.get()
    assert case.severity == "serious"

    # 2. The warning goes out (queued when the case is recorded; the minute sweep catches up — nothing twice).
    tasks.send_case_warnings()
    assert CaseWarning.objects.filter(case=case).count() == 1

    # 3. Staff screen the last 12 months and issue the notices (their pages are tested elsewhere).
    staff = users["staff_a"]
    today = timezone.localdate()
    services.default_rule(actor=staff, region=regions["a"])
    run = services.run_screening(
        actor=staff, region=regions["a"], kind="rolling", window=services.rolling_window(today)
    )
    assert services.issue_notices(actor=staff, run=run, issued_on=today) == 1
    notice = NoticeLetter.objects.get(enterprise=enterprise_a)
    notice_url = f"{live_server.url}/prevention/notices/{notice.pk}/"

    # 4. The officer sees the warning in the inbox (masked) and the notice among the to-dos.
    officer = open_context().new_page()
    login(officer, live_server, "officer_a", TEST_PASSWORD)
    officer.goto(f"{live_server.url}/inbox/")
    warning = Notification.objects.get(recipient=users["officer_a"], url=f"/prevention/warnings/{case.pk}/")
    expect(officer.locator("main")).to_contain_text(warning.title)
    expect(officer.locator("main")).to_contain_text(notice.number)
    assert "李大明" not in officer.content() and WORKER_ID not in officer.content()
    click_and_wait(officer, officer.locator(f"form[action$='/{warning.pk}/open/'] button"))
    assert officer.url == f"{live_server.url}/prevention/warnings/{case.pk}/"
    expect(officer.get_by_test_id("worker-name")).to_have_text("李*明")
    expect(officer.get_by_test_id("severity")).to_have_attribute("data-severity", "serious")

    officer.goto(f"{live_server.url}/")
    todo = officer.locator(f"[data-testid=todos] a[href='/prevention/notices/{notice.pk}/']")
    expect(todo).to_be_visible()
    click_and_wait(officer, todo)
    assert officer.url == notice_url
    expect(officer.get_by_test_id("notice-number")).to_have_text(notice.number)
    expect(officer.get_by_test_id("deadline")).to_have_text(notice.deadline.isoformat())

    # 5. The PDF downloads and is a PDF.
    with officer.expect_download() as download_info:
        officer.get_by_test_id("download-pdf").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF-")

    # 6. The officer writes the report, saves a draft, attaches a PDF and submits.
    click_and_wait(officer, officer.get_by_test_id("write-report"))
    officer.locator("[name=immediate_measures]").fill("事发当日停用该冲床，加装双手按钮")
    officer.locator("[name=self_inspection]").fill("排查冲压设备 12 台，2 台防护缺失，已整改")
    officer.locator(f"[name=cause_{case.pk}]").fill("冲床光电保护装置被拆除，员工违规操作")
    officer.locator("[data-post='冲压工'] textarea").fill("每班点检光电保护，拆除即停机")
    officer.locator("[name=causes_found]").fill("原因已查清：防护装置被拆除")
    officer.locator("[name=responsible_handled]").fill("车间主任扣发当月绩效")
    officer.locator("[name=people_educated]").fill("全员警示教育一次")
    officer.locator("[name=measures_in_place]").fill("防护装置纳入日常点检")
    click_and_wait(officer, officer.get_by_test_id("save-draft"))
    officer.locator("[data-testid=attachment-form] input[type=file]").set_input_files(
        files=[{"name": "整改照片.pdf", "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    click_and_wait(officer, officer.get_by_test_id("upload"))
    expect(officer.get_by_test_id("attachments")).to_contain_text("整改照片.pdf")
    click_and_wait(officer, officer.get_by_test_id("submit-report"))
    expect(officer.get_by_test_id("report-state")).to_have_attribute("data-state", "submitted")
    v1 = RectificationReport.objects.get(notice=notice, version=1)
    assert v1.attachments.count() == 1

    # 7. Staff find it among their to-dos and return it with a reason.
    clerk.goto(f"{live_server.url}/")
    click_and_wait(clerk, clerk.locator("[data-testid=todos] a[href='/prevention/notices/?waiting=review']"))
    click_and_wait(clerk, clerk.get_by_role("link", name=notice.number))
    click_and_wait(clerk, clerk.locator(f"[data-report='{v1.pk}'] a"))
    expect(clerk.get_by_test_id("attachments")).to_contain_text("整改照片.pdf")
    clerk.locator("[data-testid=review-form] textarea[name=reason]").fill(RETURN_REASON)
    click_and_wait(clerk, clerk.get_by_test_id("return"))
    expect(clerk.get_by_test_id("report-state")).to_have_attribute("data-state", "returned")

    # 8. The officer sees the reason, revises and resubmits: version 2.
    officer.goto(notice_url)
    expect(officer.get_by_test_id("reports")).to_contain_text(RETURN_REASON)
    click_and_wait(officer, officer.get_by_test_id("write-report"))
    expect(officer.get_by_test_id("return-reason")).to_contain_text(RETURN_REASON)
    expect(officer.locator("[name=self_inspection]")).to_have_value("排查冲压设备 12 台，2 台防护缺失，已整改")
    officer.locator("[name=self_inspection]").fill("排查冲压设备 12 台，2 台防护缺失，已整改并附照片")
    click_and_wait(officer, officer.get_by_test_id("submit-report"))
    expect(officer.get_by_test_id("report-state")).to_have_attribute("data-state", "submitted")
    v2 = RectificationReport.objects.get(notice=notice, version=2)
    assert v2.self_inspection.endswith("并附照片")

    # 9. Staff accept version 2; the officer sees it accepted.
    clerk.goto(f"{live_server.url}/prevention/reports/{v2.pk}/")
    click_and_wait(clerk, clerk.get_by_test_id("accept"))
    expect(clerk.get_by_test_id("report-state")).to_have_attribute("data-state", "accepted")
    officer.goto(notice_url)
    expect(officer.get_by_test_id("notice-state")).to_have_attribute("data-state", "rectified")
    expect(officer.get_by_test_id("latest-report-state")).to_have_attribute("data-state", "accepted")
    expect(officer.get_by_test_id("write-report")).to_have_count(0)
    expect(officer.locator("[data-step]")).to_have_count(5)  # issued, submitted, returned, submitted, accepted


def test_overdue_notice_ends_under_key_supervision(
    open_context, live_server, users, regions, enterprise_a, agency_a, agency_a_emergency, open_calendar
):
    staff = users["staff_a"]
    today = timezone.localdate()
    year = today.year - 1
    for day in (3, 4, 5):
        make_case(enterprise_a, agency_a, datetime.date(year, 6, day))
    insure(enterprise_a, agency_a, year, 100)
    services.default_rule(actor=staff, region=regions["a"])
    run = services.run_screening(actor=staff, region=regions["a"], kind="annual", window=services.annual_window(year))
    services.issue_notices(actor=staff, run=run, issued_on=today - datetime.timedelta(days=60))
    notice = NoticeLetter.objects.get()
    assert notice.deadline < today
    notice_url = f"{live_server.url}/prevention/notices/{notice.pk}/"

    officer = open_context().new_page()
    login(officer, live_server, "officer_a", TEST_PASSWORD)
    officer.goto(notice_url)
    expect(officer.get_by_test_id("notice-state")).to_have_attribute("data-state", "open")
    expect(officer.get_by_test_id("days-left")).to_have_attribute("data-days", str((notice.deadline - today).days))
    expect(officer.get_by_test_id("extension-form")).to_have_count(0)  # too late to ask for more time

    # The daily escalation (twice: nothing twice).
    assert tasks.escalate()["overdue"] == 1
    assert tasks.escalate()["overdue"] == 0

    officer.reload()
    expect(officer.get_by_test_id("notice-state")).to_have_attribute("data-state", "supervised")
    expect(officer.locator("[data-outcome=penalty]")).to_be_visible()
    expect(officer.locator("[data-outcome=supervision]")).to_be_visible()

    clerk = open_context().new_page()
    login(clerk, live_server, "staff_a", TEST_PASSWORD)
    clerk.goto(f"{live_server.url}/prevention/notices/")
    expect(clerk.locator(f"[data-notice='{notice.pk}'] [data-state=supervised]")).to_be_visible()
    click_and_wait(clerk, clerk.get_by_role("link", name=notice.number))
    expect(clerk.get_by_test_id("notice-state")).to_have_attribute("data-state", "supervised")
    penalty = clerk.locator("[data-outcome=penalty]")
    expect(penalty).to_contain_text(agency_a_emergency.name)  # referred to the county's 应急管理局
    expect(clerk.locator("[data-step=supervised]")).to_have_count(1)
