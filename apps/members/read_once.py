"""What one operation reads of a member and asks for again, kept on the member object;
and the rows that the member's own query joined (`joined_row`).

A purchase asks for the member's tier twice (its earn rate, then whether the purchase
moves the member), both under the member's lock. What is kept is forgotten each time the
lock is taken (`points_account_lock`), so a value read under one lock serves the rest of
that transaction and never the next one on the same object.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.members.models import Member

_KEPT = "_fideliza_read_once"


def read_once[T](*, member: Member, name: str, load: Callable[[], T]) -> T:
    kept = member.__dict__.setdefault(_KEPT, {})
    if name not in kept:
        kept[name] = load()
    return kept[name]


def read_once_replace(*, member: Member, name: str, value) -> None:
    """What the operation changed, so it does not read its own old value."""
    member.__dict__.setdefault(_KEPT, {})[name] = value


def read_once_forget(*, member: Member) -> None:
    member.__dict__.pop(_KEPT, None)


NOT_JOINED = object()


def joined_row(*, member: Member, relation: str):
    """The row of the member's reverse one-to-one `relation` (their points account, say)
    if the query that read the member joined it (`select_related`): the row, or None when
    the member has none. `NOT_JOINED` when that query did not join it: read it then."""
    descriptor = getattr(type(member), relation)
    if not descriptor.is_cached(member):
        return NOT_JOINED
    return descriptor.related.get_cached_value(member)
