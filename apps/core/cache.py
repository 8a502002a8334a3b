"""The shared cache (Redis) may be down; a request never fails for it.

What the cache holds can be lost: rate-limit counters, login lockouts, the merchants'
configuration read from the database, reports kept for an hour. So while Redis cannot be
reached each process keeps using a cache of its own (in its memory), with a warning: the
rate limits and lockouts hold per process meanwhile (a little looser: a client spread over
several processes gets each one's allowance) instead of failing every request or letting
every request through. After one failure the process leaves Redis alone for
`OUTAGE_SECONDS`, then tries it again. The readiness check reports it (`"cache":
"unreachable"`, degraded, not unready). Production settings use this backend for a Redis
`CACHE_URL`."""

from __future__ import annotations

import logging

import redis.exceptions
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from apps.core.broker import Outage

logger = logging.getLogger(__name__)

ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
outage = Outage()


# Used while Redis is down; what was written there meanwhile is not carried back.
_fallback = LocMemCache("fideliza-cache-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def _tolerant(name: str):
    """The Redis client's method `name`, or the process's own cache's while Redis is down
    (both take the same arguments: the made key, the value, the timeout in seconds)."""
    method = getattr(RedisCacheClient, name)

    def call(self, *args):
        if outage.active():
            return getattr(_fallback, name)(*args)
        try:
            return method(self, *args)
        except ERRORS as error:
            outage.start()
            logger.warning(
                "Cache unreachable: %s went to this process's own cache: %s", name, error
            )
            return getattr(_fallback, name)(*args)

    call.__name__ = name
    return call


class _TolerantClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        """One client per connection pool, made once: Django's makes a new one on every
        call, about 0.3 ms of Python each (redis-py builds its callback table)."""
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    get = _tolerant("get")
    get_many = _tolerant("get_many")
    has_key = _tolerant("has_key")
    set = _tolerant("set")
    set_many = _tolerant("set_many")
    add = _tolerant("add")
    touch = _tolerant("touch")
    delete = _tolerant("delete")
    delete_many = _tolerant("delete_many")
    incr = _tolerant("incr")
    clear = _tolerant("clear")


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _TolerantClient
