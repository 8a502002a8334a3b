"""Twilio, through its own library: `twilio://ACCOUNT_SID:AUTH_TOKEN@?from=%2B34600000000`.

The query names the sender, `from` (a Twilio number or alphanumeric sender id) or
`messaging_service` (an MG... SID, whose sender pool Twilio picks from), or both. Optional:
`api`, another base URL for Twilio's REST API (the tests' fake Twilio on 127.0.0.1), and
`timeout`, seconds to wait for Twilio's answer (10 by default).

Errors are sorted for the caller. Twilio's 400s are about this message (21211 an invalid
number, 21610 a recipient who answered STOP): permanent. A 5xx or 429 is Twilio's
trouble, and a 401/403 a credential to fix: sending again later may work. Where the request
may have reached Twilio without an answer coming back (a read timeout, a dropped
connection), the error says `maybe_sent`: a worker must not resend it blindly.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from .base import SmsError, SmsSent
from .segments import sms_segments

DEFAULT_TIMEOUT_SECONDS = 10.0
QUERY_KEYS = {"from", "messaging_service", "api", "timeout"}
# Statuses under 500 that say nothing against the message itself: sending it again can
# succeed once the credential is fixed, the conflict gone or the rate limit passed.
RETRYABLE_STATUSES = {401, 403, 408, 409, 429}


@dataclass(frozen=True)
class TwilioConfig:
    """SMS_URL's `twilio://` parts. `repr` hides the token: settings get logged."""

    account_sid: str
    auth_token: str
    from_number: str | None
    messaging_service_sid: str | None
    api_base_url: str | None
    timeout: float

    def __repr__(self) -> str:
        return f"TwilioConfig(account_sid={self.account_sid!r}, auth_token='***')"


def twilio_config(*, url: str) -> TwilioConfig:
    """Read a `twilio://` SMS_URL, refusing one that could not send: without credentials,
    without a sender, or with a query key we do not know (a typo would otherwise be
    ignored until the first message failed)."""
    parts = urlsplit(url)
    if parts.scheme != "twilio":
        raise ImproperlyConfigured("SMS_URL is not a twilio:// URL.")
    account_sid, auth_token = unquote(parts.username or ""), unquote(parts.password or "")
    if not account_sid or not auth_token:
        raise ImproperlyConfigured(
            "SMS_URL twilio://ACCOUNT_SID:AUTH_TOKEN@?from=... needs the account SID and"
            " the auth token."
        )
    # A literal "+" in `from=+34...` is the E.164 plus, not a space in disguise.
    query = dict(parse_qsl(parts.query.replace("+", "%2B"), keep_blank_values=True))
    unknown = sorted(set(query) - QUERY_KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"SMS_URL twilio:// has unknown parameters {', '.join(unknown)}; known:"
            f" {', '.join(sorted(QUERY_KEYS))}."
        )
    from_number, service = query.get("from") or None, query.get("messaging_service") or None
    if not from_number and not service:
        raise ImproperlyConfigured(
            "SMS_URL twilio:// needs a sender: ?from=%2B34600000000 (a Twilio number) or"
            " ?messaging_service=MG... (a Messaging Service SID)."
        )
    api = query.get("api") or None
    if api and urlsplit(api).scheme not in {"http", "https"}:
        raise ImproperlyConfigured("SMS_URL twilio:// api= must be an http(s) URL.")
    try:
        timeout = float(query.get("timeout") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        timeout = 0.0
    if not timeout > 0:
        raise ImproperlyConfigured("SMS_URL twilio:// timeout= must be a positive number.")
    return TwilioConfig(
        account_sid=account_sid,
        auth_token=auth_token,
        from_number=from_number,
        messaging_service_sid=service,
        api_base_url=api,
        timeout=timeout,
    )


def _rest_error(error: TwilioRestException | TwilioServiceException) -> SmsError:
    if isinstance(error, TwilioServiceException):
        message = error.detail or error.title
    else:
        message = error.msg
    status = int(error.status)
    return SmsError(
        code=str(error.code or status),
        message=message,
        permanent=status < 500 and status not in RETRYABLE_STATUSES,
    )


def _never_connected(error: requests.ConnectionError) -> bool:
    """True when the request cannot have reached Twilio: the connection itself failed
    (refused, name not resolved, connect timeout), not a reply that never came."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", None), ConnectTimeoutError)


def _network_error(error: requests.RequestException) -> SmsError:
    if isinstance(error, requests.ConnectionError) and _never_connected(error):
        return SmsError(code="unreachable", message=str(error), permanent=False)
    return SmsError(code="no_answer", message=str(error), permanent=False, maybe_sent=True)


class TwilioBackend:
    """Sends through `twilio.rest.Client`, one client (and its connection pool) per
    backend; `sms_backend()` keeps one backend per SMS_URL."""

    def __init__(self, *, config: TwilioConfig):
        self.config = config
        # No retries in the HTTP client: a POST retried after a lost answer sends twice.
        self.client = Client(
            username=config.account_sid,
            password=config.auth_token,
            http_client=TwilioHttpClient(timeout=config.timeout),
        )
        if config.api_base_url:
            # Every REST call goes through the `api` Domain, which joins its `base_url`
            # (https://api.twilio.com) with the resource's path.
            self.client.api.base_url = config.api_base_url

    def send(self, *, to: str, body: str, status_callback: str | None) -> SmsSent:
        sender: dict[str, str] = {}
        if self.config.from_number:
            sender["from_"] = self.config.from_number
        if self.config.messaging_service_sid:
            sender["messaging_service_sid"] = self.config.messaging_service_sid
        if status_callback:
            sender["status_callback"] = status_callback
        try:
            message = self.client.messages.create(to=to, body=body, **sender)
        except (TwilioRestException, TwilioServiceException) as error:
            raise _rest_error(error) from error
        except requests.RequestException as error:
            raise _network_error(error) from error
        # Through a Messaging Service, Twilio answers num_segments "0" until it has picked
        # a sender: our own count stands in.
        segments = int(message.num_segments or 0) or sms_segments(text=body).segments
        return SmsSent(provider_id=str(message.sid), segments=segments)
