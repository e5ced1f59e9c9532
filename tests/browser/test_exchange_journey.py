"""The quarterly data exchange in the browser (DESIGN §3.4):

1. 永康市's 人社 and 应急 staff each open their quarter (2026 Q3) from the navigation, go through the confirmation
   step and confirm it; the page then shows it confirmed and locked;
2. after the due date the secretariat opens the board: both confirmed, 卫健 overdue; it presses "build report now"
   (the job runs inline in tests), opens the report and sees its version and the files' checksums;
3. 卫健 staff open the report list and download the XLSX, which opens with openpyxl.

The exchange's clock (``services._today`` and ``services._now``) is moved in-process: the live server's thread
reads the same module. Assertions use data attributes and data values, not translated labels."""

from __future__ import annotations

import datetime

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from portal.exchange import services
from portal.exchange.models import Confirmation, ExchangeReport
from tests.browser.helpers import login
from tests.exchange.conftest import agency_a_health, exchange, today  # noqa: F401 - fixtures
from tests.factories import TEST_PASSWORD
from tests.prevention.conftest import local, make_case

BUILD_TIMEOUT_MS = 60_000  # the report job renders XLSX, PDF (embedded fonts) and JSON inside the request


@pytest.fixture
def clock(today, monkeypatch):  # noqa: F811
    def set_clock(day: datetime.date):
        today(day)
        monkeypatch.setattr(services, "_now", lambda: local(day.year, day.month, day.day, 10))

    return set_clock


def click_and_wait(page: Page, locator, timeout: float | None = None) -> None:
    with page.expect_navigation(wait_until="load", timeout=timeout):
        locator.click()


def open_exchange(page) -> None:
    """The exchange from the navigation bar's joint-work menu."""
    page.get_by_test_id("nav-collaboration").click()
    click_and_wait(page, page.locator("nav a[href='/exchange/']"))


def test_agencies_confirm_the_secretariat_builds_the_report_and_a_member_downloads_it(
    open_context,
    live_server,
    exchange,  # noqa: F811 - the fixture imported above
    regions,
    enterprise_a,
    agency_a,
    settings,
    clock,
):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    for day in (5, 20):
        make_case(enterprise_a, agency_a, datetime.date(2026, 7, day))
    clock(datetime.date(2026, 10, 12))  # before the due date (2026-10-15)

    # 1. Each agency confirms its quarter through the confirmation step.
    for username, kind, records in (("staff_a", "injury_cases", "2"), ("staff_a_em", "safety_accidents", "0")):
        page = open_context().new_page()
        login(page, live_server, username, TEST_PASSWORD)
        open_exchange(page)
        assert page.url == f"{live_server.url}/exchange/quarters/2026/3/"
        expect(page.get_by_test_id("quarter-state")).to_have_attribute("data-state", "open")
        expect(page.get_by_test_id(f"total-{kind}")).to_have_text(records)
        click_and_wait(page, page.get_by_test_id("start-confirm"))
        expect(page.locator(f"[data-testid=confirm-counts] [data-kind={kind}] [data-records]")).to_have_text(records)
        page.get_by_test_id("confirm-form").locator("input[type=checkbox]").check()
        click_and_wait(page, page.get_by_test_id("confirm-quarter"))
        assert page.url == f"{live_server.url}/exchange/quarters/2026/3/"
        expect(page.get_by_test_id("quarter-state")).to_have_attribute("data-state", "confirmed")
        expect(page.locator(f"[data-testid=confirmed-counts] [data-kind={kind}]")).to_have_attribute(
            "data-records", records
        )
        expect(page.get_by_test_id("lock-explained")).to_be_visible()
        expect(page.get_by_test_id("start-confirm")).to_have_count(0)
        expect(page.locator("[data-testid=history] [data-action=confirm]")).to_have_count(1)
    assert Confirmation.objects.filter(state="confirmed", year=2026, quarter=3).count() == 2

    # 2. After the due date the secretariat reads the board and builds the report.
    clock(datetime.date(2026, 11, 1))
    secretariat = open_context().new_page()
    login(secretariat, live_server, "secretariat_a", TEST_PASSWORD)
    open_exchange(secretariat)
    assert secretariat.url == f"{live_server.url}/exchange/board/2026/3/"
    board = secretariat.get_by_test_id("board")
    expect(board.locator("tr[data-kind=hrss] [data-testid=status]")).to_have_attribute("data-status", "confirmed")
    expect(board.locator("tr[data-kind=emergency] [data-testid=status]")).to_have_attribute("data-status", "confirmed")
    expect(board.locator("tr[data-kind=health] [data-testid=status]")).to_have_attribute("data-status", "overdue")
    expect(board.locator("tr[data-kind=health] [data-testid=status]")).to_have_class("badge text-bg-danger")
    expect(secretariat.get_by_test_id("count-confirmed")).to_have_text("2")
    expect(secretariat.get_by_test_id("count-overdue")).to_have_text("1")
    click_and_wait(secretariat, secretariat.get_by_test_id("build-report"), timeout=BUILD_TIMEOUT_MS)
    report = ExchangeReport.objects.get(region=regions["a"], year=2026, quarter=3)
    expect(secretariat.get_by_test_id("report-link")).to_have_attribute("data-version", "1")
    click_and_wait(secretariat, secretariat.get_by_test_id("report-link"))
    assert secretariat.url == f"{live_server.url}/exchange/reports/{report.pk}/"
    expect(secretariat.get_by_test_id("report-version")).to_have_attribute("data-version", "1")
    checksums = secretariat.get_by_test_id("sha256")
    expect(checksums).to_have_count(3)
    assert sorted(checksums.all_inner_texts()) == sorted(report.files.values_list("sha256", flat=True))
    expect(secretariat.get_by_test_id("fingerprint")).to_have_text(report.fingerprint)

    # 3. 卫健 staff, told of the report, download the XLSX from the list.
    health = open_context(accept_downloads=True).new_page()
    login(health, live_server, "staff_a_health", TEST_PASSWORD)
    open_exchange(health)
    expect(health.get_by_test_id("quarter-state")).to_have_attribute("data-state", "overdue")
    click_and_wait(health, health.get_by_test_id("tab-reports"))
    row = health.locator(f"[data-testid=report-table] tr[data-report='{report.pk}']")
    expect(row).to_have_attribute("data-version", "1")
    with health.expect_download() as download_info:
        row.locator("a[data-format=xlsx]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert download.suggested_filename == report.files.get(format="xlsx").filename
    with open(download.path(), "rb") as handle:  # saved under a generated name without the extension
        workbook = openpyxl.load_workbook(handle)
    assert workbook.sheetnames
