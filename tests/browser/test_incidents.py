"""Work-injury cases through the browser: a 人社 clerk records one through the form; a member agency of the
same county sees it masked; the clerk shows the personal data with a reason."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import InjuryCase
from portal.models import AuditEvent
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD

FIRST17 = "33078419920315262"
WORKER_ID = FIRST17 + id_number_check_char(FIRST17)


def test_clerk_records_a_case_and_another_agency_sees_it_masked(
    open_context, live_server, users, enterprise_a, settings
):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    occurred = timezone.localtime(timezone.now() - datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")

    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.goto(f"{live_server.url}/incidents/injury-cases/add/")
    page.locator("#id_enterprise").select_option(label=enterprise_a.name)
    page.locator("#id_occurred_at").fill(occurred)
    page.locator("#id_accident_type").select_option(label="GB/T 6441-1986 03 机械伤害")
    page.locator("#id_post").fill("冲压工")
    page.locator("#id_worker_name").fill("王小明")
    page.locator("#id_worker_id_number").fill(WORKER_ID[:-1] + ("0" if WORKER_ID[-1] != "0" else "1"))
    page.locator("#id_severity").select_option(value="serious")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # A wrong check digit: the field says so in Chinese and nothing is saved.
    expect(page.locator("[data-field=worker_id_number]")).to_contain_text("校验")
    assert not InjuryCase.objects.exists()

    page.locator("#id_worker_id_number").fill(WORKER_ID)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    case = InjuryCase.objects.get()
    assert page.url == f"{live_server.url}/incidents/injury-cases/{case.pk}/"
    expect(page.get_by_test_id("worker-id")).to_have_text("330784********" + WORKER_ID[-4:])

    # The clerk shows the personal data with a reason; it is audited.
    page.get_by_placeholder(zh("Reason for showing the personal data")).fill("工伤认定材料核对")
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Show personal data")).click()
    expect(page.get_by_test_id("worker-id")).to_have_text(WORKER_ID)
    expect(page.get_by_test_id("worker-name")).to_have_text("王小明")
    assert AuditEvent.objects.filter(verb="unmask", object_id=str(case.pk)).count() == 1

    # 应急管理局 of the same county reads the case, masked, with no way to unmask.
    other = open_context().new_page()
    login(other, live_server, "staff_a_em", TEST_PASSWORD)
    other.goto(f"{live_server.url}/incidents/injury-cases/")
    expect(other.get_by_role("cell", name="王*明")).to_be_visible()
    other.goto(f"{live_server.url}/incidents/injury-cases/{case.pk}/")
    expect(other.get_by_test_id("worker-name")).to_have_text("王*明")
    expect(other.get_by_test_id("worker-id")).not_to_contain_text(WORKER_ID[6:14])
    expect(other.get_by_role("button", name=zh("Show personal data"))).to_have_count(0)
    assert WORKER_ID not in other.content()
