"""Sending many deliveries of one source together (a campaign's batch).

What `delivery_send` does once per row, a batch does once for all its rows: the claim
(`queued → claimed`, one statement), the read of the rows with their members and
merchants, and the suppression check (one query per merchant and channel). Each row is
then sent by `delivery_send_claimed`, as a single delivery is: its hand-over
(`claimed → sending`) is still committed before its message leaves, so a worker killed at
any point sends nobody twice. Rows a dead worker left claimed go back to the queue by the
deliveries' sweeper; rows a batch did not get to (it stopped early) go back at once
(`deliveries_release`).

    with deliveries_batch():
        claim = deliveries_claim(source=source, limit=100)
        try:
            for delivery, verdict in deliveries_claimed(claim=claim):
                delivery_send_claimed(delivery=delivery, verdict=verdict)
        finally:
            deliveries_release(claim=claim)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.messaging.batch import current_batch
from apps.messaging.lock_objects import queued_deliveries_lock
from apps.messaging.models import Delivery, State
from apps.messaging.selectors import addresses_suppressed, member_address
from apps.messaging.services.verdict import Verdict, delivery_verdict


@dataclass(frozen=True)
class Claim:
    delivery_ids: list[int]
    at: datetime  # the claim's stamp: tells this batch's claims from a later one's


@transaction.atomic(savepoint=False)
def deliveries_claim(*, source: str, limit: int, exclude_channels: tuple[str, ...] = ()) -> Claim:
    """Claim up to `limit` of the source's queued rows, oldest first (two workers claiming
    at once get different rows)."""
    now = timezone.now()
    ids = queued_deliveries_lock(source=source, limit=limit, exclude_channels=exclude_channels)
    Delivery.objects.filter(pk__in=ids, state=State.QUEUED).update(
        state=State.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
    )
    return Claim(delivery_ids=ids, at=now)


def deliveries_claimed(*, claim: Claim) -> list[tuple[Delivery, Verdict]]:
    """The claimed rows still held, in order, each with its member and merchant and the
    checks' verdict on it. In a `deliveries_batch`, the batch learns their members, so a
    message source may read a figure of them all at once."""
    rows = list(
        Delivery.objects.filter(pk__in=claim.delivery_ids, state=State.CLAIMED)
        .filter(claimed_at=claim.at)
        .select_related("member__merchant")
        .order_by("id")
    )
    batch = current_batch()
    if batch is not None:
        batch.member_ids = frozenset(row.member_id for row in rows)
    suppressed = _suppressed_addresses(rows)
    return [
        (
            row,
            delivery_verdict(
                member=row.member,
                channel=row.channel,
                purpose=row.purpose,
                suppressed=suppressed[(row.member.merchant_id, row.channel)],
            ),
        )
        for row in rows
    ]


def _suppressed_addresses(rows: list[Delivery]) -> dict[tuple[int, str], set[str]]:
    addresses: dict[tuple[int, str], list[str]] = defaultdict(list)
    for row in rows:
        address = member_address(member=row.member, channel=row.channel)
        addresses[(row.member.merchant_id, row.channel)].append(address)
    return defaultdict(
        set,
        {
            (merchant_id, channel): addresses_suppressed(
                merchant_id=merchant_id, channel=channel, addresses=found
            )
            for (merchant_id, channel), found in addresses.items()
        },
    )


def deliveries_release(*, claim: Claim) -> int:
    """Give back the claimed rows the batch did not get to: queued again, that claim not
    counted as an attempt. A row claimed since by another worker is left to it."""
    return Delivery.objects.filter(
        pk__in=claim.delivery_ids, state=State.CLAIMED, claimed_at=claim.at
    ).update(state=State.QUEUED, attempts=Greatest(F("attempts") - 1, 0))


def deliveries_take_back(*, source: str) -> int:
    """All the source's claimed rows go back to the queue (a campaign paused): the batch
    that claimed them can no longer hand them over, and sends none of them."""
    return Delivery.objects.filter(source=source, state=State.CLAIMED).update(
        state=State.QUEUED, attempts=Greatest(F("attempts") - 1, 0)
    )
