"""Counts served from the cache (``portal.counts``): a list opened again runs no COUNT, and any write to a table the
list reads — a form, an import, an enterprise moving, a new notification — shows in the very next count."""

import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprises.models import Enterprise
from portal import bulk, counts
from portal.notifications.services import notify
from tests.portal.test_keyset_pagination import CASES_URL, make_cases

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def count_cache(settings):
    settings.COUNT_CACHE_SECONDS = 120


@pytest.fixture
def kind(db):
    from portal.reference.models import AccidentType

    return AccidentType.objects.create(edition=1986, code="04", name="机械伤害", kind="type")


def api_count(client):
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(CASES_URL).json()
    counted = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    return body["count"], counted


def test_a_list_opened_again_is_not_counted_again_until_a_case_is_written(api_client_for, users, enterprise_a, kind):
    make_cases(enterprise_a, kind, 3)
    client = api_client_for(users["staff_a"])
    assert api_count(client)[0] == 3 and api_count(client)[0] == 3
    assert api_count(client)[1] == []  # served from the cache
    make_cases(enterprise_a, kind, 2, hours_ago=50)[0].save()  # a form saves one row
    total, counted = api_count(client)
    assert total == 5 and counted


def test_each_filter_keeps_its_own_cached_count(api_client_for, users, enterprise_a, kind):
    """The cached count is known by the SQL of the rows it counts: a filtered list never shows the whole list's
    total, nor another filter's (the key leaves out only the columns shown and the order)."""
    make_cases(enterprise_a, kind, 5)  # minor, serious, minor, serious, minor
    client = api_client_for(users["staff_a"])
    for _round in range(2):  # counted, then served from the cache
        for query, expected in (
            ("", 5),
            ("?severity=serious", 2),
            ("?severity=minor", 3),
            ("?ordering=occurred_at", 5),
        ):
            assert client.get(CASES_URL + query).json()["count"] == expected, query


def test_an_import_and_a_bulk_insert_show_in_the_next_count(api_client_for, users, enterprise_a, kind):
    from incidents.models import InjuryCase

    client = api_client_for(users["staff_a"])
    make_cases(enterprise_a, kind, 1)
    assert api_count(client)[0] == 1
    row = InjuryCase.objects.values().first()
    row.pop("id")
    bulk.insert(InjuryCase, [row])  # what an import's commit does
    assert api_count(client)[0] == 2


def test_an_enterprise_moving_away_leaves_the_old_countys_count(api_client_for, users, enterprise_a, regions, kind):
    make_cases(enterprise_a, kind, 4)
    client = api_client_for(users["staff_a"])
    assert api_count(client)[0] == 4
    enterprise = Enterprise.objects.get(pk=enterprise_a.pk)
    enterprise.region = regions["b"]
    enterprise.save()
    assert api_count(api_client_for(users["staff_a"]))[0] == 0
    assert api_count(api_client_for(users["staff_b"]))[0] == 4


def test_the_unread_badge_follows_new_notifications(client_for, users):
    client = client_for(users["staff_a"])
    home = reverse("home")
    assert 'data-testid="unread-count"' not in client.get(home).content.decode()
    notify(recipients=[users["staff_a"]], title="新的预警", email=False)
    assert 'data-testid="unread-count">1<' in client.get(home).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        client.get(home)
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"] and "notification" in q["sql"]]


@pytest.mark.skipif("COUNT_CACHE_SECONDS" in os.environ, reason="set by the environment")
def test_counts_are_not_cached_with_a_per_process_cache_by_default():
    from django.conf import settings as live

    from portal import settings as project_settings

    assert project_settings.COUNT_CACHE_SECONDS == 0 or not live.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_touch_names_tables_or_models(settings):
    from django.core.cache import cache

    counts.touch(Enterprise, "reference_region")
    assert cache.get(counts._PREFIX + "enterprises_enterprise") and cache.get(counts._PREFIX + "reference_region")


def test_a_list_opened_again_reads_only_the_session_and_the_page(client_for, users, enterprise_a, kind, settings):
    make_cases(enterprise_a, kind, 30)
    client = client_for(users["staff_a"])
    url = reverse("incidents:injurycase_list")
    client.get(url)  # counts, drop-downs and the badge are read once
    for params in ({}, {"per_page": 100}, {"per_page": 10}):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        tables = [re.search(r'FROM "(\w+)"', sql).group(1) for sql in statements]
        if settings.SESSION_ENGINE.endswith("cached_db"):  # a shared cache: the session is read from it
            tables.insert(0, "django_session")
        assert tables == ["django_session", "incidents_injurycase"], statements  # the user comes from the cache


def test_a_cached_result_is_read_in_one_round_trip_and_recomputed_after_a_write(monkeypatch):
    from django.core.cache import cache

    calls, computed, depth = [], [], [0]

    def counted(name, original):
        def call(*args, **kwargs):  # only the outermost call (the memory cache's get_many calls its get)
            if not depth[0]:
                calls.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))

    def compute():
        computed.append(1)
        return len(computed)

    assert counts.cached_result(("test", 1), ["enterprises_enterprise"], compute) == 1
    calls.clear()
    assert counts.cached_result(("test", 1), ["enterprises_enterprise"], compute) == 1
    assert calls == ["get_many"]  # the entry and the generation together
    counts.touch(Enterprise)
    assert counts.cached_result(("test", 1), ["enterprises_enterprise"], compute) == 2
    assert counts.cached_result(("test", 2), ["enterprises_enterprise"], compute) == 3  # another key


class _Spy:
    """The shared cache's reads, by key."""

    def __init__(self, monkeypatch):
        self.keys = []
        original = counts.cache.get_many
        monkeypatch.setattr(counts.cache, "get_many", lambda keys: self.keys.append(list(keys)) or original(keys))


def test_a_local_result_is_used_while_its_tables_keep_their_generations(monkeypatch, db):
    spy = _Spy(monkeypatch)
    computed = []

    def compute():
        computed.append(1)
        return ["选项", len(computed)]

    first = counts.cached_result("k", ["reference_region"], compute, local=True)
    again = counts.cached_result("k", ["reference_region"], compute, local=True)
    assert first is again and computed == [1]
    assert all(key.startswith(counts._PREFIX) for key in spy.keys[-1])  # the generation only, not the entry
    counts.touch("reference_region")  # a write: computed again, and kept again
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == ["选项", 2]
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == ["选项", 2]
    counts.cache.clear()  # the shared cache lost: the tables get new generations, the local copy is not used
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == ["选项", 3]
    assert counts.cached_result("other", ["reference_region"], compute) == ["选项", 4]
    assert counts.cached_result("other", ["reference_region"], compute) == ["选项", 4]  # from the shared cache
    assert ["选项", 4] not in [entry[1] for entry in counts._LOCAL.values()]  # local=False: not kept in memory


def test_a_local_result_is_not_used_after_the_shared_ones_lifetime(monkeypatch, db, settings):
    settings.COUNT_CACHE_SECONDS = 60
    clock = [1000.0]
    monkeypatch.setattr(counts.time, "monotonic", lambda: clock[0])
    spy = _Spy(monkeypatch)
    computed = []
    compute = lambda: computed.append(1) or len(computed)  # noqa: E731
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == 1
    clock[0] += 59
    spy.keys.clear()
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == 1
    assert not any(key.startswith("portal:cached:") for keys in spy.keys for key in keys)  # from memory
    clock[0] += 2
    spy.keys.clear()
    assert counts.cached_result("k", ["reference_region"], compute, local=True) == 1
    assert any(key.startswith("portal:cached:") for keys in spy.keys for key in keys)  # asked the shared cache again


def test_the_drop_downs_of_a_list_page_are_read_from_memory_the_second_time(client_for, users, monkeypatch, kind):
    spy = _Spy(monkeypatch)
    client = client_for(users["staff_a"])
    assert client.get(CASES_URL.replace("/api/v1", "")).status_code == 200
    spy.keys.clear()
    html = client.get(CASES_URL.replace("/api/v1", "")).content.decode()
    assert "机械伤害" in html  # the accident-type drop-down
    entries = [key for keys in spy.keys for key in keys if key.startswith("portal:cached:")]
    assert len(entries) <= 1  # at most the session user's entry: counts and choices came from memory


def test_a_list_page_reads_the_generations_once(client_for, users, monkeypatch, kind):
    spy = _Spy(monkeypatch)
    client = client_for(users["staff_a"])
    url = CASES_URL.replace("/api/v1", "")
    assert client.get(url).status_code == 200
    spy.keys.clear()
    assert client.get(url).status_code == 200  # the count, three drop-downs, the badge
    generation_reads = [keys for keys in spy.keys if any(k.startswith(counts._PREFIX) for k in keys)]
    assert len(generation_reads) == 1, spy.keys


def test_within_a_request_its_own_write_is_seen_and_the_next_request_sees_another_process(monkeypatch, db):
    from django.core.signals import request_finished, request_started

    computed = []
    compute = lambda: computed.append(1) or len(computed)  # noqa: E731
    request_started.send(sender=None)
    try:
        assert counts.cached_result("k", ["reference_region"], compute, local=True) == 1
        counts.cache.set(counts._PREFIX + "reference_region", 1, timeout=None)  # another process writes
        assert counts.cached_result("k", ["reference_region"], compute, local=True) == 1  # this request: as it read
        counts.touch("reference_region")  # this request writes
        assert counts.cached_result("k", ["reference_region"], compute, local=True) == 2
    finally:
        request_finished.send(sender=None)
    counts.cache.set(counts._PREFIX + "reference_region", 2, timeout=None)  # another process, between requests
    request_started.send(sender=None)
    try:
        assert counts.cached_result("k", ["reference_region"], compute, local=True) == 3
    finally:
        request_finished.send(sender=None)


def test_choices_cached_by_key_are_kept_apart_by_it(db):
    from portal.reference.models import Region

    regions = Region.objects.all()
    first = counts.cached(regions, lambda: "一", kind="choices", key=("offered", 1))
    other = counts.cached(regions, lambda: "二", kind="choices", key=("offered", 2))
    again = counts.cached(regions, lambda: "三", kind="choices", key=("offered", 1))
    assert (first, other, again) == ("一", "二", "一")


def test_users_of_two_counties_are_offered_their_own_regions(client_for, users, regions, kind):
    def offered(user):
        html = client_for(user).get(CASES_URL.replace("/api/v1", "")).content.decode()
        select = re.search(r'<select name="region".*?</select>', html, re.S).group(0)
        return re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", select)

    assert offered(users["staff_a"]) == [regions["a"].name]  # (towns are not offered)
    assert offered(users["staff_b"]) == [regions["b"].name]
