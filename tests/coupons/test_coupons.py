"""Coupons: validation with its reasons, single-use redemption, purchases paid with a
coupon, the refund rule, coupons by hand and by rewards; then the pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import Conflict, DomainError
from apps.core.models import AuditLog, Role
from apps.core.templatetags.money import money as money_filter
from apps.programs.coupons import selectors as reasons
from apps.programs.coupons import services as coupon_services
from apps.programs.coupons.models import Coupon, CouponSource, CouponStatus
from apps.programs.coupons.selectors import coupon_check, normalize_code
from apps.programs.coupons.services import (
    coupon_issue_by_hand,
    coupon_redeem,
    coupon_void,
)
from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import points_balance
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import RewardKind
from apps.programs.rewards.services import redemption_void, reward_create, reward_redeem
from apps.programs.sale import sale_record
from apps.programs.services import refund_record
from tests.conftest import refusal
from tests.coupons.factories import enable_cashback, give_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def shown(coupon) -> str:
    return f"{coupon.code[:4]}-{coupon.code[4:]}"


def money(team, cents) -> str:
    """An amount as the merchant's pages and sentences write it."""
    return money_filter(cents, team.merchant)


# Validation ---------------------------------------------------------------------------


def test_a_live_coupon_is_valid_for_its_value_at_most_the_basket(team):
    coupon = give_coupon(team, enroll(team), value=500)
    check = coupon_check(merchant=team.merchant, code=shown(coupon).lower() + " ", amount=2000)
    assert (check.valid, check.discount, check.coupon) == (True, 500, coupon)
    small = coupon_check(merchant=team.merchant, code=coupon.code, amount=300)
    assert (small.valid, small.discount) == (True, 300)


def _reason(team, coupon_code, amount=2000, **fields):
    check = coupon_check(merchant=team.merchant, code=coupon_code, amount=amount, **fields)
    assert not check.valid
    assert check.discount == 0
    return check.reason_code, check.reason


def test_every_reason_a_coupon_cannot_be_used(team, other_team):
    member = enroll(team)
    now = timezone.now()

    assert _reason(team, "NOPE-NOPE") == (
        reasons.NOT_FOUND,
        "No coupon has that code here. Check it.",
    )
    foreign = give_coupon(other_team, enroll(other_team))
    assert _reason(team, foreign.code) == _reason(team, "NOPE-NOPE")  # same as unknown

    void = give_coupon(team, member)
    coupon_void(coupon=void, actor=team.manager)
    assert _reason(team, void.code) == (
        reasons.VOID,
        f"Coupon {shown(void)} was cancelled and cannot be used.",
    )

    used = give_coupon(team, member)
    coupon_redeem(merchant=team.merchant, code=used.code, amount=1000)
    code, sentence = _reason(team, used.code)
    assert code == reasons.ALREADY_REDEEMED
    assert sentence.startswith(f"Coupon {shown(used)} was already used on ")

    expired = give_coupon(team, member, expires_at=now - timedelta(minutes=1))
    code, sentence = _reason(team, expired.code)
    assert code == reasons.EXPIRED
    assert "expired on" in sentence

    theirs = give_coupon(team, enroll(team))
    assert _reason(team, theirs.code, member=member) == (
        reasons.OTHER_MEMBER,
        f"Coupon {shown(theirs)} belongs to another member.",
    )
    assert coupon_check(merchant=team.merchant, code=theirs.code, amount=2000).valid  # no member

    minimum = give_coupon(team, member, min_spend=2500)
    code, sentence = _reason(team, minimum.code, amount=2499)
    assert code == reasons.BELOW_MIN_SPEND
    assert f"at least {money(team, 2500)}" in sentence
    assert f"{money(team, 2499)}" in sentence
    assert coupon_check(merchant=team.merchant, code=minimum.code, amount=2500).valid


@pytest.mark.parametrize("amount", [0, -1, "10"])
def test_a_check_needs_a_basket(team, amount):
    with refusal(DomainError) as refused:
        coupon_check(merchant=team.merchant, code="ABCDEFGH", amount=amount)
    assert refused.value.field == "amount"


def test_codes_are_read_as_cashiers_type_them():
    assert normalize_code(code=" abcd-efgh ") == normalize_code(code="ABCD EFGH") == "ABCDEFGH"


# Redemption ---------------------------------------------------------------------------


def test_a_coupon_is_redeemed_once(team):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    result = coupon_redeem(
        merchant=team.merchant,
        code=coupon.code,
        amount=1200,
        member=member,
        actor=team.staff,
        location=team.merchant_location,
    )
    assert (result.created, result.discount) == (True, 500)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED
    assert (coupon.redeemed_amount, coupon.redeemed_by, coupon.redeemed_location) == (
        1200,
        team.staff,
        team.merchant_location,
    )
    assert member.events.filter(kind="coupon_redeemed").exists()
    with refusal(Conflict) as second:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=1200)
    assert (second.value.code, second.value.status) == ("coupon_already_redeemed", 409)


def test_a_retry_with_the_same_redeem_key_answers_the_same(team):
    coupon = give_coupon(team, value=500)
    first = coupon_redeem(merchant=team.merchant, code=coupon.code, amount=900, redeem_key="k-1")
    again = coupon_redeem(merchant=team.merchant, code=coupon.code, amount=900, redeem_key="k-1")
    assert (again.created, again.discount, again.coupon) == (False, 500, first.coupon)
    with refusal(Conflict, match="another amount"):
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=901, redeem_key="k-1")
    with refusal(Conflict) as other:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=900, redeem_key="k-2")
    assert other.value.code == "coupon_already_redeemed"


def test_a_refused_redemption_names_its_reason(team):
    coupon = give_coupon(team, min_spend=1000)
    with refusal(DomainError) as refused:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=999)
    assert (refused.value.code, refused.value.field) == (reasons.BELOW_MIN_SPEND, "code")
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


# A purchase paid with a coupon --------------------------------------------------------


def _pay(team, member, amount, code, external_id="T-1"):
    return sale_record(
        merchant=team.merchant,
        member=member,
        external_id=external_id,
        amount=amount,
        coupon_code=code,
        actor=team.staff,
    )


def test_the_purchase_is_recorded_at_what_was_paid_and_linked_to_the_coupon(team):
    enable_cashback(team, threshold=100_000)
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)

    sale = _pay(team, member, 2000, shown(coupon))

    assert (sale.paid, sale.discount, sale.coupon) == (1500, 500, coupon)
    purchase = sale.result.purchase
    assert (purchase.amount, purchase.discount) == (1500, 500)
    assert sale.result.points_earned == 150  # earned on what was paid
    assert sale.result.extras["cashback_earned"] == 75
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase, coupon.redeemed_amount) == (
        CouponStatus.REDEEMED,
        purchase,
        2000,
    )


def test_a_sale_takes_the_members_lock_once(team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = enroll(team)
    buy(team, member, 1000)  # the account exists (its first use inserts, then locks)
    coupon = give_coupon(team, member, value=500)
    with CaptureQueriesContext(connection) as queries:
        _pay(team, member, 2000, coupon.code)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len([sql for sql in locks if "programs_pointsaccount" in sql]) == 1


def test_the_same_ticket_again_records_and_redeems_once(team):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    first = _pay(team, member, 2000, coupon.code)
    again = _pay(team, member, 2000, shown(coupon).lower())
    assert again.created is False
    assert again.result.purchase == first.result.purchase
    assert (again.discount, again.paid, again.coupon) == (500, 1500, coupon)
    assert Purchase.objects.count() == 1
    assert points_balance(member=member) == 150


@pytest.mark.parametrize(
    ("basket", "which"),
    [(2100, "same"), (2000, "other"), (1500, "none"), (2000, "none")],
    ids=["another-basket", "another-coupon", "what-was-paid-without-it", "basket-without-it"],
)
def test_the_same_ticket_with_another_sale_is_a_conflict_and_changes_nothing(team, basket, which):
    member = enroll(team)
    coupon, other = give_coupon(team, member, value=500), give_coupon(team, member, value=500)
    _pay(team, member, 2000, coupon.code)
    code = {"same": coupon.code, "other": other.code, "none": ""}[which]

    with refusal(Conflict) as refused:
        _pay(team, member, basket, code)

    assert refused.value.code == "purchase_id_reused"
    other.refresh_from_db()
    assert other.status == CouponStatus.ISSUED
    assert Purchase.objects.get().amount == 1500


def test_a_plain_purchase_again_with_a_coupon_is_a_conflict(team):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    buy(team, member, 2000, external_id="T-1")
    with refusal(Conflict) as refused:
        _pay(team, member, 2000, coupon.code)
    assert refused.value.code == "purchase_id_reused"
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_a_bad_coupon_records_nothing_and_a_refused_purchase_redeems_nothing(team, other_team):
    member = enroll(team)
    someone_elses = give_coupon(team, enroll(team))
    with refusal(Conflict) as refused:
        _pay(team, member, 2000, someone_elses.code)
    assert (refused.value.code, refused.value.field) == (reasons.OTHER_MEMBER, "coupon")
    assert not Purchase.objects.exists()
    assert not member.events.filter(kind="coupon_redeemed").exists()

    buy(team, member, 999, external_id="T-taken")
    coupon = give_coupon(team, member)
    with refusal(Conflict):  # the ticket id was used for another amount
        _pay(team, member, 2000, coupon.code, external_id="T-taken")
    with refusal(DomainError) as foreign:  # refused by the purchase, before the coupon
        _pay(team, enroll(other_team), 2000, coupon.code, external_id="T-new")
    assert foreign.value.field == "member"
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_a_coupon_worth_the_whole_basket_records_the_sale_paid_0(team):
    enable_cashback(team, threshold=100_000)
    member = enroll(team)
    coupon = give_coupon(team, member, value=1000)

    sale = _pay(team, member, 800, coupon.code)

    assert (sale.paid, sale.discount, sale.created) == (0, 800, True)
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.discount, purchase.points_earned) == (0, 800, 0)
    assert (sale.result.points_earned, sale.result.extras["cashback_earned"]) == (0, 0)
    assert not LedgerEntry.objects.exists()
    assert member.events.filter(kind="purchase").exists()
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase) == (CouponStatus.REDEEMED, purchase)
    again = _pay(team, member, 800, coupon.code)
    assert (again.created, again.result.purchase, again.paid) == (False, purchase, 0)


def test_a_sale_paid_0_is_refunded_once_with_0_and_gives_the_coupon_back(team):
    member = enroll(team)
    coupon = give_coupon(team, member, value=1000)
    purchase = _pay(team, member, 800, coupon.code).result.purchase
    for amount in (1, 800):  # nothing was paid: no money goes back
        with refusal(DomainError, match="Only 0 of this purchase"):
            refund_record(purchase=purchase, external_id="R-1", amount=amount)

    refund = refund_record(purchase=purchase, external_id="R-1", amount=0)

    assert (refund.points_reversed, refund.extras["coupons_restored"]) == (0, [coupon.code])
    coupon.refresh_from_db()
    assert (coupon.status, coupon.redeemed_purchase) == (CouponStatus.ISSUED, None)
    assert refund_record(purchase=purchase, external_id="R-1", amount=0).created is False
    with refusal(DomainError, match="refunded in full already"):
        refund_record(purchase=purchase, external_id="R-2", amount=0)
    # The ticket again answers the first sale; the coupon given back stays live.
    again = _pay(team, member, 800, coupon.code)
    assert (again.created, again.discount, again.coupon) == (False, 800, None)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_a_refund_of_0_is_only_for_a_sale_paid_0(team):
    member = enroll(team)
    purchase = buy(team, member, 1000).purchase
    with refusal(DomainError, match="more than zero"):
        refund_record(purchase=purchase, external_id="R-1", amount=0)
    assert not purchase.refunds.exists()


def test_the_migration_fills_in_the_discount_of_earlier_counter_sales(team):
    """Before `Purchase.discount`, the counter recorded what was paid and redeemed the
    coupon for the basket with the ticket as its key: that discount is known exactly. A
    storefront's own two calls (its redeem key) are left as they were."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "apps.programs.coupons.migrations.0006_purchase_discount_backfill"
    )
    member = enroll(team)
    counter = buy(team, member, 1500, external_id="T-1").purchase
    storefront = buy(team, member, 1500, external_id="T-2").purchase
    for purchase, key in ((counter, "purchase:T-1"), (storefront, "pos-2")):
        coupon = give_coupon(team, member, value=500)
        coupon_redeem(
            merchant=team.merchant, code=coupon.code, amount=2000, purchase=purchase, redeem_key=key
        )

    migration.backfill(apps, None)

    counter.refresh_from_db()
    storefront.refresh_from_db()
    assert (counter.amount, counter.discount) == (1500, 500)
    assert storefront.discount == 0


# The refund rule ----------------------------------------------------------------------


def test_a_full_refund_restores_the_coupon_a_partial_one_does_not(team):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    expires_at = coupon.expires_at
    purchase = _pay(team, member, 2000, coupon.code).result.purchase  # paid 1500

    partial = refund_record(purchase=purchase, external_id="R-1", amount=1000)
    assert partial.extras["coupons_restored"] == []
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED

    rest = refund_record(purchase=purchase, external_id="R-2", amount=500)
    assert rest.extras["coupons_restored"] == [coupon.code]
    coupon.refresh_from_db()
    assert (coupon.status, coupon.code, coupon.expires_at) == ("issued", coupon.code, expires_at)
    assert coupon.redeemed_purchase is None
    assert coupon.redeemed_at is None
    assert member.events.filter(kind="coupon_restored").exists()
    assert coupon_check(merchant=team.merchant, code=coupon.code, amount=100).valid


def test_a_restored_coupon_past_its_date_stays_expired(team):
    member = enroll(team)
    coupon = give_coupon(team, member, expires_at=timezone.now() + timedelta(days=1))
    purchase = _pay(team, member, 2000, coupon.code).result.purchase
    Coupon.objects.filter(pk=coupon.pk).update(expires_at=timezone.now() - timedelta(days=1))
    refund_record(purchase=purchase, external_id="R-1", amount=purchase.amount)
    check = coupon_check(merchant=team.merchant, code=coupon.code, amount=2000)
    assert check.reason_code == reasons.EXPIRED


# By hand ------------------------------------------------------------------------------


def test_a_manager_gives_a_coupon_with_a_reason_audited(team):
    member = enroll(team)
    with refusal(DomainError) as no_reason:
        coupon_issue_by_hand(
            member=member, value=500, days=30, min_spend=0, reason=" ", actor=team.manager
        )
    assert no_reason.value.field == "reason"
    coupon = coupon_issue_by_hand(
        member=member, value=500, days=30, min_spend=1000, reason="complaint", actor=team.manager
    )
    assert (coupon.source, coupon.issued_by, coupon.min_spend) == ("manual", team.manager, 1000)
    assert (coupon.expires_at - coupon.issued_at).days == 30
    assert AuditLog.objects.filter(action="coupon.issued", target_id=str(coupon.pk)).exists()


def test_voiding_a_used_coupon_is_refused_a_live_one_is_audited(team):
    live, used = give_coupon(team), give_coupon(team)
    coupon_redeem(merchant=team.merchant, code=used.code, amount=1000)
    with refusal(Conflict):
        coupon_void(coupon=used, actor=team.manager)
    assert coupon_void(coupon=live, actor=team.manager, reason="typo") is True
    assert coupon_void(coupon=live, actor=team.manager) is False
    assert AuditLog.objects.filter(action="coupon.voided").count() == 1


# Rewards of kind coupon ---------------------------------------------------------------


def _coupon_reward_redeemed(team):
    member = enroll(team)
    points_adjust(member=member, points=100, reason="given", actor=team.manager)
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="€5 off next visit",
        kind=RewardKind.COUPON,
        points_cost=100,
        discount_amount=500,
    )
    return member, reward_redeem(merchant=team.merchant, member=member, reward=reward).redemption


def test_a_coupon_reward_issues_its_coupon_and_a_void_cancels_it(team):
    member, redemption = _coupon_reward_redeemed(team)
    coupon = Coupon.objects.get(source_redemption=redemption)
    assert (coupon.source, coupon.value, coupon.member) == (CouponSource.REWARD, 500, member)
    assert coupon.issue_key == f"redemption-{redemption.pk}"
    redemption_void(redemption=redemption, actor=team.manager, role=Role.MANAGER)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.VOID
    assert points_balance(member=member) == 100


def _codes_drawn(monkeypatch, *codes):
    """The coupon codes `coupon_issue` draws next, in this order."""
    drawn = iter(codes)
    monkeypatch.setattr(coupon_services, "_new_code", lambda: next(drawn))


def test_an_automatic_coupon_whose_code_is_taken_draws_another_without_a_savepoint(
    team, monkeypatch
):
    taken = give_coupon(team, value=100)
    _codes_drawn(monkeypatch, taken.code, "FRESHONE")

    with CaptureQueriesContext(connection) as queries:
        coupon = give_coupon(team, value=500, issue_key="cashback-p1-1")

    assert coupon.code == "FRESHONE"
    assert coupon.pk == Coupon.objects.get(code="FRESHONE").pk
    assert Coupon.objects.get(pk=taken.pk).value == 100  # the other coupon is untouched
    assert not [q["sql"] for q in queries if "SAVEPOINT" in q["sql"].upper()]


def test_the_same_issue_key_again_answers_the_first_coupon(team, monkeypatch):
    first = give_coupon(team, value=500, issue_key="referral-7-referrer")
    _codes_drawn(monkeypatch, "OTHERONE")

    again = give_coupon(team, value=500, issue_key="referral-7-referrer")

    assert again.pk == first.pk
    assert again.code == first.code
    assert Coupon.objects.count() == 1


def test_a_coupon_by_hand_whose_code_is_taken_draws_another(team, monkeypatch):
    taken = give_coupon(team, value=100)
    _codes_drawn(monkeypatch, taken.code, "FRESHTWO")

    coupon = coupon_issue_by_hand(
        member=enroll(team), value=500, days=30, min_spend=0, reason="sorry", actor=team.manager
    )

    assert coupon.code == "FRESHTWO"
    assert Coupon.objects.count() == 2


def test_a_coupon_reward_whose_coupon_was_used_cannot_be_voided(team):
    member, redemption = _coupon_reward_redeemed(team)
    coupon = Coupon.objects.get(source_redemption=redemption)
    coupon_redeem(merchant=team.merchant, code=coupon.code, amount=1000)
    with refusal(Conflict) as refused:
        redemption_void(redemption=redemption, actor=team.manager, role=Role.MANAGER)
    assert refused.value.code == "coupon_already_redeemed"
    redemption.refresh_from_db()
    assert redemption.status == "issued"
    assert points_balance(member=member) == 0


# Pages --------------------------------------------------------------------------------


def _purchase_url(member):
    return reverse("programs:purchase_create", args=[member.public_id])


def test_the_counter_records_a_purchase_with_a_coupon(team, client_as):
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    client = client_as(team.staff)
    response = client.post(
        _purchase_url(member),
        {"amount": "20.00", "external_id": "T-9", "coupon": shown(coupon).lower()},
        follow=True,
    )
    assert "Coupon " + shown(
        coupon
    ) + f": {money(team, 500)} off; paid {money(team, 1500)}. 150 points earned" in (response.text)
    assert Purchase.objects.get().amount == 1500


def test_the_counter_records_a_sale_a_coupon_paid_in_full(team, client_as):
    member = enroll(team)
    coupon = give_coupon(team, member, value=1000)
    client = client_as(team.staff)
    sale = {"amount": "8.00", "external_id": "T-9", "coupon": shown(coupon)}

    first = client.post(_purchase_url(member), sale, follow=True)
    again = client.post(_purchase_url(member), sale, follow=True)  # a double tap

    assert (
        f"Coupon {shown(coupon)} paid the whole basket ({money(team, 800)}): "
        "nothing to pay, nothing earned." in first.text
    )
    assert "Already recorded" in again.text
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.discount, purchase.actor) == (0, 800, team.staff)


def test_a_bad_coupon_at_the_counter_is_a_form_error(team, client_as):
    member = enroll(team)
    response = client_as(team.staff).post(
        _purchase_url(member), {"amount": "20.00", "external_id": "T-9", "coupon": "NOPE-NOPE"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["coupon"] == ["No coupon has that code here. Check it."]
    assert not Purchase.objects.exists()


def test_the_member_panel_lists_live_coupons_and_the_wallet(team, client_as):
    enable_cashback(team, threshold=1000)
    member = enroll(team)
    buy(team, member, 5000)  # 250 in the wallet
    live = give_coupon(team, member, value=700, min_spend=2000)
    used = give_coupon(team, member)
    coupon_redeem(merchant=team.merchant, code=used.code, amount=1000)
    url = reverse("coupons:member_coupons", args=[member.public_id])

    staff = client_as(team.staff).get(url, headers={"HX-Request": "true"})
    assert staff.text.lstrip().startswith('<section id="coupons"')
    assert shown(live) in staff.text
    assert shown(used) not in staff.text
    assert f"{money(team, 700)}" in staff.text
    assert f"{money(team, 2000)} or more" in staff.text
    assert f"{money(team, 250)}" in staff.text
    assert f"{money(team, 750)} more makes a {money(team, 1000)} coupon" in staff.text
    assert "Give a coupon" not in staff.text
    assert "Cancel" not in staff.text

    manager = client_as(team.manager).get(url)
    assert "Give a coupon" in manager.text
    assert "Cancel" in manager.text


def test_a_manager_gives_and_cancels_a_coupon_from_the_member_page(team, client_as):
    member = enroll(team)
    client = client_as(team.manager)
    refused = client.post(
        reverse("coupons:issue", args=[member.public_id]),
        {"value": "5", "days": "30", "min_spend": "0", "reason": ""},
    )
    assert refused.status_code == 400
    assert not Coupon.objects.exists()
    client.post(
        reverse("coupons:issue", args=[member.public_id]),
        {"value": "5", "days": "30", "min_spend": "0", "reason": "birthday"},
    )
    coupon = Coupon.objects.get()
    assert (coupon.value, coupon.reason) == (500, "birthday")
    response = client.post(reverse("coupons:void", args=[coupon.code]), follow=True)
    assert f"Coupon {shown(coupon)} cancelled." in response.text
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.VOID


def test_staff_check_and_redeem_a_coupon(team, client_as):
    coupon = give_coupon(team, value=500, min_spend=1000)
    client = client_as(team.staff)
    low = client.get(reverse("coupons:check"), {"code": coupon.code, "amount": "9.99"})
    assert "Cannot be used." in low.text
    assert f"at least {money(team, 1000)}" in low.text
    assert "Redeem coupon" not in low.text

    ok = client.get(reverse("coupons:check"), {"code": shown(coupon), "amount": "12"})
    assert f"Coupon {shown(coupon)} is valid:" in ok.text
    assert f"{money(team, 500)} off" in ok.text
    form = ok.context["redeem_form"]
    data = {name: form[name].value() for name in ("code", "amount", "redeem_key")}
    done = client.post(reverse("coupons:redeem"), data, follow=True)
    assert f"Coupon {shown(coupon)} used: {money(team, 500)} off." in done.text
    again = client.post(reverse("coupons:redeem"), data, follow=True)  # a double tap
    assert "Already done" in again.text
    other = client.post(reverse("coupons:redeem"), {**data, "redeem_key": "x"})
    assert other.status_code == 400
    assert "already used" in other.text


def test_the_coupon_list_filters_by_status_and_source(team, client_as):
    member = enroll(team)
    live = give_coupon(team, member)
    used = give_coupon(team, member)
    coupon_redeem(merchant=team.merchant, code=used.code, amount=1000)
    expired = give_coupon(team, member, expires_at=timezone.now() - timedelta(days=1))
    void = give_coupon(team, member)
    coupon_void(coupon=void, actor=team.manager)
    client = client_as(team.manager)

    def codes(**query):
        response = client.get(reverse("coupons:list"), query)
        return {coupon.code for coupon, _shown, _state in response.context["rows"]}

    assert codes() == {live.code, used.code, expired.code, void.code}
    assert codes(status="live") == {live.code}
    assert codes(status="redeemed") == {used.code}
    assert codes(status="expired") == {expired.code}
    assert codes(status="void") == {void.code}
    assert codes(source="reward") == set()


def test_the_cashback_page_saves_percent_as_basis_points(team, client_as):
    client = client_as(team.manager)
    response = client.post(
        reverse("coupons:cashback"),
        {
            "is_enabled": "on",
            "rate": "2.5",
            "threshold": "10.00",
            "coupon_days": "60",
            "coupon_min_spend": "15",
        },
    )
    assert response.status_code == 302
    from apps.programs.coupons.selectors import cashback_settings

    settings = cashback_settings(merchant=team.merchant)
    assert (settings.is_enabled, settings.rate_bp, settings.threshold) == (True, 250, 1000)
    assert (settings.coupon_days, settings.coupon_min_spend) == (60, 1500)
    bad = client.post(
        reverse("coupons:cashback"),
        {"rate": "2.555", "threshold": "10", "coupon_days": "60", "coupon_min_spend": "0"},
    )
    assert bad.status_code == 400
    client.post(reverse("coupons:category_rate_create"), {"category": " Bakery ", "rate": "10"})
    page = client.get(reverse("coupons:cashback"))
    assert "bakery: 10 %" in page.text
    assert 'value="2.5"' in page.text


def test_the_counter_results_show_live_coupons_in_one_query(team, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    members = [enroll(team, first_name=f"Lucía {n}") for n in range(3)]
    give_coupon(team, members[0])
    give_coupon(team, members[0])
    client = client_as(team.staff)
    headers = {"HX-Request": "true", "HX-Target": "results"}
    client.get(reverse("members:counter"), {"q": "lucia"}, headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("members:counter"), {"q": "lucia"}, headers=headers)
    coupon_queries = [query for query in queries if "coupons_coupon" in query["sql"]]
    assert len(coupon_queries) == 1
    assert "2 coupons" in response.text


def test_a_coupon_redeemed_for_a_recorded_purchase_is_linked_and_restored_with_it(team, other_team):
    """The API's shape: the storefront records the purchase, then redeems with it."""
    member = enroll(team)
    coupon = give_coupon(team, member, value=500)
    purchase = buy(team, member, 1500).purchase
    foreign = buy(other_team, enroll(other_team), 1500).purchase
    with refusal(DomainError) as refused:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=2000, purchase=foreign)
    assert refused.value.field == "purchase"

    coupon_redeem(merchant=team.merchant, code=coupon.code, amount=2000, purchase=purchase)
    coupon.refresh_from_db()
    assert coupon.redeemed_purchase == purchase
    refund_record(purchase=purchase, external_id="R-1", amount=1500)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ISSUED


def test_a_purchase_checks_a_member_bound_coupon_against_its_member(team):
    coupon = give_coupon(team, enroll(team))
    purchase = buy(team, enroll(team), 1500).purchase
    with refusal(DomainError) as refused:
        coupon_redeem(merchant=team.merchant, code=coupon.code, amount=2000, purchase=purchase)
    assert refused.value.code == reasons.OTHER_MEMBER


def test_coupons_follow_a_merge(team):
    from apps.members.services import member_merge

    survivor, duplicate = enroll(team), enroll(team)
    coupon = give_coupon(team, duplicate)
    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    coupon.refresh_from_db()
    assert coupon.member == survivor
