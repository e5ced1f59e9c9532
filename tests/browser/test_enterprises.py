"""Enterprises (用人单位) through the browser: create one, county scope on the detail page, credit-code errors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from enterprises.models import Enterprise
from portal.reference.validators import CREDIT_CODE_CHARSET
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD, credit_code

NEW_NAME = "永康市新建精密铸造有限公司"


def _link(page, label):
    """A link by its visible label. The accessible name also holds the Bootstrap Icons glyph (CSS ::before
    content) of the shell's links, so match the label at the end of the name."""
    return page.get_by_role("link", name=re.compile(rf"(^|\W){re.escape(label)}$"))


def _open_add_form(page, live_server):
    page.get_by_test_id("nav-registries").click()  # the registries' menu of the navigation bar
    _link(page, "用人单位").click()
    page.wait_for_url(f"{live_server.url}/enterprises/")
    expect(page.get_by_role("cell", name="永康五金制品有限公司")).to_be_visible()  # the county's own enterprise
    _link(page, zh("Add")).click()
    page.wait_for_url(f"{live_server.url}/enterprises/add/")


def _fill_form(page, code):
    page.locator("#id_credit_code").fill(code)
    page.locator("#id_name").fill(NEW_NAME)
    page.locator("#id_region").select_option(label="东城街道")
    page.locator("#id_industry").select_option(label="3311 金属结构制造")
    page.locator("#id_address").fill("永康市东城街道五金大道 88 号")


def test_staff_creates_enterprise_and_other_county_cannot_see_it(open_context, live_server, users, regions):
    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    _open_add_form(page, live_server)
    # Region choices are limited to the user's own county: 永康市 and its street, not 武义县.
    region_options = page.locator("#id_region option").all_inner_texts()
    assert "东城街道" in region_options and "永康市" in region_options and "武义县" not in region_options

    code = credit_code(4242)
    _fill_form(page, code.lower())  # lower case is accepted and stored upper case
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()

    enterprise = Enterprise.objects.get(name=NEW_NAME)
    detail_url = f"{live_server.url}/enterprises/{enterprise.pk}/"
    assert page.url == detail_url
    assert enterprise.credit_code == code
    assert enterprise.region == regions["a_town"]
    assert enterprise.owner_agency.name == "永康市人力资源和社会保障局"
    expect(page.locator("h1")).to_have_text(NEW_NAME)
    expect(page.get_by_role("alert")).to_contain_text(zh("Saved."))
    details = page.locator("main dl")
    expect(details).to_contain_text(code)
    expect(details).to_contain_text("浙江省金华市永康市东城街道")
    expect(details).to_contain_text("3311 金属结构制造")
    expect(_link(page, zh("Edit"))).to_be_visible()

    # B's staff in the sibling county: the enterprise does not exist for them.
    other = open_context().new_page()
    login(other, live_server, "staff_b", TEST_PASSWORD)
    response = other.goto(detail_url)
    assert response.status == 404
    expect(other.locator("h1")).to_have_text(zh("Not found"))
    expect(other.locator("main")).not_to_contain_text(NEW_NAME)
    other.goto(f"{live_server.url}/enterprises/")
    expect(other.locator("main")).not_to_contain_text(NEW_NAME)
    expect(other.get_by_role("cell", name="武义机械有限公司")).to_be_visible()

    # The creator still sees it in the list.
    page.goto(f"{live_server.url}/enterprises/")
    expect(page.get_by_role("cell", name=NEW_NAME)).to_be_visible()


def test_invalid_credit_code_shows_field_error(open_context, live_server, users):
    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    _open_add_form(page, live_server)
    count = Enterprise.objects.count()

    valid = credit_code(4243)
    wrong = valid[:17] + next(c for c in CREDIT_CODE_CHARSET if c != valid[17])
    _fill_form(page, wrong)
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()

    assert page.url == f"{live_server.url}/enterprises/add/"
    field = page.locator("#id_credit_code")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(field).to_have_value(wrong)
    error = page.locator(".invalid-feedback[data-field=credit_code]")
    expect(error).to_be_visible()
    expect(error).to_have_text("统一社会信用代码：校验位错误。")
    # The error sits right under the credit-code input, and it is the only field with an error.
    assert field.evaluate("f => f.parentElement.querySelector('.invalid-feedback') !== null")
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    # The other values are kept for the correction.
    expect(page.locator("#id_name")).to_have_value(NEW_NAME)
    assert Enterprise.objects.count() == count
    assert not Enterprise.objects.filter(name=NEW_NAME).exists()
