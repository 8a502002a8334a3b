"""The transactions that write the demo's rows in bulk."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def bulk_transaction() -> Iterator[None]:
    """One batch of seeded rows. On PostgreSQL its commit does not wait for the write-ahead
    log to reach the disk (`synchronous_commit` off for this transaction only): a crash
    could lose the last batches, never corrupt anything, and the seed is run again. At a
    million members a third of the purchases' time was spent waiting on those commits."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield
