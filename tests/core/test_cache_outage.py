"""A Redis cache that cannot be reached (apps/core/cache.py): each process goes on with a
cache of its own, with a warning, so rate limits hold per process; it leaves Redis alone
for a few seconds instead of waiting on it for every call, then uses it again."""

import logging

import pytest
from django.core.cache import caches

from apps.core import cache as tolerant
from apps.core.rate_limits import window_count
from tests.conftest import REDIS_URL as REDIS

DEAD = {
    "default": {
        "BACKEND": "apps.core.cache.FaultTolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.5},
    }
}


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = DEAD
    tolerant.outage.end()
    tolerant._fallback.clear()
    yield caches["default"]
    tolerant.outage.end()
    tolerant._fallback.clear()


def test_while_redis_is_down_the_process_keeps_a_cache_of_its_own(dead_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        assert dead_cache.get("k", "default") == "default"
    assert "Cache unreachable: get went to this process's own cache" in caplog.text
    assert tolerant.outage.active()  # the next calls do not try Redis

    assert dead_cache.add("k", 1) is True
    assert dead_cache.add("k", 2) is False
    assert dead_cache.get_many(["k"]) == {"k": 1}
    dead_cache.delete("k")
    assert dead_cache.has_key("k") is False
    counts = [window_count(key="api:1", window_seconds=60)[0] for _n in range(3)]
    assert counts == [1, 2, 3]  # a rate limit still counts, in this process


def test_once_it_answers_again_it_is_used_again(dead_cache, settings):
    assert dead_cache.get("k") is None
    tolerant.outage.end()
    settings.CACHES = {
        "default": {"BACKEND": "apps.core.cache.FaultTolerantRedisCache", "LOCATION": REDIS}
    }
    live = caches["default"]
    live.set("fideliza-test-cache-outage", "back", 5)

    assert live.get("fideliza-test-cache-outage") == "back"
    live.delete("fideliza-test-cache-outage")
