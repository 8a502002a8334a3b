"""The backends that send nothing: the console for development, memory for tests.

Like Django's console and locmem email backends: `console://` prints each message,
`locmem://` keeps it in `outbox` for a test to read (clear it with `outbox.clear()`, never
by assigning a new list, which the backend would not see).
"""

import sys
import threading
import uuid
from dataclasses import dataclass

from .base import SmsSent
from .segments import sms_segments


@dataclass(frozen=True)
class SmsMessage:
    """A message the locmem backend kept, as it was handed over."""

    to: str
    body: str
    status_callback: str | None
    provider_id: str
    segments: int


outbox: list[SmsMessage] = []


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


class ConsoleBackend:
    """Prints each message to stdout, so development shows what a member would get."""

    _lock = threading.Lock()  # several threads' messages must not interleave

    def send(self, *, to: str, body: str, status_callback: str | None) -> SmsSent:
        sent = SmsSent(provider_id=_new_id("console"), segments=sms_segments(text=body).segments)
        lines = [f"SMS to: {to}", f"Id: {sent.provider_id}", f"Segments: {sent.segments}"]
        if status_callback:
            lines.append(f"Status-Callback: {status_callback}")
        text = "\n".join([*lines, "", body, "-" * 79, ""])
        with self._lock:
            stream = sys.stdout  # looked up per send: a test's capture replaces it
            stream.write(text)
            stream.flush()
        return sent


class LocmemBackend:
    """Appends each message to `outbox`, for tests (the test settings choose it)."""

    def send(self, *, to: str, body: str, status_callback: str | None) -> SmsSent:
        sent = SmsSent(provider_id=_new_id("locmem"), segments=sms_segments(text=body).segments)
        outbox.append(
            SmsMessage(
                to=to,
                body=body,
                status_callback=status_callback,
                provider_id=sent.provider_id,
                segments=sent.segments,
            )
        )
        return sent
