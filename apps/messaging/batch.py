"""Many deliveries sent one after another (a campaign's batch): one connection to the mail
server (or one session with the provider's API) for all of them instead of one each, and
the merchant's message settings read once. A delivery sent outside a batch opens its own
connection, as before.

    with deliveries_batch():
        for delivery_id in ids:
            delivery_send(delivery_id=delivery_id)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core import mail


@dataclass
class Batch:
    connection: object = None  # the mail backend, opened on first use
    settings: dict = field(default_factory=dict)  # merchant id -> MessagingSettings
    # What a message source reads once for all its messages of the batch (a campaign).
    cache: dict = field(default_factory=dict)
    # The members of the rows the batch sends (`services/batch_sending.py`): a source
    # reads a figure of theirs (a points balance) for all of them at once.
    member_ids: frozenset[int] = frozenset()


_current: ContextVar[Batch | None] = ContextVar("messaging_batch", default=None)


@contextmanager
def deliveries_batch() -> Iterator[Batch]:
    batch = Batch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
        if batch.connection is not None:
            batch.connection.close()


def current_batch() -> Batch | None:
    return _current.get()


def batch_cached[T](key: tuple, load: Callable[[], T]) -> T:
    """`load()`, once per batch under `key` (each time outside a batch): what a message
    source reads for all the messages of a batch (a campaign, the tags its texts use)."""
    batch = _current.get()
    if batch is None:
        return load()
    if key not in batch.cache:
        batch.cache[key] = load()
    return batch.cache[key]


def email_deliver(message) -> None:
    """Send one built message: through the batch's connection when in a batch. A
    connection that failed is closed: the next message opens a new one."""
    batch = _current.get()
    if batch is None:
        message.send()
        return
    if batch.connection is None:
        batch.connection = mail.mailers.default
    try:
        batch.connection.open()  # a no-op when it is open already
        batch.connection.send_messages([message])
    except BaseException:
        batch.connection.close()
        raise
