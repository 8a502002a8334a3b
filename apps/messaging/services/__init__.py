"""Writes for messages: queue a delivery, send it once, sweep the stuck ones, take in the
providers' reports, keep the suppression list, unsubscribe (by link or by texting STOP)."""

from apps.messaging.services.inbound import sms_reply_received, sms_stop_confirmation
from apps.messaging.services.queueing import delivery_queue
from apps.messaging.services.sending import delivery_send
from apps.messaging.services.settings import (
    messaging_settings_update,
    welcome_switch,
    welcome_texts_update,
)
from apps.messaging.services.suppression import suppression_add
from apps.messaging.services.sweep import deliveries_sweep
from apps.messaging.services.tracking import email_event_received, sms_status_received
from apps.messaging.services.unsubscribe import member_unsubscribe

__all__ = [
    "deliveries_sweep",
    "delivery_queue",
    "delivery_send",
    "email_event_received",
    "member_unsubscribe",
    "messaging_settings_update",
    "sms_reply_received",
    "sms_status_received",
    "sms_stop_confirmation",
    "suppression_add",
    "welcome_switch",
    "welcome_texts_update",
]
