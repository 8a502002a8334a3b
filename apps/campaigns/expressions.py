"""The pieces segment conditions are built from: operators as sets of numbers, days from
today as date or instant ranges, and the member's figures read from other tables.

Every piece is true or false for every member, never NULL (segment_fields.py says why).
The figures of other tables are written as `EXISTS` over their rows, never as a join the
member's row must carry: with the other conditions ANDed, PostgreSQL makes a semi-join
(or an anti-join) of it and reads only the rows the condition wants, through an index of
the table that starts with the merchant; under `any` or `not` it is a subplan, hashed
when its rows are few. A join to the rollups (`LEFT JOIN analytics_memberstats`) paired a
million members with a million rows for every count (bench/segments.py). Conditions on
the same one-row table (the rollups, the points account) in a group make one `EXISTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from apps.analytics.models import MemberStats
from apps.programs.points.models import PointsAccount

if TYPE_CHECKING:
    from apps.campaigns.segment_terms import Scope

EVERYONE = Q(pk__isnull=False)
NOBODY = Q(pk__in=[])

Interval = tuple[int | None, int | None]  # both ends included; None: open


def wanted(op: str, value) -> list[Interval]:
    """The numbers a condition accepts, as intervals."""
    if op == "is":
        return [(value, value)]
    if op == "is_not":
        return [(None, value - 1), (value + 1, None)]
    if op == "in":
        return [(item, item) for item in sorted(set(value))]
    if op == "gte":
        return [(value, None)]
    if op == "lte":
        return [(None, value)]
    low, high = value  # between
    return [(low, high)]


def accepts(intervals: list[Interval], number: int | None) -> bool:
    if number is None:
        return False
    return any(
        (low is None or number >= low) and (high is None or number <= high)
        for low, high in intervals
    )


def between(name: str, low, high, *, high_strict: bool = False) -> Q:
    q = Q()
    if low is not None:
        q &= Q(**{f"{name}__gte": low})
    if high is not None:
        q &= Q(**{f"{name}__lt" if high_strict else f"{name}__lte": high})
    return q or EVERYONE


def any_of(parts: list[Q]) -> Q:
    q = NOBODY
    for part in parts:
        q = part if q is NOBODY else q | part
    return q


def numbers_q(name: str, intervals: list[Interval], *, nullable: bool = False) -> Q:
    q = any_of([between(name, low, high) for low, high in intervals])
    return q & Q(**{f"{name}__isnull": False}) if nullable else q


def day_ranges(scope: Scope, intervals: list[Interval], *, sign: int, instant: bool) -> list:
    """Numbers of days from today (`sign` -1: days ago; +1: days ahead) as (first, last)
    dates, both included, or (`instant`) as [start, end) instants through the merchant's
    midnights; None: open."""
    ranges = []
    for low, high in intervals:
        if sign > 0:
            first = None if low is None else scope.today + timedelta(days=low)
            last = None if high is None else scope.today + timedelta(days=high)
        else:
            first = None if high is None else scope.today - timedelta(days=high)
            last = None if low is None else scope.today - timedelta(days=low)
        if instant:
            first = None if first is None else scope.midnight(first)
            last = None if last is None else scope.midnight(last + timedelta(days=1))
        ranges.append((first, last))
    return ranges


def days_q(scope: Scope, column: str, intervals: list[Interval], *, sign: int, instant: bool) -> Q:
    """Numbers of days from today as a condition on a date column, or on a datetime column
    (`instant`) through the merchant's midnights, so the column's index can serve it."""
    return any_of(
        [
            between(column, first, last, high_strict=instant)
            for first, last in day_ranges(scope, intervals, sign=sign, instant=instant)
        ]
    )


def choice_q(op: str, value, one: Callable[[Any], Q]) -> Q:
    if op == "is":
        return one(value)
    if op == "is_not":
        return ~one(value)
    return any_of([one(item) for item in dict.fromkeys(value)])


def member_set_q(
    members, intervals: list[Interval], name: str, *, member_column: str = "member_id"
) -> Q:
    """A count or sum per member (`members`: rows grouped by member with `name`), where a
    member without rows has 0: the members whose figure is wanted, or everyone but those
    whose figure is not, whichever includes the members without rows correctly. Both are
    one semi-join or anti-join over the rows, never a query per member."""
    matching = numbers_q(name, intervals)
    if accepts(intervals, 0):
        return ~Q(pk__in=members.exclude(matching).values(member_column))
    return Q(pk__in=members.filter(matching).values(member_column))


def has_row(rows) -> Q:
    """The member has one of `rows` (a queryset of a table with a `member` column)."""
    return Q(Exists(rows.filter(member_id=OuterRef("pk"))))


def row_q(rows, q: Q, *, without_row: bool) -> Q:
    """A condition `q` on the member's row among `rows` (one row a member at most), where
    `without_row` is what the condition says of a member who has none: the members whose
    row passes, or everyone but those whose row fails."""
    if without_row:
        return ~has_row(rows.exclude(q))
    return has_row(rows.filter(q))


# Tables holding one row a member at most, by the name an `OnRow` gives them.
ONE_ROW_TABLES = {"rollups": MemberStats, "points": PointsAccount}


@dataclass(frozen=True)
class OnRow:
    """A condition on the member's row of a table of `ONE_ROW_TABLES`: `q` over the row
    (reading the row's computed `aliases`), `without_row` what it says of a member who
    has none. Conditions on the same row combine into one, written as one `EXISTS`: under
    `all` the row passes them all (and a member without a row passes if they all let
    such a member pass), under `any` one of them, under `not` none."""

    table: str
    q: Q
    without_row: bool
    aliases: dict[str, Any] = field(default_factory=dict)

    def negated(self) -> OnRow:
        return OnRow(self.table, ~self.q, not self.without_row, self.aliases)


def combined(kind: str, rows: list[OnRow]) -> OnRow:
    """Conditions on the same row under `all` or `any`, as one."""
    q = rows[0].q
    for row in rows[1:]:
        q = q & row.q if kind == "all" else q | row.q
    flags = [row.without_row for row in rows]
    without_row = all(flags) if kind == "all" else any(flags)
    aliases = {name: value for row in rows for name, value in row.aliases.items()}
    return OnRow(rows[0].table, q, without_row, aliases)


def on_row_q(scope: Scope, row: OnRow) -> Q:
    table = ONE_ROW_TABLES[row.table]
    rows = table.objects.for_merchant(scope.merchant).alias(**row.aliases)
    return row_q(rows, row.q, without_row=row.without_row)
