"""``__any``: the rows ``__in`` finds, with one parameter for the whole list on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


def test_finds_what_in_finds(enterprise_a, enterprise_b):
    codes = [enterprise_a.credit_code, "91330784MA0000000X", None]
    assert list(Enterprise.objects.filter(credit_code__any=codes)) == [enterprise_a]
    assert set(Enterprise.objects.filter(pk__any={enterprise_a.pk, enterprise_b.pk})) == {enterprise_a, enterprise_b}
    assert not Enterprise.objects.filter(pk__any=[]).exists()
    assert list(Enterprise.objects.filter(pk__any=Enterprise.objects.filter(pk=enterprise_b.pk).values("pk"))) == [
        enterprise_b
    ]


def test_a_long_list_is_one_parameter_on_postgresql(enterprise_a):
    codes = [f"9133078400000{n:05d}" for n in range(5000)] + [enterprise_a.credit_code]
    with CaptureQueriesContext(connection) as queries:
        found = list(Enterprise.objects.filter(credit_code__any=codes))
    assert found == [enterprise_a]
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY[" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql
