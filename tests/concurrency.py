"""Running work really in parallel, for the race tests on PostgreSQL.

`all_at_once` runs a service call from many threads, each with its own database
connection, released together by a barrier; `race` sends prepared HTTP requests
(tests/http.py) to the live server the same way; `table_locked` holds a table from
another connection, to stop a process of ours at the point where it next reads it.
"""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
from django.db import connection
from psycopg import sql


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


@contextmanager
def table_locked(model) -> Iterator[Callable[[], int]]:
    """Lock the model's table (ACCESS EXCLUSIVE) from a connection of its own for the
    block: any other connection that so much as reads it waits until the block ends.
    Yields a function counting the connections waiting for it."""
    db = connection.settings_dict
    table = model._meta.db_table
    holder = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    try:
        holder.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table))
        )

        def waiting() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                    [table],
                )
                return cursor.fetchone()[0]

        yield waiting
    finally:
        holder.rollback()
        holder.close()
