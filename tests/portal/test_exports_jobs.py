"""XLSX exports written by our own streaming writer, and large exports as background jobs: values read back
identical, personal data masked for every agency, the job rebuilt for its owner with the stored filter, download by
the owner only, audited, files expiring, queries not growing with the rows."""

import datetime
import io
import re
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from incidents.models import InjuryCase
from portal import exports
from portal.models import AuditEvent, ExportJob
from portal.notifications.models import Notification
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from portal.tasks import build_export, expire_exports

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:injurycase_list")
MY_EXPORTS = reverse("exports:export_list")


def _case(enterprise, first17, *, severity="minor", name="王小明", **extra):
    kind, _ = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})
    return InjuryCase.objects.create(
        enterprise=enterprise,
        occurred_at=extra.pop("occurred_at", timezone.now() - datetime.timedelta(days=4)),
        accident_type=kind,
        post="冲压工",
        worker_name=name,
        worker_id_number=first17 + id_number_check_char(first17),
        severity=severity,
        owner_agency=enterprise.owner_agency,
        **extra,
    )


@pytest.fixture
def cases(enterprise_a, enterprise_b):
    return {
        "a_minor": _case(enterprise_a, "33078419900101123"),
        "a_serious": _case(
            enterprise_a,
            "33078419850202234",
            severity="serious",
            name="李四",
            occurred_at=datetime.datetime(2025, 5, 6, 14, 30, tzinfo=datetime.UTC),
            recognized_on=datetime.date(2025, 6, 1),
            lost_workdays=45,
            fund_payout=Decimal("12345.67"),
        ),
        "b": _case(enterprise_b, "33072319900101123", name="孙三"),
    }


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _sheet(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _by_header(rows: list[tuple]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


# --- the writer ------------------------------------------------------------------------------------------------

HEADERS = ["文本", "日期", "时间", "金额", "整数", "空", "小数"]
ROWS = [
    [
        "永康五金制品有限公司 & <董事会>",
        datetime.date(2025, 6, 1),
        datetime.datetime(2025, 5, 6, 14, 30),
        Decimal("12345.67"),
        45,
        None,
        2.5,
    ],
    ["  前后空格  ", datetime.date(1999, 12, 31), datetime.datetime(2000, 1, 1, 0, 0), Decimal("0.00"), 0, "", -1.25],
    ["多行\n文本\t制表", None, None, None, None, None, None],
]


def _write(headers=HEADERS, rows=ROWS, **kwargs) -> bytes:
    buffer = io.BytesIO()
    count = exports.write_xlsx(buffer, title="工伤/案件", headers=headers, data=iter(rows), **kwargs)
    assert count == len(rows)
    return buffer.getvalue()


def test_xlsx_reads_back_identical_values():
    rows = _sheet(_write())
    assert rows[0] == tuple(HEADERS)
    first, second, third = rows[1:]
    assert first[0] == "永康五金制品有限公司 & <董事会>"
    assert first[1] == datetime.datetime(2025, 6, 1)  # a date cell: openpyxl gives it back as midnight
    assert first[2] == datetime.datetime(2025, 5, 6, 14, 30)
    assert Decimal(str(first[3])) == Decimal("12345.67") and first[4] == 45 and first[5] is None and first[6] == 2.5
    assert second[0] == "  前后空格  " and second[1] == datetime.datetime(1999, 12, 31)
    assert second[2] == datetime.datetime(2000, 1, 1) and second[3] == 0 and second[5] is None and second[6] == -1.25
    assert third == ("多行\n文本\t制表", None, None, None, None, None, None)


def test_xlsx_has_bold_frozen_header_widths_and_number_formats():
    sheet = load_workbook(io.BytesIO(_write())).active
    assert sheet.title == "工伤 案件"  # "/" may not appear in a sheet name
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width >= 30  # sized to the Chinese text of the first rows
    assert sheet["B2"].number_format == "yyyy-mm-dd" and sheet["B2"].is_date
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].number_format == "#,##0.00"
    assert sheet["E2"].data_type == "n" and sheet["A2"].data_type == "s"


def test_xlsx_escapes_what_xml_cannot_carry():
    text = "a\x0bb\x00c_x0041_d\ud800e\uffff\r"
    value = _sheet(_write(headers=["x"], rows=[[text], ["=SUM(A1)"], ["x" * 40_000]]))[1:]
    # Control characters use SpreadsheetML's _xHHHH_ escape (Excel decodes it; openpyxl leaves it as written),
    # a literal "_x0041_" is protected by _x005F_, what XML cannot carry at all is dropped.
    assert value[0][0] == "a_x000B_b_x0000_c_x005F_x0041_de_x000D_"
    assert value[1][0] == "=SUM(A1)"  # text, never a formula
    assert len(value[2][0]) == 32_767  # Excel's limit for one cell


def test_xlsx_package_is_well_formed_and_complete():
    archive = zipfile.ZipFile(io.BytesIO(_write()))
    assert archive.testzip() is None
    names = set(archive.namelist())
    for name in names:
        ElementTree.fromstring(archive.read(name))  # noqa: S314 - our own output: every part is well-formed XML
    types = archive.read("[Content_Types].xml").decode()
    for part in names - {"[Content_Types].xml"}:
        if not part.endswith(".rels"):
            assert f'PartName="/{part}"' in types, part
    for rels in [n for n in names if n.endswith(".rels")]:
        base = rels.replace("_rels/", "").removesuffix(".rels")
        folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""
        for target in re.findall(r'Target="([^"]+)"', archive.read(rels).decode()):
            assert folder + target in names, (rels, target)
    assert not any(info.flag_bits & 0x08 for info in archive.infolist())  # no data descriptors: a seekable file


def test_xlsx_opens_in_calamine():
    calamine = pytest.importorskip("python_calamine")
    workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(_write()))
    rows = workbook.get_sheet_by_index(0).to_python()
    assert rows[0] == HEADERS
    assert rows[1][0] == "永康五金制品有限公司 & <董事会>"
    assert rows[1][1] == datetime.date(2025, 6, 1) and rows[1][2] == datetime.datetime(2025, 5, 6, 14, 30)
    assert rows[1][3] == pytest.approx(12345.67) and rows[1][4] == 45 and rows[1][5] == ""


def test_xlsx_member_uses_zip64_only_when_the_sheet_may_need_it():
    headers = [f"c{i}" for i in range(20)]
    rows = [[i] * 20 for i in range(1200)]
    for expected, zip64 in ((1200, False), (1_000_000, True)):
        content = _write(headers=headers, rows=rows, expected_rows=expected)
        info = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml")
        assert (info.extract_version >= 45) is zip64  # 4.5: Zip64
        read = _sheet(content)
        assert len(read) == 1201 and read[-1] == (1199,) * 20


# --- exports of the lists --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff_a", "staff_a_emergency", "staff_city"])  # owner, member, city
def test_xlsx_export_masks_personal_data_for_every_agency(role, client_for, users, cases):
    response = client_for(users[role]).get(LIST + "?export=xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    content = _body(response)
    rows = _by_header(_sheet(content))
    assert len(rows) == (3 if role == "staff_city" else 2)  # the city sees both counties
    names = {r["受伤职工"] for r in rows}
    assert names <= {"王*明", "李*", "孙*"} and "李四" not in str(rows)
    assert all(re.fullmatch(r"3307\d\d\*{8}\d{3}[\dX]", r["居民身份证号码"]) for r in rows)
    for case in cases.values():
        assert case.worker_id_number.encode() not in content


def test_xlsx_export_values_are_typed(client_for, users, cases):
    response = client_for(users["staff_a"]).get(LIST + "?severity=serious&export=xlsx")
    [row] = _by_header(_sheet(_body(response)))
    assert row[zh("time of the accident")] == datetime.datetime(2025, 5, 6, 22, 30)  # 14:30 UTC in Asia/Shanghai
    assert row[zh("recognition date")] == datetime.datetime(2025, 6, 1)
    assert row[zh("lost workdays")] == 45
    assert Decimal(str(row[zh("fund payout (yuan)")])) == Decimal("12345.67")
    assert row[zh("disability grade")] is None
    assert row[zh("enterprise")] == "永康五金制品有限公司" and row[zh("post")] == "冲压工"


def test_small_exports_stay_in_the_request(client_for, users, cases, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    response = client_for(users["staff_a"]).get(LIST + "?export=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert not ExportJob.objects.exists()


# --- export jobs -----------------------------------------------------------------------------------------------


def _request_job(client, query, django_capture_on_commit_callbacks, *, execute=True):
    with django_capture_on_commit_callbacks(execute=execute) as callbacks:
        response = client.get(LIST + query, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302 and response["Location"] == MY_EXPORTS
    # The job's callbacks (not the count cache's table touches, when counts are cached).
    return ExportJob.objects.get(), [c for c in callbacks if not c.__qualname__.startswith("touch.")]


def test_large_export_is_built_by_a_job_for_its_owner(
    client_for, users, cases, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(users["staff_a"])
    job, _ = _request_job(client, "?severity=serious&page=2&export=xlsx", django_capture_on_commit_callbacks)

    assert job.created_by == users["staff_a"] and job.kind == "incidents:injurycase_list"
    assert job.query == "severity=serious" and job.format == "xlsx" and job.expected_rows == 1
    assert job.status == "done" and job.row_count == 1 and job.progress == 1
    assert job.file_name.startswith("工伤案件-") and job.file_name.endswith(".xlsx")
    assert job.expires_at - job.finished_at == datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    # The request was audited with its filter and count, and the owner was told.
    requested = AuditEvent.objects.get(verb="export", actor=users["staff_a"])
    assert "rows=1" in requested.note and "severity" in requested.note and requested.object_id == str(job.pk)
    notice = Notification.objects.get(recipient=users["staff_a"])
    assert job.file_name in notice.title and notice.url == MY_EXPORTS

    page = client.get(MY_EXPORTS, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的导出" in page and "severity=serious" in page and 'http-equiv="refresh"' not in page
    download = reverse("exports:export_download", args=[job.pk])
    assert download in page

    response = client.get(download)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = _by_header(_sheet(_body(response)))
    assert [r["受伤职工"] for r in rows] == ["李*"]  # scope of county A, the stored filter, masked
    downloaded = AuditEvent.objects.filter(verb="export", note__contains="download").get()
    assert downloaded.object_id == str(job.pk) and "rows=1" in downloaded.note and "severity" in downloaded.note


def test_csv_job_with_the_owners_scope(client_for, users, cases, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(users["staff_b"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(LIST + "?export=csv")
    assert response.status_code == 200  # one row in county B: inline
    settings.EXPORT_INLINE_MAX_ROWS = 0
    job, _ = _request_job(client, "?export=csv", django_capture_on_commit_callbacks)
    text = _body(client.get(reverse("exports:export_download", args=[job.pk]))).decode("utf-8")
    assert text.startswith("\ufeff") and "孙*" in text and "王*明" not in text and "孙三" not in text


def test_queued_job_shows_progress_and_is_built_once(
    client_for, users, cases, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(users["staff_a"])
    job, callbacks = _request_job(client, "?export=xlsx", django_capture_on_commit_callbacks, execute=False)
    assert job.status == "queued" and len(callbacks) == 1
    page = client.get(MY_EXPORTS).content.decode()
    assert 'data-testid="export-progress"' in page and 'http-equiv="refresh"' in page
    response = client.get(reverse("exports:export_download", args=[job.pk]))
    assert response.status_code == 302  # not ready yet
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == "done" and job.row_count == 2
    first_file = job.file.name
    assert build_export(job.pk, users["staff_a"].pk) == "done"  # a second delivery changes nothing
    job.refresh_from_db()
    assert job.file.name == first_file
    assert Notification.objects.filter(recipient=users["staff_a"]).count() == 1


def test_another_user_gets_404_for_the_job(client_for, users, cases, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    job, _ = _request_job(client_for(users["staff_a"]), "?export=xlsx", django_capture_on_commit_callbacks)
    for other in ("staff_b", "staff_a_emergency", "auditor"):
        client = client_for(users[other])
        assert client.get(reverse("exports:export_download", args=[job.pk])).status_code == 404
        assert reverse("exports:export_download", args=[job.pk]) not in client.get(MY_EXPORTS).content.decode()
    assert AuditEvent.objects.filter(verb="denied", object_id=str(job.pk), object_type="portal.exportjob").count() == 3
    assert not AuditEvent.objects.filter(verb="export", note__contains="download").exists()


def test_anonymous_is_sent_to_login(client, users, cases):
    job = ExportJob.objects.create(
        created_by=users["staff_a"],
        kind="incidents:injurycase_list",
        title="x",
        format="xlsx",
        expires_at=timezone.now(),
    )
    for url in (MY_EXPORTS, reverse("exports:export_download", args=[job.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_expired_files_are_deleted(client_for, users, cases, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(users["staff_a"])
    job, _ = _request_job(client, "?export=xlsx", django_capture_on_commit_callbacks)
    path = job.file.name
    assert default_storage.exists(path)
    assert expire_exports() == 0  # not yet
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert expire_exports() == 1
    job.refresh_from_db()
    assert job.status == "expired" and not job.file and not default_storage.exists(path)
    response = client.get(reverse("exports:export_download", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == MY_EXPORTS
    assert expire_exports() == 0


def test_expired_file_is_refused_before_the_beat_job(
    client_for, users, cases, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(users["staff_a"])
    job, _ = _request_job(client, "?export=xlsx", django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("exports:export_download", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "expired" and not job.file  # cleaned up on access


def test_job_fails_when_the_owner_lost_the_permission(
    client_for, users, cases, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    job, callbacks = _request_job(
        client_for(users["staff_a"]), "?export=xlsx", django_capture_on_commit_callbacks, execute=False
    )
    users["staff_a"].is_active = False
    users["staff_a"].save()
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == "failed" and not job.file and "PermissionDenied" in job.error


def test_export_task_queries_do_not_grow_with_rows(users, enterprise_a, settings, django_assert_max_num_queries):
    def job_for(count):
        InjuryCase.objects.all().delete()
        for i in range(count):
            _case(enterprise_a, f"33078419900101{i:03d}")
        return ExportJob.objects.create(
            created_by=users["staff_a"],
            kind="incidents:injurycase_list",
            title="x",
            format="xlsx",
            expected_rows=count,
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )

    for count in (3, 60):
        job = job_for(count)
        with django_assert_max_num_queries(16):
            assert build_export(job.pk, users["staff_a"].pk) == "done"
        job.refresh_from_db()
        assert job.row_count == count


def test_csv_cells_that_look_like_formulas_are_not_run():
    from portal.exports import _csv_text

    assert _csv_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [_csv_text(v) for v in ("+1", "-2", "@SUM(A1)", "王五")] == ["'+1", "'-2", "'@SUM(A1)", "王五"]
    assert _csv_text(-3) == "-3"  # a negative number stays a number
