"""Paging a big list in the browser: a 人社 clerk goes forward twice and back once through the work-injury cases
(keyset pages: the links carry a cursor) and sees the right rows and the pager in Chinese."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from enterprises.models import sync_tiers
from incidents.models import InjuryCase
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD

FIRST17 = "33078419900101123"


def make_cases(enterprise, n: int) -> None:
    """``n`` cases, four at each instant (the id breaks the ties), each with its own post to tell rows apart."""
    kind = AccidentType.objects.create(edition=1986, code="04", name="机械伤害", kind="type")
    start = timezone.now() - datetime.timedelta(days=1)
    cases = []
    for i in range(n):
        case = InjuryCase(
            enterprise=enterprise,
            owner_agency=enterprise.owner_agency,
            occurred_at=start - datetime.timedelta(hours=i // 4),
            accident_type=kind,
            post=f"岗位{i:03d}",
            worker_name="王小明",
            worker_id_number=FIRST17 + id_number_check_char(FIRST17),
            severity="minor",
        )
        case.derive_personal_fields()
        cases.append(case)
    InjuryCase.objects.bulk_create(cases)
    sync_tiers({c.enterprise_id for c in cases})  # bulk_create skips save()


def test_clerk_pages_forward_twice_and_back_once(open_context, live_server, users, enterprise_a):
    make_cases(enterprise_a, 60)
    posts = list(InjuryCase.objects.order_by("-occurred_at", "-id").values_list("post", flat=True))
    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.goto(f"{live_server.url}/incidents/injury-cases/")

    post_cells = page.locator("table tbody tr td:nth-child(3)")
    pager = page.get_by_test_id("pager")
    expect(pager.get_by_test_id("record-count")).to_have_text(zh("%(count)s records", count="60"))
    expect(post_cells).to_have_text(posts[:25])
    expect(pager.get_by_text(zh("First page"))).to_be_visible()
    expect(pager.get_by_test_id("page-previous")).to_have_count(0)  # nothing before the first page

    for rows in (posts[25:50], posts[50:]):
        with page.expect_navigation():
            pager.get_by_role("link", name=zh("Next")).click()
        assert "cursor=" in page.url
        expect(post_cells).to_have_text(rows)
    expect(pager.get_by_test_id("page-next")).to_have_count(0)  # the last page
    expect(pager.get_by_test_id("record-count")).to_have_text(zh("%(count)s records", count="60"))

    with page.expect_navigation():
        pager.get_by_role("link", name=zh("Previous")).click()
    expect(post_cells).to_have_text(posts[25:50])
    expect(pager.get_by_role("link", name=zh("First page"))).to_be_visible()
    expect(pager.get_by_role("link", name=zh("Next"))).to_be_visible()
