"""Spreadsheet import: whole-file validation, errors by row and column in Chinese, all-or-nothing, re-import
changes nothing, scope and ownership rules, templates, bounded queries."""

import io
import marshal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from enterprises.models import Enterprise
from incidents.models import InjuryCase
from portal.models import AuditEvent, ImportBatch
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from tests.factories import credit_code

pytestmark = pytest.mark.django_db

ENTERPRISE_HEADERS = ["统一社会信用代码", "名称", "行政区划代码", "行业代码", "企业规模", "从业人员数"]


def csv_file(rows, name="data.csv"):
    text = "\n".join(",".join(str(c) for c in row) for row in rows)
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def xlsx_file(rows, name="data.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, kind, file):
    response = client.post(reverse("imports:import_upload", args=[kind]), {"file": file})
    assert response.status_code == 302, response.content.decode()[:1500]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def bad(code):
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def test_bad_row_is_named_and_nothing_is_saved_then_the_fixed_file_imports(client_for, users, regions, industry):
    client = client_for(users["staff_a"])
    good1, good2 = credit_code(9001), credit_code(9002)
    rows = [
        ENTERPRISE_HEADERS,
        [good1, "导入一厂", regions["a_town"].code, industry.code, "小型", 50],
        [bad(good2), "导入二厂", regions["a_town"].code, industry.code, "特大型", "五十"],
    ]
    batch = upload(client, "enterprises.enterprise", csv_file(rows))
    assert batch.status == "failed"
    texts = [e["text"] for e in batch.errors]
    assert "第3行 统一社会信用代码：校验位错误。" in texts
    assert any(t.startswith("第3行 企业规模：") for t in texts)
    assert any(t.startswith("第3行 从业人员数：") for t in texts)
    assert not Enterprise.objects.filter(name__startswith="导入").exists()
    confirm = client.post(reverse("imports:import_confirm", args=[batch.pk]))
    assert confirm.status_code == 302 and not Enterprise.objects.filter(name__startswith="导入").exists()

    rows[2] = [good2, "导入二厂", regions["a_town"].code, industry.code, "微型", 8]
    batch = upload(client, "enterprises.enterprise", xlsx_file(rows))
    assert batch.status == "validated" and batch.summary["create"] == 2
    assert not Enterprise.objects.filter(name__startswith="导入").exists()  # preview only
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert set(Enterprise.objects.filter(name__startswith="导入").values_list("owner_agency", flat=True)) == {
        users["staff_a"].agency_id
    }
    assert AuditEvent.objects.filter(verb="create", object_type="enterprises.enterprise").count() == 2

    again = upload(client, "enterprises.enterprise", xlsx_file(rows))
    assert again.summary["create"] == 0 and again.summary["update"] == 0 and again.summary["unchanged"] == 2
    client.post(reverse("imports:import_confirm", args=[again.pk]))
    assert Enterprise.objects.filter(name__startswith="导入").count() == 2


def test_update_changes_only_what_differs(client_for, users, enterprise_a, regions, industry):
    client = client_for(users["staff_a"])
    rows = [
        ENTERPRISE_HEADERS,
        [enterprise_a.credit_code, "改名后的公司", regions["a_town"].code, industry.code, "", ""],
    ]
    batch = upload(client, "enterprises.enterprise", csv_file(rows))
    assert batch.summary["update"] == 1 and batch.summary["preview"][0]["fields"] == ["name"]
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    enterprise_a.refresh_from_db()
    assert enterprise_a.name == "改名后的公司"
    event = AuditEvent.objects.get(verb="update", object_id=str(enterprise_a.pk))
    assert event.changes == {"name": ["永康五金制品有限公司", "改名后的公司"]}


def test_rows_outside_scope_or_owned_by_others_are_refused(client_for, users, enterprise_a, regions, industry):
    client = client_for(users["staff_a_emergency"])
    rows = [
        ENTERPRISE_HEADERS,
        [enterprise_a.credit_code, "别人的企业", regions["a_town"].code, industry.code, "", ""],
        [credit_code(9003), "武义的企业", regions["b"].code, industry.code, "", ""],
    ]
    batch = upload(client, "enterprises.enterprise", csv_file(rows))
    texts = " ".join(e["text"] for e in batch.errors)
    assert "第2行" in texts and "第3行" in texts and "行政区划代码" in texts
    assert batch.status == "failed"


def test_missing_required_column_is_named(client_for, users):
    batch = upload(client_for(users["staff_a"]), "enterprises.enterprise", csv_file([["名称"], ["某厂"]]))
    assert any("统一社会信用代码" in e["text"] for e in batch.errors)


def test_only_hrss_imports_injury_cases(client_for, users):
    url = reverse("imports:import_upload", args=["incidents.injurycase"])
    assert client_for(users["staff_a_emergency"]).get(url).status_code == 403
    assert client_for(users["staff_a"]).get(url).status_code == 200


def test_injury_cases_import_and_reimport(client_for, users, enterprise_a, enterprise_b, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    client = client_for(users["staff_a"])
    headers = ["统一社会信用代码", "事故发生时间", "事故类别代码", "岗位", "受伤职工", "居民身份证号码", "伤害程度"]
    first17 = "33078419900101123"
    ok_id = first17 + id_number_check_char(first17)
    rows = [
        headers,
        [enterprise_a.credit_code, "2025-03-18 09:30", "3", "冲压工", "王小明", ok_id, "轻伤"],
        [enterprise_b.credit_code, "2025-03-19 10:00", "03", "焊工", "李四", ok_id, "重伤"],
    ]
    batch = upload(client, "incidents.injurycase", csv_file(rows))
    assert any(e["text"].startswith("第3行 统一社会信用代码：") for e in batch.errors), batch.errors  # county B
    rows.pop()
    batch = upload(client, "incidents.injurycase", csv_file(rows))
    assert batch.status == "validated", batch.errors
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    case = InjuryCase.objects.get()
    assert case.worker_id_number == ok_id and case.owner_agency == users["staff_a"].agency and case.sex == "M"
    assert ok_id not in str(AuditEvent.objects.get(verb="create", object_type="incidents.injurycase").changes)
    again = upload(client, "incidents.injurycase", csv_file(rows))
    assert again.summary["unchanged"] == 1 and again.summary["create"] == 0


def test_template_has_the_chinese_headers(client_for, users):
    response = client_for(users["staff_a"]).get(reverse("imports:import_template", args=["enterprises.enterprise"]))
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]][:4] == ENTERPRISE_HEADERS[:4]
    assert workbook.worksheets[1].title == "填写说明"


def test_another_users_import_is_404(client_for, users, regions, industry):
    batch = upload(client_for(users["staff_a"]), "enterprises.enterprise", csv_file([ENTERPRISE_HEADERS]))
    assert (
        client_for(users["staff_a_emergency"]).get(reverse("imports:import_detail", args=[batch.pk])).status_code == 404
    )


def test_validation_queries_do_not_grow_with_rows(users, regions, industry, django_assert_max_num_queries):
    from portal import imports

    spec = imports.get_spec("enterprises.enterprise")
    rows = [(i + 2, [credit_code(20000 + i), f"批量{i}", regions["a_town"].code, industry.code]) for i in range(300)]
    with django_assert_max_num_queries(8):
        result = imports.validate(spec, users["staff_a"], ENTERPRISE_HEADERS[:4], rows)
    assert not result.errors and result.summary()["create"] == 300


def test_import_through_the_api(api_client_for, users, regions, industry):
    client = api_client_for(users["staff_a"])
    code = credit_code(9100)
    rows = [ENTERPRISE_HEADERS, [bad(code), "接口导入厂", regions["a_town"].code, industry.code, "", ""]]
    response = client.post("/api/v1/portal/imports/", {"kind": "enterprises.enterprise", "file": csv_file(rows)})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["errors"][0]["text"].startswith("第2行 统一社会信用代码：")
    rows[1][0] = code
    body = client.post("/api/v1/portal/imports/", {"kind": "enterprises.enterprise", "file": csv_file(rows)}).json()
    assert body["status"] == "validated" and body["summary"]["create"] == 1
    assert not Enterprise.objects.filter(credit_code=code).exists()
    confirmed = client.post(f"/api/v1/portal/imports/{body['id']}/confirm/").json()
    assert confirmed["status"] == "committed" and Enterprise.objects.filter(credit_code=code).exists()
    other = api_client_for(users["staff_a_emergency"]).post(f"/api/v1/portal/imports/{body['id']}/confirm/")
    assert other.status_code == 404


def test_api_import_refuses_a_role_that_may_not_import(api_client_for, users):
    response = api_client_for(users["auditor"]).post(
        "/api/v1/portal/imports/", {"kind": "enterprises.enterprise", "file": csv_file([ENTERPRISE_HEADERS])}
    )
    assert response.status_code == 403


def test_disease_cases_import_by_name_picks_the_catalogue_of_the_date(client_for, regions, enterprise_a):
    import datetime

    from incidents.models import OccupationalDiseaseCase
    from portal.accounts.models import Role
    from portal.reference.models import OccupationalDisease
    from tests.factories import AgencyFactory, UserFactory

    health = UserFactory(
        username="wj",
        role=Role.AGENCY_STAFF,
        agency=AgencyFactory(name="永康市卫生健康局", region=regions["a"], kind="health", is_lead=False),
    )
    for version, code, start in ((2013, "2013-01-1-01", "2013-12-23"), (2024, "2024-01-1-01", "2025-08-01")):
        OccupationalDisease.objects.create(
            code=code,
            catalogue_version=version,
            class_no=1,
            class_name="尘肺病",
            item_no=1,
            name="矽肺",
            valid_from=datetime.date.fromisoformat(start),
        )
    first17 = "33078419800505321"
    rows = [
        ["统一社会信用代码", "受伤职工", "居民身份证号码", "职业病", "职业病危害因素", "接害工龄（年）", "诊断日期"],
        [
            enterprise_a.credit_code,
            "赵大力",
            first17 + id_number_check_char(first17),
            "矽肺",
            "矽尘",
            "3.5",
            "2025-09-01",
        ],
    ]
    client = client_for(health)
    batch = upload(client, "incidents.occupationaldiseasecase", csv_file(rows))
    assert batch.status == "validated", batch.errors
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    case = OccupationalDiseaseCase.objects.get()
    assert case.disease.catalogue_version == 2024 and case.is_short_exposure


def test_safety_accident_import_computes_the_grade(client_for, users, enterprise_a, settings):
    from incidents.models import SafetyAccident

    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="10", name="坍塌", kind="type")
    rows = [
        ["统一社会信用代码", "事故发生时间", "事故类别代码", "死亡人数", "重伤人数", "直接经济损失（元）"],
        [enterprise_a.credit_code, "2025-05-06 14:00", "10", "0", "10", "1200000"],
    ]
    client = client_for(users["staff_a_emergency"])
    batch = upload(client, "incidents.safetyaccident", csv_file(rows))
    assert batch.status == "validated", batch.errors
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    assert SafetyAccident.objects.get().grade == "relatively_serious"  # 10 serious injuries: 较大


def test_large_files_are_checked_and_committed_by_jobs(
    client_for, users, regions, industry, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    settings.IMPORT_INLINE_MAX_ROWS = 0
    client = client_for(users["staff_a"])
    rows = [ENTERPRISE_HEADERS, [credit_code(9200), "后台导入厂", regions["a_town"].code, industry.code, "", ""]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = upload(client, "enterprises.enterprise", csv_file(rows))
    assert batch.status == "checking"  # the request returned before the file was checked
    page = client.get(reverse("imports:import_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="import-progress"' in page and 'http-equiv="refresh"' in page
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == "validated" and batch.progress == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:import_confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert Enterprise.objects.filter(name="后台导入厂").exists()


def test_confirm_job_is_idempotent(users, regions, industry, settings):
    from portal.tasks import confirm_import

    settings.IMPORT_INLINE_MAX_ROWS = 0
    from portal import imports

    spec = imports.get_spec("enterprises.enterprise")
    rows = [ENTERPRISE_HEADERS, [credit_code(9300), "幂等导入厂", regions["a_town"].code, industry.code, "", ""]]
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=csv_file(rows))
    assert confirm_import(batch.pk, users["staff_a"].pk) == "committed"
    assert confirm_import(batch.pk, users["staff_a"].pk) == "committed"
    assert Enterprise.objects.filter(name="幂等导入厂").count() == 1


def injury_rows(enterprise, *ids):
    headers = ["统一社会信用代码", "事故发生时间", "事故类别代码", "岗位", "受伤职工", "居民身份证号码", "伤害程度"]
    return [headers] + [
        [enterprise.credit_code, f"2025-03-{10 + i} 09:30", "03", "冲压工", f"王小{i}", number, "轻伤"]
        for i, number in enumerate(ids)
    ]


def id_number(serial: int) -> str:
    first17 = f"33078419900101{serial:03d}"
    return first17 + id_number_check_char(first17)


@pytest.fixture
def type_03(settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    return AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")


def test_uploaded_files_and_checked_rows_are_encrypted_at_rest(users, enterprise_a, type_03):
    from django.core.files.storage import default_storage

    from portal import imports

    number = id_number(11)
    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=csv_file(injury_rows(enterprise_a, number)))
    assert batch.status == "validated", batch.errors
    stored = [batch.file.name, imports._checked_name(batch)]
    for name in stored:
        with default_storage.open(name, "rb") as handle:
            raw = handle.read()
        assert number.encode() not in raw and "王小0".encode() not in raw
    imports.confirm(actor=users["staff_a"], batch=batch)
    assert InjuryCase.objects.get().worker_id_number == number
    assert not default_storage.exists(stored[1])  # the checked rows go once written


def test_confirm_writes_the_previewed_rows_without_reading_the_file_again(users, enterprise_a, type_03, monkeypatch):
    from portal import imports

    spec = imports.get_spec("incidents.injurycase")
    rows = injury_rows(enterprise_a, id_number(21), id_number(22))
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=csv_file(rows))

    def fail(*args, **kwargs):
        raise AssertionError("confirmation read the file again")

    monkeypatch.setattr(imports, "read_table", fail)
    summary = imports.confirm(actor=users["staff_a"], batch=batch)
    assert summary["create"] == 2
    cases = InjuryCase.objects.order_by("occurred_at")
    assert [c.worker_name for c in cases] == ["王小0", "王小1"]
    assert [c.worker_id_number for c in cases] == [id_number(21), id_number(22)]
    assert all(c.birth_date.isoformat() == "1990-01-01" and c.created_at and c.updated_at for c in cases)
    events = AuditEvent.objects.filter(verb="create", object_type="incidents.injurycase").order_by("object_id")
    assert [e.object_id for e in events] == [str(c.pk) for c in InjuryCase.objects.order_by("pk")]
    assert events[0].note == f"#{batch.pk} 导入第2行" and events[0].changes["worker_name"] == [None, "王*0"]
    assert id_number(21) not in str(events[0].changes)


def test_checked_rows_that_cannot_be_read_back_make_the_confirmation_check_the_file_again(
    users, enterprise_a, type_03, monkeypatch
):
    """Rows kept by another Python (marshal's format is its own) are not trusted: the file is checked again."""
    from portal import imports

    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(
        actor=users["staff_a"], spec=spec, uploaded_file=csv_file(injury_rows(enterprise_a, id_number(41)))
    )
    read_table = imports.read_table
    reads = []
    monkeypatch.setattr(imports, "read_table", lambda *args: reads.append(args) or read_table(*args))

    def unreadable(data):
        raise ValueError("bad marshal data (unknown type code)")

    monkeypatch.setattr(imports.marshal, "loads", unreadable)
    assert imports.confirm(actor=users["staff_a"], batch=batch)["create"] == 1
    assert len(reads) == 1 and InjuryCase.objects.get().worker_id_number == id_number(41)


def test_a_change_after_the_preview_makes_the_confirmation_check_the_file_again(users, enterprise_a, type_03):
    from incidents.services import record_incident
    from portal import imports

    spec = imports.get_spec("incidents.injurycase")
    rows = injury_rows(enterprise_a, id_number(31))
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=csv_file(rows))
    assert batch.summary["create"] == 1
    # Meanwhile a clerk records the same case by hand.
    result = imports.validate(spec, users["staff_a"], rows[0], [(2, rows[1])])
    values = dict(result.items[0].values)
    for derived in ("worker_id_hash", "birth_date", "sex", "owner_agency"):
        values.pop(derived)
    record_incident(actor=users["staff_a"], model=InjuryCase, data=values)
    summary = imports.confirm(actor=users["staff_a"], batch=batch)
    assert summary == {"create": 0, "update": 0, "unchanged": 1}
    assert InjuryCase.objects.count() == 1


def test_an_enterprise_leaving_the_scope_after_the_preview_is_refused_at_confirmation(
    users, enterprise_a, regions, type_03
):
    from portal import imports

    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(
        actor=users["staff_a"], spec=spec, uploaded_file=csv_file(injury_rows(enterprise_a, id_number(41)))
    )
    Enterprise.objects.filter(pk=enterprise_a.pk).update(region=regions["b"])
    imports.confirm(actor=users["staff_a"], batch=batch)
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.errors[0]["text"].startswith("第2行 统一社会信用代码：")
    assert not InjuryCase.objects.exists()


def test_commit_statements_do_not_grow_with_rows(users, enterprise_a, type_03, django_assert_max_num_queries):
    import datetime

    from portal import imports

    start = datetime.date(2024, 1, 1)
    spec = imports.get_spec("incidents.injurycase")
    rows = injury_rows(enterprise_a, *(id_number(100 + i) for i in range(20)))
    result = imports.validate(spec, users["staff_a"], rows[0], list(enumerate(rows[1:], start=2)))
    rows_many = [rows[0]] + [
        [
            enterprise_a.credit_code,
            f"{start + datetime.timedelta(days=i):%Y-%m-%d} 08:00",
            "03",
            "焊工",
            "赵六",
            id_number(i),
            "重伤",
        ]
        for i in range(300)
    ]
    many = imports.validate(spec, users["staff_a"], rows_many[0], list(enumerate(rows_many[1:], start=2)))
    assert not result.errors and not many.errors, many.errors[:3]
    # SQLite: INSERT + id read-back per table; PostgreSQL: ids from the sequence + COPY per table (COPY is not
    # seen by the query log, so the bound is the same on both), plus one read of the quarters the exchange locked.
    with django_assert_max_num_queries(7):
        imports.commit(spec, users["staff_a"], many)
    assert InjuryCase.objects.count() == 300


def test_xlsx_cells_are_read_as_typed(users, enterprise_a, type_03):
    import datetime

    from portal import imports

    workbook = Workbook()
    sheet = workbook.active
    rows = injury_rows(enterprise_a, id_number(51), id_number(52))
    sheet.append(rows[0] + ["损失工作日", "工伤认定日期"])
    sheet.append([*rows[1][:1], datetime.datetime(2025, 3, 10, 9, 30), 3, *rows[1][3:], 12, datetime.date(2025, 5, 6)])
    sheet.append([])  # a blank row is skipped but still counted in the row numbers
    sheet.append([*rows[2][:2], "99", *rows[2][3:], 5.0, None])
    out = io.BytesIO()
    workbook.save(out)
    headers, table = imports.read_table(out.getvalue(), "cases.xlsx")
    assert [n for n, _row in table] == [2, 4]
    assert table[0][1][7] == 12 and isinstance(table[0][1][7], int) and table[1][1][8] is None
    result = imports.validate(imports.get_spec("incidents.injurycase"), users["staff_a"], headers, table)
    assert [e["row"] for e in result.errors] == [4]
    assert "GB 6441" in result.errors[0]["message"] and "99" in result.errors[0]["message"]
    assert result.items[0].values["lost_workdays"] == 12
    assert result.items[0].values["recognized_on"] == datetime.date(2025, 5, 6)


def test_progress_is_written_at_most_twice_a_second(users, regions, industry, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import imports

    rows = [ENTERPRISE_HEADERS[:4]] + [
        [credit_code(30000 + i), f"进度{i}", regions["a_town"].code, industry.code] for i in range(3000)
    ]
    spec = imports.get_spec("enterprises.enterprise")

    def progress_updates(seconds):
        monkeypatch.setattr(imports, "PROGRESS_SECONDS", seconds)
        batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=csv_file(rows))
        with CaptureQueriesContext(connection) as ctx:
            imports.check_file(actor=users["staff_a"], spec=spec, batch=batch)
        return sum('"progress" =' in q["sql"] and q["sql"].startswith("UPDATE") for q in ctx.captured_queries)

    assert progress_updates(0) >= 5  # and every 1,000 rows when time allows
    assert progress_updates(3600) == 2  # only the reset to 0 at the start and the result at the end


def _created_the_generic_way(rules, values: dict) -> dict:
    """The audit values of a new row as audit._json_value makes them, field by field (the reference)."""
    from portal import audit

    data = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        name = rules.names.get(key, key)
        if name in audit.SECRET_FIELDS:
            continue
        if name in rules.masks:
            value = rules.masks[name](value)
        elif name in rules.relations and hasattr(value, "pk"):
            value = value.pk
        data[name] = [None, audit._json_value(value)]
    return data


@pytest.mark.parametrize("kind", ["incidents.injurycase", "enterprises.enterprise"])
def test_audit_values_of_new_rows_are_written_as_the_generic_conversion_makes_them(
    users, enterprise_a, type_03, regions, industry, kind
):
    import datetime
    import json
    from decimal import Decimal

    from portal import bulk, imports

    spec = imports.get_spec(kind)
    if kind == "incidents.injurycase":
        rows = injury_rows(enterprise_a, id_number(31), id_number(32))
    else:
        rows = [
            ENTERPRISE_HEADERS,
            [credit_code(9101), '引号"反斜杠\\换行', regions["a_town"].code, industry.code, "小型", 50],
        ]
    result = imports.validate(spec, users["staff_a"], rows[0], list(enumerate(rows[1:], start=2)))
    assert not result.errors and result.items
    rules = imports._rules(spec)
    awkward = {
        "place": 'A "quoted" \\ back\nslash\ttab \x01 😀 车间',
        "occurred_at": datetime.datetime(2025, 3, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
        "fund_payout": Decimal("1234.50"),
        "lost_workdays": 0,
        "disability_grade": None,
        "cause": "",
        "owner_agency_id": users["staff_a"].agency_id,
    }
    samples = [i.values for i in result.items] + [{**result.items[0].values, **awkward}]
    for values in samples:
        written = imports._created_json(rules, values)
        assert isinstance(written, bulk.JSONText)
        assert json.loads(written) == _created_the_generic_way(rules, values)


def test_text_cells_are_checked_once_for_length_and_refuse_null_characters(users, enterprise_a, type_03):
    """A text column's parser checks the length (so the model's own length validator is not run again) and refuses
    a NUL character, which PostgreSQL cannot store in text."""
    from portal import imports

    spec = imports.get_spec("incidents.injurycase")
    rules = imports._rules(spec)
    assert not any(isinstance(v, MaxLengthValidator) for v in rules.validators["post"])
    rows = injury_rows(enterprise_a, id_number(31), id_number(32), id_number(33))
    rows[1][3] = "冲" * 61
    rows[2][3] = "冲压\x00工"
    rows[3][5] = f" {id_number(33)[:10]} {id_number(33)[10:]}"  # blanks inside the number
    with translation.override("zh-hans"):
        result = imports.validate(spec, users["staff_a"], rows[0], list(enumerate(rows[1:], start=2)))
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "岗位"), (3, "岗位")]
    assert "60" in result.errors[0]["message"] and "空字符" in result.errors[1]["message"]
    assert [i.values["worker_id_number"] for i in result.items] == [id_number(33)]


def test_checked_rows_are_kept_by_column_and_come_back_as_they_were(enterprise_a):
    """The preview keeps new rows by column; what comes back is what was kept, related rows by id."""
    import datetime as dt
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from incidents.models import Severity
    from portal import imports

    shanghai = ZoneInfo("Asia/Shanghai")
    rows = [
        {
            "enterprise": enterprise_a,
            "occurred_at": dt.datetime(2025, 3, 10, 9, 30, 15, 123456, tzinfo=shanghai),
            "hire_date": dt.date(2019, 2, 28),
            "fund_payout": Decimal("167967.32"),
            "post": "冲压\t工\\",
            "lost_workdays": 14,
            "flag": True,
            "severity": Severity.SERIOUS,  # a str subclass: pickled with its column
            "naive": dt.datetime(2025, 3, 10, 9, 30),  # a naive time: pickled with its column
            "mixed": 1,
        },
        {
            "enterprise": None,
            "occurred_at": None,
            "hire_date": None,
            "fund_payout": None,
            "post": "",
            "lost_workdays": None,
            "flag": False,
            "severity": Severity.MINOR,
            "naive": None,
            "mixed": "一",
        },
    ]
    packed = imports._pack(rows, {"enterprise": "enterprise_id"})
    assert packed[0] == "columns"
    back = imports._unpack(marshal.loads(marshal.dumps(packed)))  # noqa: S302 - our own bytes
    expected = [{("enterprise_id" if k == "enterprise" else k): v for k, v in row.items()} for row in rows]
    expected[0]["enterprise_id"] = enterprise_a.pk
    assert back == expected
    assert back[0]["occurred_at"] == rows[0]["occurred_at"] and back[0]["occurred_at"].tzinfo is not None
    assert type(back[0]["severity"]) is Severity and type(back[0]["fund_payout"]) is Decimal

    uneven = [{"a": 1}, {"b": 2}]
    assert imports._pack(uneven, {})[0] == "rows" and imports._unpack(imports._pack(uneven, {})) == uneven
    empty = marshal.dumps(imports._pack([{}, {}], {}))
    assert imports._unpack(marshal.loads(empty)) == [{}, {}]  # noqa: S302 - our own bytes
    assert imports._unpack(imports._pack([], {})) == []
    keys = [(enterprise_a.pk, "ab" * 32, rows[0]["occurred_at"]), (enterprise_a.pk, "cd" * 32, None)]
    kept = marshal.dumps(imports._pack_tuples(keys))
    assert imports._unpack_tuples(marshal.loads(kept)) == keys  # noqa: S302 - our own bytes
    assert imports._unpack_tuples(imports._pack_tuples([(), ()])) == [(), ()]
    with pytest.raises(ValueError):
        imports._pack_tuples([(1,), (1, 2)])
