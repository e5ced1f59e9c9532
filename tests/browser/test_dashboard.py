"""The statistics dashboard in the browser: a city clerk filters by an industry, drills into a county, clicks a
bar of the region chart and lands on the case list filtered the same way."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD


def test_filter_drill_and_click_a_bar(open_context, live_server, users, regions, industry, data):  # noqa: F811
    page = open_context().new_page()
    login(page, live_server, "staff_city", TEST_PASSWORD)
    page.goto(f"{live_server.url}/analysis/?start=2024-01&end=2024-06")
    expect(page.get_by_test_id("kpi-cases")).to_have_text("5")
    division = industry.parent.parent  # 33 金属制品业
    page.locator("#id_industry").select_option(value=str(division.pk))
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Apply")).click()
    expect(page.get_by_test_id("kpi-cases")).to_have_text("4")  # 永康 3 + 武义 1 in industry 33
    with page.expect_navigation():
        page.get_by_test_id("table-by_region").get_by_role("link", name="永康市").click()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("永康市")
    expect(page.get_by_test_id("kpi-cases")).to_have_text("3")

    chart = page.locator("[data-chart=by_region]")
    expect(chart).to_have_attribute("data-ready", "1")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()  # in the viewport, as the mouse clicks
    x, y = page.evaluate(
        """(el) => { const c = echarts.getInstanceByDom(el);
                     const [x, y] = c.convertToPixel({seriesIndex: 0}, [1, 0]); return [x, y]; }""",
        chart.element_handle(),
    )
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert "/incidents/injury-cases/" in page.url
    expect(page.locator("#id_region")).to_have_value(str(regions["a_town"].pk))
    expect(page.locator("#id_industry")).to_have_value(str(division.pk))
    expect(page.locator("#id_occurred_from")).to_have_value("2024-01-01")
    expect(page.locator("table tbody tr")).to_have_count(3)
