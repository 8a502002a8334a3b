"""anymail's `tracking` signal, received: its webhook views have checked the provider's
signature; the report goes to the one service that settles deliveries."""

from apps.core.transactions import edge_transaction
from apps.messaging.services import email_event_received


def delivery_tracking_received(sender, event, esp_name: str, **kwargs) -> None:
    with edge_transaction():
        email_event_received(
            provider_id=str(event.message_id or ""),
            event_type=event.event_type,
            recipient=event.recipient or "",
        )
