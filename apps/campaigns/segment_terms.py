"""The terms segment rules are written in: the kinds of field and the operators each takes,
a condition, what a condition compiles to, the scope it compiles in (the merchant and
the day), and a field's description. The fields themselves are in segment_fields.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from apps.analytics.periods import day_start
from apps.campaigns.expressions import OnRow
from apps.campaigns.ranks import RankCuts, rank_cuts
from apps.core.models import Merchant


class Kind(StrEnum):
    NUMBER = "number"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    TAG = "tag"


OPS: dict[Kind, tuple[str, ...]] = {
    Kind.NUMBER: ("is", "is_not", "in", "gte", "lte", "between"),
    Kind.CHOICE: ("is", "is_not", "in"),
    Kind.BOOLEAN: ("is",),
    Kind.TAG: ("is", "is_not", "in"),
}

MAX_DAYS = 36_500  # a hundred years: any date this far stays a valid date


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    within_days: int | None = None


@dataclass(frozen=True)
class Compiled:
    q: Q
    aliases: dict[str, Any]
    row: OnRow | None = None  # the same condition on one row of the member's (`q` reads it)


@dataclass
class Scope:
    """What compiling needs about the merchant and the day, read once per query."""

    merchant: Merchant
    today: date
    now: datetime
    zone: ZoneInfo
    at_risk_days: int
    lapsed_days: int

    def midnight(self, day: date) -> datetime:
        return day_start(day, self.zone)

    @cached_property
    def ranks(self) -> RankCuts:
        return rank_cuts(merchant=self.merchant, today=self.today)


@dataclass(frozen=True)
class SegmentField:
    name: str
    kind: Kind
    label: Any
    compile: Callable[[Scope, Condition], Compiled]
    minimum: int = 0
    maximum: int = 0
    windowed: bool = False
    # The values a choice takes, for this merchant: value -> label.
    choices: Callable[[Merchant], dict[Any, str]] | None = None
    help_text: Any = ""
