"""Migrations 0003 and 0004: the high-incident posts folded into their results, set-based, and back; the results'
run and enterprise guarded on delete instead of by foreign-key constraints."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError

from incidents.prevention import services
from incidents.prevention.models import HighIncidentPost, ScreeningResult, ScreeningRule, ScreeningRun
from incidents.prevention.selectors import Window

from .conftest import make_case

BEFORE = ("prevention", "0002_fewer_indexes")


def migrate(target=None):
    """To ``target``, or forward to the app's latest migration."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if target is None:
        [target] = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "prevention"]
    executor.migrate([target])


@pytest.fixture
def result(users, regions, enterprise_a, enterprise_b, agency_a):
    """Enterprise A's screening result with two posts (enterprise B's case is outside the region). Written without
    the services' audit events: the append-only trail would refuse the flush after a transactional test."""
    for d, post in enumerate(["冲压工", "冲压工", "装配工", "冲压工"]):
        make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1 + d), post=post)
    make_case(enterprise_b, enterprise_b.owner_agency, datetime.date(2025, 5, 1))
    year = Window(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    rule = ScreeningRule.objects.create(
        region=regions["a"], version=1, state="published", owner_agency=agency_a, created_by=users["staff_a"]
    )
    run = ScreeningRun.objects.create(
        region=regions["a"],
        rule=rule,
        kind="annual",
        period_start=year.start,
        period_end=year.end,
        owner_agency=agency_a,
    )
    services._insert_results(run, year)
    [result] = ScreeningResult.objects.filter(run=run)
    return result


POSTS = [HighIncidentPost("冲压工", 3), HighIncidentPost("装配工", 1)]


@pytest.mark.django_db(transaction=True)  # migrations run outside a test's transaction on SQLite
def test_posts_move_into_their_results_and_back(result):
    assert result.high_incident_posts == POSTS
    run_id, enterprise_id = result.run_id, result.enterprise_id
    try:
        migrate(BEFORE)  # the posts become rows again, the column goes
        with connection.cursor() as cursor:
            cursor.execute("SELECT run_id, enterprise_id, post, cases FROM prevention_screeningpost ORDER BY post")
            assert cursor.fetchall() == [(run_id, enterprise_id, "冲压工", 3), (run_id, enterprise_id, "装配工", 1)]
    finally:
        migrate()  # and back into the results, whatever happened
    result = ScreeningResult.objects.get(pk=result.pk)
    assert result.high_incident_posts == POSTS
    result.run.delete()  # the flush after a test deletes the enterprises, which the database refuses under a result


def raw_delete(table: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed table names


@pytest.mark.django_db
def test_the_database_refuses_to_delete_a_run_or_an_enterprise_a_result_refers_to(result):
    """The results have no foreign-key constraints (checked per row at each commit); a stray DELETE of the run or
    the enterprise is refused by the database all the same."""
    for table, pk in (("prevention_screeningrun", result.run_id), ("enterprises_enterprise", result.enterprise_id)):
        with pytest.raises(IntegrityError), transaction.atomic():
            raw_delete(table, pk)
    with pytest.raises(ProtectedError):  # the ORM's own check of the enterprise
        result.enterprise.delete()
    assert ScreeningResult.objects.filter(pk=result.pk).exists()


@pytest.mark.django_db
def test_a_run_deleted_through_the_orm_takes_its_results_with_it(result):
    with transaction.atomic():
        result.run.delete()
    assert not ScreeningResult.objects.filter(pk=result.pk).exists()
