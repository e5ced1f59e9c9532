"""The signed-in user comes from the shared cache (``portal.accounts.backends``): once read, a request runs no query
for its user, and any change to the user, their agency or its region shows on the very next request. The Redis
cache keeps one client per connection pool (``portal.cache``)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.accounts.models import User
from portal.cache import RedisCache

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me/"


@pytest.fixture(autouse=True)
def count_cache(settings):
    settings.COUNT_CACHE_SECONDS = 120


def me(client):
    """The answer of "who am I", and the statements that read the user table."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(ME)
    return response, [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]


@pytest.fixture
def signed_in(client, users):
    client.force_login(users["staff_a"])
    response, _ = me(client)
    assert response.status_code == 200
    return client


def test_the_user_is_read_from_the_database_once(signed_in):
    response, user_queries = me(signed_in)
    assert response.status_code == 200 and response.json()["username"] == "staff_a"
    assert user_queries == []


def test_a_deactivated_user_is_signed_out_at_the_next_request(signed_in, users):
    users["staff_a"].is_active = False
    users["staff_a"].save()
    assert me(signed_in)[0].status_code == 403


def test_a_lock_out_written_by_a_bulk_update_shows_at_the_next_request(signed_in, users):
    User.objects.filter(pk=users["staff_a"].pk).update(locked_until=timezone.now() + datetime.timedelta(hours=1))
    assert me(signed_in)[0].status_code == 403


def test_a_lock_that_ends_is_decided_per_request_not_cached(signed_in, users, monkeypatch):
    until = timezone.now() + datetime.timedelta(minutes=1)
    User.objects.filter(pk=users["staff_a"].pk).update(locked_until=until)
    assert me(signed_in)[0].status_code == 403
    later = until + datetime.timedelta(seconds=1)  # well within the idle-session limit
    monkeypatch.setattr(timezone, "now", lambda: later)
    response, user_queries = me(signed_in)
    assert response.status_code == 200 and user_queries == []  # the same cached row, judged at a later time


def test_the_agency_moving_to_another_region_shows_at_the_next_request(signed_in, users, regions):
    assert me(signed_in)[0].json()["region"]["name"] == "永康市"
    agency = users["staff_a"].agency
    agency.region = regions["b"]
    agency.save()
    assert me(signed_in)[0].json()["region"]["name"] == "武义县"


def test_a_region_renamed_shows_at_the_next_request(signed_in, regions):
    regions["a"].name = "永康市（改）"
    regions["a"].save()
    assert me(signed_in)[0].json()["region"]["name"] == "永康市（改）"


def test_without_a_shared_cache_every_request_reads_the_user(signed_in, settings):
    settings.COUNT_CACHE_SECONDS = 0
    response, user_queries = me(signed_in)
    assert response.status_code == 200 and len(user_queries) == 1


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    backend = RedisCache("redis://127.0.0.1:6399/1", {})._cache  # no command is sent: nothing connects
    assert backend.get_client() is backend.get_client()
    assert backend.get_client("key", write=True) is backend.get_client(None, write=True)
