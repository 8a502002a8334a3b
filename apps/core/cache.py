"""The shared cache (Redis) may be down; a request never fails for it.

What the cache holds can be lost: rate-limit counters, login lockouts, the merchants'
configuration read from the database, reports kept for an hour. So while Redis cannot be
reached a read is a miss, a write is dropped and a counter counts nothing (a rate limit
lets the request through), with a warning, and after one failure this process leaves the
cache alone for `OUTAGE_SECONDS`. The readiness check reports it (`"cache": "unreachable"`,
degraded, not unready). Production settings use this backend for a Redis `CACHE_URL`."""

from __future__ import annotations

import logging

import redis.exceptions
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from apps.core.broker import Outage

logger = logging.getLogger(__name__)

ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
outage = Outage()


def _tolerant(name: str, fallback):
    method = getattr(RedisCacheClient, name)

    def call(self, *args, **kwargs):
        if outage.active():
            return fallback(*args)
        try:
            return method(self, *args, **kwargs)
        except ERRORS as error:
            outage.start()
            logger.warning("Cache unreachable: %s skipped: %s", name, error)
            return fallback(*args)

    call.__name__ = name
    return call


class _TolerantClient(RedisCacheClient):
    get = _tolerant("get", lambda key, default=None, *rest: default)
    get_many = _tolerant("get_many", lambda *args: {})
    has_key = _tolerant("has_key", lambda *args: False)
    set = _tolerant("set", lambda *args: None)
    set_many = _tolerant("set_many", lambda *args: [])
    add = _tolerant("add", lambda *args: False)
    touch = _tolerant("touch", lambda *args: False)
    delete = _tolerant("delete", lambda *args: False)
    delete_many = _tolerant("delete_many", lambda *args: None)
    incr = _tolerant("incr", lambda *args: 0)  # a counter that counts nothing: let it through
    clear = _tolerant("clear", lambda *args: False)


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _TolerantClient
