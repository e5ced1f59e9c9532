"""The dashboard page: tiles, tables, links to the case list, XLSX downloads, scope."""

import io
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

from incidents.models import InjuryCase
from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set

pytestmark = pytest.mark.django_db


def page(client, **params):
    response = client.get("/analysis/", {"start": "2024-01", "end": "2024-06", **params})
    assert response.status_code == 200
    return response


def test_tiles_and_tables(client_for, users, data, django_assert_max_num_queries):  # noqa: F811
    client = client_for(users["staff_a"])
    # The page's panels (see test_api) plus the shell, the filter form, breadcrumbs and target progress.
    with django_assert_max_num_queries(45):
        response = page(client)
    html = response.content.decode()
    assert 'data-testid="kpi-cases">4<' in html
    assert 'data-testid="kpi-incidence_rate">25<' in html
    assert 'data-testid="kpi-cases-yoy">+300.0%<' in html
    assert ">—<" in html.split("coverage-dust")[1][:40]
    # What "key industries" means is said next to the filter (the list in force where each enterprise is).
    assert "按其注册地适用的名录认定" in html
    regions = response.context["by_region"]
    assert [(r["name"], r["cases"]) for r in regions] == [("东城街道", 3), ("永康市本级", 1)]


def test_links_open_the_matching_case_list(client_for, users, regions, industry, data):  # noqa: F811
    client = client_for(users["staff_a"])
    response = page(client, flag="key")
    town = response.context["by_region"][0]
    query = parse_qs(urlparse(town["cases_url"]).query)
    assert query == {
        "occurred_from": ["2024-01-01"],
        "occurred_to": ["2024-06-30"],
        "region": [str(regions["a_town"].pk)],
        "industry_group": ["key"],
    }
    listed = client.get(town["cases_url"])
    assert listed.status_code == 200
    assert len(listed.context["table"].rows) == town["cases"] == 3
    month = response.context["trend"][2]  # March: one case on the 5th, one at 23:30 on the 31st (local)
    assert len(client.get(month["cases_url"]).context["table"].rows) == month["cases"] == 2


def test_each_chart_downloads_as_xlsx(client_for, users, data):  # noqa: F811
    client = client_for(users["staff_a"])
    response = page(client, download="by_region")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["行政区划", "工伤件数", "重伤人数"]
    assert rows[1][:2] == ["东城街道", 3]
    trend = load_workbook(io.BytesIO(b"".join(page(client, download="trend").streaming_content))).worksheets[0]
    assert [c.value for c in trend[4]][:2] == ["2024-03", 2]


def test_drill_down_and_scope(client_for, users, regions, data):  # noqa: F811
    city = client_for(users["staff_city"])
    response = page(city, region=regions["a"].pk)
    assert [c["name"] for c in response.context["breadcrumbs"]] == ["金华市", "永康市"]
    assert client_for(users["staff_a"]).get("/analysis/", {"region": regions["b"].pk}).status_code == 404
    assert client_for(users["officer_a"]).get("/analysis/").status_code == 403


def test_a_bad_month_is_named_and_the_page_still_shows(client_for, users, data):  # noqa: F811
    response = client_for(users["staff_a"]).get("/analysis/", {"start": "2024-13"})
    assert response.status_code == 200
    assert "请输入月份，例如 2025-03。" in response.content.decode()


def test_case_list_accepts_town_and_industry_group(client_for, users, regions, data):  # noqa: F811
    client = client_for(users["staff_a"])
    listed = client.get("/incidents/injury-cases/", {"region": regions["a_town"].pk, "industry_group": "key"})
    assert len(listed.context["table"].rows) == InjuryCase.objects.filter(enterprise__region=regions["a_town"]).count()
    html = listed.content.decode()
    assert f'<option value="{regions["a_town"].pk}" selected>' in html


def test_type_post_and_severity_rows_link_to_the_case_list(client_for, users, data):  # noqa: F811
    client = client_for(users["staff_a"])
    response = page(client)
    for name in ("by_type", "by_post", "by_severity"):
        for row in response.context[name]:
            listed = client.get(row["cases_url"])
            assert len(listed.context["table"].rows) == row["cases"], (name, row)
    sheet = load_workbook(io.BytesIO(b"".join(page(client, download="by_post").streaming_content))).worksheets[0]
    assert [c.value for c in sheet[2]][:2] == ["冲压工", 4]


def test_disease_rows_link_to_the_disease_list(client_for, users, data, enterprise_a, agency_a):  # noqa: F811
    import datetime as dt
    from decimal import Decimal

    from incidents.analysis import cubes
    from incidents.models import OccupationalDiseaseCase
    from tests.analysis.test_stats import worker_id
    from tests.factories import SilicosisFactory

    silicosis = SilicosisFactory()
    OccupationalDiseaseCase.objects.create(
        enterprise=enterprise_a,
        owner_agency=agency_a,
        worker_name="孙七",
        worker_id_number=worker_id(600),
        disease=silicosis,
        hazard_factor="矽尘",
        exposure_years=Decimal("2"),
        diagnosed_on=dt.date(2024, 3, 3),
    )
    cubes.rebuild()
    client = client_for(users["staff_a"])
    response = page(client)
    assert 'data-testid="disease-short-share">1（100.0%）<' in response.content.decode()
    (row,) = response.context["diseases"]["by_disease"]
    listed = client.get(row["cases_url"])
    assert listed.status_code == 200 and len(listed.context["table"].rows) == 1


def test_the_ranking_downloads_as_xlsx(client_for, users, data):  # noqa: F811
    response = page(client_for(users["staff_city"]), download="ranking")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["排名", "行政区划"] and [r[1] for r in rows[1:]] == ["武义县", "永康市"]
