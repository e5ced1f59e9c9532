"""A large export through the browser: a 人社 clerk exports the work-injury cases, lands on 我的导出 where the
job's file is ready (Celery runs eagerly in tests), and downloads it: an XLSX with the county's cases, masked."""

from __future__ import annotations

import datetime

from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from incidents.models import InjuryCase
from portal.models import AuditEvent, ExportJob
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD


def _case(enterprise, first17, name):
    kind, _ = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})
    return InjuryCase.objects.create(
        enterprise=enterprise,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        accident_type=kind,
        post="冲压工",
        worker_name=name,
        worker_id_number=first17 + id_number_check_char(first17),
        severity="minor",
        owner_agency=enterprise.owner_agency,
    )


def test_clerk_exports_a_large_list_and_downloads_it_from_my_exports(
    open_context, live_server, users, enterprise_a, enterprise_b, settings, tmp_path
):
    settings.EXPORT_INLINE_MAX_ROWS = 1  # two cases in county A: more than the request writes itself
    _case(enterprise_a, "33078419900101123", "王小明")
    _case(enterprise_a, "33078419850202234", "李四")
    _case(enterprise_b, "33072319900101123", "孙三")

    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.goto(f"{live_server.url}/incidents/injury-cases/")
    with page.expect_navigation():
        page.get_by_test_id("export-xlsx").click()
    assert page.url == f"{live_server.url}/exports/"
    expect(page.get_by_role("heading", name=zh("My exports"))).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        zh("This export is large and is prepared in the background. You will be notified.")
    )
    job = ExportJob.objects.get()
    expect(page.get_by_test_id("export-status")).to_have_text(zh("Ready"))

    # The user menu leads to the same page.
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("my-exports")).to_have_text(zh("My exports"))

    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    download = download_info.value
    assert download.suggested_filename == job.file_name and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "export.xlsx"
    download.save_as(path)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    names = sorted(row[rows[0].index(zh("injured worker"))] for row in rows[1:])
    assert names == ["李*", "王*明"]  # county A only, masked
    assert AuditEvent.objects.filter(verb="export", object_id=str(job.pk), note__contains="download").count() == 1
