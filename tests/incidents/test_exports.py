"""Exports of the lists: as filtered, only rows in scope, personal data masked, Chinese headers, audited."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from incidents.models import InjuryCase
from portal.models import AuditEvent
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char

pytestmark = pytest.mark.django_db


def _case(enterprise, first17, severity="minor", name="王小明"):
    kind, _ = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})
    return InjuryCase.objects.create(
        enterprise=enterprise,
        occurred_at=timezone.now() - datetime.timedelta(days=4),
        accident_type=kind,
        post="冲压工",
        worker_name=name,
        worker_id_number=first17 + id_number_check_char(first17),
        severity=severity,
        owner_agency=enterprise.owner_agency,
    )


@pytest.fixture
def cases(enterprise_a, enterprise_b):
    return {
        "a_minor": _case(enterprise_a, "33078419900101123"),
        "a_serious": _case(enterprise_a, "33078419850202234", "serious", "李四"),
        "b": _case(enterprise_b, "33072319900101123", name="孙三"),
    }


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_export_is_filtered_scoped_masked_and_audited(client_for, users, cases):
    url = reverse("incidents:injurycase_list") + "?severity=serious&export=csv"
    response = client_for(users["staff_a"]).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    table = _csv(response)
    header, body = table[0], table[1:]
    assert "受伤职工" in header and "居民身份证号码" in header
    assert len(body) == 1  # the serious case of county A only
    flat = " ".join(" ".join(r) for r in body)
    assert "李*" in flat and "李四" not in flat
    assert cases["a_serious"].worker_id_number not in flat and "330784********" in flat
    event = AuditEvent.objects.get(verb="export", actor=users["staff_a"])
    assert "rows=1" in event.note and "severity" in event.note


def test_xlsx_export_has_chinese_headers_and_only_rows_in_scope(client_for, users, cases):
    response = client_for(users["staff_b"]).get(reverse("incidents:injurycase_list") + "?export=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "事故发生时间"
    assert len(rows) == 2 and rows[1][2] == "武义机械有限公司"
    assert "孙*" in rows[1]


def test_enterprise_export(client_for, users, enterprise_a, enterprise_b):
    table = _csv(client_for(users["staff_city"]).get(reverse("enterprises:enterprise_list") + "?export=csv"))
    assert table[0][:2] == ["统一社会信用代码", "名称"]
    assert {row[1] for row in table[1:]} == {enterprise_a.name, enterprise_b.name}


def test_export_needs_the_list_permission(client_for, users, cases):
    assert client_for(users["sysadmin"]).get(reverse("incidents:injurycase_list") + "?export=csv").status_code == 403
    assert not AuditEvent.objects.filter(verb="export").exists()


def test_export_query_count_does_not_grow_with_rows(client_for, users, enterprise_a, django_assert_max_num_queries):
    for i in range(30):
        _case(enterprise_a, f"33078419900101{i:03d}")
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("incidents:injurycase_list") + "?export=csv")
        rows = _csv(response)
    assert len(rows) == 31
