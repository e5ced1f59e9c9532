"""The list API's and the list pages' fast reading gives what DRF and django-tables2 give.

``portal.api.FastReadMixin`` works out once per serializer how each field is read; ``portal.tables.render_rows``
writes a table's rows in Python. Both are compared here with the libraries' own output on real records: every
field of the four incident and enterprise APIs, every cell of the portal's list tables, and columns of the kinds the
fast path hands back to django-tables2."""

import datetime
import re
from decimal import Decimal

import django_tables2 as dt2
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation
from rest_framework import serializers

from enterprises.api.serializers import ConstructionProjectSerializer, EnterpriseSerializer, InsuranceSnapshotSerializer
from enterprises.models import ConstructionProject, Enterprise, InsuranceSnapshot
from enterprises.tables import ConstructionProjectTable, EnterpriseTable
from incidents.api.serializers import (
    InjuryCaseSerializer,
    OccupationalDiseaseCaseSerializer,
    SafetyAccidentSerializer,
)
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from incidents.tables import InjuryCaseTable, OccupationalDiseaseCaseTable, SafetyAccidentTable
from portal import api
from portal.reference.models import AccidentType, OccupationalDisease
from portal.reference.validators import id_number_check_char

pytestmark = pytest.mark.django_db


def _id(serial: str) -> str:
    first17 = "33078419900101" + serial
    return first17 + id_number_check_char(first17)


@pytest.fixture
def records(enterprise_a, enterprise_b):
    kind = AccidentType.objects.create(edition=1986, code="04", name="机械伤害 <a>", kind="type")
    disease = OccupationalDisease.objects.create(
        code="2024-01-1-01",
        catalogue_version=2024,
        class_no=1,
        class_name="职业性尘肺病及其他呼吸系统疾病",
        subclass_no=1,
        subclass_name="尘肺病",
        item_no=1,
        name="矽肺",
        valid_from=datetime.date(2025, 8, 1),
    )
    now = timezone.now().replace(microsecond=123456)
    cases = [
        InjuryCase.objects.create(
            enterprise=enterprise,
            occurred_at=now - datetime.timedelta(days=days),
            accident_type=kind,
            post=post,
            worker_name=name,
            worker_id_number=_id(serial),
            severity=severity,
            lost_workdays=days,
            recognized_on=recognized,
            disability_grade=grade,
            fund_payout=payout,
            owner_agency=enterprise.owner_agency,
        )
        for enterprise, days, post, name, serial, severity, recognized, grade, payout in (
            (enterprise_a, 3, "冲压工", "王小明", "123", "minor", None, None, Decimal("0.00")),
            (enterprise_a, 40, "", "欧阳小明", "124", "serious", datetime.date(2025, 3, 1), 7, Decimal("15000.50")),
            (enterprise_b, 400, "电工 & 焊工", "李四", "125", "death", datetime.date(2024, 1, 2), 1, Decimal("9")),
        )
    ]
    disease_case = OccupationalDiseaseCase.objects.create(
        enterprise=enterprise_a,
        worker_name="赵大力",
        worker_id_number=_id("126"),
        disease=disease,
        diagnosis="矽肺壹期",
        hazard_factor="矽尘",
        exposure_years=Decimal("3.5"),
        diagnosed_on=datetime.date(2025, 9, 1),
        owner_agency=enterprise_a.owner_agency,
    )
    accident = SafetyAccident.objects.create(
        occurred_at=now - datetime.timedelta(days=3),
        enterprise=enterprise_a,
        accident_type=kind,
        deaths=1,
        serious_injuries=2,
        direct_loss=Decimal("1200000.00"),
        owner_agency=enterprise_a.owner_agency,
    )
    accident.injury_cases.set(cases[:2])
    snapshot = InsuranceSnapshot.objects.create(
        enterprise=enterprise_a,
        year=2025,
        quarter=4,
        insured_employees=80,
        premium_paid=Decimal("12000.00"),
        fund_payout=Decimal("6000.00"),
        owner_agency=enterprise_a.owner_agency,
    )
    return {"cases": cases, "disease_case": disease_case, "accident": accident, "snapshot": snapshot}


# --- the API --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serializer_class", "model"),
    [
        (InjuryCaseSerializer, InjuryCase),
        (OccupationalDiseaseCaseSerializer, OccupationalDiseaseCase),
        (SafetyAccidentSerializer, SafetyAccident),
        (EnterpriseSerializer, Enterprise),
        (InsuranceSnapshotSerializer, InsuranceSnapshot),
    ],
)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_every_field_reads_as_drf_reads_it(records, serializer_class, model, zone, settings):
    settings.TIME_ZONE = zone  # UTC date-times end in "Z" in DRF's ISO 8601
    rows = list(model.objects.order_by("pk"))
    assert rows
    fast = serializer_class(rows, many=True).data
    drf = [serializers.ModelSerializer.to_representation(serializer_class(), row) for row in rows]
    assert [dict(row) for row in fast] == drf
    if model is InjuryCase:
        assert fast[1]["worker_name_masked"] == "欧**明" and fast[1]["worker_id_number_masked"].endswith(
            _id("124")[-4:]
        )
        assert "worker_id_number" not in fast[1] and fast[0]["recognized_on"] is None
        assert fast[0]["occurred_at"].endswith("Z" if zone == "UTC" else "+08:00")


def test_construction_projects_read_as_drf_reads_them(records, enterprise_a, regions):
    _project(enterprise_a)
    rows = list(ConstructionProject.objects.all())
    fast = ConstructionProjectSerializer(rows, many=True).data
    assert [dict(r) for r in fast] == [
        serializers.ModelSerializer.to_representation(ConstructionProjectSerializer(), r) for r in rows
    ]


def _project(enterprise, **extra):
    fields = {"permit_number": "330784202501010101", **extra}
    return ConstructionProject.objects.create(
        name="城南安置房一期",
        enterprise=enterprise,
        region=enterprise.region,
        sector="housing",
        started_on=datetime.date(2025, 1, 1),
        contract_value=Decimal("35000000.00"),
        workers=120,
        owner_agency=enterprise.owner_agency,
        **fields,
    )


def test_readers_fall_back_to_drf_for_dotted_method_and_many_sources(records):
    class Fancy(api.ModelCleanSerializer):
        enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
        label = serializers.CharField(source="get_severity_display", read_only=True)
        accident_ids = serializers.PrimaryKeyRelatedField(source="safety_accidents", many=True, read_only=True)
        everything = serializers.SerializerMethodField()

        class Meta:
            model = InjuryCase
            fields = ["id", "enterprise_name", "label", "accident_ids", "everything", "severity"]

        def get_everything(self, obj):
            return obj.post or None

    rows = list(InjuryCase.objects.order_by("pk"))
    fast = [dict(r) for r in Fancy(rows, many=True).data]
    assert fast == [serializers.ModelSerializer.to_representation(Fancy(), r) for r in rows]
    assert fast[0]["enterprise_name"] == rows[0].enterprise.name and fast[1]["label"] == "重伤"
    assert fast[0]["accident_ids"] == [records["accident"].pk] and fast[2]["accident_ids"] == []


def test_fields_are_built_once_per_class_and_each_serializer_has_its_own_copy(records, enterprise_a):
    first, second = InjuryCaseSerializer(), InjuryCaseSerializer()
    assert first.fields["enterprise"] is not second.fields["enterprise"]
    first.fields["enterprise"].queryset = Enterprise.objects.none()
    assert second.fields["enterprise"].queryset.model is Enterprise
    assert InjuryCaseSerializer().fields["enterprise"].queryset.filter(pk=enterprise_a.pk).exists()
    assert api._FIELD_PROTOTYPES[InjuryCaseSerializer]["enterprise"].parent is None  # never bound itself


def test_the_case_list_api_reads_no_enterprise_and_decrypts_each_row_once(records, api_client_for, users, monkeypatch):
    from portal import crypto

    calls = []
    original = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda *a, **k: calls.append(1) or original(*a, **k))
    client = api_client_for(users["staff_a"])
    response = client.get("/api/v1/incidents/injury-cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["worker_name_masked"] for r in rows] == ["王*明", "欧**明"]  # enterprise A's county only
    assert [r["enterprise"] for r in rows] == [records["cases"][0].enterprise_id] * 2
    assert len(calls) == 2


# --- the list pages' tables -----------------------------------------------------------------------------------


def _rows_as_django_tables2_renders_them(table, request) -> str:
    html = Template('{% load django_tables2 %}{% render_table table "django_tables2/bootstrap5.html" %}').render(
        Context({"table": table, "request": request})
    )
    return _tbody(html)


def _rows_as_the_portal_renders_them(table, request) -> str:
    html = Template('{% load django_tables2 %}{% render_table table "generic/table.html" %}').render(
        Context({"table": table, "request": request})
    )
    return _tbody(html)


def _tbody(html: str) -> str:
    body = re.search(r"<thead.*?</tbody>", html, re.S).group(0)
    # whitespace next to a tag is the template's indentation (a cell's content is not padded in the browser)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", body)).strip()


def _compare(table_class, queryset, query="region=3&sort=-occurred_at&x=%3Cb%3E", **kwargs):
    request = RequestFactory().get("/list/?" + query)
    expected = _rows_as_django_tables2_renders_them(table_class(queryset, **kwargs), request)
    got = _rows_as_the_portal_renders_them(table_class(queryset, **kwargs), request)
    assert got == expected
    return got


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_the_portal_tables_rows_are_django_tables2s(records, zone, settings):
    settings.TIME_ZONE = zone
    html = _compare(InjuryCaseTable, InjuryCase.objects.select_related("enterprise", "accident_type").order_by("pk"))
    assert html.count("<tr ") == 3 and "王*明" in html and "电工 &amp; 焊工" in html and "重伤" in html
    assert f'<a href="{records["cases"][0].get_absolute_url()}">' in html and "—" in html  # linked; empty date
    assert "2025年3月1日" in html and "机械伤害 &lt;a&gt;" in html  # a date in the language's DATE_FORMAT; a record
    with translation.override("en"):  # the portal's English DATE_FORMAT
        assert "03/01/2025" in _compare(InjuryCaseTable, InjuryCase.objects.order_by("pk"))
    _compare(InjuryCaseTable, InjuryCase.objects.defer("worker_id_number").order_by("pk"))
    _compare(OccupationalDiseaseCaseTable, OccupationalDiseaseCase.objects.all())
    _compare(SafetyAccidentTable, SafetyAccident.objects.all())
    _compare(EnterpriseTable, Enterprise.objects.order_by("pk"))
    _compare(ConstructionProjectTable, ConstructionProject.objects.all())  # none: the empty text
    _project(records["cases"][0].enterprise)  # not insured: a template column's empty value
    _project(
        records["cases"][0].enterprise,
        permit_number="330784202501010102",
        insured_on=datetime.date(2025, 2, 3),
        insured_workers=100,
    )
    html = _compare(ConstructionProjectTable, ConstructionProject.objects.order_by("pk"))
    assert "2025-02-03" in html and "—" in html
    _compare(InjuryCaseTable, InjuryCase.objects.none(), empty_text="没有记录 <b>")


def test_columns_the_fast_path_does_not_know_are_rendered_by_django_tables2(records):
    class Odd(dt2.Table):
        occurred_at = dt2.DateTimeColumn(short=False, attrs={"td": {"data-when": lambda value: str(value)[:4]}})
        enterprise = dt2.Column(linkify=lambda record: f"/e/{record.enterprise_id}/")
        region = dt2.Column(accessor="enterprise__region__name")
        severity = dt2.Column(attrs={"td": {"class": "text-end"}})
        payout = dt2.Column(accessor="fund_payout", localize=True)
        days = dt2.Column(accessor="lost_workdays", localize=False)
        post = dt2.TemplateColumn("<b>{{ value }}</b>")
        grade = dt2.Column(accessor="disability_grade", default="无")
        masked = dt2.Column(accessor="masked_worker_name", linkify=True)
        name = dt2.Column(accessor="enterprise")

        class Meta:
            model = InjuryCase
            fields = ["occurred_at", "enterprise", "region", "severity", "payout", "days", "post", "grade"]
            row_attrs = {"data-id": lambda record: record.pk, "class": "r"}

        def render_name(self, value):
            return f"«{value.name}»"

    html = _compare(Odd, InjuryCase.objects.order_by("pk"))
    assert 'data-id="' in html and 'class="r even"' in html and 'class="text-end"' in html and "«" in html
    assert "<b>电工 &amp; 焊工</b>" in html and "无" in html


def test_a_static_row_class_keeps_its_parity(records):
    class Striped(InjuryCaseTable):
        class Meta(InjuryCaseTable.Meta):
            row_attrs = {"class": "striped"}

    html = _compare(Striped, InjuryCase.objects.order_by("pk"))
    assert html.count('class="striped even"') == 2 and html.count('class="striped odd"') == 1


def test_the_case_tables_columns_all_take_the_fast_path(records):
    from portal.tables import _cell_renderer

    table = InjuryCaseTable(InjuryCase.objects.all())
    assert {c.name: _cell_renderer(table, c) is not None for c in table.columns} == dict.fromkeys(
        ["occurred_at", "enterprise", "post", "accident_type", "severity", "worker", "recognized_on"], True
    )


def test_copied_fields_share_no_list_or_dict_with_the_prototype(records):
    from rest_framework.validators import UniqueValidator

    prototype = api._FIELD_PROTOTYPES.setdefault(EnterpriseSerializer, EnterpriseSerializer().get_fields())
    first, second = EnterpriseSerializer(), EnterpriseSerializer()
    code = first.fields["credit_code"]
    assert type(code) in api._PLAIN_FIELDS and any(isinstance(v, UniqueValidator) for v in code.validators)
    code.validators.append(lambda value: None)
    code.error_messages["blank"] = "改过"
    assert len(second.fields["credit_code"].validators) == len(prototype["credit_code"].validators)
    assert second.fields["credit_code"].error_messages["blank"] != "改过"
    assert first.fields["credit_code"].parent is first and second.fields["credit_code"].parent is second
    assert prototype["credit_code"].parent is None  # the prototype itself is never bound


@pytest.mark.parametrize(
    "fmt", ["Y-m-d", "Y-m-d H:i", "Y/m/d H:i:s", "Y年m月d日", "Y年n月j日", "H:i", "n/j", "N j, Y", "SHORT_DATE_FORMAT"]
)
def test_date_formats_the_table_compiles_give_what_the_date_filter_gives(fmt):
    from django.template.defaultfilters import date as date_filter

    from portal.tables import _compiled_date_format

    compiled = _compiled_date_format(fmt)
    assert (compiled is None) == (fmt in ("N j, Y", "SHORT_DATE_FORMAT"))  # month names, format names
    if compiled is None:
        return
    for value in (
        datetime.datetime(2025, 3, 1, 8, 5, 9),
        datetime.datetime(1999, 12, 31, 23, 59),
        datetime.date(2024, 2, 9),
    ):
        if isinstance(value, datetime.datetime) or not compiled.needs_time:
            assert compiled(value) == date_filter(value, fmt)


def test_a_choice_column_reads_the_label_as_django_does_unless_the_model_says_otherwise(records):
    from portal.tables import _choice_labels

    severity = InjuryCase._meta.get_field("severity")
    labels = _choice_labels(InjuryCase, severity)
    assert {str(labels[v]) for v in ("minor", "serious", "fatal")} == {"轻伤", "重伤", "死亡"}

    relabelled = type("Relabelled", (), {"get_severity_display": lambda self: "自定义"})  # the model's own method
    assert _choice_labels(relabelled, severity) is None
