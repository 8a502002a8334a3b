"""The broker may be down; a request's write never fails for it.

A task queued from a request follows rows already committed, so failing the request then
(a 500 for a sale that was recorded) would only make its client send it again. A task
that cannot be handed to the broker is logged and the request goes on. Most tasks are
`swept=True`: a sweeper in the beat finds the rows whose task never ran (deliveries,
webhook deliveries, campaigns, automation occurrences, referral settlements, tier
re-evaluations, the analytics refresh). The others (member imports and exports, invitation
emails, wallet passes) have none yet: their skip is logged as an error naming the task,
and what it was for waits until it is started again by hand.

After one failure this process stops trying for `OUTAGE_SECONDS`, so a request that queues
several tasks, and the requests after it, do not each wait for the broker to time out.
Inside a worker nothing changes: a task that cannot queue the next one fails as before
(and is retried, or marks its job failed). The readiness check (`/readyz/`) reports the
outage.
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from celery import Task
from celery._state import get_current_worker_task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# How long after a failed hand-over this process queues nothing (the sweepers catch up).
OUTAGE_SECONDS = 5.0
PUBLISH_ERRORS = (OperationalError, redis.exceptions.RedisError, OSError)


class Outage:
    """This process's view of a service: down until `until` (a monotonic time). After a
    failure, callers skip the service for `OUTAGE_SECONDS` instead of each waiting for it
    to fail again."""

    def __init__(self):
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        self.until = time.monotonic() + OUTAGE_SECONDS

    def end(self) -> None:
        self.until = 0.0


outage = Outage()


class FaultTolerantTask(Task):
    """The app's task class (config/celery.py): queuing from a request never raises for
    the broker."""

    # Whether a sweeper runs the task's work when the task itself never ran.
    swept = False

    def apply_async(self, args=None, kwargs=None, *rest, **options):
        if self.app.conf.task_always_eager or get_current_worker_task() is not None:
            return super().apply_async(args, kwargs, *rest, **options)
        if outage.active():
            self._skipped("")
            return None
        try:
            return super().apply_async(args, kwargs, *rest, **options)
        except PUBLISH_ERRORS as error:
            outage.start()
            self._skipped(str(error))
            return None

    def _skipped(self, error: str) -> None:
        if self.swept:
            logger.warning(
                "Broker unreachable: %s not queued (its sweeper will run it). %s", self.name, error
            )
        else:
            logger.error(
                "Broker unreachable: %s not queued, and no sweeper runs it: start what it was "
                "for again once the broker is back. %s",
                self.name,
                error,
            )


def broker_reachable(*, app, timeout: float = 1.0) -> bool:
    """Whether a connection to the broker opens now (the readiness check)."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except PUBLISH_ERRORS:
        outage.start()
        return False
    outage.end()
    return True
