"""Search by a part of an enterprise's name: found, and on PostgreSQL through the trigram index (a million enterprises
would otherwise be read one by one)."""

import pytest
from django.db import connection
from django.urls import reverse

from enterprises.filters import EnterpriseFilterSet
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(regions, industry, agency_a):
    names = ["永康精达建筑物拆除有限公司", "永康市五金机械厂", "金华恒达建材有限公司"]
    return [
        EnterpriseFactory(
            name=name,
            credit_code=credit_code(700 + i),
            region=regions["a_town"],
            industry=industry,
            owner_agency=agency_a,
        )
        for i, name in enumerate(names)
    ]


def test_a_part_of_the_name_finds_the_enterprise(client_for, users, named):
    response = client_for(users["staff_a"]).get(reverse("enterprises:enterprise_list"), {"q": "精达建筑物"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "永康精达建筑物拆除有限公司" in text and "五金机械厂" not in text and "恒达建材" not in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram index")
def test_the_search_reads_the_trigram_index(users, named):
    queryset = EnterpriseFilterSet({"q": "精达建筑物"}, queryset=Enterprise.objects.all()).qs
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "enterprise_name_trgm" in plan
