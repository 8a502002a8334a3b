"""What every SMS backend answers and raises, so callers never see a provider's types."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsSent:
    """The provider took the message: `provider_id` (Twilio's Message SID) is what its
    delivery callbacks name later, `segments` the parts it is billed as."""

    provider_id: str
    segments: int


class SmsError(Exception):
    """The provider refused the message or could not be reached. `permanent` says whether
    sending it again can help: False (a network error, a 5xx, a 429, a credential being
    fixed) lets a worker retry; True (an invalid or unsubscribed number) ends the row.
    `maybe_sent` marks a request that may have reached the provider with no answer back (a
    read timeout): resending it could deliver the message twice, so a worker should wait
    for the delivery callback or mark the row unknown instead."""

    def __init__(self, *, code: str, message: str, permanent: bool, maybe_sent: bool = False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.permanent = permanent
        self.maybe_sent = maybe_sent


class SmsBackend(Protocol):
    """One way out for SMS (`console://`, `locmem://`, `twilio://`): chosen by SMS_URL."""

    def send(self, *, to: str, body: str, status_callback: str | None) -> SmsSent: ...
