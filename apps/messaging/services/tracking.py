"""What the providers report after a send: delivered, bounced, complained, unsubscribed.

Email reports come through anymail's `tracking` signal (its webhook views check each
provider's signature); SMS reports through Twilio's status callback (views.py). A report
finds its delivery by the provider's id, so a report about another installation's message
(or a replay of an old one) changes nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction

from apps.members.services import member_consent_set
from apps.messaging.models import Channel, Delivery, State, SuppressionReason
from apps.messaging.services.suppression import suppression_add

logger = logging.getLogger(__name__)

# anymail's event type -> the delivery's new state (None: left as it is).
_EMAIL_STATES = {
    "delivered": State.SENT,
    "bounced": State.BOUNCED,
    "rejected": State.FAILED,  # the provider refused to send it
    "failed": State.FAILED,
    "complained": State.COMPLAINED,
    "unsubscribed": None,
}
# A provider's refusal (`rejected`), by anymail's reject reason: only one that says the
# address is dead or unwilling (the provider's own list of bounces, complaints and
# unsubscribes) suppresses it, not a policy block of ours (DMARC, content, quota).
_REJECTION_SUPPRESSES = {
    "bounced": SuppressionReason.BOUNCED,
    "invalid": SuppressionReason.BOUNCED,
    "spam": SuppressionReason.COMPLAINED,
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
}
# A bounce that says the message was blocked (a spam filter, a rate limit) or gave up
# in time: the mailbox may be fine, so it is not suppressed.
_BOUNCE_KEEPS_ADDRESS = ("blocked", "timed_out")


def _suppression(event_type: str, reject_reason: str) -> str | None:
    if event_type == "bounced":
        return None if reject_reason in _BOUNCE_KEEPS_ADDRESS else SuppressionReason.BOUNCED
    if event_type == "rejected":
        return _REJECTION_SUPPRESSES.get(reject_reason)
    if event_type == "complained":
        return SuppressionReason.COMPLAINED
    if event_type == "unsubscribed":
        return SuppressionReason.UNSUBSCRIBED
    return None


# The states a report may move a delivery from, by the state it reports: a late "sent"
# (reports arrive out of order) never undoes a failure, a bounce or a complaint.
_MAY_SETTLE = {
    State.SENT: (State.SENDING, State.UNKNOWN),
    State.FAILED: (State.SENDING, State.UNKNOWN, State.SENT),
    State.BOUNCED: (State.SENDING, State.UNKNOWN, State.SENT),
    State.COMPLAINED: (State.SENDING, State.UNKNOWN, State.SENT, State.BOUNCED),
}


def email_event_received(
    *, provider_id: str, event_type: str, recipient: str, reject_reason: str = ""
) -> bool:
    """One provider event about an email, in anymail's terms (its event type and reject
    reason; a soft bounce comes as `deferred`); True when it named one of our deliveries."""
    if event_type not in _EMAIL_STATES or not provider_id:
        return False
    delivery = (
        Delivery.objects.select_related("member")
        .filter(channel=Channel.EMAIL, provider_id=provider_id)
        .order_by()
        .first()
    )
    if delivery is None:
        logger.info("a report for an unknown message: %s", provider_id)
        return False
    delivery_outcome_record(
        delivery=delivery,
        state=_EMAIL_STATES[event_type],
        suppress=_suppression(event_type, reject_reason),
        address=recipient or delivery.address,
        error=reject_reason if event_type in ("rejected", "failed") else "",
    )
    return True


def sms_status_received(*, provider_id: str, state: str, error_code: str | None) -> bool:
    """Twilio's status callback, checked by its signature; True when it named a delivery."""
    delivery = (
        Delivery.objects.select_related("member")
        .filter(channel=Channel.SMS, provider_id=provider_id)
        .order_by()
        .first()
    )
    if delivery is None:
        return False
    delivery_outcome_record(
        delivery=delivery,
        state=State.SENT if state == "sent" else State.FAILED,
        suppress=None,
        address=delivery.address,
        error=error_code or "",
    )
    return True


@transaction.atomic(savepoint=False)
def delivery_outcome_record(
    *,
    delivery: Delivery,
    state: str | None,
    suppress: str | None,
    address: str,
    error: str = "",
) -> None:
    """Settle the delivery's state and, for a bounce, complaint or unsubscribe, suppress the
    address; a complaint or an unsubscribe also withdraws the member's marketing consent."""
    if state is not None:
        fields = {"state": state}
        if error:
            fields["error"] = error[:255]
        Delivery.objects.filter(pk=delivery.pk, state__in=_MAY_SETTLE[state]).update(**fields)
    if suppress is None:
        return
    suppression_add(
        merchant_id=delivery.merchant_id,
        channel=delivery.channel,
        address=address,
        reason=suppress,
        delivery=delivery,
    )
    member = delivery.member
    withdraws = suppress in (SuppressionReason.COMPLAINED, SuppressionReason.UNSUBSCRIBED)
    if withdraws and member.is_active and getattr(member, f"consent_{delivery.channel}"):
        member_consent_set(
            member=member, channel=delivery.channel, granted=False, source="provider"
        )
