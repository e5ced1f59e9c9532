"""The Redis cache backend, with one client per connection pool instead of one per cache call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every operation; redis-py's constructor
fills a table of about 500 response callbacks each time, which cost more than the round trip itself: a request
that reads its session, a count and a statistic paid for three. A ``redis.Redis`` over a connection pool is safe to
share between threads (each command takes a connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        try:
            return self._clients[pool]
        except KeyError:
            client = self._clients[pool] = self._client(connection_pool=pool)
            return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
