"""Choosing the backend from SMS_URL, and sending one SMS through it."""

import functools
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import SmsBackend, SmsError, SmsSent
from .local_backends import ConsoleBackend, LocmemBackend
from .twilio_backend import TwilioBackend, twilio_config

E164 = re.compile(r"\+[1-9][0-9]{1,14}")


@functools.lru_cache(maxsize=8)
def _backend_for(url: str) -> SmsBackend:
    scheme = urlsplit(url).scheme
    if scheme == "console":
        return ConsoleBackend()
    if scheme == "locmem":
        return LocmemBackend()
    if scheme == "twilio":
        return TwilioBackend(config=twilio_config(url=url))
    # The URL itself may hold a token: the message names the scheme only.
    raise ImproperlyConfigured(
        f"SMS_URL has an unknown scheme {scheme!r}: use console://, locmem:// or"
        " twilio://ACCOUNT_SID:AUTH_TOKEN@?from=%2B34600000000."
    )


def sms_backend() -> SmsBackend:
    """The backend SMS_URL names, built once per URL: a Twilio client keeps its connection
    pool between messages, and a test that overrides SMS_URL gets a backend of its own."""
    return _backend_for(settings.SMS_URL)


def sms_send(*, to: str, body: str, status_callback: str | None = None) -> SmsSent:
    """Send one SMS to `to` (E.164, "+34600000001") through the configured backend.

    `status_callback` is the URL the provider posts delivery updates to, naming the
    returned `provider_id`. Raises `SmsError`; a malformed number or an empty body is
    refused here, the same with every backend, before anything is sent.
    """
    if not E164.fullmatch(to):
        raise SmsError(
            code="invalid_number", message="The number is not in E.164 form.", permanent=True
        )
    if not body:
        raise SmsError(code="empty_body", message="The message is empty.", permanent=True)
    return sms_backend().send(to=to, body=body, status_callback=status_callback)
