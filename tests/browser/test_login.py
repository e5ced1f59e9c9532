"""Logging in and out through the real forms, the home page of every role, lock-out, language switch, static files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from portal.accounts.models import User
from tests.browser.helpers import in_zh, login, zh
from tests.factories import TEST_PASSWORD

HOME, ENTERPRISES, INBOX, ADMIN = "/", "/enterprises/", "/inbox/", "/admin/"

# The role labels of the zh_Hans catalogue (locale/zh_Hans/LC_MESSAGES/django.po).
ROLE_ZH = {
    "agency_staff": "成员单位工作人员",
    "agency_admin": "单位管理员",
    "secretariat": "联席会议办公室",
    "safety_officer": "企业安全负责人",
    "expert": "专家",
    "system_admin": "系统管理员",
    "security_admin": "安全管理员",
    "auditor": "审计管理员",
}

# users[key] → (agency, enterprise or duty on the home page, its name, region shown, whether the navigation
# shows 用人单位 (business data) and 管理后台 (Django admin)). An agency is shown by its name (the lead agency
# with a 牵头单位 badge), an enterprise by its name, the expert and the three admin duties (三员, who see no
# business data) by their duty.
HOME_FACTS = {
    "staff_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", True, False),
    "staff_a_emergency": ("agency", "永康市应急管理局", "浙江省金华市永康市", True, False),
    "admin_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", True, True),
    "secretariat_a": ("agency", "永康市人力资源和社会保障局", "浙江省金华市永康市", True, False),
    "officer_a": ("enterprise", "永康五金制品有限公司", "浙江省金华市永康市东城街道", True, False),
    "expert": ("duty", None, None, False, False),
    "sysadmin": ("duty", None, None, False, True),
    "secadmin": ("duty", None, None, False, True),
    "auditor": ("duty", None, None, False, True),
    "staff_b": ("agency", "武义县人力资源和社会保障局", "浙江省金华市武义县", True, False),
    "officer_b": ("enterprise", "武义机械有限公司", "浙江省金华市武义县", True, False),
    "staff_city": ("agency", "金华市人力资源和社会保障局", "浙江省金华市", True, False),
}


def test_every_user_of_the_shared_fixture_is_covered(users):
    assert set(HOME_FACTS) == set(users)


@pytest.mark.parametrize("key", list(HOME_FACTS))
def test_login_each_role_sees_home_in_chinese(browser_page, live_server, users, key):
    page, user = browser_page, users[key]
    where, name, region, sees_enterprises, sees_admin = HOME_FACTS[key]

    login(page, live_server, user.username, TEST_PASSWORD)

    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎，{user}")
    role_label = ROLE_ZH[user.role]
    assert in_zh(user.get_role_display) == role_label
    expect(page.get_by_test_id("role")).to_have_text(role_label)

    if where == "agency":
        expected = f"{name} {zh('lead agency')}" if user.agency.is_lead else name
        expect(page.get_by_test_id("agency")).to_have_text(expected)
    elif where == "enterprise":
        expect(page.get_by_test_id("enterprise")).to_have_text(name)
        link = page.get_by_test_id("enterprise").locator("a")
        assert link.get_attribute("href") == f"/enterprises/{user.enterprise_id}/"
    else:
        expect(page.get_by_test_id("duty")).to_have_text(role_label)
    for other in {"agency", "enterprise", "duty"} - {where}:
        expect(page.get_by_test_id(other)).to_have_count(0)
    if region:
        expect(page.get_by_test_id("region")).to_have_text(region)
    else:
        expect(page.get_by_test_id("region")).to_have_count(0)

    # The modules of the role, and only those (other modules may add links of their own).
    nav = page.locator("#mainnav .navbar-nav")
    expect(nav.locator(f"a.nav-link[href='{HOME}']")).to_have_text("首页")
    expect(nav.locator(f"a.nav-link[href='{INBOX}']")).to_have_text("消息中心")
    if sees_enterprises:
        expect(nav.locator(f"a[href='{ENTERPRISES}']")).to_have_text("用人单位")
    else:
        expect(nav.locator(f"a[href='{ENTERPRISES}']")).to_have_count(0)
        assert page.goto(f"{live_server.url}{ENTERPRISES}").status == 403  # typing the address does not help
        expect(page.locator("h1")).to_have_text(zh("Access denied"))
    expect(nav.locator(f"a.nav-link[href='{ADMIN}']")).to_have_count(1 if sees_admin else 0)
    expect(page.get_by_test_id("user-menu")).to_contain_text(str(user))


def test_wrong_password_message_in_chinese(browser_page, live_server, users):
    page = browser_page
    login(page, live_server, "staff_a", "Wrong-password-2026")

    assert page.url == f"{live_server.url}/accounts/login/"
    limit, window = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_MINUTES
    # The message states the rule: 5 failures within 15 minutes lock the account.
    expect(page.get_by_test_id("login-error")).to_have_text(
        f"用户名或密码错误。{window} 分钟内连续失败 {limit} 次将锁定账号。"
    )
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
    expect(error).to_contain_text("该账号因多次登录失败已被锁定")
    expect(error).to_contain_text("联系安全管理员解锁")
    expect(error).to_contain_text(re.compile(r"请于 \d{4}.+ 后再试"))  # the time the lock ends
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
    page.get_by_test_id("nav-registries").click()  # the registries' menu
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
    expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎，{users['staff_a']}")
    expect(page.get_by_test_id("role")).to_have_text("成员单位工作人员")


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


def _favicon(msg) -> bool:
    # The shell declares no icon, so Chromium asks for /favicon.ico on its own (404): not the page's fault.
    return msg.location.get("url", "").endswith("/favicon.ico")


def test_home_page_loads_bootstrap_and_has_no_errors(browser_page, live_server, users):
    """Every stylesheet and script of the shell comes from the portal itself (no CDN) and loads; no JS errors.

    Set PORTAL_SCREENSHOT_DIR to keep a screenshot of the home page (home.png) for a look at the layout."""
    page = browser_page
    failed, errors, foreign = [], [], []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "/favicon" not in r.url else None,
    )
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}: {r.failure}"))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not _favicon(msg) else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None)

    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.wait_for_load_state("networkidle")

    assert failed == []
    assert errors == []
    assert foreign == []
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.sheet && l.href)")
    assert all(stylesheets) and len(stylesheets) == 3, stylesheets
    # Bootstrap's rules apply: the navbar is Bootstrap's primary blue, cards have rounded corners.
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
