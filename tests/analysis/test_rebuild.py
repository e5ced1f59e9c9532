"""The nightly rebuild of the summary tables (``cubes.rebuild``): jobs fill stage tables (the work-injury cases a
year at a time), which then replace the tables. What a user of the dashboard relies on: the same figures as the
month-by-month refresh computes, the old figures kept whole when a rebuild fails, no stale cached answer after
one, and (PostgreSQL) tables that keep their names, indexes and ids when swapped in."""

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from incidents.analysis import cubes
from incidents.analysis.models import InjuryCube
from incidents.analysis.stats import Selection, Stats
from incidents.models import InjuryCase
from portal import counts
from tests.analysis.test_stats import _cube_rows, case, local
from tests.analysis.test_stats import data as stats_data  # noqa: F401 - a fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stats_data")]


def _stage_tables():
    return sorted(t for t in connection.introspection.table_names() if t.startswith("analysis_stage_"))


def _months():
    return sorted(set(InjuryCube.objects.filter(tier=0).values_list("month", flat=True)))


def test_a_year_at_a_time_gives_the_rows_a_month_at_a_time_gives(enterprise_a, agency_a):
    """Cases on both sides of a new year in local time (one is 2023 in UTC): the rebuild, which sums the cases a
    year at a time, writes the same rows as refreshing every month one by one."""
    case(enterprise_a, agency_a, local(2023, 12, 31, 23, 30), "serious", 20, 700)
    case(enterprise_a, agency_a, local(2024, 1, 1, 0, 30), "fatal", 0, 9000)  # 2023-12-31 16:30 UTC
    cubes.rebuild()
    rebuilt = _cube_rows()
    assert {datetime.date(2023, 12, 1), datetime.date(2024, 1, 1)} <= set(_months())
    january = InjuryCube.objects.get(tier=0, industry=None, key=True, dust=False, month=datetime.date(2024, 1, 1))
    assert (january.cases, january.deaths, january.fund_payout) == (1, 1, 9000)
    for family in cubes.CASE_FAMILIES:
        family.model.objects.all().delete()
    months = {
        timezone.localtime(moment).date().replace(day=1)
        for moment in InjuryCase.objects.values_list("occurred_at", flat=True)
    }
    for month in sorted(months):
        cubes.refresh_months([month])
    assert _cube_rows() == rebuilt
    assert _stage_tables() == []


def test_a_failed_rebuild_leaves_the_figures_as_they_were(regions, monkeypatch):
    cubes.rebuild()
    before = _cube_rows()
    totals = Stats(Selection(datetime.date(2024, 1, 1), datetime.date(2024, 6, 1), region=regions["a"])).totals()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cubes, "_build_into_stage", fail)
    with pytest.raises(RuntimeError):
        cubes.rebuild()
    assert _cube_rows() == before
    again = Stats(Selection(datetime.date(2024, 1, 1), datetime.date(2024, 6, 1), region=regions["a"])).totals()
    assert again == totals
    assert _stage_tables() == []


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_whose_places_fail_stops_and_leaves_the_figures(regions, monkeypatch):
    """The places are made by the first job, beside the work-injury chunks (on two connections on PostgreSQL); the
    jobs that read them never run on a table that is not there, and the error reaches the caller."""
    cubes.rebuild()
    before = _cube_rows()
    built = []
    monkeypatch.setattr(cubes, "places_sql", lambda *args, **kwargs: "SELECT no_such_column FROM reference_region")
    monkeypatch.setattr(cubes, "_build_into_stage", lambda *args, **kwargs: built.append(args))
    with pytest.raises(Exception, match="no_such_column"):
        cubes.rebuild()
    assert built == []
    assert _cube_rows() == before
    assert _stage_tables() == []


def test_the_quarters_of_the_insurance_snapshots(enterprise_a, agency_a):
    from tests.analysis.test_stats import insured

    insured(enterprise_a, agency_a, 2022, 4, 10)
    assert cubes._insurance_quarters() == [(2022, 4), (2023, 1), (2024, 1), (2024, 2)]


def test_answers_cached_from_the_tables_are_worked_out_again_after_a_rebuild(enterprise_a, agency_a, settings):
    """Cases written without signals (a bulk load) reach the tables only through the rebuild; an answer cached from
    the tables must not outlive it, though the rebuild writes no row into the tables themselves."""
    settings.COUNT_CACHE_SECONDS = 120

    def cases_in_tables():
        return counts.cached_result(
            ("test", "cases"),
            [InjuryCube._meta.db_table],
            lambda: sum(InjuryCube.objects.filter(tier=0, industry=None).values_list("cases", flat=True)),
        )

    cubes.rebuild()
    first = cases_in_tables()
    assert first == InjuryCase.objects.count()
    loaded = InjuryCase.objects.first()
    loaded.pk = None
    loaded.occurred_at = local(2024, 5, 5, 5)
    InjuryCase.objects.bulk_create([loaded])
    assert cases_in_tables() == first  # nothing told the cache yet
    cubes.rebuild()
    assert cases_in_tables() == first + 1


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_on_its_own_connections(regions, enterprise_a, agency_a, monkeypatch):
    """Outside a transaction (the nightly job) PostgreSQL runs the jobs on two connections of their own; the
    tables swapped in keep the model's index names, their primary key, and new rows still get ids."""
    threads = set()
    build = cubes._build_case_chunk
    # The data have cases in two years: two chunks. The first job (the places) may end after one connection has
    # summed both, so each chunk waits for the other: they can only both start on two connections.
    both = threading.Barrier(2 if connection.vendor == "postgresql" else 1, timeout=60)

    def recording(*args):
        threads.add(threading.current_thread().name)
        both.wait()
        build(*args)

    monkeypatch.setattr(cubes, "_build_case_chunk", recording)
    assert len(cubes._case_years()) == 2
    cubes.rebuild()
    if connection.vendor == "postgresql":
        assert len(threads) == 2 and threading.current_thread().name not in threads
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, InjuryCube._meta.db_table)
        names = {name for name, c in constraints.items() if c["index"] or c["primary_key"]}
        assert {index.name for index in InjuryCube._meta.indexes} | {"analysis_injurycube_pkey"} == names
        assert constraints["analysis_injurycube_pkey"]["primary_key"]
        with connection.cursor() as cursor:  # room on each page for a refresh's updates in place
            cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [InjuryCube._meta.db_table])
            assert cursor.fetchone()[0] == [f"fillfactor={cubes.CUBE_FILLFACTOR}"]
    period = Q(occurred_at__gte=local(2023, 1, 1), occurred_at__lt=local(2025, 1, 1))
    raw = InjuryCase.objects.filter(period).aggregate(n=Count("id"), deaths=Count("id", filter=Q(severity="fatal")))
    totals = Stats(Selection(datetime.date(2023, 1, 1), datetime.date(2024, 12, 1))).totals()
    assert (totals["cases"], totals["deaths"]) == (raw["n"], raw["deaths"])
    # An edit after the swap adds its difference: a summary row inserted into the swapped-in table.
    case(enterprise_a, agency_a, local(2024, 11, 11, 11), "serious")
    november = Selection(datetime.date(2024, 11, 1), datetime.date(2024, 11, 1), region=regions["a"])
    assert Stats(november).totals()["cases"] == 1
    assert _stage_tables() == []


@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_for_a_rebuild_in_progress():
    """A rebuild replaces the tables with what it read: a refresh committed meanwhile would be lost, so it waits
    (here the rebuild's lock is held by another connection, as the nightly job holds it)."""
    if connection.vendor != "postgresql":
        pytest.skip("the rebuild runs on one connection, and there are no advisory locks, on SQLite")
    holding, release, refreshed = threading.Event(), threading.Event(), threading.Event()

    def rebuild_in_progress():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [cubes.REBUILD_LOCK])
            holding.set()
            release.wait(30)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [cubes.REBUILD_LOCK])
        connection.close()

    def refresh():
        cubes.refresh_months([datetime.date(2024, 3, 1)])
        refreshed.set()
        connection.close()

    rebuilding = threading.Thread(target=rebuild_in_progress)
    rebuilding.start()
    assert holding.wait(30)
    refreshing = threading.Thread(target=refresh)
    refreshing.start()
    assert not refreshed.wait(1)  # blocked on the lock
    release.set()
    refreshing.join(30)
    rebuilding.join(30)
    assert refreshed.is_set()
    march = InjuryCase.objects.filter(occurred_at__gte=local(2024, 3, 1), occurred_at__lt=local(2024, 4, 1))
    assert Stats(Selection(datetime.date(2024, 3, 1), datetime.date(2024, 3, 1))).totals()["cases"] == march.count()


def test_the_rebuild_runs_in_a_session_that_has_used_a_temporary_table(enterprise_a, agency_a, monkeypatch):
    """A worker that ran a screening (temporary tables, dropped since) before the nightly rebuild, on the same
    connection: PostgreSQL refuses another ``temp_buffers`` in that session, and the rebuild goes on with the
    session's own. (A value this session cannot have had yet: whatever ran before in it, the change is refused.)"""
    case(enterprise_a, agency_a, local(2024, 5, 1, 10), "minor", 3, 100)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE used_before (n integer)")
        cursor.execute("INSERT INTO used_before VALUES (1)")
        cursor.execute("SELECT n FROM used_before")
        cursor.execute("DROP TABLE used_before")
    monkeypatch.setattr(cubes, "REBUILD_WORK_MEM", "301MB")
    cubes.rebuild()  # in the test's transaction: its jobs run on this connection
    assert datetime.date(2024, 5, 1) in _months()
