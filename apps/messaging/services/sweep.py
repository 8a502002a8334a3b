"""The sweeper (Celery beat, every minute): what no worker finished, finished once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.extensions import MESSAGE_SOURCES, message_source
from apps.messaging.batch import deliveries_batch
from apps.messaging.models import Delivery, State
from apps.messaging.services.queueing import send_later

BATCH = 500


@dataclass(frozen=True)
class Swept:
    requeued: int  # claimed by a worker that died before the hand-off: queued again
    # Queued rows whose send was never started (or failed before a hand-off), except a
    # batched source's (a campaign's), which its own batches send.
    resent: int
    unknown: int  # handed to a provider by a worker that died: never sent twice
    held: int = 0  # queued but made to wait (an SMS in its quiet hours): a round later


def deliveries_sweep(*, now: datetime | None = None) -> Swept:
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.MESSAGING_STALE_MINUTES)
    requeued = Delivery.objects.filter(state=State.CLAIMED, claimed_at__lt=stale).update(
        state=State.QUEUED
    )
    unknown = Delivery.objects.filter(state=State.SENDING, claimed_at__lt=stale).update(
        state=State.UNKNOWN, reason="worker_lost"
    )
    waiting = list(
        Delivery.objects.filter(state=State.QUEUED)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True, created_at__lt=stale))
        .exclude(_sent_in_batches())
        .order_by("pk")
        .only("pk", "source", "channel")[:BATCH]
    )
    # Stamped as just claimed, so the next round does not send them again while these
    # tasks wait in the broker; the claim itself still decides who sends. A row that must
    # wait (an SMS in its quiet hours) is stamped too: it is looked at again a round later.
    Delivery.objects.filter(pk__in=[d.pk for d in waiting], state=State.QUEUED).update(
        claimed_at=now
    )
    with deliveries_batch():  # each source's rows read once for the round (an automation)
        going = [delivery.pk for delivery in waiting if not _held(delivery, now)]
    for pk in going:
        transaction.on_commit(lambda pk=pk: send_later(delivery_id=pk))
    return Swept(
        requeued=requeued, resent=len(going), unknown=unknown, held=len(waiting) - len(going)
    )


def _held(delivery: Delivery, now: datetime) -> bool:
    source = message_source(delivery.source.partition(":")[0])
    return source is not None and source.held is not None and source.held(delivery, now)


def _sent_in_batches() -> Q:
    """The rows of the sources that send their own in batches (campaigns): sent from here,
    a paused campaign would go on, and faster than the merchant's rate, without offers.
    The claims their dead workers left are recovered above all the same."""
    batched = Q(pk__in=[])
    for source in MESSAGE_SOURCES:
        if source.batched:
            batched |= Q(source=source.kind) | Q(source__startswith=f"{source.kind}:")
    return batched
