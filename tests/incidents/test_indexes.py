"""The cases' indexes: each search has one, and none is written for nothing (every index slows every import)."""

import pytest
from django.db import connection

from incidents.models import InjuryCase, OccupationalDiseaseCase

pytestmark = pytest.mark.django_db


def indexed_columns(model) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return sorted(tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["primary_key"])


@pytest.mark.parametrize("model", [InjuryCase, OccupationalDiseaseCase])
def test_one_index_for_the_blind_index_and_none_for_the_enterprise_alone(model):
    columns = indexed_columns(model)
    assert columns.count(("worker_id_hash",)) == 1  # no text-pattern twin: a hash is only compared whole
    assert ("enterprise_id",) not in columns
    assert any(c[0] == "enterprise_id" and len(c) == 2 for c in columns)  # (enterprise, date) serves it


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_exact_search_by_id_number_uses_the_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = InjuryCase.objects.with_id_number("330784199001011234").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "incidents_i_worker__16e308_idx" in plan
