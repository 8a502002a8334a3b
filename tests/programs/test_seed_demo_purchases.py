"""`seed_demo --purchases N`: purchase histories whose points add up, safe to run again.

Runs on whichever database the suite uses: COPY on PostgreSQL, bulk_create on SQLite.
"""

from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide
from apps.demo import sales as demo
from apps.demo.sales.writing import copy_matches_schema
from apps.demo.tiers import place_demo_members_in_tiers
from apps.members.models import Member, MemberEvent
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import (
    EntryKind,
    LedgerEntry,
    Lot,
    MemberDayTotal,
    PointsAccount,
    ProgramSettings,
)
from apps.programs.points.selectors import ledger_mismatches
from apps.programs.points.services import points_for_amount
from apps.programs.services import purchase_record, refund_record
from apps.programs.tiers.models import MemberTier, TierChange
from apps.programs.tiers.selectors import (
    qualifying_totals,
    tier_for_total,
    tier_settings,
    tiers_active,
)

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _merchant() -> Merchant:
    return Merchant.objects.get(slug="demo")


def _assert_points_add_up(merchant: Merchant) -> None:
    assert ledger_mismatches() == []
    call_command("check_ledger", stdout=StringIO())

    purchases = {purchase.pk: purchase for purchase in Purchase.objects.for_merchant(merchant)}
    lots = {lot.pk: lot for lot in Lot.objects.for_merchant(merchant)}
    entries = list(LedgerEntry.objects.for_merchant(merchant).order_by("created_at", "id"))
    earn_of = {}
    for entry in entries:
        if entry.kind == EntryKind.EARN:
            assert entry.purchase_id not in earn_of
            earn_of[entry.purchase_id] = entry
    refunds = defaultdict(list)
    for refund in Refund.objects.for_merchant(merchant).order_by("created_at", "id"):
        refunds[refund.purchase_id].append(refund)
    refund_entries = {entry.refund_id: entry for entry in entries if entry.kind == EntryKind.REFUND}

    for purchase in purchases.values():
        assert purchase.currency == "EUR"
        assert purchase.amount > 0
        assert purchase.points_earned == points_for_amount(
            merchant=merchant, amount=purchase.amount
        )
        seeded = not purchase.external_id.startswith("REAL")
        if seeded:  # recorded as it happened
            assert purchase.created_at == purchase.occurred_at
        member = purchase.member
        assert member.enrolled_at < purchase.occurred_at <= timezone.now()
        assert member.last_activity_at >= purchase.occurred_at
        # One lot and one "earn" entry per purchase (points > 0 at a 80 cent minimum).
        earn = earn_of[purchase.pk]
        assert earn.points == purchase.points_earned
        assert earn.created_at == purchase.occurred_at
        lot = lots[earn.lot_id]
        assert (lot.member_id, lot.points, lot.earned_at) == (
            purchase.member_id,
            purchase.points_earned,
            purchase.occurred_at,
        )
        months = ProgramSettings.objects.get(merchant=merchant).expiry_months  # default none
        assert lot.expires_at == (lot.earned_at + relativedelta(months=months) if months else None)
        # Refunds: proportional, half up on the running total, as refund_record.
        refunded = reversed_points = 0
        for refund in refunds[purchase.pk]:
            refunded += refund.amount
            owed_total = divide(
                purchase.points_earned * refunded, purchase.amount, rounding=Rounding.HALF_UP
            )
            assert refund.points_reversed == owed_total - reversed_points
            assert refund.shortfall == 0
            assert refund.created_at > purchase.occurred_at
            reversed_points = owed_total
            if refund.points_reversed:
                entry = refund_entries[refund.pk]
                assert entry.points == -refund.points_reversed
                assert entry.purchase_id == purchase.pk
                assert entry.created_at == refund.created_at or not seeded
            else:
                assert refund.pk not in refund_entries
        assert purchase.refunded_amount == refunded <= purchase.amount
        assert purchase.points_reversed == reversed_points
        assert lot.remaining == purchase.points_earned - reversed_points

    # Running balance per member, in the order the ledger lists it.
    balances = defaultdict(int)
    for entry in entries:
        balances[entry.member_id] += entry.points
        assert entry.balance_after == balances[entry.member_id]
    accounts = dict(PointsAccount.objects.for_merchant(merchant).values_list("member", "balance"))
    assert accounts == dict(balances)


def test_seed_demo_purchases_writes_histories_whose_points_add_up():
    output = _seed("--members", "30", "--purchases", "300")

    merchant = _merchant()
    assert Purchase.objects.for_merchant(merchant).count() == 300
    assert "Created 300 demo purchases (300 in all)" in output
    assert Lot.objects.for_merchant(merchant).count() == 300
    assert LedgerEntry.objects.filter(merchant=merchant, kind=EntryKind.EARN).count() == 300
    _assert_points_add_up(merchant)

    # A realistic mix: some members come far more often than others, at both shops.
    per_member = sorted(
        Purchase.objects.for_merchant(merchant)
        .values("member")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert per_member[-1] >= 4 * per_member[len(per_member) // 2]
    shops = set(Location.objects.for_merchant(merchant).values_list("pk", flat=True))
    assert set(Purchase.objects.values_list("location", flat=True)) == shops
    amounts = list(Purchase.objects.values_list("amount", flat=True))
    assert len(set(amounts)) > 50
    assert all(amount % 5 == 0 for amount in amounts)


def test_refunds_exist_full_and_partial_and_their_points_add_up():
    _seed("--members", "200")
    merchant = _merchant()
    result = demo.seed_purchases(merchant=merchant, total=3000)
    assert (result.created, result.total) == (3000, 3000)

    refunded = Purchase.objects.filter(refunded_amount__gt=0)
    assert 0.01 < refunded.count() / 3000 < 0.06
    assert any(p.refunded_amount == p.amount for p in refunded)
    assert any(p.refunded_amount < p.amount for p in refunded)
    assert Refund.objects.for_merchant(merchant).count() >= refunded.count()
    # Points taken back: the refunds' own, the ledger's, the purchases' and the lots' agree.
    reversed_total = Refund.objects.aggregate(total=Sum("points_reversed"))["total"]
    assert reversed_total > 0
    assert reversed_total == Purchase.objects.aggregate(total=Sum("points_reversed"))["total"]
    assert (
        -reversed_total
        == LedgerEntry.objects.filter(kind=EntryKind.REFUND).aggregate(total=Sum("points"))["total"]
    )
    earned = Purchase.objects.aggregate(total=Sum("points_earned"))["total"]
    assert Lot.objects.aggregate(total=Sum("remaining"))["total"] == earned - reversed_total
    _assert_points_add_up(merchant)


def test_running_it_again_tops_up_without_touching_what_exists():
    _seed("--members", "30", "--purchases", "300")
    merchant = _merchant()
    first = set(Purchase.objects.values_list("pk", "external_id", "amount", "points_earned"))
    last_before = dict(
        Purchase.objects.values("member").annotate(n=Count("id")).values_list("member", "n")
    )

    output = _seed("--members", "30", "--purchases", "400")
    assert "Created 100 demo purchases (400 in all)" in output
    assert Purchase.objects.for_merchant(merchant).count() == 400
    assert first <= set(
        Purchase.objects.values_list("pk", "external_id", "amount", "points_earned")
    )
    assert Member.objects.count() == 30
    assert last_before  # the first run reached members the second one continues
    _assert_points_add_up(merchant)

    output = _seed("--purchases", "400")
    assert "has 400 purchases already" in output
    assert Purchase.objects.count() == 400


def test_the_history_continues_after_real_activity_and_with_expiry():
    """A top-up after purchases recorded through the services continues each member's
    balance after its last movement; with an expiry set, every seeded lot gets its date."""
    _seed("--members", "10")
    merchant = _merchant()
    ProgramSettings.objects.update_or_create(merchant=merchant, defaults={"expiry_months": 12})
    first, second = Member.objects.for_merchant(merchant).order_by("pk")[:2]
    earlier = timezone.now() - timedelta(days=400)
    first.enrolled_at = second.enrolled_at = earlier - timedelta(days=1)
    Member.objects.bulk_update([first, second], ["enrolled_at"])
    purchase_record(
        merchant=merchant, member=first, external_id="REAL-1", amount=1234, occurred_at=earlier
    )
    refunded = purchase_record(
        merchant=merchant, member=second, external_id="REAL-2", amount=999, occurred_at=earlier
    ).purchase
    refund_record(purchase=refunded, external_id="REAL-2-R", amount=400)

    result = demo.seed_purchases(merchant=merchant, total=150, use_copy=False, batch_size=25)
    assert (result.created, result.total, result.method) == (148, 150, "bulk_create")
    _assert_points_add_up(merchant)
    lots = Lot.objects.for_merchant(merchant)
    assert lots.count() == 150
    for lot in lots:
        assert lot.expires_at == lot.earned_at + relativedelta(months=12)
    # The first member's history goes on only after its real purchase (whether the seeder
    # gives it more purchases depends on the habit drawn for it); the second one's last
    # movement is the refund just now, so nothing could come after it.
    assert not LedgerEntry.objects.filter(member=first, created_at__lt=earlier).exists()
    assert (
        not LedgerEntry.objects.filter(member=second, kind=EntryKind.EARN)
        .exclude(purchase=refunded)
        .exists()
    )


def test_seed_demo_refuses_a_negative_number_of_purchases():
    with pytest.raises(CommandError, match="0 or more"):
        _seed("--purchases", "-1")


def test_purchases_without_members_says_so():
    output = _seed("--purchases", "10")
    assert "add members with --members N" in output
    assert not Purchase.objects.exists()


def test_seeded_members_are_placed_in_the_tiers_their_purchases_reach_in_bulk():
    output = _seed("--members", "60", "--purchases", "900")

    merchant = _merchant()
    settings = tier_settings(merchant=merchant)
    tiers = tiers_active(merchant=merchant)
    members = list(Member.objects.for_merchant(merchant).active().values_list("pk", flat=True))
    totals = qualifying_totals(
        merchant=merchant, member_ids=members, end=timezone.now(), settings=settings
    )
    placed = dict(MemberTier.objects.filter(member_id__in=members).values_list("member", "tier"))
    reached = {m: tier_for_total(tiers=tiers, total=totals.get(m, 0)) for m in members}
    assert {m: placed.get(m) for m in members} == {
        m: tier.pk if tier else None for m, tier in reached.items()
    }
    moved = [m for m, tier in reached.items() if tier is not None]
    assert 0 < len(moved) < len(members)  # the demo's mix: some reach a tier, some do not
    assert f"Placed {len(moved):,} demo members in their tiers." in output
    change = TierChange.objects.get(member_id=moved[0])
    assert (change.cause, change.direction, change.from_name) == ("rules", "up", "")
    assert change.qualifying_total == totals[moved[0]]
    line = MemberEvent.objects.get(member_id=moved[0], kind="tier_changed")
    assert line.data["change"] == change.pk
    assert line.summary.startswith(f"Tier up: no tier → {change.to_name}")

    assert place_demo_members_in_tiers(merchant=merchant) == 0  # again: nobody moves
    assert TierChange.objects.filter(member_id__in=members).count() == len(moved)


def test_copy_names_every_column_the_database_does_not_fill():
    """A column added to a purchase, lot or ledger entry without a database default would
    silently send the demo's seeding from COPY to bulk_create, four times slower (the
    purchase's `discount` did, until COPY learnt that a `db_default` fills itself)."""
    assert copy_matches_schema()


SEEDED_IN_BULK = (
    Member,
    Member.tags.through,
    MemberEvent,
    Purchase,
    Refund,
    Lot,
    LedgerEntry,
    PointsAccount,
    MemberDayTotal,
    MemberTier,
    TierChange,
)


def _dangling_references(model) -> list[str]:
    """Each foreign key of `model` whose value names no row: what the database would have
    refused, had the seed not written as a restore does (apps/demo/bulk.py)."""
    found = []
    with connection.cursor() as cursor:
        for field in model._meta.concrete_fields:
            if not field.is_relation:
                continue
            table, column = model._meta.db_table, field.column
            target = field.related_model._meta
            cursor.execute(
                f'SELECT count(*) FROM "{table}" AS child WHERE child."{column}" IS NOT NULL'  # noqa: S608
                f' AND NOT EXISTS (SELECT 1 FROM "{target.db_table}" AS parent'
                f' WHERE parent."{field.target_field.column}" = child."{column}")'
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.mark.postgres
def test_rows_seeded_in_bulk_refer_only_to_rows_that_exist_and_are_counted():
    _seed("--members", "300", "--purchases", "3000")
    assert Purchase.objects.count() == 3000
    assert TierChange.objects.exists()
    assert [name for model in SEEDED_IN_BULK for name in _dangling_references(model)] == []
    # The planner knows what was written (the tier placement was planned for empty tables).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", ["programs_purchase"])
        assert cursor.fetchone()[0] == 3000
