"""The broker may be down; a request's write never fails for it.

A task queued from a request follows rows already committed, so failing the request then
(a 500 for a sale that was recorded) would only make its client send it again. A task
that cannot be handed to the broker is left for later and the request goes on:

* `swept=True` tasks have a sweeper in the beat that finds the rows whose task never ran
  (deliveries, webhook deliveries, campaigns, automation occurrences, referral
  settlements, tier re-evaluations, the analytics refresh, invitation emails): a
  warning, nothing more;
* the others (member imports and exports, wallet passes, the beat's own ticks) are held
  in the database (`HeldTask`, with their arguments) and queued again by the
  `held-tasks-requeue` beat entry once the broker answers;
* a task with `secret_args=True` and no sweeper would be logged as an error naming it:
  its arguments must not be stored (the invitation email, which carries the link's token,
  has a sweeper: `invitations-unsent` emails a new link).

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
    # Whether its arguments are secret (never stored to be queued again).
    secret_args = False

    def apply_async(self, args=None, kwargs=None, *rest, **options):
        if self.app.conf.task_always_eager or get_current_worker_task() is not None:
            return super().apply_async(args, kwargs, *rest, **options)
        if outage.active():
            self._skipped("", args, kwargs)
            return None
        try:
            return super().apply_async(args, kwargs, *rest, **options)
        except PUBLISH_ERRORS as error:
            outage.start()
            self._skipped(str(error), args, kwargs)
            return None

    def _skipped(self, error: str, args, kwargs) -> None:
        if self.swept:
            logger.warning(
                "Broker unreachable: %s not queued (its sweeper will run it). %s", self.name, error
            )
        elif self.secret_args:
            logger.error(
                "Broker unreachable: %s not queued, and no sweeper runs it: start what it was "
                "for again once the broker is back. %s",
                self.name,
                error,
            )
        else:
            from apps.core.models import HeldTask  # the app registry is ready by now

            HeldTask.objects.create(name=self.name, args=list(args or ()), kwargs=kwargs or {})
            logger.warning(
                "Broker unreachable: %s held in the database, queued again once the broker "
                "is back. %s",
                self.name,
                error,
            )


HELD_BATCH = 500


def held_tasks_requeue() -> int:
    """Every minute (beat, on a worker): queue the held tasks again, oldest first, and
    forget each once the broker took it. A broker still down ends the run with the rest
    still held (the next run tries again). Returns the tasks queued."""
    from celery import current_app
    from django.db import transaction

    from apps.core.lock_objects import held_tasks_lock

    queued = 0
    while True:
        with transaction.atomic():
            held = held_tasks_lock(limit=HELD_BATCH)
            for task in held:
                registered = current_app.tasks.get(task.name)
                if registered is None:  # renamed or removed since it was held
                    logger.error("Held task %s is not a task any more: dropped.", task.name)
                elif not _handed_over(registered, task.args, task.kwargs):
                    return queued
                else:
                    queued += 1
                task.delete()
        if len(held) < HELD_BATCH:
            return queued


def _handed_over(task: Task, args: list, kwargs: dict) -> bool:
    """Publish for certain or say it failed: not `FaultTolerantTask.apply_async`, which
    would hold the task again."""
    try:
        Task.apply_async(task, args, kwargs)
    except PUBLISH_ERRORS:
        outage.start()
        return False
    return True


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
