"""The screening side of the loop in the browser: a 人社 clerk drafts thresholds, previews them, publishes them,
runs the annual screening of 2025, finds the multi-incident enterprise, issues the notice letters and publishes the
list to the city; then writes a bulletin from a case and publishes it, and a visitor who is not logged in reads it
in the public case library."""

from __future__ import annotations

import csv
import datetime

import pytest
from playwright.sync_api import expect

from incidents.prevention.models import Bulletin, NoticeLetter, ScreeningRule, ScreeningRun
from portal.reference.models import CalendarDay
from tests.browser.helpers import login
from tests.factories import TEST_PASSWORD, EnterpriseFactory
from tests.prevention.conftest import CALENDAR_CSV, insure, make_case


@pytest.fixture
def holiday_calendar(db):
    """The official 2024–2026 calendar, and 2027's New Year's Day: a notice issued now has its deadline in 2027."""
    with CALENDAR_CSV.open(encoding="utf-8") as fh:
        CalendarDay.objects.bulk_create(
            CalendarDay(date=datetime.date.fromisoformat(r["date"]), is_workday=r["is_workday"] == "1", name=r["name"])
            for r in csv.DictReader(fh)
        )
    CalendarDay.objects.get_or_create(date=datetime.date(2027, 1, 1), defaults={"is_workday": False, "name": "元旦"})


def test_thresholds_screening_notices_and_a_public_bulletin(
    open_context, live_server, users, regions, industry, agency_a, enterprise_a, holiday_calendar
):
    cases = [make_case(enterprise_a, agency_a, datetime.date(2025, 3, 3 + day), post="冲压工") for day in range(2)]
    quiet = EnterpriseFactory(name="永康小五金厂", region=regions["a"], industry=industry, owner_agency=agency_a)
    make_case(quiet, agency_a, datetime.date(2025, 6, 2))
    insure(enterprise_a, agency_a, 2025, 400)  # 2 cases / 400 = 5‰: only the case-count rule can flag it
    insure(quiet, agency_a, 2025, 400)

    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)

    # 1. Thresholds: two cases make a multi-incident enterprise.
    page.goto(f"{live_server.url}/prevention/rules/draft/")
    page.locator("#id_min_cases").fill("2")
    page.locator("#id_note").fill("两起及以上即列为重点企业")
    with page.expect_navigation():
        page.get_by_test_id("save-draft").click()
    draft = ScreeningRule.objects.get(state="draft")
    assert page.url.endswith(f"/prevention/rules/{draft.pk}/")

    # 2. Preview over 2025: the enterprise with two cases is newly flagged, the one with one case is not.
    page.locator("#id_window").select_option("annual")
    page.locator("#id_year").fill("2025")
    with page.expect_navigation():
        page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("added-count")).to_have_text("1")
    expect(page.get_by_test_id("preview-added")).to_contain_text(enterprise_a.name)
    expect(page.get_by_test_id("preview-added")).not_to_contain_text("永康小五金厂")

    # 3. Publish.
    with page.expect_navigation():
        page.get_by_test_id("publish-rule").click()
    expect(page.get_by_test_id("rule-state")).to_have_attribute("data-state", "published")

    # 4. The annual screening of 2025.
    page.goto(f"{live_server.url}/prevention/screenings/new/")
    page.locator("input[name=kind][value=annual]").check()
    page.locator("#id_year").fill("2025")
    with page.expect_navigation():
        page.get_by_test_id("run-button").click()
    run = ScreeningRun.objects.get()
    assert page.url.endswith(f"/prevention/screenings/{run.pk}/")
    expect(page.get_by_test_id("count-multi")).to_have_text("1")
    multi = page.locator("[data-testid=result-table] tr[data-category=multi]")
    expect(multi).to_have_count(1)
    expect(multi).to_contain_text(enterprise_a.name)
    expect(page.locator("[data-testid=result-table] tr[data-category=general]")).to_contain_text("永康小五金厂")

    # 5. Notice letters: one, to the multi-incident enterprise, its deadline a working day a month on.
    with page.expect_navigation():
        page.get_by_test_id("issue-notices").click()
    notice = NoticeLetter.objects.get()
    assert notice.enterprise == enterprise_a
    expect(page.get_by_test_id("count-notices")).to_have_text("1")
    expect(multi.get_by_test_id("notice-link")).to_have_text(notice.number)

    # 6. Publish the list to the city.
    page.locator("#id_published_to").select_option(str(regions["jinhua"].pk))
    with page.expect_navigation():
        page.get_by_test_id("publish-run").click()
    expect(page.get_by_test_id("published-to")).to_contain_text("金华市")

    # 7. The "why are we listed" page of the enterprise.
    with page.expect_navigation():
        multi.get_by_role("link", name=enterprise_a.name).click()
    expect(page.locator("tr[data-check=count]")).to_have_attribute("data-met", "yes")
    expect(page.locator("tr[data-check=rate]")).to_have_attribute("data-met", "no")
    expect(page.get_by_test_id("posts")).to_contain_text("冲压工")

    # 8. A bulletin from one of the cases, published.
    page.goto(f"{live_server.url}/prevention/bulletins/")
    page.locator("#id_case").fill(str(cases[0].pk))
    with page.expect_navigation():
        page.get_by_test_id("from-case").locator("button").click()
    expect(page.get_by_test_id("source-case")).to_be_visible()
    page.locator("#id_title").fill("冲压作业未停机清理模具致手部伤害")
    page.locator("#id_summary").fill("某五金企业冲压工在设备运行中清理模具，右手被压伤。")
    page.locator("#id_cause_analysis").fill("冲床防护罩缺失，未执行停机挂牌制度。")
    page.locator("#id_lessons").fill("清理模具前必须停机挂牌，冲床加装光电保护。")
    with page.expect_navigation():
        page.get_by_test_id("save-bulletin").click()
    bulletin = Bulletin.objects.get()
    expect(page.get_by_test_id("bulletin-state")).to_have_attribute("data-state", "draft")
    with page.expect_navigation():
        page.get_by_test_id("publish-bulletin").click()
    expect(page.get_by_test_id("bulletin-state")).to_have_attribute("data-state", "published")

    # 9. A visitor without an account reads it in the public case library; no name of the enterprise or worker.
    visitor = open_context().new_page()
    visitor.goto(f"{live_server.url}/prevention/library/")
    card = visitor.locator(f"[data-bulletin='{bulletin.pk}']")
    expect(card).to_contain_text("冲压作业未停机清理模具致手部伤害")
    with visitor.expect_navigation():
        card.get_by_role("link").click()
    expect(visitor.get_by_test_id("lessons")).to_have_text("清理模具前必须停机挂牌，冲床加装光电保护。")
    expect(visitor.get_by_test_id("bulletin")).to_contain_text("2025-03")
    content = visitor.content()
    for secret in (enterprise_a.name, cases[0].worker_name, cases[0].worker_id_number):
        assert secret not in content
    expect(visitor.get_by_test_id("user-menu")).to_have_count(0)  # not logged in
