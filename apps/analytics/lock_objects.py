"""The one lock of the analytics upkeep.

The rollups are written by adding to what is there (refresh.py), so two writers at once
would add the same rows twice. Every writer (the periodic refresh and the rebuild command)
holds this lock for its whole run, across its many short transactions.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# pg_advisory_lock's key: any number no other part of the project uses ("fdz-analytics").
ANALYTICS_LOCK_KEY = 0x66647A616E6C7974


@contextmanager
def analytics_lock(*, wait: bool) -> Iterator[bool]:
    """Hold the analytics lock for the block; yields whether it was obtained.

    PostgreSQL: a session-level advisory lock, so it spans transactions and is released
    if the process dies (its connection closes). `wait=False` gives up at once when
    another run holds it (the periodic task then skips: the next run catches up).
    SQLite (`make run`, tests): writers already take turns on the database's one write
    lock, and nothing runs the upkeep concurrently there, so there is nothing to take.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ANALYTICS_LOCK_KEY])
            obtained = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ANALYTICS_LOCK_KEY])
            obtained = cursor.fetchone()[0]
    try:
        yield obtained
    finally:
        if obtained:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ANALYTICS_LOCK_KEY])
