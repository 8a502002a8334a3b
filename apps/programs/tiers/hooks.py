"""Extension point of the tiers app: what happens when a member changes tier.

The campaigns app (a "welcome to Gold" message) and the API's webhooks register a
function here in their `AppConfig.ready()`. It is called as `hook(change)` with the
`TierChange`, inside the transaction that moved the member, with the member's points
account locked: send anything from a task enqueued with `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.programs.tiers.models import TierChange

TierChanged = Callable[["TierChange"], None]
TIER_CHANGED: list[TierChanged] = []


def tier_changed(change: TierChange) -> None:
    for hook in TIER_CHANGED:
        hook(change)
