"""Reads that may lag go to a read replica, when the installation has one.

The analytics cards read rollups a task refreshes every minute, and a member export is a
snapshot of its own moment: a replica a few seconds behind the primary changes neither,
and moves their long reads off the database that takes the sales. Everything else, every
write, and every read inside a transaction (which must see its own writes and hold its
locks) stays on the primary. `DATABASE_REPLICA_URL` names the replica (docs/SCALING.md);
without it `READ_REPLICA` is None and this router sends nothing anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_lag_allowed: ContextVar[bool] = ContextVar("fideliza_replica_lag_allowed", default=False)


@contextmanager
def reads_may_lag() -> Iterator[None]:
    """Inside this block, reads outside a transaction go to the replica."""
    token = _lag_allowed.set(True)
    try:
        yield
    finally:
        _lag_allowed.reset(token)


def replica_alias() -> str | None:
    """Where a read that may lag goes now: the replica's alias, or None for the primary."""
    alias = getattr(settings, "READ_REPLICA", None)
    if not alias or not _lag_allowed.get():
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return alias


class ReplicaRouter:
    """Django's database router for `READ_REPLICA`.

    Without a router's answer Django reads and writes a model instance where it was loaded
    from: a card's row saved later, or its relation followed after the block, would then
    go to the replica. So once a replica is configured, everything outside `reads_may_lag`
    is sent to the primary by name."""

    def db_for_read(self, model, **hints) -> str | None:
        if not getattr(settings, "READ_REPLICA", None):
            return None
        return replica_alias() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str | None:
        return DEFAULT_DB_ALIAS if getattr(settings, "READ_REPLICA", None) else None

    def allow_relation(self, first, second, **hints) -> bool | None:
        # The replica holds the primary's rows: a row read from either may point to one
        # read from the other.
        both = {DEFAULT_DB_ALIAS, getattr(settings, "READ_REPLICA", None)}
        return True if {first._state.db, second._state.db} <= both else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # The replica follows the primary's schema through replication (and the tests'
        # stand-in is the same database): migrations are for the primary only.
        return None if db == DEFAULT_DB_ALIAS else False
