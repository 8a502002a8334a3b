"""A member's days as a string of bits, and the SQL that reads a range of them.

`MemberStats.days` holds one bit per day from the member's first purchase (the day
`MemberStats.days_from`, as `date.toordinal()`) to their last: "1" on the days they
bought. "Did they buy between these two dates?" and "on how many days?" are then a
substring of one row per member, whatever the range's length, where the members' months
(`MemberMonth`) need a row per member and month of the range. Three years of history are
about 140 bytes a member.

PostgreSQL stores the bits as `bit varying` and reads them with `substring`,
`position` and `bit_count`; other databases (SQLite for `make run`) as text of 0s and 1s,
read with `substr`, `instr` and `replace`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import models
from django.db.models import F, Func, IntegerField, Value
from django.db.models.functions import Greatest


class DayBitsField(models.Field):
    """Bits as a str of "0" and "1", the first for the row's first day."""

    description = "Days as bits"

    def db_type(self, connection) -> str:
        return "bit varying" if connection.vendor == "postgresql" else "text"

    def get_placeholder_sql(self, value, compiler, connection) -> tuple[str, tuple]:
        # Inserted values are text: PostgreSQL casts them to bits.
        if hasattr(value, "as_sql"):
            sql, params = compiler.compile(value)
        else:
            sql, params = "%s", (value,)
        if connection.vendor == "postgresql":
            return f"{sql}::varbit", tuple(params)
        return sql, tuple(params)


def day_bits(days: Iterable[int], first: int) -> str:
    """The bits of `days` (ordinals, none before `first`) counted from `first`, up to
    the last of them."""
    value = 0
    for day in days:
        value |= 1 << (day - first)
    return format(value, "b")[::-1] if value else ""


def mask_days(month: date, mask: int) -> Iterable[int]:
    """The days (ordinals) of a month's day mask (`MemberMonth.day_mask`)."""
    first = month.toordinal()
    while mask:
        low = mask & -mask
        yield first + low.bit_length() - 1
        mask ^= low


class DaysBetween(Func):
    """The bits of the days from `first` to `last` (both included) of a `DayBitsField`
    whose first bit is the day in `origin` (an ordinal): empty when none of them is in
    the row's range."""

    output_field = DayBitsField()

    def __init__(self, bits: str, first: date, last: date, *, origin: str = "days_from"):
        start = Greatest(Value(first.toordinal()), F(origin), output_field=IntegerField())
        length = Greatest(
            Value(last.toordinal() + 1) - start, Value(0), output_field=IntegerField()
        )
        super().__init__(F(bits), start - F(origin) + Value(1), length)

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="SUBSTRING", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="SUBSTR", **extra)


class FirstDay(Func):
    """Where the first day set in the bits is (from 1), 0 when none is: > 0 means "some"."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="INSTR(%(expressions)s, '1')")

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="POSITION(B'1' IN %(expressions)s)", **extra
        )


class DayCount(Func):
    """How many days of the bits are set."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        bits, params = compiler.compile(self.source_expressions[0])
        return f"(LENGTH({bits}) - LENGTH(REPLACE({bits}, '1', '')))", (*params, *params)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="BIT_COUNT", **extra)
