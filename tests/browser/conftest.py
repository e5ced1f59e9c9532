"""Browser tests: Playwright (sync API) driving Debian's headless Chromium against pytest-django's live server.

- Every test in this folder is marked ``browser`` (``pytest -m "not browser"`` skips them).
- One Chromium per run of this folder, a fresh browser context (cookies, storage, language) per test.
- The browser is *package*-scoped, not session-scoped, on purpose: while the Playwright sync API is alive it
  marks an asyncio loop as running in the main thread (``playwright/_impl/_greenlets.py``), which makes Django
  refuse ORM calls (``SynchronousOnlyOperation``) and ``async_to_sync`` fail. So the fixture allows Django's
  async-unsafe calls only while the browser lives and stops Playwright when the last test of this folder has
  run: the rest of the suite runs exactly as without the browser tests.
- We launch the browser ourselves instead of using pytest-playwright's ``browser``/``page`` fixtures (their
  ``playwright`` fixture is session-scoped, see above) and never download a browser: ``/usr/bin/chromium``
  (``make chromium`` installs it).
- ``live_server`` (pytest-django) serves static files through Django's ``StaticFilesHandler``, so Bootstrap
  comes from ``node_modules`` via ``STATICFILES_DIRS``; it also makes each test use a transactional database,
  so the shared data fixtures of ``tests/conftest.py`` work unchanged (``audit_trail_flushable`` below lets
  Django flush the append-only audit table between those tests).
- ``helpers.py``: ``login(page, live_server, username, password)`` through the real form, ``zh(msgid)``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import TIMEOUT_MS

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the items of the whole session: mark only the ones in this folder.
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package", autouse=True)
def audit_trail_flushable(django_db_setup, django_db_blocker):
    """Let the transactional tests of this folder empty the audit trail and the screening results between tests.

    ``live_server`` needs a transactional database, which Django cleans by *flushing* every table after each
    test (DELETE on SQLite, TRUNCATE on PostgreSQL). The append-only triggers of
    ``portal/migrations/0002_audit_append_only.py`` refuse that, and so do the triggers of
    ``incidents/prevention/migrations/0004_result_keys_checked_on_delete.py`` when SQLite deletes the enterprises
    before their screening results, so each test would error in its teardown. Drop the triggers for the browser
    tests only and put them back (the migrations' own SQL) afterwards."""
    audit = importlib.import_module("portal.migrations.0002_audit_append_only")
    results = importlib.import_module("incidents.prevention.migrations.0004_result_keys_checked_on_delete")
    vendor = connection.vendor
    drop = {"sqlite": audit.SQLITE_REVERSE, "postgresql": audit.POSTGRES_REVERSE}.get(vendor, [])
    create = {"sqlite": audit.SQLITE, "postgresql": audit.POSTGRES}.get(vendor, [])
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for sql in [*drop, *results.unguard_sql(vendor)]:
            cursor.execute(sql)
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for sql in [*create, *results.guard_sql(vendor)]:
            cursor.execute(sql)


@pytest.fixture(scope="package")
def chromium_browser() -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} (run `make chromium`).", pytrace=False)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        pw.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_context(chromium_browser, live_server):
    """Factory for extra browser contexts (a second user in the same test); all closed at teardown.

    A Chinese browser (Accept-Language zh-CN) in China's time zone, as the portal's users have."""
    contexts: list[BrowserContext] = []

    def make(**kwargs) -> BrowserContext:
        options = {
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 900},
            "base_url": live_server.url,
            **kwargs,
        }
        context = chromium_browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(open_context) -> Page:
    """A page in a fresh context: no cookies, no session, no language choice."""
    return open_context().new_page()
