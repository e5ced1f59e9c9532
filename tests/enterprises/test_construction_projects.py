"""Construction projects and their per-project insurance (建筑业按项目参保): who records them (住建, 交通运输, 水利),
scope and owner-only edits, the shared field rules in forms, API and import, list filters and the import file.

Messages are compared with the translation of their msgid (Chinese once the catalogue holds it): the point here is
which field or column they name, and that form, API and import say the same."""

import csv
import datetime
import io
from decimal import Decimal

import factory
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext, override
from openpyxl import Workbook

from enterprises import services
from enterprises.models import ConstructionProject, ProjectSector
from portal import imports
from portal.accounts.models import Role
from portal.models import AuditEvent, ImportBatch
from tests.factories import AgencyFactory, EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("enterprises:constructionproject_list")
ADD = reverse("enterprises:constructionproject_add")
API = "/api/v1/enterprises/construction-projects/"
KIND = "enterprises.constructionproject"


class ConstructionProjectFactory(factory.django.DjangoModelFactory):
    """Give ``enterprise``, ``region`` and ``owner_agency``."""

    class Meta:
        model = ConstructionProject

    name = factory.Sequence(lambda n: f"测试工程{n}")
    permit_number = factory.Sequence(lambda n: f"33078420250{n:07d}")
    sector = "housing"
    contract_value = Decimal("1200.00")
    workers = 80
    started_on = datetime.date(2025, 3, 1)


def _staff(name, region, kind, username):
    agency = AgencyFactory(name=name, region=region, kind=kind, is_lead=False)
    return UserFactory(username=username, role=Role.AGENCY_STAFF, agency=agency)


@pytest.fixture
def housing_a(regions):
    return _staff("永康市住房和城乡建设局", regions["a"], "housing", "zhujian_a")


@pytest.fixture
def transport_a(regions):
    return _staff("永康市交通运输局", regions["a"], "transport", "jiaotong_a")


@pytest.fixture
def housing_b(regions):
    return _staff("武义县住房和城乡建设局", regions["b"], "housing", "zhujian_b")


@pytest.fixture
def housing_city(regions):
    agency = AgencyFactory(
        name="金华市住房和城乡建设局", region=regions["jinhua"], kind="housing", level="city", is_lead=False
    )
    return UserFactory(username="zhujian_city", role=Role.AGENCY_STAFF, agency=agency)


@pytest.fixture
def project_a(housing_a, enterprise_a, regions):
    return ConstructionProjectFactory(
        name="永康市民中心工程",
        permit_number="330784202503010101",
        enterprise=enterprise_a,
        region=regions["a_town"],
        owner_agency=housing_a.agency,
    )


@pytest.fixture
def project_b(housing_b, enterprise_b, regions):
    return ConstructionProjectFactory(
        name="武义高速连接线",
        permit_number="330723202504010101",
        sector="transport",
        enterprise=enterprise_b,
        region=regions["b"],
        owner_agency=housing_b.agency,
        started_on=datetime.date(2025, 4, 1),
        insured_on=datetime.date(2025, 4, 2),
        insured_workers=60,
    )


def project_data(enterprise, region, **changes):
    data = {
        "enterprise": enterprise,
        "name": "永康五金城二期",
        "permit_number": "330784202505200001",
        "sector": "housing",
        "region": region,
        "contract_value": Decimal("8600.50"),
        "workers": 120,
        "started_on": datetime.date(2025, 5, 20),
        "planned_end": datetime.date(2026, 12, 31),
        "insured_on": datetime.date(2025, 5, 18),
        "insured_workers": 120,
        "premium": Decimal("43000.00"),
    }
    return {**data, **changes}


def form_data(enterprise, region, **changes):
    data = project_data(enterprise, region, **changes)
    data["enterprise"], data["region"] = enterprise.pk, region.pk
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def api_data(enterprise, region, **changes):
    data = project_data(enterprise, region, **changes)
    data["enterprise"], data["region"] = enterprise.pk, region.pk
    return {k: (v if v is None or isinstance(v, int) else str(v)) for k, v in data.items()}


def zh(msgid: str) -> str:
    with override("zh-hans"):
        return gettext(msgid)


# --- services -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["housing", "transport", "water"])
def test_sector_agencies_record_projects_and_own_them(kind, regions, enterprise_a):
    actor = _staff(f"永康市{kind}局", regions["a"], kind, f"sector_{kind}")
    project = services.record_construction_project(actor=actor, data=project_data(enterprise_a, regions["a_town"]))
    assert project.owner_agency == actor.agency and project.is_insured
    event = AuditEvent.objects.get(verb="create", object_type=KIND, object_id=str(project.pk))
    assert event.changes["permit_number"] == [None, "330784202505200001"]


@pytest.mark.parametrize("role", ["staff_a", "staff_a_emergency", "admin_a", "officer_a", "auditor"])
def test_other_agencies_and_roles_may_not_record_projects(role, users, enterprise_a, regions):
    with override("zh-hans"), pytest.raises(PermissionDenied) as exc:
        services.record_construction_project(actor=users[role], data=project_data(enterprise_a, regions["a_town"]))
    assert str(exc.value) == zh("Only the housing, transport or water resources agency records construction projects.")
    assert not ConstructionProject.objects.exists()


def test_enterprise_and_site_must_be_in_the_actors_region(housing_a, enterprise_b, enterprise_a, regions):
    with pytest.raises(ValidationError) as exc:
        services.record_construction_project(actor=housing_a, data=project_data(enterprise_b, regions["a_town"]))
    assert exc.value.message_dict == {"enterprise": [zh("Choose an enterprise of your region.")]}
    with pytest.raises(ValidationError) as exc:
        services.record_construction_project(actor=housing_a, data=project_data(enterprise_a, regions["b"]))
    assert exc.value.message_dict == {"region": [zh("Choose a site in your region.")]}
    assert not ConstructionProject.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "msgid"),
    [
        ({"insured_workers": None}, "insured_workers", "Give the number of insured workers of an insured project."),
        ({"insured_on": None}, "insured_on", "Give the date the project was insured."),
        ({"insured_workers": 121}, "insured_workers", "More insured workers than workers on the project."),
        (
            {"planned_end": datetime.date(2025, 5, 1)},
            "planned_end",
            "The planned completion must not be before the start.",
        ),
    ],
)
def test_field_errors_name_the_field(changes, field, msgid, housing_a, enterprise_a, regions):
    with override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.record_construction_project(
            actor=housing_a, data=project_data(enterprise_a, regions["a_town"], **changes)
        )
    assert exc.value.message_dict[field] == [zh(msgid)]
    assert not ConstructionProject.objects.exists()


def test_site_must_be_a_county_town_or_zone(housing_city, enterprise_a, regions):
    with pytest.raises(ValidationError) as exc:
        services.record_construction_project(actor=housing_city, data=project_data(enterprise_a, regions["jinhua"]))
    assert exc.value.message_dict["region"] == [zh("Choose a county, a town or street, or a user-defined zone.")]


def test_only_the_owning_agency_updates_a_project(project_a, housing_a, transport_a):
    with pytest.raises(PermissionDenied):
        services.update_construction_project(actor=transport_a, instance=project_a, data={"workers": 90})
    stored = ConstructionProject.objects.get(pk=project_a.pk)
    project = services.update_construction_project(actor=housing_a, instance=stored, data={"workers": 90})
    assert project.workers == 90
    event = AuditEvent.objects.get(verb="update", object_type=KIND, object_id=str(project_a.pk))
    assert event.changes["workers"] == [80, 90] and "premium" not in event.changes


# --- pages --------------------------------------------------------------------------------------------------------


def _names(response):
    return {row.record.name for row in response.context["table"].page.object_list}


@pytest.fixture
def city_projects(housing_city, housing_a, enterprise_a, project_a, project_b, regions):
    """Besides A's (not insured, housing, 2025-03-01) and B's (insured, transport, 2025-04-01): an insured water
    project in A's county seat, started 2025-06-15."""
    return ConstructionProjectFactory(
        name="永康江堤防加固",
        permit_number="330784202506150001",
        sector="water",
        enterprise=enterprise_a,
        region=regions["a"],
        owner_agency=housing_a.agency,
        started_on=datetime.date(2025, 6, 15),
        insured_on=datetime.date(2025, 6, 10),
        insured_workers=30,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"永康市民中心工程", "武义高速连接线", "永康江堤防加固"}),
        ("region={a}", {"永康市民中心工程", "永康江堤防加固"}),
        ("region={b}", {"武义高速连接线"}),
        ("sector=transport", {"武义高速连接线"}),
        ("insured=true", {"武义高速连接线", "永康江堤防加固"}),
        ("insured=false", {"永康市民中心工程"}),
        ("started_from=2025-03-15&started_to=2025-06-30", {"武义高速连接线", "永康江堤防加固"}),
        ("started_to=2025-03-01", {"永康市民中心工程"}),
        ("q=堤防", {"永康江堤防加固"}),
        ("q=330723202504010101", {"武义高速连接线"}),
    ],
)
def test_list_filters(query, expected, city_projects, housing_city, client_for, regions):
    query = query.format(a=regions["a"].pk, b=regions["b"].pk)
    response = client_for(housing_city).get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert _names(response) == expected


def test_list_is_scoped_sorted_and_paginated(city_projects, housing_b, client_for, housing_a, enterprise_a, regions):
    assert _names(client_for(housing_b).get(LIST)) == {"武义高速连接线"}
    for workers in range(30):
        ConstructionProjectFactory(
            enterprise=enterprise_a, region=regions["a"], owner_agency=housing_a.agency, workers=(workers * 7) % 30
        )
    client = client_for(housing_a)
    page = client.get(LIST).context["table"].page
    assert len(page.object_list) == 25 and page.has_next()
    rows = client.get(f"{LIST}?sort=workers").context["table"].page.object_list
    assert [r.record.workers for r in rows] == list(range(25))


def test_list_page_query_count_does_not_grow_with_rows(
    housing_a, enterprise_a, regions, client_for, django_assert_max_num_queries
):
    ConstructionProjectFactory.create_batch(
        30, enterprise=enterprise_a, region=regions["a"], owner_agency=housing_a.agency
    )
    client = client_for(housing_a)
    with django_assert_max_num_queries(20):
        response = client.get(LIST)
    assert len(response.context["table"].page.object_list) == 25


def test_list_offers_add_and_import_only_to_recording_agencies(housing_a, users, client_for):
    context = client_for(housing_a).get(LIST).context
    assert context["add_url"] == ADD and context["import_url"]
    context = client_for(users["staff_a"]).get(LIST).context
    assert "add_url" not in context and "import_url" not in context


def test_nav_lists_the_projects(housing_a, client_for):
    html = client_for(housing_a).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' in html


def test_create_through_the_form(housing_a, enterprise_a, regions, client_for):
    client = client_for(housing_a)
    page = client.get(f"{ADD}?enterprise={enterprise_a.pk}")  # "record a project" on the enterprise's page
    assert page.status_code == 200 and page.context["form"].initial["enterprise"] == enterprise_a.pk
    response = client.post(ADD, form_data(enterprise_a, regions["a_town"]))
    project = ConstructionProject.objects.get()
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert project.owner_agency == housing_a.agency and project.insured_workers == 120
    assert project.contract_value == Decimal("8600.50")


def test_form_shows_the_models_field_errors(housing_a, enterprise_a, regions, client_for):
    response = client_for(housing_a).post(ADD, form_data(enterprise_a, regions["a_town"], insured_workers=None))
    assert response.status_code == 200
    assert response.context["form"].errors["insured_workers"] == [
        zh("Give the number of insured workers of an insured project.")
    ]
    assert not ConstructionProject.objects.exists()


def test_form_offers_only_enterprises_and_sites_in_scope(housing_a, enterprise_b, enterprise_a, regions, client_for):
    response = client_for(housing_a).post(ADD, form_data(enterprise_b, regions["b"]))
    assert response.status_code == 200
    assert {"enterprise", "region"} <= set(response.context["form"].errors)
    assert not ConstructionProject.objects.exists()


@pytest.mark.parametrize("role", ["staff_a", "staff_a_emergency", "officer_a"])
def test_others_may_not_open_the_add_form(role, users, client_for):
    assert client_for(users[role]).get(ADD).status_code == 403


def test_edit_through_the_form_keeps_the_contractor(project_a, housing_a, regions, industry, client_for):
    other = EnterpriseFactory(region=regions["a"], industry=industry, owner_agency=project_a.enterprise.owner_agency)
    url = reverse("enterprises:constructionproject_edit", args=[project_a.pk])
    data = form_data(other, regions["a"], name="永康市民中心工程（二标段）", permit_number=project_a.permit_number)
    response = client_for(housing_a).post(url, data)
    assert response.status_code == 302
    project_a.refresh_from_db()
    assert project_a.name == "永康市民中心工程（二标段）" and project_a.region == regions["a"]
    assert project_a.enterprise != other and project_a.insured_workers == 120
    assert AuditEvent.objects.filter(verb="update", object_type=KIND, object_id=str(project_a.pk)).count() == 1


@pytest.mark.parametrize(
    ("who", "detail", "edit"),
    [("housing_a", 200, 200), ("transport_a", 200, 404), ("housing_b", 404, 404), ("housing_city", 200, 404)],
)
def test_only_the_owning_agency_edits_while_others_in_scope_read(who, detail, edit, project_a, request, client_for):
    client = client_for(request.getfixturevalue(who))
    edit_url = reverse("enterprises:constructionproject_edit", args=[project_a.pk])
    assert client.get(project_a.get_absolute_url()).status_code == detail
    assert client.get(edit_url).status_code == edit
    if edit == 404:
        data = form_data(project_a.enterprise, project_a.region, name="改名", permit_number=project_a.permit_number)
        assert client.post(edit_url, data).status_code == 404
        delete_url = reverse("enterprises:constructionproject_delete", args=[project_a.pk])
        assert client.post(delete_url).status_code == 404
        project_a.refresh_from_db()
        assert project_a.name == "永康市民中心工程"


def test_owner_deletes_a_project(project_a, housing_a, client_for):
    response = client_for(housing_a).post(reverse("enterprises:constructionproject_delete", args=[project_a.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not ConstructionProject.objects.exists()
    assert AuditEvent.objects.filter(verb="delete", object_type=KIND).count() == 1


def test_detail_and_enterprise_page_show_the_project(project_a, housing_a, users, client_for):
    client = client_for(housing_a)
    html = client.get(project_a.get_absolute_url()).content.decode()
    assert project_a.permit_number in html and project_a.enterprise.name in html
    page = client_for(users["officer_a"]).get(project_a.enterprise.get_absolute_url())
    assert list(page.context["projects"]) == [project_a] and "永康市民中心工程" in page.content.decode()


def test_export_csv_holds_the_scoped_list(city_projects, housing_b, client_for):
    response = client_for(housing_b).get(f"{LIST}?export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "330723202504010101" in body and "330784202503010101" not in body


# --- API ----------------------------------------------------------------------------------------------------------


def test_api_create_sets_the_owner(api_client_for, housing_a, enterprise_a, regions, agency_b):
    payload = {**api_data(enterprise_a, regions["a_town"]), "owner_agency": agency_b.pk}
    response = api_client_for(housing_a).post(API, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner_agency"] == housing_a.agency_id and body["is_insured"] is True
    assert body["enterprise_name"] == enterprise_a.name
    assert ConstructionProject.objects.get(pk=body["id"]).owner_agency == housing_a.agency


def test_api_create_by_another_agency_kind_is_refused(api_client_for, users, enterprise_a, regions):
    response = api_client_for(users["staff_a"]).post(API, api_data(enterprise_a, regions["a_town"]), format="json")
    assert response.status_code == 403
    assert not ConstructionProject.objects.exists()


def test_api_list_is_scoped_and_filtered(api_client_for, city_projects, housing_b, housing_city, regions):
    rows = api_client_for(housing_b).get(API).json()["results"]
    assert [r["name"] for r in rows] == ["武义高速连接线"]
    rows = api_client_for(housing_city).get(f"{API}?insured=true&region={regions['a'].pk}").json()["results"]
    assert [r["name"] for r in rows] == ["永康江堤防加固"]


def test_api_objects_outside_scope_are_404(api_client_for, project_a, housing_b, transport_a):
    url = f"{API}{project_a.pk}/"
    assert api_client_for(housing_b).get(url).status_code == 404
    assert api_client_for(transport_a).get(url).status_code == 200
    assert api_client_for(transport_a).patch(url, {"workers": 1}, format="json").status_code == 404
    assert api_client_for(transport_a).delete(url).status_code == 404
    project_a.refresh_from_db()
    assert project_a.workers == 80


def test_api_validation_errors_equal_the_forms(api_client_for, housing_a, enterprise_a, enterprise_b, regions):
    client = api_client_for(housing_a)
    with override("zh-hans"):
        response = client.post(API, api_data(enterprise_a, regions["a_town"], insured_workers=None), format="json")
    assert response.status_code == 400
    assert response.json()["insured_workers"] == [zh("Give the number of insured workers of an insured project.")]
    response = client.post(API, api_data(enterprise_b, regions["b"]), format="json")
    assert response.status_code == 400 and {"enterprise", "region"} <= set(response.json())
    assert not ConstructionProject.objects.exists()


def test_api_update_keeps_the_contractor_and_checks_the_rules(api_client_for, project_a, housing_a, regions, industry):
    other = EnterpriseFactory(region=regions["a"], industry=industry, owner_agency=project_a.enterprise.owner_agency)
    url = f"{API}{project_a.pk}/"
    client = api_client_for(housing_a)
    response = client.patch(
        url, {"enterprise": other.pk, "insured_on": "2025-03-05", "insured_workers": 70}, format="json"
    )
    assert response.status_code == 200, response.json()
    project_a.refresh_from_db()
    assert project_a.enterprise != other and project_a.insured_workers == 70
    response = client.patch(url, {"insured_workers": 81}, format="json")
    assert response.status_code == 400
    assert response.json()["insured_workers"] == [zh("More insured workers than workers on the project.")]


# --- import -------------------------------------------------------------------------------------------------------


def headers():
    """The template's headers, as a clerk's sheet has them."""
    with override("zh-hans"):
        return [str(c.header) for c in imports.get_spec(KIND).columns]


def header(field):
    with override("zh-hans"):
        return next(str(c.header) for c in imports.get_spec(KIND).columns if c.field == field)


def csv_file(rows, name="projects.csv"):
    out = io.StringIO()
    csv.writer(out).writerows([["" if c is None else c for c in row] for row in rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


def xlsx_file(rows, name="projects.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, file):
    response = client.post(reverse("imports:import_upload", args=[KIND]), {"file": file})
    assert response.status_code == 302, response.content.decode()[:1500]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def sheet(enterprise_a, regions):
    with override("zh-hans"):
        housing, water = str(ProjectSector.HOUSING.label), str(ProjectSector.WATER.label)
    return [
        headers(),
        # permit, name, contractor, sector, site, value, workers, start, planned end, insured on, insured, premium
        ["330784202507010001", "永康体育馆", enterprise_a.credit_code, housing, regions["a_town"].code, "5600",
         150, "2025-07-01", "2026-09-30", "2025-06-28", 150, "28000"],
        ["330784202507150002", "永康水库除险", enterprise_a.credit_code, water, regions["a"].code, "900.5",
         40, "2025/07/15", None, None, None, None],
    ]  # fmt: skip


def test_import_with_a_bad_row_names_row_and_column_and_imports_nothing(
    housing_a, enterprise_a, enterprise_b, regions, client_for
):
    rows = sheet(enterprise_a, regions)
    rows[2][10] = 41  # insured workers without the insured date, and more than the 40 workers
    rows.append(["330723202507200003", "武义道路", enterprise_b.credit_code, "transport", regions["b"].code, "1",
                 10, "2025-07-20", None, None, None, None])  # fmt: skip
    client = client_for(housing_a)
    batch = upload(client, csv_file(rows))
    assert batch.status == "failed"
    texts = [e["text"] for e in batch.errors]
    with override("zh-hans"):
        expected = [
            imports.row_error(3, header("insured_workers"), zh("More insured workers than workers on the project.")),
            imports.row_error(3, header("insured_on"), zh("Give the date the project was insured.")),
        ]
    assert set(expected) <= set(texts), texts
    assert {(e["row"], e["column"]) for e in batch.errors} >= {
        (4, header("enterprise")),
        (4, header("region")),
    }
    assert all(e["row"] != 2 for e in batch.errors)
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    assert not ConstructionProject.objects.exists()


def test_a_good_file_creates_the_projects_and_a_second_import_changes_nothing(
    housing_a, enterprise_a, regions, client_for
):
    client = client_for(housing_a)
    rows = sheet(enterprise_a, regions)
    batch = upload(client, xlsx_file(rows))
    assert batch.status == "validated" and batch.summary["create"] == 2, batch.errors
    assert not ConstructionProject.objects.exists()  # preview only
    client.post(reverse("imports:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed"
    gym, dam = ConstructionProject.objects.order_by("permit_number")
    assert gym.owner_agency == housing_a.agency and gym.sector == "housing" and gym.is_insured
    assert gym.insured_workers == 150 and gym.premium == Decimal("28000")
    assert dam.sector == "water" and not dam.is_insured and dam.premium == 0
    assert dam.started_on == datetime.date(2025, 7, 15) and dam.contract_value == Decimal("900.5")
    assert AuditEvent.objects.filter(verb="create", object_type=KIND).count() == 2
    again = upload(client, csv_file(rows))
    assert again.summary["unchanged"] == 2 and again.summary["create"] == 0


def test_import_does_not_change_another_agencys_project(project_a, transport_a, enterprise_a, regions, client_for):
    rows = sheet(enterprise_a, regions)[:2]
    rows[1][0] = project_a.permit_number
    batch = upload(client_for(transport_a), csv_file(rows))
    assert batch.status == "failed"
    assert batch.errors[0]["message"] == zh(
        "This project was recorded by another agency; only that agency can change it."
    )


def test_only_recording_agencies_import_projects(users, housing_a, client_for):
    url = reverse("imports:import_upload", args=[KIND])
    assert client_for(users["staff_a"]).get(url).status_code == 403
    assert client_for(housing_a).get(url).status_code == 200
