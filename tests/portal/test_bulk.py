"""portal.bulk: many rows in one statement per table, with what save() would set."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from incidents.models import InjuryCase
from portal import bulk
from portal.models import AuditEvent
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char

pytestmark = pytest.mark.django_db


def _case_row(users, enterprise_a) -> dict:
    kind = AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    first17 = "33078419900101123"
    return {
        "enterprise": enterprise_a,
        "accident_type": kind,
        "owner_agency": users["staff_a"].agency,
        "post": "冲压工",
        "severity": "minor",
        "worker_id_number": first17 + id_number_check_char(first17),
        "worker_id_hash": "h",
        "sex": "M",
        "birth_date": datetime.date(1990, 1, 1),
    }


def test_insert_returns_ids_in_order_and_fills_defaults_timestamps_and_encryption(users, enterprise_a, monkeypatch):
    monkeypatch.setattr(bulk._Lines, "LINES_PER_READ", 2)  # PostgreSQL: the COPY's text is sent in two parts
    base = _case_row(users, enterprise_a)
    number = base["worker_id_number"]
    moments = [datetime.datetime(2025, 3, d, 9, 30, tzinfo=datetime.UTC) for d in (3, 1, 2)]
    rows = [{**base, "occurred_at": m, "worker_name": f"工人\t{i}\\"} for i, m in enumerate(moments)]
    ids = bulk.insert(InjuryCase, rows)
    cases = InjuryCase.objects.in_bulk(ids)
    assert [cases[i].occurred_at for i in ids] == moments
    assert [cases[i].worker_name for i in ids] == ["工人\t0\\", "工人\t1\\", "工人\t2\\"]  # COPY escapes
    first = cases[ids[0]]
    assert first.lost_workdays == 0 and first.fund_payout == 0 and first.disability_grade is None  # defaults
    assert first.created_at is not None and first.updated_at is not None
    assert first.worker_id_number == number
    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_id_number FROM incidents_injurycase WHERE id = %s", [ids[0]])
        assert number not in cursor.fetchone()[0]  # encrypted at rest


@pytest.mark.django_db(transaction=True)
def test_a_row_that_cannot_be_written_raises_its_own_error_and_nothing_is_written(users, enterprise_a, monkeypatch):
    monkeypatch.setattr(bulk._Lines, "LINES_PER_READ", 2)  # the bad row comes after a part already sent
    base = _case_row(users, enterprise_a)
    rows = [{**base, "occurred_at": datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)} for _ in range(5)]
    rows[3]["fund_payout"] = "很多"
    with pytest.raises(ValidationError), transaction.atomic():
        bulk.insert(InjuryCase, rows)
    assert not InjuryCase.objects.exists()
    assert bulk.insert(InjuryCase, rows[:3]) and InjuryCase.objects.count() == 3  # the connection is usable


def test_json_text_is_written_as_it_is_and_rows_may_come_from_a_generator(users):
    made = []

    def rows():
        for i, changes in enumerate([bulk.JSONText('{"名称": [null, "甲"]}'), {"x": [1, 2]}]):
            made.append(i)
            yield {
                "actor": users["staff_a"] if i == 0 else None,
                "actor_name": "a",
                "verb": "create",
                "changes": changes,
            }

    generated = rows()
    assert made == []
    ids = bulk.insert(AuditEvent, generated, count=2)
    assert made == [0, 1]
    events = AuditEvent.objects.in_bulk(ids)
    assert events[ids[0]].changes == {"名称": [None, "甲"]} and events[ids[1]].changes == {"x": [1, 2]}
    assert events[ids[0]].at is not None and events[ids[1]].actor_id is None


def test_a_generator_with_fewer_rows_than_its_count_writes_nothing(users):
    rows = ({"actor": None, "actor_name": "a", "verb": "create"} for _ in range(2))
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        bulk.insert(AuditEvent, rows, count=3)
    assert AuditEvent.objects.count() == before


def test_empty_insert_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert(AuditEvent, []) == []
