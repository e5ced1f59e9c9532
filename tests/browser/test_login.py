"""Logging in and out through the real forms, the home page of every role, lock-out, language switch, static files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from portal.accounts.forms import LoginForm
from portal.accounts.models import User
from tests.browser.helpers import HAN, chinese_catalogue, in_zh, login, zh
from tests.factories import TEST_PASSWORD

HOME, ENTERPRISES, INBOX, ADMIN, API_DOCS = "/", "/enterprises/", "/inbox/", "/admin/", "/api/docs/"
BUSINESS = [HOME, ENTERPRISES, INBOX, API_DOCS]  # agency staff and the secretariat
ADMIN_DUTY = [HOME, INBOX, ADMIN, API_DOCS]  # 三员: accounts, roles, audit; no business data

# users[key] → (agency or enterprise shown on the home page, region shown, navigation links in order).
# An agency is shown as "name（kind）", an enterprise by its name, an admin duty or the expert by the duty.
HOME_FACTS = {
    "staff_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", BUSINESS),
    "staff_a_emergency": ("agency", "永康市应急管理局", "浙江省金华市永康市", BUSINESS),
    "admin_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", [HOME, ENTERPRISES, INBOX, ADMIN, API_DOCS]),
    "secretariat_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", BUSINESS),
    "officer_a": ("enterprise", "永康五金制品有限公司", "浙江省金华市永康市东城街道", BUSINESS),
    "expert": ("duty", None, None, [HOME, INBOX, API_DOCS]),
    "sysadmin": ("duty", None, None, ADMIN_DUTY),
    "secadmin": ("duty", None, None, ADMIN_DUTY),
    "auditor": ("duty", None, None, ADMIN_DUTY),
    "staff_b": ("agency", "武义县人力资源和社会保障局", "浙江省金华市武义县", BUSINESS),
    "officer_b": ("enterprise", "武义机械有限公司", "浙江省金华市武义县", BUSINESS),
    "staff_city": ("agency", "金华市人力资源和社会保障局", "浙江省金华市", BUSINESS),
}


def test_every_user_of_the_shared_fixture_is_covered(users):
    assert set(HOME_FACTS) == set(users)


@pytest.mark.parametrize("key", list(HOME_FACTS))
def test_login_each_role_sees_home_in_chinese(browser_page, live_server, users, key):
    page, user = browser_page, users[key]
    where, name, region, nav = HOME_FACTS[key]

    login(page, live_server, user.username, TEST_PASSWORD)

    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.get_by_test_id("welcome")).to_have_text(zh("Welcome, %(name)s", name=str(user)))
    role_label = in_zh(user.get_role_display)
    expect(page.get_by_test_id("role")).to_have_text(role_label)
    if chinese_catalogue():
        expect(page.get_by_test_id("welcome")).to_contain_text("欢迎")
        assert HAN.search(role_label), f"role {user.role} has no Chinese label: {role_label!r}"

    if where == "agency":
        expect(page.get_by_test_id("agency")).to_have_text(f"{name}（{in_zh(user.agency.get_kind_display)}）")
    elif where == "enterprise":
        expect(page.get_by_test_id("enterprise")).to_have_text(name)
        assert page.get_by_test_id("enterprise").locator("a").get_attribute("href") == f"/enterprises/{user.enterprise_id}/"
    else:
        expect(page.get_by_test_id("duty")).to_have_text(role_label)
    for other in {"agency", "enterprise", "duty"} - {where}:
        expect(page.get_by_test_id(other)).to_have_count(0)
    if region:
        expect(page.get_by_test_id("region")).to_have_text(region)
    else:
        expect(page.get_by_test_id("region")).to_have_count(0)

    links = page.locator("#mainnav .navbar-nav a.nav-link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == nav
    if ENTERPRISES in nav:
        expect(page.get_by_role("link", name=zh("Enterprises"))).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_contain_text(str(user))


def test_wrong_password_message_in_chinese(browser_page, live_server, users):
    page = browser_page
    login(page, live_server, "staff_a", "Wrong-password-2026")

    assert page.url == f"{live_server.url}/accounts/login/"
    error = page.get_by_test_id("login-error")
    expect(error).to_have_text(
        in_zh(
            lambda: str(LoginForm.error_messages["invalid_login"])
            % {"limit": settings.LOGIN_FAILURE_LIMIT, "window": settings.LOGIN_FAILURE_WINDOW_MINUTES}
        )
    )
    # The message states the rule: 5 failures within 15 minutes lock the account.
    expect(error).to_contain_text(str(settings.LOGIN_FAILURE_LIMIT))
    expect(error).to_contain_text(str(settings.LOGIN_FAILURE_WINDOW_MINUTES))
    if chinese_catalogue():
        expect(error).to_contain_text("锁定")
    # The username stays in the form; the password does not.
    expect(page.locator("#id_username")).to_have_value("staff_a")
    expect(page.locator("#id_password")).to_have_value("")
    assert not User.objects.get(username="staff_a").is_locked


def test_locked_out_user_is_refused(browser_page, live_server, users):
    page = browser_page
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        login(page, live_server, "staff_a", f"Wrong-password-{attempt}")
        expect(page.get_by_test_id("login-error")).to_be_visible()
    assert User.objects.get(username="staff_a").is_locked

    login(page, live_server, "staff_a", TEST_PASSWORD)

    assert page.url == f"{live_server.url}/accounts/login/"
    error = page.get_by_test_id("login-error")
    locked_text = in_zh(lambda: str(LoginForm.error_messages["locked"]))
    before_time, after_time = locked_text.split("%(until)s")
    expect(error).to_contain_text(before_time.strip())
    expect(error).to_contain_text(after_time.strip())
    if chinese_catalogue():
        expect(error).to_contain_text("锁定")
    expect(page.get_by_test_id("welcome")).to_have_count(0)

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    expect(page.get_by_test_id("welcome")).to_have_count(0)


def test_language_switch_to_english(browser_page, live_server, users):
    page = browser_page
    login(page, live_server, "staff_a", TEST_PASSWORD)
    language = page.locator("nav select[name=language]")
    expect(language).to_have_value("zh-hans")

    with page.expect_navigation(wait_until="load"):
        language.select_option("en")

    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_test_id("welcome")).to_have_text(f"Welcome, {users['staff_a']}")
    expect(page.get_by_test_id("role")).to_have_text("Agency staff")
    expect(page.get_by_role("link", name="Enterprises")).to_be_visible()
    expect(language).to_have_value("en")

    # The choice sticks for the next page (cookie), whatever the browser's Accept-Language says.
    page.goto(f"{live_server.url}/accounts/profile/")
    assert page.locator("html").get_attribute("lang") == "en"

    with page.expect_navigation(wait_until="load"):
        language.select_option("zh-hans")

    assert page.url == f"{live_server.url}/accounts/profile/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("welcome")).to_have_text(zh("Welcome, %(name)s", name=str(users["staff_a"])))
    expect(page.get_by_test_id("role")).to_have_text(in_zh(users["staff_a"].get_role_display))


def test_logout(browser_page, live_server, users):
    page = browser_page
    login(page, live_server, "staff_a", TEST_PASSWORD)
    expect(page.get_by_test_id("welcome")).to_be_visible()

    # The log-out button sits in a Bootstrap dropdown: this also proves bootstrap.bundle.js works.
    page.get_by_test_id("user-menu").click()
    logout = page.locator("form[action='/accounts/logout/'] button[type=submit]")
    expect(logout).to_be_visible()
    expect(logout).to_have_text(zh("Log out"))
    with page.expect_navigation(wait_until="load"):
        logout.click()

    assert page.url == f"{live_server.url}/accounts/login/"
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    page.goto(f"{live_server.url}/enterprises/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/enterprises/"


def test_home_page_loads_bootstrap_and_has_no_errors(browser_page, live_server, users):
    """Every stylesheet and script of the shell comes from the portal itself (no CDN) and loads; no JS errors.

    Set PORTAL_SCREENSHOT_DIR to keep a screenshot of the home page (home.png) for a look at the layout."""
    page = browser_page
    failed, errors, foreign = [], [], []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}: {r.failure}"))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None)

    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.wait_for_load_state("networkidle")

    assert failed == []
    assert errors == []
    assert foreign == []
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.sheet && l.href)")
    assert all(stylesheets) and len(stylesheets) == 3, stylesheets
    # Bootstrap's rules apply: the navbar is Bootstrap's primary blue, the container has its padding.
    navbar_bg = page.locator("nav.navbar").evaluate("n => getComputedStyle(n).backgroundColor")
    assert navbar_bg == "rgb(13, 110, 253)"
    assert page.locator(".card").first.evaluate("c => getComputedStyle(c).borderRadius") != "0px"
    assert page.evaluate("typeof bootstrap") == "object"
    assert page.evaluate("typeof htmx") == "object"
    # Bootstrap Icons font is used by the shell's icons.
    assert "bootstrap-icons" in page.locator("i.bi-shield-check").evaluate(
        "i => getComputedStyle(i, '::before').fontFamily"
    )

    if os.environ.get("PORTAL_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["PORTAL_SCREENSHOT_DIR"]) / "home.png"), full_page=True)
