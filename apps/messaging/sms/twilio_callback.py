"""Twilio's webhooks: delivery-status callbacks and incoming messages, checked, then read.

Twilio posts to the `status_callback` URL given at send time as the message moves on
(queued, sent, delivered, undelivered, failed), and to the number's (or the Messaging
Service's) incoming-message URL when someone texts it, signing each request with the
account's auth token in `X-Twilio-Signature`. Anyone can post to those URLs, so nothing
is believed before the signature is checked. A view passes the full URL Twilio called
(scheme, host and query as Twilio saw them: behind a proxy, the public one), the POST
parameters and the header; it wires the result to the delivery row, or to the service
that reads the member's reply, and answers an incoming message with TwiML.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from .twilio_backend import twilio_config

SENT_STATUSES = {"sent", "delivered"}
FAILED_STATUSES = {"undelivered", "failed"}


@dataclass(frozen=True)
class TwilioStatus:
    """One signed callback: the message it is about, its status, and Twilio's error code
    when it failed (30003 unreachable, 30005 unknown number, 30007 carrier filtering...)."""

    message_sid: str
    status: str
    error_code: str | None


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a callback changes on our delivery row: sent, or failed with Twilio's code."""

    state: Literal["sent", "failed"]
    error_code: str | None


@dataclass(frozen=True)
class TwilioInbound:
    """One signed incoming message: who sent it (`From`, E.164 for a phone) and what it
    says. `To`, our number, is not kept: every merchant of the installation texts from it."""

    message_sid: str
    sender: str
    body: str


def twilio_signed(*, url: str, params: Mapping[str, str], signature: str) -> bool:
    """True when Twilio signed the request with our auth token; never when SMS_URL is not
    Twilio's (then no request of Twilio's can be ours)."""
    sms_url = settings.SMS_URL
    if urlsplit(sms_url).scheme != "twilio" or not signature:
        return False
    validator = RequestValidator(twilio_config(url=sms_url).auth_token)
    return validator.validate(url, params, signature)


def twilio_status_parse(
    *, url: str, params: Mapping[str, str], signature: str
) -> TwilioStatus | None:
    """The callback's status if Twilio signed it with our auth token, else None."""
    if not twilio_signed(url=url, params=params, signature=signature):
        return None
    message_sid = params.get("MessageSid")
    status = params.get("MessageStatus") or params.get("SmsStatus")
    if not message_sid or not status:
        return None
    return TwilioStatus(
        message_sid=message_sid, status=status, error_code=params.get("ErrorCode") or None
    )


def twilio_status_outcome(*, status: TwilioStatus) -> DeliveryOutcome | None:
    """Our outcome for a Twilio status: `sent`/`delivered` mean sent, `undelivered`/
    `failed` failed; the steps in between (`queued`, `accepted`, `sending`...) change
    nothing. Callbacks can arrive out of order: the caller should not let a late `sent`
    overwrite a `failed`."""
    if status.status in SENT_STATUSES:
        return DeliveryOutcome(state="sent", error_code=None)
    if status.status in FAILED_STATUSES:
        return DeliveryOutcome(state="failed", error_code=status.error_code)
    return None


def twilio_inbound_parse(
    *, url: str, params: Mapping[str, str], signature: str
) -> TwilioInbound | None:
    """The incoming message if Twilio signed it with our auth token, else None. A message
    with no text (a picture alone) has an empty body."""
    if not twilio_signed(url=url, params=params, signature=signature):
        return None
    message_sid, sender = params.get("MessageSid"), params.get("From")
    if not message_sid or not sender:
        return None
    return TwilioInbound(message_sid=message_sid, sender=sender, body=params.get("Body") or "")


def twiml_reply(*, text: str | None) -> str:
    """The TwiML answer to an incoming message: `text` texted back, or nothing (None)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return response.to_xml()
