"""A safety officer's statistics: the own enterprise against its industry in the county and its town."""

import pytest

from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set

pytestmark = pytest.mark.django_db


def test_officer_sees_own_enterprise_against_averages(client_for, users, data):  # noqa: F811
    client = client_for(users["officer_a"])
    response = client.get("/analysis/enterprise/", {"start": "2024-01", "end": "2024-06"})
    assert response.status_code == 200
    rows = response.context["comparisons"]
    assert [(r["cases"], r["insured"], r["incidence_rate"]) for r in rows] == [
        (3, 110, 27.273),  # the enterprise: three cases, (100 + 120) / 2 insured
        (3, 110, 27.273),  # 金属结构制造 in 永康市: the same enterprise only
        (3, 110, 27.273),  # 东城街道, all industries
    ]
    assert rows[0]["posts"] == [{"post": "冲压工", "cases": 3}]
    assert "/analysis/enterprise/" in response.content.decode()  # the navigation leads here
    assert client.get("/analysis/").status_code == 403  # not the agencies' dashboard


def test_officer_rate_above_the_industry_average_is_flagged(client_for, users, data, regions, industry, agency_a):  # noqa: F811
    from incidents.analysis import cubes
    from tests.analysis.test_stats import insured
    from tests.factories import EnterpriseFactory

    peer = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a)
    insured(peer, agency_a, 2024, 1, 900)  # no second quarter
    cubes.rebuild()
    response = client_for(users["officer_a"]).get("/analysis/enterprise/", {"start": "2024-01", "end": "2024-06"})
    # 3 cases / mean of Q1 (100 + 900) and Q2 (120) = 560 insured
    assert response.context["comparisons"][1]["incidence_rate"] == 5.357
    assert 'data-testid="above-average"' in response.content.decode()


def test_agency_staff_have_no_enterprise_view(client_for, users, data):  # noqa: F811
    assert client_for(users["staff_a"]).get("/analysis/enterprise/").status_code == 403
