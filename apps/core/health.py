"""What the load balancer and the orchestrator ask (apps/core/views.py): `/livez/` (the
process answers: nothing else is touched), `/healthz/` (and its database does) and
`/readyz/` (it can serve: the database and the schema; the cache and the broker reported).

A broker or cache outage makes the app "degraded", not unready: writes go on, their tasks
are left to the sweepers (apps/core/broker.py) and the cache's contents can be lost
(apps/core/cache.py), so taking every instance out of the load balancer for them would
turn late side effects into an outage."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.core.broker import broker_reachable
from apps.core.cache import outage as cache_outage

logger = logging.getLogger(__name__)

OK, UNREACHABLE, PENDING = "ok", "unreachable", "pending"
# Needed to serve; the cache and the broker are not (see above).
REQUIRED = ("database", "migrations")


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    # Webhook deliveries written over a minute ago whose task never reached a worker.
    outbox_waiting: int | None = None

    @property
    def ready(self) -> bool:
        return all(self.checks.get(name) == OK for name in REQUIRED)

    @property
    def status(self) -> str:
        if not self.ready:
            return "unavailable"
        return "ok" if all(value == OK for value in self.checks.values()) else "degraded"


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def _cache_answers() -> bool:
    """Whether the shared cache answers (a Redis that is down is stood in for by each
    process's own cache: apps/core/cache.py, whose outage then says so)."""
    try:
        cache.set("readyz", "1", 10)
        answered = cache.get("readyz") == "1"
    except Exception:  # noqa: BLE001  (each backend raises its own: Redis, memcached, ...)
        logger.warning("The cache does not answer.", exc_info=True)
        return False
    return answered and not cache_outage.active()


class _Schema:
    """Whether every migration is applied; once it is, this process does not ask again
    (a newer schema is applied before new code starts, never taken back under it)."""

    applied = False

    def check(self) -> bool:
        if not self.applied:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            self.applied = not plan
        return self.applied


_schema = _Schema()


def _outbox_waiting() -> int:
    from apps.core.webhooks.models import DeliveryStatus, WebhookDelivery
    from apps.core.webhooks.services import NEVER_QUEUED_AFTER

    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__isnull=True,
        created_at__lte=timezone.now() - NEVER_QUEUED_AFTER,
    ).count()


def readiness(*, celery_app, broker_timeout: float = 1.0) -> Readiness:
    found = Readiness()
    database = database_answers()
    found.checks["database"] = OK if database else UNREACHABLE
    found.checks["cache"] = OK if _cache_answers() else UNREACHABLE
    if database:
        found.checks["migrations"] = OK if _schema.check() else PENDING
        found.outbox_waiting = _outbox_waiting()
    else:
        found.checks["migrations"] = UNREACHABLE
    reachable = broker_reachable(app=celery_app, timeout=broker_timeout)
    found.checks["broker"] = OK if reachable else UNREACHABLE
    return found
