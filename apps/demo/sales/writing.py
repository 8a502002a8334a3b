"""Demo purchases, written: the drawn rows go in through COPY on PostgreSQL (ids reserved
first, so every row can point at the others before any is written), elsewhere through
`bulk_create`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Max

from apps.demo.bulk import copy_covers, copy_sql
from apps.demo.sales.histories import Batch
from apps.members.models import Member
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import LedgerEntry, Lot, PointsAccount

PURCHASE_COLUMNS = (
    "id",
    "merchant_id",
    "member_id",
    "external_id",
    "amount",
    "currency",
    "items",
    "location_id",
    "actor_id",
    "points_earned",
    "refunded_amount",
    "points_reversed",
    "occurred_at",
    "created_at",
)
REFUND_COLUMNS = (
    "id",
    "merchant_id",
    "purchase_id",
    "external_id",
    "amount",
    "points_reversed",
    "shortfall",
    "actor_id",
    "created_at",
)
LOT_COLUMNS = (
    "id",
    "merchant_id",
    "member_id",
    "points",
    "remaining",
    "earned_at",
    "expires_at",
)
LEDGER_COLUMNS = (
    "merchant_id",
    "member_id",
    "kind",
    "points",
    "balance_after",
    "purchase_id",
    "refund_id",
    "lot_id",
    "reason",
    "reason_text",
    "actor_id",
    "created_at",
)
ACCOUNT_COLUMNS = ("merchant_id", "member_id", "balance", "shortfall")
SET_BALANCES_SQL = (
    "UPDATE programs_pointsaccount AS account SET balance = new.balance"
    " FROM unnest(%s::bigint[], %s::integer[]) AS new(member_id, balance)"
    " WHERE account.member_id = new.member_id"
)
SET_LAST_ACTIVITY_SQL = (  # as purchase_record: only ever forward
    "UPDATE members_member AS member SET last_activity_at = new.at"
    " FROM unnest(%s::bigint[], %s::timestamptz[]) AS new(id, at)"
    " WHERE member.id = new.id"
    " AND (member.last_activity_at IS NULL OR member.last_activity_at < new.at)"
)


def reserve_ids(model, count: int) -> Iterator[int]:
    """`count` ids for new rows of `model` that no other writer will use, in order."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return iter([row[0] for row in cursor.fetchall()])
    first = (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    return iter(range(first, first + count))


def write_copy(batch: Batch) -> None:
    """PostgreSQL: COPY the new rows, then one UPDATE each for balances and activity."""
    with connection.cursor() as cursor:
        for model, columns, rows, json_column in (
            (Purchase, PURCHASE_COLUMNS, batch.purchases, PURCHASE_COLUMNS.index("items")),
            (Refund, REFUND_COLUMNS, batch.refunds, None),
            (Lot, LOT_COLUMNS, batch.lots, None),
            (LedgerEntry, LEDGER_COLUMNS, batch.ledger, LEDGER_COLUMNS.index("reason_text")),
        ):
            if not rows:
                continue
            with cursor.copy(copy_sql(model._meta.db_table, columns)) as copy:
                if json_column is None:
                    for row in rows:
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(
                            (
                                *row[:json_column],
                                json.dumps(row[json_column]),
                                *row[json_column + 1 :],
                            )
                        )
        merchant_id = batch.purchases[0][1]
        if batch.new_accounts:
            with cursor.copy(copy_sql(PointsAccount._meta.db_table, ACCOUNT_COLUMNS)) as copy:
                for member_id, balance in batch.new_accounts:
                    copy.write_row((merchant_id, member_id, balance, 0))
        if batch.balances:
            member_ids, balances = zip(*batch.balances, strict=True)
            cursor.execute(
                SET_BALANCES_SQL,
                [list(member_ids), list(balances)],
            )
        if batch.last_activity:
            member_ids, moments = zip(*batch.last_activity, strict=True)
            cursor.execute(
                SET_LAST_ACTIVITY_SQL,
                [list(member_ids), list(moments)],
            )


@contextmanager
def _given_created_at():
    """bulk_create would stamp `created_at` (auto_now_add) with now; keep the history's."""
    fields = [Purchase._meta.get_field("created_at"), Refund._meta.get_field("created_at")]
    try:
        for model_field in fields:
            model_field.auto_now_add = False
        yield
    finally:
        for model_field in fields:
            model_field.auto_now_add = True


def write_bulk(batch: Batch) -> None:
    """Any database: the same rows through bulk_create, balances through bulk_update."""

    def objects(model, columns, rows):  # the column names are the models' attnames
        return [model(**dict(zip(columns, row, strict=True))) for row in rows]

    with _given_created_at():
        Purchase.objects.bulk_create(
            objects(Purchase, PURCHASE_COLUMNS, batch.purchases), batch_size=1000
        )
        Refund.objects.bulk_create(objects(Refund, REFUND_COLUMNS, batch.refunds), batch_size=1000)
    Lot.objects.bulk_create(objects(Lot, LOT_COLUMNS, batch.lots), batch_size=1000)
    LedgerEntry.objects.bulk_create(
        objects(LedgerEntry, LEDGER_COLUMNS, batch.ledger), batch_size=1000
    )
    merchant_id = batch.purchases[0][1]
    PointsAccount.objects.bulk_create(
        [
            PointsAccount(merchant_id=merchant_id, member_id=member_id, balance=balance)
            for member_id, balance in batch.new_accounts
        ],
        batch_size=1000,
    )
    if batch.balances:
        balances = dict(batch.balances)
        accounts = list(PointsAccount.objects.filter(member_id__in=balances))
        for account in accounts:
            account.balance = balances[account.member_id]
        PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=500)
    if batch.last_activity:
        members = [
            Member(pk=member_id, last_activity_at=at) for member_id, at in batch.last_activity
        ]
        Member.objects.bulk_update(members, ["last_activity_at"], batch_size=500)


def copy_matches_schema() -> bool:
    """COPY names its columns; a column it does not name must be one the database fills
    (a `db_default`, such as the purchase's `discount`). If a model gained another one
    since, fall back to bulk_create, which fills the new column's Python default: slower
    (a quarter of COPY's rate), so `tests/programs/test_seed_demo_purchases.py` fails then,
    to bring COPY up to date."""
    expected = {
        Purchase: set(PURCHASE_COLUMNS),
        Refund: set(REFUND_COLUMNS),
        Lot: set(LOT_COLUMNS),
        LedgerEntry: set(LEDGER_COLUMNS) | {"id"},
        PointsAccount: set(ACCOUNT_COLUMNS) | {"id"},
    }
    return all(copy_covers(model, columns) for model, columns in expected.items())
