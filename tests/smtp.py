"""A real SMTP server (aiosmtpd) for the tests where a message matters: what it receives
is what a mail server would, parsed as a mail client would read it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """Every message the server accepted, in order."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    hold: threading.Event | None = None  # set: DATA waits until it is cleared
    # The messages accepted before `hold` applies: 4 holds the fifth DATA and the ones after.
    hold_after: int = 0
    # Set once a DATA is waiting on `hold`: the client has sent its whole message and
    # waits for the answer.
    holding: threading.Event = field(default_factory=threading.Event)
    # The most DATAs held at once: two clients sending at the same time.
    most_held: int = 0
    _held: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        held = len(self.messages) >= self.hold_after and self.hold is not None
        if held:
            self._held += 1  # the server's one event loop: no lock needed
            self.most_held = max(self.most_held, self._held)
        while held and self.hold.is_set():
            self.holding.set()
            await asyncio.sleep(0.05)
        if held:
            self._held -= 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def mailer(self) -> dict:
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": self.host, "port": self.port, "timeout": 10},
        }


def _free_port() -> int:
    # aiosmtpd checks that its server answers by connecting to the port it was given, so
    # it needs a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(port=_free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def body(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""
