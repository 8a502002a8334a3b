"""The one lock of the analytics upkeep.

The rollups are written by adding to what is there (refresh.py), so two writers at once
would add the same rows twice. Every writer (the periodic refresh and the rebuild command)
holds this lock for its whole run, across its many short transactions.

It is a lease in a row (`AnalyticsLease`), not a session's advisory lock: behind a pooler
in transaction mode (docs/SCALING.md) one run's transactions may each go out on another
server connection, and a session lock would stay with whichever held it. A run that dies
leaves its lease to expire (`LEASE_SECONDS`). Each transaction that writes rollups first
confirms the lease and pushes its end on (`analytics_lock_confirm`), holding the row
locked until it commits: a lease can only change hands between two of its holder's
transactions, and a holder that lost it stops at its next one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import Now

from apps.analytics.models import AnalyticsLease

LEASE_NAME = "analytics-upkeep"
# How long a run may pause between two of its transactions (each pushes the end on as it
# begins and as it commits), and the longest a dead run holds the upkeep up: the periodic
# refresh runs every minute.
LEASE_SECONDS = 120
WAIT_POLL_SECONDS = 0.5

_held: ContextVar[uuid.UUID | None] = ContextVar("fideliza_analytics_lease", default=None)


class AnalyticsLockLost(RuntimeError):
    """The run's lease expired and another run took it: this one stops."""


def _lease_ends():
    return Now() + timedelta(seconds=LEASE_SECONDS)


def _lease_row() -> AnalyticsLease | None:
    """The lease's row, locked, with whether it is free; None when a holder is inside one
    of its transactions (skipped, not waited for). Made on first use."""
    free = ExpressionWrapper(Q(holder__isnull=True) | Q(expires_at__lt=Now()), BooleanField())
    locked = AnalyticsLease.objects.select_for_update(skip_locked=True).annotate(free=free)
    lease = locked.filter(name=LEASE_NAME).first()
    if lease is None and not AnalyticsLease.objects.filter(name=LEASE_NAME).exists():
        # Only here: an insert that meets the row waits for whoever holds it locked.
        AnalyticsLease.objects.bulk_create([AnalyticsLease(name=LEASE_NAME)], ignore_conflicts=True)
        lease = locked.filter(name=LEASE_NAME).first()
    return lease


def _lease_take(holder: uuid.UUID) -> bool:
    """Take the lease if it is free or expired."""
    with transaction.atomic():
        lease = _lease_row()
        if lease is None or not lease.free:
            return False
        AnalyticsLease.objects.filter(name=LEASE_NAME).update(
            holder=holder, expires_at=_lease_ends()
        )
    return True


def _lease_release(holder: uuid.UUID) -> None:
    AnalyticsLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        holder=None, expires_at=None
    )


@contextmanager
def analytics_lock(*, wait: bool) -> Iterator[bool]:
    """Hold the analytics lock for the block; yields whether it was obtained.

    `wait=False` gives up at once when another run holds it (the periodic task then skips:
    the next run catches up); `wait=True` (a rebuild) waits for it."""
    holder = uuid.uuid4()
    obtained = _lease_take(holder)
    while wait and not obtained:
        time.sleep(WAIT_POLL_SECONDS)
        obtained = _lease_take(holder)
    token = _held.set(holder if obtained else None)
    try:
        yield obtained
    finally:
        _held.reset(token)
        if obtained:
            _lease_release(holder)


def analytics_lock_confirm() -> None:
    """Called first in each transaction that writes rollups: the lease is still this run's,
    and is held on for `LEASE_SECONDS` more. Raises `AnalyticsLockLost` otherwise."""
    holder = _held.get()
    if holder is None:
        raise AnalyticsLockLost("The rollups are written under analytics_lock only.")
    kept = AnalyticsLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        expires_at=_lease_ends()
    )
    if not kept:
        raise AnalyticsLockLost("Another run took the analytics lease: this one stops.")


@contextmanager
def analytics_transaction() -> Iterator[None]:
    """One transaction of the upkeep, which writes rollups only while its run holds the
    lease (and keeps it held until the transaction ends)."""
    with transaction.atomic():
        analytics_lock_confirm()
        yield
        # Pushed on again as it ends: a long transaction (a rebuild's daily rollups at ten
        # million purchases) must not commit with its lease already run out, for another
        # run to take before this one's next transaction.
        analytics_lock_confirm()
