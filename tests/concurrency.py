"""Running work really in parallel, for the race tests on PostgreSQL.

`all_at_once` runs a service call from many threads, each with its own database
connection, released together by a barrier; `race` sends prepared HTTP requests
(tests/http.py) to the live server the same way.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def all_at_once(count: int, work: Callable[[int], object], *, errors: tuple = ()) -> list:
    """`work(n)` for n in range(count), all threads starting together. An exception of a
    type in `errors` is returned in place of a result (the refusals a race expects)."""
    barrier = threading.Barrier(count)

    def run(n):
        try:
            barrier.wait()
            return work(n)
        except errors as error:
            return error
        finally:
            connection.close()  # each thread had its own connection

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def race(pairs: list) -> list:
    """Send each prepared (session, request) from its own thread, all at once."""
    barrier = threading.Barrier(len(pairs))

    def fire(pair):
        session, request = pair
        barrier.wait()
        return session.send(request)

    with ThreadPoolExecutor(len(pairs)) as pool:
        return list(pool.map(fire, pairs))
