"""A meeting through the browser: the secretariat calls it, 应急's staff propose an item, the secretariat approves it
and sends the notice, and after the meeting records attendance, minutes and a decision with an action item,
publishes the minutes and downloads the PDF. Assertions use data attributes and data values, not labels."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from tests.browser.helpers import login
from tests.factories import TEST_PASSWORD
from tests.meetings.conftest import agency_a_health, committee  # noqa: F401 - fixtures


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def test_secretariat_runs_a_meeting_from_agenda_call_to_minutes_pdf(
    open_context,
    live_server,
    users,
    committee,  # noqa: F811
    agency_a_emergency,
):
    start = timezone.localtime() + datetime.timedelta(days=7)
    cutoff = start - datetime.timedelta(days=3)

    # 1. The secretariat calls the meeting.
    sec = open_context().new_page()
    login(sec, live_server, "secretariat_a", TEST_PASSWORD)
    sec.goto(f"{live_server.url}/meetings/meetings/")
    click_and_wait(sec, sec.get_by_test_id("add-meeting"))
    form = sec.get_by_test_id("meeting-form")
    form.locator("[name=kind]").select_option(value="regular")
    form.locator("[name=title]").fill("2026年第四次工伤预防工作联席会议")
    form.locator("[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=place]").fill("市人社局三楼会议室")
    form.locator("[name=agenda_cutoff]").fill(cutoff.strftime("%Y-%m-%dT%H:%M"))
    click_and_wait(sec, sec.get_by_test_id("call-meeting"))
    meeting = Meeting.objects.get(title="2026年第四次工伤预防工作联席会议")
    url = f"{live_server.url}/meetings/meetings/{meeting.pk}/"
    assert sec.url == url
    expect(sec.get_by_test_id("meeting-state")).to_have_attribute("data-state", "calling")
    expect(sec.locator("[data-testid=agenda] [data-source=open_actions]")).to_have_count(1)
    expect(sec.locator("[data-testid=attendance] tbody tr")).to_have_count(3)

    # 2. 应急's staff propose an item.
    staff = open_context().new_page()
    login(staff, live_server, "staff_a_em", TEST_PASSWORD)
    staff.goto(url)
    proposal = staff.get_by_test_id("proposal-form")
    proposal.locator("[name=title]").fill("建筑施工领域联合执法检查方案")
    proposal.locator("[name=description]").fill("提请会议审议联合检查方案")
    click_and_wait(staff, staff.get_by_test_id("propose"))
    item = AgendaItem.objects.get(title="建筑施工领域联合执法检查方案")
    assert item.agency_id == agency_a_emergency.pk
    expect(staff.locator(f"[data-testid=proposals] [data-item='{item.pk}']")).to_have_attribute(
        "data-state", "proposed"
    )

    # 3. The secretariat approves it and sends the notice.
    sec.goto(url)
    click_and_wait(sec, sec.locator(f"[data-testid=proposals] [data-item='{item.pk}'] [data-testid=approve]"))
    expect(sec.locator(f"[data-testid=agenda] [data-item='{item.pk}']")).to_have_attribute("data-state", "approved")
    click_and_wait(sec, sec.get_by_test_id("send-notice"))
    expect(sec.get_by_test_id("meeting-state")).to_have_attribute("data-state", "notified")

    # 4. 应急 replies: a delegate.
    staff.goto(url)
    reply = staff.get_by_test_id("reply-form")
    reply.locator("[name=reply]").select_option(value="delegate")
    reply.locator("[name=name]").fill("李明")
    reply.locator("[name=title]").fill("安全生产科科长")
    click_and_wait(staff, staff.get_by_test_id("reply"))
    expect(staff.locator(f"[data-testid=attendance] [data-agency='{agency_a_emergency.pk}']")).to_have_attribute(
        "data-reply", "delegate"
    )

    # 5. The meeting takes place (its time moves into the past).
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=2),
        agenda_cutoff=timezone.now() - datetime.timedelta(days=1),
    )

    # 6. The secretariat records attendance, the minutes and a decision with an action item.
    sec.goto(url)
    attendance = sec.get_by_test_id("attendance-form")
    for row in Attendance.objects.filter(meeting=meeting):
        attendance.locator(f"[name=present_{row.agency_id}]").select_option(value="true")
    click_and_wait(sec, sec.get_by_test_id("save-attendance"))
    expect(sec.get_by_test_id("meeting-state")).to_have_attribute("data-state", "held")
    expect(sec.locator("[data-testid=attendance] tr[data-present=yes]")).to_have_count(3)
    minutes = sec.get_by_test_id("minutes-form")
    minutes.locator("[name=chaired_by]").fill("陈建华")
    minutes.locator("[name=minutes]").fill("会议听取了各成员单位工作汇报，审议了联合执法检查方案。")
    click_and_wait(sec, sec.get_by_test_id("save-minutes"))
    sec.get_by_test_id("decision-form").locator("[name=text]").fill("同意开展建筑施工领域联合执法检查")
    click_and_wait(sec, sec.get_by_test_id("add-decision"))
    decision = meeting.decisions.get()
    row = sec.locator(f"[data-testid=decisions] [data-decision='{decision.pk}']")
    row.get_by_test_id("add-action-toggle").click()
    action_form = row.get_by_test_id("action-form")
    action_form.locator("[name=title]").fill("建筑施工领域联合执法检查")
    action_form.locator("[name=lead_agency]").select_option(value=str(agency_a_emergency.pk))
    due = timezone.localdate() + datetime.timedelta(days=30)
    action_form.locator("[name=due_on]").fill(due.isoformat())
    click_and_wait(sec, action_form.get_by_test_id("add-action"))
    action = ActionItem.objects.get(decision=decision)
    assert action.lead_agency_id == agency_a_emergency.pk and action.due_on == due
    expect(sec.locator(f"[data-testid=decisions] [data-action='{action.pk}']")).to_have_count(1)

    # 7. Publishing the minutes closes the meeting; the PDF downloads.
    click_and_wait(sec, sec.get_by_test_id("publish"))
    expect(sec.get_by_test_id("meeting-state")).to_have_attribute("data-state", "closed")
    with sec.expect_download() as download_info:
        sec.get_by_test_id("minutes-pdf").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF-")

    # 8. 应急 finds the action item among its list and reports progress.
    staff.goto(f"{live_server.url}/meetings/action-items/")
    click_and_wait(staff, staff.locator(f"[data-action='{action.pk}'] a"))
    progress = staff.get_by_test_id("progress-form")
    progress.locator("[name=text]").fill("已完成12个工地检查")
    progress.locator("[name=percent]").fill("40")
    click_and_wait(staff, staff.get_by_test_id("report-progress"))
    expect(staff.locator("[data-testid=progress] [data-progress]")).to_have_count(1)
