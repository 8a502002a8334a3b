"""Fixed-window rate limits counted with an atomic increment in the shared cache (Redis in
production), so a limit holds however many processes serve the requests: DRF's throttles
and most decorators read, then write, and let a burst through."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _now() -> float:
    return time.time()


def window_count(*, key: str, window_seconds: int) -> tuple[int, int]:
    """Count one more event for `key` in the current window; returns (the count so far,
    the seconds until the window ends)."""
    now = _now()
    window = int(now // window_seconds)
    counter = f"rate:{key}:{window_seconds}:{window}"
    try:  # one round trip for every event of a window but its first
        used = cache.incr(counter)
    except ValueError:  # the window's first (or two at once: one adds, one increments)
        used = 1 if cache.add(counter, 1, window_seconds + 30) else cache.incr(counter)
    return used, window_seconds - int(now % window_seconds)


def over_limit(*, key: str, limit: int, window_seconds: int) -> bool:
    used, _left = window_count(key=key, window_seconds=window_seconds)
    return used > limit


def secret_key(value: str) -> str:
    """A counter's name for a secret (a token): its digest, so the cache never holds it."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
