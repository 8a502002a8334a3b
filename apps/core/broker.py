"""The broker may be down; a write never fails for it.

Every task queued from a request follows a row already written (a delivery, a webhook
delivery, an occurrence, a job), and a sweeper finds the rows whose task never ran. So a
task that cannot be handed to the broker is logged and left to its sweeper, and the
request goes on. After one failure this process stops trying for `OUTAGE_SECONDS`, so a
request that queues several tasks, and the requests after it, do not each wait for the
broker to time out. The readiness check (`/readyz/`) reports the outage.
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from celery import Task
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
    """The app's task class (config/celery.py): queuing never raises for the broker."""

    def apply_async(self, args=None, kwargs=None, *rest, **options):
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, *rest, **options)
        if outage.active():
            logger.warning(
                "Broker unreachable: %s not queued (its sweeper will run it).", self.name
            )
            return None
        try:
            return super().apply_async(args, kwargs, *rest, **options)
        except PUBLISH_ERRORS as error:
            outage.start()
            logger.warning(
                "Broker unreachable: %s not queued (its sweeper will run it): %s", self.name, error
            )
            return None


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
