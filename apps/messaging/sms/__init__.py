"""SMS to members: one call, `sms_send`, whatever the backend SMS_URL names.

    console://   prints each message (the default: development sends nothing)
    locmem://    keeps each message in `outbox` (the test settings)
    twilio://ACCOUNT_SID:AUTH_TOKEN@?from=%2B34600000000   (or ?messaging_service=MG...)

Segment counting (GSM-7 or UCS-2) is in `segments`; Twilio's signed delivery callbacks
are read by `twilio_callback.twilio_status_parse`, incoming texts (a member's STOP) by
`twilio_callback.twilio_inbound_parse`.
"""

from .base import SmsBackend, SmsError, SmsSent
from .local_backends import SmsMessage, outbox
from .segments import SmsSegments, sms_length_warning, sms_segments
from .sending import sms_backend, sms_send

__all__ = [
    "SmsBackend",
    "SmsError",
    "SmsMessage",
    "SmsSegments",
    "SmsSent",
    "outbox",
    "sms_backend",
    "sms_length_warning",
    "sms_segments",
    "sms_send",
]
