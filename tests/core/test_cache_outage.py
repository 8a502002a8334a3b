"""A Redis cache that cannot be reached (apps/core/cache.py): a read is a miss, a write is
dropped, a rate-limit counter counts nothing, with a warning; then the process leaves it
alone for a few seconds instead of waiting on it for every call."""

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
    yield caches["default"]
    tolerant.outage.end()


def test_every_call_answers_as_an_empty_cache_would(dead_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        assert dead_cache.get("k", "default") == "default"
    assert "Cache unreachable: get skipped" in caplog.text
    assert tolerant.outage.active()  # the next calls do not try
    assert dead_cache.add("k", 1) is False
    dead_cache.set("k", 1)
    assert dead_cache.get_many(["k"]) == {}
    assert dead_cache.has_key("k") is False
    assert window_count(key="api:1", window_seconds=60)[0] == 0  # the request goes through


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
