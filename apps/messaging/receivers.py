"""anymail's `tracking` signal, received: its webhook views have checked the provider's
signature; the report goes to the one service that settles deliveries.

anymail's `message_id` is the provider's own id for the message, the one its send API
answered with (`anymail_status.message_id`), which `delivery_send` kept as the delivery's
`provider_id`: that is how a report finds its delivery.
"""

from anymail.signals import AnymailTrackingEvent, EventType

from apps.core.transactions import edge_transaction
from apps.messaging.services import email_event_received


def delivery_tracking_received(
    sender, event: AnymailTrackingEvent, esp_name: str, **kwargs
) -> None:
    with edge_transaction():
        email_event_received(
            provider_id=str(event.message_id or ""),
            event_type=EventType.DEFERRED if _soft_bounce(event) else event.event_type,
            recipient=event.recipient or "",
            reject_reason=event.reject_reason or "",
        )


def _soft_bounce(event: AnymailTrackingEvent) -> bool:
    """A bounce that anymail reports as `bounced` although the provider says it is
    temporary (a full mailbox, a server down for a while): the mailbox is not gone, and
    the provider tries again or reports a hard bounce later. (Mailgun's temporary
    failures already come as `deferred`.)"""
    raw = event.esp_event
    if event.event_type != EventType.BOUNCED or not isinstance(raw, dict):
        return False
    return (
        raw.get("Type") == "SoftBounce"  # Postmark
        or raw.get("event") == "soft_bounce"  # Brevo
        or (raw.get("bounce") or {}).get("bounceType") in ("Transient", "Undetermined")  # SES
    )
