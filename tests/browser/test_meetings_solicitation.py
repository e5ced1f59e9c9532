"""An opinion solicitation through the browser (征求意见, seed 000: 逾期不回复视为无意见):

the secretariat drafts a letter to 应急 and 卫健 with an attachment and circulates it → 应急's staff find it among
their to-dos and reply with comments and a stamped scan → the deadline passes (the services' clock is moved and the
deadline job runs) → the secretariat sees 应急's comments and 卫健 recorded as 无意见（逾期未回复）.

Assertions use data attributes and data values, not translated labels."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.models import Reply, Solicitation
from meetings.services import solicitations as services
from meetings.tasks import solicitations as tasks
from tests.browser.helpers import in_zh, login
from tests.browser.test_prevention_journey import small_pdf
from tests.factories import TEST_PASSWORD
from tests.meetings.conftest import agency_a_health, committee  # noqa: F401 - fixtures

COMMENTS = "建议将建筑施工领域纳入重点监测行业"


@pytest.fixture
def health(request):
    """永康市's committee (人社, 应急, 卫健) set up; 卫健 returned."""
    request.getfixturevalue("committee")
    return request.getfixturevalue("agency_a_health")


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def test_solicitation_reply_and_lapse(
    open_context, live_server, users, health, agency_a, agency_a_emergency, monkeypatch
):
    deadline = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)

    # 1. The secretariat drafts the letter to 应急 and 卫健 (not 人社 itself), with the draft plan attached.
    sec = open_context().new_page()
    login(sec, live_server, "secretariat_a", TEST_PASSWORD)
    sec.goto(f"{live_server.url}/meetings/solicitations/add/")
    sec.locator("#id_title").fill("关于征求《永康市工伤预防监测机制工作实施方案（征求意见稿）》意见建议的函")
    sec.locator("#id_body").fill("现向各成员单位征求意见，逾期不回复视为无意见。")
    sec.locator("#id_deadline").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    sec.locator(f"input[name=agencies][value='{agency_a.pk}']").uncheck()
    expect(sec.locator(f"input[name=agencies][value='{agency_a_emergency.pk}']")).to_be_checked()
    expect(sec.locator(f"input[name=agencies][value='{health.pk}']")).to_be_checked()
    sec.locator("#id_attachments").set_input_files(
        files=[{"name": "征求意见稿.pdf", "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    click_and_wait(sec, sec.get_by_test_id("save"))
    solicitation = Solicitation.objects.get()
    assert sec.url == f"{live_server.url}/meetings/solicitations/{solicitation.pk}/"
    expect(sec.get_by_test_id("solicitation-state")).to_have_attribute("data-state", "draft")
    expect(sec.get_by_test_id("attachments")).to_contain_text("征求意见稿.pdf")

    # 2. … and circulates it.
    click_and_wait(sec, sec.get_by_test_id("circulate"))
    expect(sec.get_by_test_id("solicitation-state")).to_have_attribute("data-state", "open")
    assert set(solicitation.replies.values_list("agency", flat=True)) == {agency_a_emergency.pk, health.pk}
    expect(sec.locator("[data-testid=reply-row] [data-state=waiting]")).to_have_count(2)

    # 3. 应急's staff see it among the to-dos and reply with comments and the stamped scan.
    em = open_context().new_page()
    login(em, live_server, "staff_a_em", TEST_PASSWORD)
    reply = Reply.objects.get(solicitation=solicitation, agency=agency_a_emergency)
    todo = em.locator(f"[data-testid=todos] a[href='/meetings/replies/{reply.pk}/']")
    expect(todo).to_be_visible()
    click_and_wait(em, todo)
    expect(em.get_by_test_id("attachments")).to_contain_text("征求意见稿.pdf")
    em.locator("input[name=state][value=comments]").check()
    em.locator("#id_comments").fill(COMMENTS)
    em.locator("#id_scan").set_input_files(
        files=[{"name": "应急局盖章意见.pdf", "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    click_and_wait(em, em.get_by_test_id("send-reply"))
    expect(em.get_by_test_id("reply-state")).to_have_attribute("data-state", "comments")
    em.goto(f"{live_server.url}/meetings/replies/waiting/")
    expect(em.locator("[data-testid=waiting] [data-reply]")).to_have_count(0)

    # 4. The deadline passes: the clock moves past it and the minute job runs.
    monkeypatch.setattr(services, "_now", lambda: deadline + datetime.timedelta(minutes=1))
    assert tasks.close_solicitations() == 1

    # 5. The secretariat sees 应急's comments with the scan and 卫健 recorded as 无意见（逾期未回复）.
    sec.reload()
    expect(sec.get_by_test_id("solicitation-state")).to_have_attribute("data-state", "closed")
    em_row = sec.locator(f"[data-testid=reply-row][data-agency='{agency_a_emergency.pk}']")
    expect(em_row.locator("[data-state]")).to_have_attribute("data-state", "comments")
    expect(em_row.get_by_test_id("comments")).to_contain_text(COMMENTS)
    expect(em_row.get_by_test_id("scan")).to_be_visible()
    health_row = sec.locator(f"[data-testid=reply-row][data-agency='{health.pk}']")
    expect(health_row.locator("[data-state]")).to_have_attribute("data-state", "lapsed")
    lapsed = Reply.objects.get(solicitation=solicitation, agency=health)
    expect(health_row).to_contain_text(in_zh(lapsed.get_state_display))
    expect(sec.get_by_test_id("counts")).to_have_attribute("data-lapsed", "1")

    # The scan downloads for the secretariat.
    with sec.expect_download() as download:
        em_row.get_by_test_id("scan").click()
    assert download.value.suggested_filename.endswith(".pdf")
