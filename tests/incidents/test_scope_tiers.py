"""Cases and accidents carry their enterprise's province, city and county (``TieredRecord``), so that an agency's
list is one indexed column instead of a join to the region path, and its industry, which the statistics group by.
What a user notices: a county sees its cases and only its cases, and when an enterprise moves or changes industry
its cases follow — by form, by import, by a change to the region tree — while bulk loads are put right by
``manage.py sync_scope_tiers``."""

import datetime
import importlib
import io
import types

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enterprises.models import Enterprise, sync_tiers
from incidents import services
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal import imports
from portal.accounts.models import Role
from portal.reference.models import AccidentType, Region
from tests.factories import AgencyFactory, IndustryFactory, RegionFactory, UserFactory
from tests.portal.test_imports import ENTERPRISE_HEADERS, csv_file, id_number, injury_rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kind(settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    return AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")


def record(user, enterprise, kind, serial=1, days_ago=30):
    return services.record_injury_case(
        actor=user,
        data={
            "enterprise": enterprise,
            "occurred_at": timezone.now() - datetime.timedelta(days=days_ago),
            "accident_type": kind,
            "post": "冲压工",
            "worker_name": "王小明",
            "worker_id_number": id_number(serial),
            "severity": "minor",
        },
    )


def record_accident(user, enterprise, kind):
    when = timezone.now()
    return SafetyAccident.objects.create(
        enterprise=enterprise, occurred_at=when, accident_type=kind, owner_agency=user.agency, grade="ordinary"
    )


def tiers(obj):
    obj.refresh_from_db()
    return obj.province_id, obj.city_id, obj.county_id


def industry_of(obj):
    obj.refresh_from_db()
    return obj.industry_id


@pytest.fixture
def machinery(industry):
    """Another class of manufacturing (通用设备, division 34)."""
    division = IndustryFactory(code="34", name="通用设备制造业", level="division", parent=industry.parent.parent.parent)
    group = IndustryFactory(code="341", name="锅炉及原动设备制造", level="group", parent=division)
    return IndustryFactory(code="3411", name="锅炉及辅助设备制造", level="class", parent=group)


def test_a_recorded_case_carries_its_enterprises_province_city_and_county(users, enterprise_a, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)  # the enterprise is in a town of 永康市
    assert tiers(case) == (regions["zhejiang"].pk, regions["jinhua"].pk, regions["a"].pk)
    assert industry_of(case) == enterprise_a.industry_id


def test_an_enterprise_changing_industry_takes_its_cases_and_accidents_along(users, enterprise_a, kind, machinery):
    case = record(users["staff_a"], enterprise_a, kind)
    accident = record_accident(users["staff_a"], enterprise_a, kind)
    assert industry_of(accident) == enterprise_a.industry_id
    enterprise_a.industry = machinery
    enterprise_a.save()
    assert industry_of(case) == industry_of(accident) == machinery.pk
    assert tiers(case)[2] == enterprise_a.region.parent_id  # its region unchanged


def test_an_enterprise_import_that_changes_an_industry_changes_its_cases(client_for, users, regions, industry, kind):
    machinery = IndustryFactory(code="3412", level="class", parent=industry.parent)
    case = import_a_change(client_for, users, regions, industry, kind, region=regions["a"], industry_now=machinery)
    assert industry_of(case) == machinery.pk


def import_a_change(client_for, users, regions, industry, kind, *, region, industry_now):
    """A case of an enterprise of the city (in Yongkang), then the city's import giving the enterprise ``region``
    and ``industry_now``; returns the case."""
    city_agency = users["staff_city"].agency
    enterprise = Enterprise.objects.create(
        credit_code=credit(), name="金华机械厂", region=regions["a"], industry=industry, owner_agency=city_agency
    )
    case = record(users["staff_a"], enterprise, kind)
    client = client_for(users["staff_city"])
    rows = [ENTERPRISE_HEADERS, [enterprise.credit_code, "金华机械厂", region.code, industry_now.code, "", ""]]
    batch = upload(client, "enterprises.enterprise", csv_file(rows))
    assert batch.summary["update"] == 1, batch.errors
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    return case


def test_a_county_list_filters_on_the_county_column_and_shows_only_its_cases(
    client_for, users, enterprise_a, enterprise_b, regions, kind
):
    mine = record(users["staff_a"], enterprise_a, kind, serial=1)
    theirs = record(users["staff_b"], enterprise_b, kind, serial=2)
    with CaptureQueriesContext(connection) as ctx:
        page = client_for(users["staff_a"]).get(reverse("incidents:injurycase_list"))
    assert mine.get_absolute_url() in page.content.decode()
    assert theirs.get_absolute_url() not in page.content.decode()
    listed = [q["sql"] for q in ctx.captured_queries if 'FROM "incidents_injurycase"' in q["sql"]]
    assert listed and all('"incidents_injurycase"."county_id" =' in sql for sql in listed)
    assert not any("LIKE" in sql for sql in listed)
    # The city sees both, by its own column.
    city = UserFactory(role=Role.AGENCY_STAFF, agency=users["staff_city"].agency)
    both = client_for(city).get(reverse("incidents:injurycase_list")).content.decode()
    assert mine.get_absolute_url() in both and theirs.get_absolute_url() in both


def test_a_town_agency_still_sees_its_town_by_the_region_path(client_for, users, enterprise_a, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    town_agency = AgencyFactory(name="东城街道劳动保障所", region=regions["a_town"], kind="hrss")
    town_user = UserFactory(role=Role.AGENCY_STAFF, agency=town_agency)
    assert list(InjuryCase.objects.visible_to(town_user)) == [case]
    other_town = RegionFactory(code="330784002", name="西城街道", level="town", parent=regions["a"])
    town_agency.region = other_town
    town_agency.save()
    town_user.refresh_from_db()
    assert not InjuryCase.objects.visible_to(town_user).exists()


def test_an_enterprise_moving_to_another_county_takes_its_cases_along(client_for, users, enterprise_a, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    enterprise_a.region = regions["b"]  # 武义县
    enterprise_a.save()
    assert tiers(case) == (regions["zhejiang"].pk, regions["jinhua"].pk, regions["b"].pk)
    assert client_for(users["staff_a"]).get(case.get_absolute_url()).status_code == 404
    assert client_for(users["staff_b"]).get(case.get_absolute_url()).status_code == 200


def test_an_enterprise_import_that_moves_an_enterprise_moves_its_cases(client_for, users, regions, industry, kind):
    case = import_a_change(client_for, users, regions, industry, kind, region=regions["b"], industry_now=industry)
    assert tiers(case)[2] == regions["b"].pk
    assert not InjuryCase.objects.visible_to(users["staff_a"]).exists()
    assert InjuryCase.objects.visible_to(users["staff_b"]).get() == case


def credit():
    from tests.factories import credit_code

    return credit_code(7301)


def test_imported_cases_carry_the_tiers_and_a_move_before_confirmation_is_caught(users, enterprise_a, regions, kind):
    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(
        actor=users["staff_city"], spec=spec, uploaded_file=csv_file(injury_rows(enterprise_a, id_number(51)))
    )
    # Between the preview and the confirmation the enterprise moves to the other county of the same city.
    enterprise_a.region = regions["b"]
    enterprise_a.save()
    imports.confirm(actor=users["staff_city"], batch=batch)
    case = InjuryCase.objects.get()
    assert tiers(case) == (regions["zhejiang"].pk, regions["jinhua"].pk, regions["b"].pk)


def test_an_industry_changed_before_confirmation_is_caught(users, enterprise_a, kind, machinery):
    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(
        actor=users["staff_city"], spec=spec, uploaded_file=csv_file(injury_rows(enterprise_a, id_number(52)))
    )
    enterprise_a.industry = machinery
    enterprise_a.save()
    imports.confirm(actor=users["staff_city"], batch=batch)
    assert industry_of(InjuryCase.objects.get()) == machinery.pk


def test_a_county_moved_to_another_city_moves_what_is_recorded_below_it(users, enterprise_a, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    lishui = RegionFactory(code="331100", name="丽水市", level="city", parent=regions["zhejiang"])
    county = Region.objects.get(pk=regions["a"].pk)
    county.parent = lishui
    county.save()
    assert tiers(case) == (regions["zhejiang"].pk, lishui.pk, regions["a"].pk)
    town = Region.objects.get(pk=regions["a_town"].pk)  # the county's towns moved along with it
    assert town.path == "/330000/331100/330784/330784001/" and town.depth == 3
    city = UserFactory(role=Role.AGENCY_STAFF, agency=AgencyFactory(name="丽水市人社局", region=lishui, kind="hrss"))
    assert InjuryCase.objects.visible_to(city).get() == case
    assert not InjuryCase.objects.visible_to(users["staff_city"]).exists()


def test_bulk_loaded_rows_are_put_right_by_the_command(users, enterprise_a, enterprise_b, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    accident = record_accident(users["staff_b"], enterprise_b, kind)
    InjuryCase.objects.update(province=None, city=None, county=None, industry=None)  # as a bulk load leaves them
    SafetyAccident.objects.update(county=regions["a"])  # and a stale one
    assert not InjuryCase.objects.visible_to(users["staff_a"]).exists()
    out = io.StringIO()
    call_command("sync_scope_tiers", stdout=out)
    assert "2" in out.getvalue()
    assert InjuryCase.objects.visible_to(users["staff_a"]).get() == case
    assert industry_of(case) == enterprise_a.industry_id
    assert tiers(accident)[2] == regions["b"].pk
    assert sync_tiers() == 0  # nothing left to change
    assert OccupationalDiseaseCase.objects.count() == 0


def test_the_migration_fills_existing_rows(users, enterprise_a, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    InjuryCase.objects.update(province=None, city=None, county=None)
    migration = importlib.import_module("incidents.migrations.0003_scope_tiers")
    migration.fill_tiers(global_apps, types.SimpleNamespace(connection=connection))  # as its schema editor
    assert tiers(case) == (regions["zhejiang"].pk, regions["jinhua"].pk, regions["a"].pk)


def test_the_industry_migration_fills_existing_rows(users, enterprise_a, enterprise_b, regions, kind):
    case = record(users["staff_a"], enterprise_a, kind)
    accident = record_accident(users["staff_b"], enterprise_b, kind)
    InjuryCase.objects.update(industry=None)
    SafetyAccident.objects.update(industry=None)
    migration = importlib.import_module("incidents.migrations.0004_case_industry")
    migration.fill_industry(global_apps, types.SimpleNamespace(connection=connection))  # as its schema editor
    assert industry_of(case) == enterprise_a.industry_id and industry_of(accident) == enterprise_b.industry_id
