"""Writing a delivery row: once per (member, source, occurrence, channel)."""

from __future__ import annotations

from django.db import transaction

from apps.members.models import Member
from apps.messaging.models import Delivery, State
from apps.messaging.selectors import member_address
from apps.messaging.services.verdict import delivery_verdict


@transaction.atomic(savepoint=False)
def delivery_queue(
    *, member: Member, source: str, channel: str, purpose: str, occurrence: str = ""
) -> Delivery:
    """The delivery for this occurrence: written now (`INSERT … ON CONFLICT DO NOTHING`),
    or the one written before, unchanged. A delivery that may not go is still written, as
    skipped or suppressed with its reason: the record of why a member got nothing.

    The send starts when the caller's transaction commits; should that hand-off be lost
    (a broker down), the sweeper finds the queued row."""
    verdict = delivery_verdict(member=member, channel=channel, purpose=purpose)
    row = Delivery(
        merchant_id=member.merchant_id,
        member=member,
        source=source,
        occurrence=occurrence,
        channel=channel,
        purpose=purpose,
        state=verdict.state,
        reason=verdict.reason,
        address=member_address(member=member, channel=channel),
    )
    Delivery.objects.bulk_create([row], ignore_conflicts=True)
    delivery = Delivery.objects.get(
        member=member, source=source, occurrence=occurrence, channel=channel
    )
    if delivery.state == State.QUEUED:
        transaction.on_commit(lambda: send_later(delivery_id=delivery.pk))
    return delivery


def send_later(*, delivery_id: int) -> None:
    """Hand the send to a worker (the task calls `delivery_send`)."""
    from apps.messaging.tasks import delivery_send_task

    delivery_send_task.delay(delivery_id)
