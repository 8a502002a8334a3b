"""Each member's purchases and points per day (`MemberDayTotal`), kept with the purchases.

A tier window (twelve months, or a calendar year) adds up a member's net spend or points.
Summed from the purchases, its cost grows with the member's history: a regular with
10,000 purchases made every purchase read 10,000 rows. The day totals bound it to a row
a day: `tiers.selectors.qualifying_totals` adds the window's whole days from here and only
the purchases of its first and last day from the purchases.

Days are UTC days, whatever the merchant's time zone: the window's edges are read from the
purchases themselves, so no day boundary needs to match the merchant's.

Written in the purchase's, refund's or bonus's own transaction (under the member's
lock): one `INSERT … ON CONFLICT DO UPDATE` each, PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import batched

from django.apps import apps
from django.db import connection

from apps.core.events import MembersMerging
from apps.programs.points.models import BonusAward, MemberDayTotal

TABLE = MemberDayTotal._meta.db_table
REBUILD_BATCH = 10_000  # members per statement
# Table names from the models, values as parameters.
_ADD_TO_DAY = f"""
ON CONFLICT (member_id, day) DO UPDATE
SET spend = "{TABLE}".spend + excluded.spend, points = "{TABLE}".points + excluded.points
"""
_ADD = f"""
INSERT INTO "{TABLE}" (merchant_id, member_id, day, spend, points) VALUES (%s, %s, %s, %s, %s)
{_ADD_TO_DAY}"""  # noqa: S608
_DELETE = f'DELETE FROM "{TABLE}" WHERE 1 = 1'  # noqa: S608
# One row per member (`{member}`: their column, or one id for a merge's survivor) and day.
_FILL = """
INSERT INTO "{table}" (merchant_id, member_id, day, spend, points)
SELECT merchant_id, member, day, SUM(spend), SUM(points) FROM (
    SELECT merchant_id, {member} AS member, {day} AS day,
           amount - refunded_amount AS spend, points_earned - points_reversed AS points
    FROM "{purchases}" WHERE {purchases_of}
    UNION ALL
    SELECT merchant_id, {member} AS member, {day} AS day, 0 AS spend, points
    FROM "{bonuses}" WHERE points > 0 AND {bonuses_of}
) AS parts GROUP BY merchant_id, member, day
"""


# Each member's net total between two instants: the whole days, and the edges' rows.
_BETWEEN = """
SELECT member_id, SUM(total) FROM (
    SELECT member_id, SUM({day_column}) AS total FROM "{table}"
    WHERE merchant_id = %s AND {among} AND day >= %s AND day <= %s GROUP BY member_id
    UNION ALL
    SELECT member_id, SUM({purchase_net}) AS total FROM "{purchases}"
    WHERE merchant_id = %s AND {among} AND occurred_at {after} %s AND occurred_at <= %s
      AND (occurred_at < %s OR occurred_at >= %s) GROUP BY member_id
    {bonuses}
) AS parts GROUP BY member_id
"""
_BONUSES_BETWEEN = """
    UNION ALL
    SELECT member_id, SUM(points) AS total FROM "{bonuses}"
    WHERE merchant_id = %s AND {among} AND points > 0 AND occurred_at {after} %s
      AND occurred_at <= %s AND (occurred_at < %s OR occurred_at >= %s) GROUP BY member_id
"""


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def net_totals_between(
    *,
    merchant_id: int,
    member_ids: list[int],
    start: datetime,
    end: datetime,
    include_start: bool,
    measure: str,
) -> dict[int, int]:
    """Each member's net spend (`measure` "spend": purchases less refunds) or points
    ("points": the purchases' net points and the bonuses) after `start` (or from it, with
    `include_start`) up to `end` included, in one statement: the whole UTC days between
    from the day totals, the first and last day from the purchases and bonuses. Members
    with nothing are absent. Written in SQL: it runs on every purchase, and the ORM took
    longer to compose it than PostgreSQL to answer it."""
    if not member_ids:
        return {}
    spend = measure == "spend"
    first_whole, last_whole = utc_day(start) + timedelta(days=1), utc_day(end) - timedelta(days=1)
    among = _among(member_ids)
    after = ">=" if include_start else ">"
    moment, day = connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value
    window = [moment(start), moment(end), moment(utc_midnight(first_whole))]
    window.append(moment(utc_midnight(utc_day(end))))
    sql = _BETWEEN.format(
        day_column="spend" if spend else "points",
        table=TABLE,
        among=among,
        purchase_net="amount - refunded_amount" if spend else "points_earned - points_reversed",
        purchases=_purchases_table(),
        after=after,
        bonuses=""
        if spend
        else _BONUSES_BETWEEN.format(bonuses=BonusAward._meta.db_table, among=among, after=after),
    )
    params = [merchant_id, *member_ids, day(first_whole), day(last_whole)]
    params += [merchant_id, *member_ids, *window]
    if not spend:
        params += [merchant_id, *member_ids, *window]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {member_id: int(total or 0) for member_id, total in cursor.fetchall()}


def day_totals_add(
    *, merchant_id: int, member_id: int, at: datetime, spend: int = 0, points: int = 0
) -> None:
    """Add to (or, negative, take from) the member's total of `at`'s day."""
    if not spend and not points:
        return
    with connection.cursor() as cursor:
        cursor.execute(_ADD, [merchant_id, member_id, utc_day(at), spend, points])


def day_totals_rebuild(*, member_ids: Iterable[int] | None = None) -> int:
    """Make the day totals again from the purchases and bonuses: of these members, or of
    everyone (None). For rows written around the services (the demo's COPY) and for
    repairs. Returns the rows written."""
    ids = None if member_ids is None else sorted(set(member_ids))
    if ids == []:
        return 0
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(_DELETE)
            cursor.execute(_fill_sql(member="member_id", purchases_of="1 = 1", bonuses_of="1 = 1"))
            return cursor.rowcount
        written = 0
        for batch in batched(ids, REBUILD_BATCH, strict=False):  # within a statement's params
            among = _among(list(batch))
            cursor.execute(f"{_DELETE} AND {among}", batch)
            cursor.execute(
                _fill_sql(member="member_id", purchases_of=among, bonuses_of=among), batch + batch
            )
            written += cursor.rowcount
        return written


def day_totals_merge(merging: MembersMerging) -> None:
    """`MEMBERS_MERGING`: the duplicate's purchases are about to move to the survivor, its
    bonuses stay where they are (as every hidden relation of a member): both members' days
    are made again that way. Both are locked by the points' handler, which runs first."""
    survivor, duplicate = merging.survivor.pk, merging.duplicate.pk
    with connection.cursor() as cursor:
        cursor.execute(f"{_DELETE} AND {_among([survivor, duplicate])}", [survivor, duplicate])
        cursor.execute(
            _fill_sql(member="%s", purchases_of=_among([1, 2]), bonuses_of="member_id = %s"),
            [survivor, survivor, duplicate, survivor, survivor],
        )
        cursor.execute(
            _fill_sql(member="%s", purchases_of="1 = 0", bonuses_of="member_id = %s"),
            [duplicate, duplicate, duplicate],
        )


_MISMATCHES = """
SELECT member_id, day FROM (
    SELECT member_id, day, spend, points FROM "{table}"
    UNION ALL
    SELECT member_id, {day} AS day, refunded_amount - amount, points_reversed - points_earned
    FROM "{purchases}"
    UNION ALL
    SELECT member_id, {day} AS day, 0, -points FROM "{bonuses}" WHERE points > 0
) AS parts GROUP BY member_id, day HAVING SUM(spend) <> 0 OR SUM(points) <> 0
ORDER BY member_id, day
"""


def day_totals_mismatches() -> list[tuple[int, date]]:
    """The (member, day) pairs whose day total differs from their purchases and bonuses:
    none, unless rows were written around the services (`check_ledger` reports them)."""
    sql = _MISMATCHES.format(
        table=TABLE,
        day=_day_sql("occurred_at"),
        purchases=_purchases_table(),
        bonuses=BonusAward._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [(member_id, _as_date(day)) for member_id, day in cursor.fetchall()]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite: text


def _among(ids: list[int]) -> str:
    return f"member_id IN ({', '.join(['%s'] * len(ids))})"


def _fill_sql(*, member: str, purchases_of: str, bonuses_of: str) -> str:
    return _FILL.format(
        table=TABLE,
        member=member,
        day=_day_sql("occurred_at"),
        purchases=_purchases_table(),
        purchases_of=purchases_of,
        bonuses=BonusAward._meta.db_table,
        bonuses_of=bonuses_of,
    )


def _purchases_table() -> str:
    # By name, as the ledger's foreign key names it: the points package sits below the
    # purchases (apps.programs.models), which import it.
    return apps.get_model("programs", "Purchase")._meta.db_table


def _day_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"  # SQLite keeps datetimes as UTC text
