"""Lists never count more than the cap: the COUNT runs over a LIMIT subquery, and a capped list says so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.pagination import CappedPaginator
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 5)


@pytest.fixture
def eight(regions, industry, agency_a):
    return EnterpriseFactory.create_batch(8, region=regions["a"], industry=industry, owner_agency=agency_a)


def test_list_page_count_is_capped_and_said(client_for, users, small_cap, eight):
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(users["staff_a"]).get(reverse("enterprises:enterprise_list"))
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "enterprises_enterprise" in q["sql"]]
    assert counts and all("LIMIT" in sql for sql in counts)
    assert response.context["table"].page.paginator.count == 5
    assert response.context["table"].page.paginator.is_capped
    assert 'data-testid="count-capped"' in response.content.decode()


def test_api_count_is_capped(api_client_for, users, small_cap, eight):
    body = api_client_for(users["staff_a"]).get("/api/v1/enterprises/enterprises/?page_size=2").json()
    assert body["count"] == 5 and body["count_capped"] is True


def test_small_lists_count_exactly(api_client_for, users, enterprise_a):
    body = api_client_for(users["staff_a"]).get("/api/v1/enterprises/enterprises/").json()
    assert body["count"] == 1 and body["count_capped"] is False
