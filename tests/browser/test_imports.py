"""Import through the browser: a clerk uploads a workbook with a bad row, reads the Chinese error naming the
row and column, fixes the file, uploads it again, confirms, and finds the enterprises in the list."""

from __future__ import annotations

import io

from openpyxl import Workbook
from playwright.sync_api import expect

from enterprises.models import Enterprise
from tests.browser.helpers import login, zh
from tests.factories import TEST_PASSWORD, credit_code

HEADERS = ["统一社会信用代码", "名称", "行政区划代码", "行业代码", "企业规模", "从业人员数"]


def _workbook(path, rows):
    workbook = Workbook()
    for row in [HEADERS, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_clerk_fixes_a_bad_row_and_imports(open_context, live_server, users, regions, industry, tmp_path):
    good, second = credit_code(7001), credit_code(7002)
    broken = second[:-1] + ("0" if second[-1] != "0" else "1")
    town, cls = regions["a_town"].code, industry.code
    rows = [[good, "浏览器导入一厂", town, cls, "小型", 40], [broken, "浏览器导入二厂", town, cls, "微型", 9]]

    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.goto(f"{live_server.url}/enterprises/")
    page.get_by_test_id("import").click()
    page.locator("#id_file").set_input_files(str(_workbook(tmp_path / "企业.xlsx", rows)))
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Check the file")).click()
    expect(page.get_by_test_id("import-errors")).to_contain_text("第3行 统一社会信用代码：校验位错误。")
    expect(page.get_by_test_id("import-status")).to_have_text(zh("Has errors"))
    expect(page.get_by_role("button", name=zh("Confirm the import"))).to_have_count(0)
    assert not Enterprise.objects.filter(name__startswith="浏览器导入").exists()

    rows[1][0] = second
    page.get_by_role("link", name=zh("Upload a corrected file")).click()
    page.locator("#id_file").set_input_files(str(_workbook(tmp_path / "企业-修改.xlsx", rows)))
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Check the file")).click()
    expect(page.get_by_test_id("count-create")).to_have_text("2")
    assert not Enterprise.objects.filter(name__startswith="浏览器导入").exists()
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Confirm the import")).click()
    expect(page.get_by_test_id("import-status")).to_have_text(zh("Imported"))
    assert Enterprise.objects.filter(name__startswith="浏览器导入").count() == 2

    page.goto(f"{live_server.url}/enterprises/?q=浏览器导入")
    expect(page.get_by_role("cell", name="浏览器导入二厂")).to_be_visible()


def test_clerk_imports_cases_and_another_agency_sees_them_masked(
    open_context, live_server, users, enterprise_a, settings, tmp_path
):
    from incidents.models import InjuryCase
    from portal.reference.models import AccidentType
    from portal.reference.validators import id_number_check_char

    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    first17 = "33078419880712345"
    worker_id = first17 + id_number_check_char(first17)
    headers = ["统一社会信用代码", "事故发生时间", "事故类别代码", "岗位", "受伤职工", "居民身份证号码", "伤害程度"]
    workbook = Workbook()
    workbook.active.append(headers)
    workbook.active.append([enterprise_a.credit_code, "2025-06-02 14:20", "03", "冲压工", "钱多多", worker_id, "重伤"])
    path = tmp_path / "工伤.xlsx"
    workbook.save(path)

    page = open_context().new_page()
    login(page, live_server, "staff_a", TEST_PASSWORD)
    page.goto(f"{live_server.url}/incidents/injury-cases/")
    page.get_by_test_id("import").click()
    page.locator("#id_file").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Check the file")).click()
    expect(page.get_by_test_id("count-create")).to_have_text("1")
    expect(page.locator("main")).not_to_contain_text(worker_id)  # the preview masks too
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Confirm the import")).click()
    expect(page.get_by_test_id("import-status")).to_have_text(zh("Imported"))
    case = InjuryCase.objects.get()
    assert case.worker_id_number == worker_id and case.owner_agency == users["staff_a"].agency

    # 应急管理局 of the same county reads the imported case, masked, with no way to unmask.
    other = open_context().new_page()
    login(other, live_server, "staff_a_em", TEST_PASSWORD)
    other.goto(f"{live_server.url}/incidents/injury-cases/")
    expect(other.get_by_role("cell", name="钱*多")).to_be_visible()
    other.goto(f"{live_server.url}/incidents/injury-cases/{case.pk}/")
    expect(other.get_by_test_id("worker-name")).to_have_text("钱*多")
    expect(other.get_by_test_id("worker-id")).to_have_text("330784********" + worker_id[-4:])
    expect(other.get_by_role("button", name=zh("Show personal data"))).to_have_count(0)
    assert worker_id not in other.content() and "钱多多" not in other.content()
