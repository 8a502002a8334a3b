"""The one way a test waits for something another thread or process does: poll the real
condition, within a bound, and fail with what was awaited when it never comes."""

import time
from collections.abc import Callable

import pytest


def wait_for[T](
    condition: Callable[[], T],
    *,
    message: str,
    timeout: float = 30.0,  # a worker thread on a busy machine; only a failure waits it out
    interval: float = 0.05,
    pause: Callable[[float], object] = time.sleep,
) -> T:
    """Call `condition` every `interval` seconds until it returns something truthy, and
    return that; fail the test after `timeout` seconds, waiting for `message`.

    `pause` waits between calls: `time.sleep`, or in a browser test `page_pause(page)`."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {message}", pytrace=False)
        pause(interval)
    return result


def page_pause(page) -> Callable[[float], object]:
    """A browser test's pause: the page's own wait, so Playwright's events keep running
    while the test waits (`time.sleep` would hold them up)."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)
