"""The statistics API: figures, selection by URL parameters, scope (another county → 404), refusals."""

import pytest

from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set

pytestmark = pytest.mark.django_db
URL = "/api/v1/analysis/statistics/"


def test_county_figures_as_json(api_client_for, users, regions, data, django_assert_max_num_queries):  # noqa: F811
    client = api_client_for(users["staff_a"])
    # A fixed number of small reads of the summary tables, whatever the data: totals of three periods, trend,
    # regions, industries, types, posts, diseases, coverage, the assessment ranking and their names.
    with django_assert_max_num_queries(30):
        response = client.get(URL, {"start": "2024-01", "end": "2024-06"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["selection"]["region_name"] == "永康市" and body["selection"]["start"] == "2024-01"
    current = body["summary"]["current"]
    assert current["cases"] == 4 and current["incidence_rate"] == 25.0 and current["fund_payout"] == "206300.00"
    assert body["summary"]["change_last_year"]["cases"] == 300.0
    assert [m["cases"] for m in body["trend"]] == [0, 1, 2, 1, 0, 0]
    assert [(r["name"], r["cases"]) for r in body["by_region"]] == [("东城街道", 3), ("永康市本级", 1)]
    assert [(r["code"], r["cases"]) for r in body["by_industry"]] == [("C", 3), ("G", 1)]


def test_key_industry_filter(api_client_for, users, data):  # noqa: F811
    body = api_client_for(users["staff_a"]).get(URL, {"start": "2024-01", "end": "2024-06", "flag": "key"}).json()
    assert body["summary"]["current"]["cases"] == 3


def test_a_city_user_drills_into_a_county(api_client_for, users, regions, data):  # noqa: F811
    client = api_client_for(users["staff_city"])
    body = client.get(URL, {"start": "2024-01", "end": "2024-06"}).json()
    assert [(r["name"], r["cases"]) for r in body["by_region"]] == [("永康市", 4), ("武义县", 1)]
    county = client.get(URL, {"start": "2024-01", "end": "2024-06", "region": regions["b"].pk}).json()
    assert county["summary"]["current"]["cases"] == 1


def test_another_countys_figures_are_404(api_client_for, users, regions, data):  # noqa: F811
    response = api_client_for(users["staff_a"]).get(URL, {"region": regions["b"].pk})
    assert response.status_code == 404
    assert api_client_for(users["staff_a"]).get(URL, {"region": regions["jinhua"].pk}).status_code == 404


def test_bad_period_is_named_in_chinese(api_client_for, users, data):  # noqa: F811
    response = api_client_for(users["staff_a"]).get(URL, {"start": "2024-13", "end": "2024-01"})
    assert response.status_code == 400
    assert response.json()["start"] == ["请输入月份，例如 2025-03。"]
    response = api_client_for(users["staff_a"]).get(URL, {"start": "2024-06", "end": "2024-01"})
    assert response.json()["end"] == ["所选期间的结束月份早于开始月份。"]


@pytest.mark.parametrize("role", ["officer_a", "expert", "sysadmin", "auditor"])
def test_roles_without_statistics_are_refused(api_client_for, users, role, data):  # noqa: F811
    assert api_client_for(users[role]).get(URL).status_code == 403


def test_figures_come_from_the_cache_until_the_summary_tables_change(
    api_client_for,
    users,
    data,  # noqa: F811
    agency_a,
    enterprise_a,
    settings,
    django_capture_on_commit_callbacks,
):
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tests.analysis.test_stats import case

    settings.COUNT_CACHE_SECONDS = 120  # a shared cache, as production has
    client = api_client_for(users["staff_a"])
    period = {"start": "2024-01", "end": "2024-06"}
    assert client.get(URL, period).json()["summary"]["current"]["cases"] == 4
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(URL, period).json()
    assert again["summary"]["current"]["cases"] == 4
    assert not [q for q in ctx.captured_queries if "analysis_" in q["sql"] and "cubestate" not in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):  # a case recorded: its month is refreshed
        case(enterprise_a, agency_a, timezone.make_aware(datetime.datetime(2024, 3, 9, 10)))
    assert client.get(URL, period).json()["summary"]["current"]["cases"] == 5
