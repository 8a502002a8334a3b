"""Writing the demo's rows in bulk: COPY, and the transactions it runs in."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models.fields import NOT_PROVIDED


@contextmanager
def bulk_transaction() -> Iterator[None]:
    """One batch of seeded rows, written as a restore writes them, on PostgreSQL:

    * its commit does not wait for the write-ahead log to reach the disk
      (`synchronous_commit` off, for this transaction only): a crash could lose the last
      batches, never corrupt anything, and the seed is run again;
    * when the database user may (a superuser, as on a development machine), the foreign
      keys are not checked row by row (`session_replication_role = replica`, as
      `pg_restore --disable-triggers` does). Django's are deferred to the commit, where at
      ten million purchases they took 40 % of the seeding, each check also locking the
      member's row. Every id the batch refers to was drawn by the seed itself, in this
      transaction, from the rows it reads or writes (the tests check the references of a
      seeded database); elsewhere the checks run as usual.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                if _superuser(cursor):
                    cursor.execute("SET LOCAL session_replication_role = replica")
        yield


def _superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


def statistics_refresh(*models) -> None:
    """Planner statistics for tables the seed has just filled, as after a restore. Without
    them the next steps (the tier placement's window over 5,000 members at a time) were
    planned for the empty tables: 300 members placed a second instead of 3,000, where
    autovacuum is off or has not come round yet."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def copy_sql(table: str, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"


def copy_covers(model, columns: set[str]) -> bool:
    """Whether a COPY naming `columns` writes every column of `model` the database does
    not fill itself."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    unnamed = [fields[column] for column in fields.keys() - columns]
    return columns <= fields.keys() and all(
        field.db_default is not NOT_PROVIDED for field in unnamed
    )
