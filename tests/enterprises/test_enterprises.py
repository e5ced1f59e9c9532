"""Enterprise pages and API of the foundation: scope, owner, validation messages, filters, query caps."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import override

from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, credit_code

pytestmark = pytest.mark.django_db


def test_api_create_sets_owner_agency_from_the_user(api_client_for, users, regions, industry, agency_b):
    client = api_client_for(users["staff_a"])
    response = client.post(
        "/api/v1/enterprises/enterprises/",
        {
            "credit_code": credit_code(777),
            "name": "接口新建公司",
            "region": regions["a"].pk,
            "industry": industry.pk,
            "owner_agency": agency_b.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Enterprise.objects.get(pk=response.json()["id"]).owner_agency == users["staff_a"].agency


def test_api_rejects_bad_credit_code_naming_the_field(api_client_for, users, regions, industry):
    code = credit_code(778)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with override("zh-hans"):
        response = api_client_for(users["staff_a"]).post(
            "/api/v1/enterprises/enterprises/",
            {"credit_code": bad, "name": "坏代码公司", "region": regions["a"].pk, "industry": industry.pk},
            format="json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 400
    assert "credit_code" in response.json()
    assert not Enterprise.objects.filter(name="坏代码公司").exists()


def test_api_update_by_other_agency_is_404(api_client_for, users, enterprise_a):
    response = api_client_for(users["staff_a_emergency"]).patch(
        f"/api/v1/enterprises/enterprises/{enterprise_a.pk}/", {"name": "改名"}, format="json"
    )
    assert response.status_code == 404
    enterprise_a.refresh_from_db()
    assert enterprise_a.name != "改名"


def test_api_list_filters_by_region_subtree(api_client_for, users, enterprise_a, enterprise_b, regions):
    client = api_client_for(users["staff_city"])
    names = {
        row["name"]
        for row in client.get(f"/api/v1/enterprises/enterprises/?region={regions['a'].pk}").json()["results"]
    }
    assert names == {enterprise_a.name}


def test_list_page_query_count_does_not_grow_with_rows(
    client_for, users, regions, industry, agency_a, django_assert_max_num_queries
):
    EnterpriseFactory.create_batch(30, region=regions["a"], industry=industry, owner_agency=agency_a)
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 25


def test_api_list_query_count_is_capped(
    api_client_for, users, regions, industry, agency_a, django_assert_max_num_queries
):
    EnterpriseFactory.create_batch(30, region=regions["a"], industry=industry, owner_agency=agency_a)
    client = api_client_for(users["staff_a"])
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/enterprises/enterprises/")
    assert response.json()["count"] == Enterprise.objects.visible_to(users["staff_a"]).count() == 31


def test_form_error_names_the_field_in_chinese(client_for, users, regions, industry):
    code = credit_code(779)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client_for(users["staff_a"]).post(
        reverse("enterprises:enterprise_add"),
        {"credit_code": bad, "name": "坏代码公司", "region": regions["a"].pk, "industry": industry.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "统一社会信用代码" in html
    assert "校验" in html
    assert not Enterprise.objects.filter(name="坏代码公司").exists()


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert "/api/v1/enterprises/enterprises/" in out.read_text()


def test_list_page_counts_the_scope_once(client_for, users, enterprise_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["staff_a"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("enterprises:enterprise_list")).status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "enterprises_enterprise" in q["sql"]]
    assert len(counts) == 1, counts
    unread = [q["sql"] for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert len(unread) == 1, unread


def test_form_refuses_a_region_outside_the_users_county(client_for, users, regions, industry):
    response = client_for(users["staff_a"]).post(
        reverse("enterprises:enterprise_add"),
        {"credit_code": credit_code(780), "name": "越界公司", "region": regions["b"].pk, "industry": industry.pk},
    )
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Enterprise.objects.filter(name="越界公司").exists()


def test_api_refuses_a_region_outside_the_users_county(api_client_for, users, regions, industry):
    response = api_client_for(users["staff_a"]).post(
        "/api/v1/enterprises/enterprises/",
        {"credit_code": credit_code(781), "name": "越界公司", "region": regions["b"].pk, "industry": industry.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "region" in response.json()
    assert not Enterprise.objects.filter(name="越界公司").exists()
