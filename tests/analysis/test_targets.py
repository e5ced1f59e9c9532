"""Reduction targets: the national default, a region's own, progress worked out by hand, who may set them."""

import datetime
from decimal import Decimal

import pytest

from incidents.analysis import targets
from incidents.analysis.models import Target
from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set

pytestmark = pytest.mark.django_db


def test_the_national_default_applies_everywhere(regions):
    (national,) = targets.applicable(regions["a"])
    assert national.region is None and national.baseline_year == 2020 and national.target_year == 2025
    assert national.reduction_percent == Decimal("20.0") and national.metric == "key_incidence"


def test_progress_by_hand(data, regions, agency_a):  # noqa: F811
    own = Target.objects.create(
        region=regions["a"],
        owner_agency=agency_a,
        metric="key_incidence",
        baseline_year=2023,
        target_year=2025,
        reduction_percent=Decimal("50"),
    )
    result = targets.progress(own, regions["a"], today=datetime.date(2025, 1, 15))
    # 2023: one key-industry case, 80 insured → 12.5; 2024: three cases, (100 + 120) / 2 insured → 27.273
    assert (result.baseline_rate, result.year, result.current_rate) == (12.5, 2024, 27.273)
    assert result.required_rate == 6.25 and result.expected_percent == 25.0
    assert result.achieved_percent == -118.2 and result.status == "behind" and result.share_of_goal == 0
    assert [t.pk for t in targets.applicable(regions["a"])][-1] == own.pk
    assert own not in targets.applicable(regions["b"])
    later = targets.progress(own, regions["a"], today=datetime.date(2027, 3, 1))
    assert later.year == 2025 and later.status == "no_data"


def test_who_may_set_targets(client_for, users, regions, data):  # noqa: F811
    admin = client_for(users["admin_a"])
    response = admin.post(
        "/analysis/targets/add/",
        {
            "region": regions["a"].pk,
            "metric": "key_incidence",
            "baseline_year": 2019,
            "target_year": 2022,
            "reduction_percent": "60",
            "source": "种子004",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target = Target.objects.get(region=regions["a"])
    assert target.owner_agency == users["admin_a"].agency
    page = client_for(users["staff_a"]).get("/analysis/targets/").content.decode()
    assert "永康市：重点行业工伤事故发生率，2022年较2019年下降60.0%" in page
    assert client_for(users["staff_a"]).get("/analysis/targets/add/").status_code == 403
    admin = client_for(users["admin_a"])  # client_for logs the one test client in as that user
    bad = admin.post(
        "/analysis/targets/add/",
        {
            "region": regions["b"].pk,
            "metric": "incidence",
            "baseline_year": 2022,
            "target_year": 2020,
            "reduction_percent": "120",
        },
    )
    errors = bad.context["form"].errors
    assert "region" in errors and "reduction_percent" in errors
    assert "目标年须晚于基准年。" in bad.content.decode()
    from portal.accounts.models import Role
    from tests.factories import UserFactory

    admin_b = UserFactory(username="admin_b", role=Role.AGENCY_ADMIN, agency=users["staff_b"].agency)
    assert client_for(admin_b).get(f"/analysis/targets/{target.pk}/edit/").status_code == 404


def test_the_dashboard_shows_the_progress(client_for, users, data):  # noqa: F811
    html = client_for(users["staff_a"]).get("/analysis/").content.decode()
    assert 'data-testid="target-progress"' in html and "重点行业工伤事故发生率" in html
