"""Helpers for the browser tests: logging in through the form, and texts as the portal shows them in Chinese."""

from __future__ import annotations

import re

from django.utils import translation
from playwright.sync_api import Page

# Generous enough for a loaded CI machine, short enough that a hang fails fast.
TIMEOUT_MS = 10_000


HAN = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str, **params) -> str:
    """``message`` as the portal shows it in Simplified Chinese (the installed zh_Hans catalogues).

    Fails if the catalogue does not translate it: every text the browser tests look for must be Chinese."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert HAN.search(text), f"no Simplified Chinese translation for {message!r}"
    return text % params if params else text


def in_zh(func, *args, **kwargs) -> str:
    """Call ``func`` (e.g. ``user.get_role_display``) with Simplified Chinese active."""
    with translation.override("zh-hans"):
        return str(func(*args, **kwargs))


def login(page: Page, live_server, username: str, password: str) -> None:
    """Log in through the real login form; returns once the answer (home page or login form again) has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()
