"""The storefront API for points: the member's ledger, purchases and refunds. Thin: the
same services as the counter (`sale.sale_record`, `services.refund_record`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api.base import ApiView, TextField, input_location
from apps.core.api.idempotency import idempotent
from apps.core.errors import NotFound
from apps.members.api import ErrorOut, input_member
from apps.programs import services
from apps.programs.sale import SaleResult, sale_record
from apps.programs.selectors import purchase_by_external_id

LEDGER_PAGE = 100


class ItemIn(serializers.Serializer):
    sku = TextField(required=False, allow_blank=True, max_length=100)
    category = TextField(required=False, allow_blank=True, max_length=100)
    quantity = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)
    unit_amount = serializers.IntegerField(min_value=0, max_value=10**10, help_text="Cents.")


class PurchaseIn(serializers.Serializer):
    member = TextField(max_length=40, help_text="The member's id (mbr_…).")
    external_id = TextField(max_length=100, help_text="Your order or ticket id.")
    amount = serializers.IntegerField(
        min_value=1,
        max_value=10**12,
        help_text="What was paid, in minor units (cents); with a `coupon`, the basket before "
        "its discount.",
    )
    currency = TextField(min_length=3, max_length=3)
    coupon = TextField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="A coupon code paying part of the basket (or all of it: the purchase is "
        "recorded paid 0). One that cannot be used is a 409 with its reason, and nothing is "
        "recorded.",
    )
    items = ItemIn(many=True, required=False, max_length=500)
    location = TextField(
        required=False, allow_blank=True, max_length=120, help_text="The location's name."
    )
    occurred_at = serializers.DateTimeField(required=False)

    def validate_occurred_at(self, value):
        # A till's clock may run a little ahead of the server's; a day ahead is a mistake.
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError(gettext("A purchase cannot be in the future."))
        return value


class ReferralRewardOut(serializers.Serializer):
    referral = serializers.IntegerField(help_text="The referral this first purchase converted.")
    points = serializers.IntegerField(required=False, help_text="Points the new member got.")
    coupon = serializers.CharField(required=False, help_text="The coupon the new member got.")


class PurchaseOut(serializers.Serializer):
    """Every key a purchase can answer with: the points engine's, and those the tiers,
    cashback and referral programs add (each only when that program is on)."""

    id = serializers.CharField(help_text="The purchase's external_id.")
    member = serializers.CharField()
    amount = serializers.IntegerField(help_text="As sent: with a coupon, the basket.")
    currency = serializers.CharField()
    discount = serializers.IntegerField(
        required=False, help_text="With a coupon: what it took off the basket (cents)."
    )
    paid = serializers.IntegerField(
        required=False,
        help_text="With a coupon: the basket less the discount, what earns and what a refund "
        "can give back (cents).",
    )
    points_earned = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    cashback_earned = serializers.IntegerField(required=False)
    coupons_issued = serializers.ListField(child=serializers.CharField(), required=False)
    tier = serializers.CharField(required=False, allow_null=True)
    tier_changed = serializers.BooleanField(
        required=False, help_text="Whether this purchase moved the member to another tier."
    )
    referral_reward = ReferralRewardOut(
        required=False, help_text="When this purchase converted a referral: what it gave."
    )


class RefundIn(serializers.Serializer):
    external_id = TextField(max_length=100, help_text="Your refund id.")
    amount = serializers.IntegerField(
        min_value=0,
        max_value=10**12,
        help_text="Cents, at most what is left of what was paid. 0 only for a purchase a coupon "
        "paid in full: its refund gives the coupon back.",
    )


class RefundOut(serializers.Serializer):
    id = serializers.CharField(help_text="The refund's external_id.")
    purchase = serializers.CharField()
    amount = serializers.IntegerField()
    points_reversed = serializers.IntegerField()
    points_shortfall = serializers.IntegerField(help_text="Taken back but already spent.")
    points_balance = serializers.IntegerField()
    cashback_reversed = serializers.IntegerField(required=False, help_text="Cents taken back.")
    cashback_shortfall = serializers.IntegerField(
        required=False, help_text="Cashback taken back but already turned into coupons (cents)."
    )
    coupons_restored = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Coupons used on the purchase, live again after a full refund.",
    )
    referral_reversed = serializers.IntegerField(
        required=False, help_text="The referral whose rewards this refund reversed."
    )


def purchase_data(sale: SaleResult, *, with_coupon: bool = False) -> dict:
    purchase = sale.result.purchase
    answer = {
        "id": purchase.external_id,
        "member": purchase.member.public_id,
        "amount": purchase.amount + purchase.discount,  # the basket, as it was sent
        "currency": purchase.currency,
    }
    if with_coupon:
        answer |= {"discount": sale.discount, "paid": sale.paid}
    return answer | {
        "points_earned": sale.result.points_earned,
        "points_balance": sale.result.points_balance,
        **sale.result.extras,
    }


class PurchasesView(ApiView):
    @extend_schema(
        summary="Record a purchase (earns points), paid in part with a coupon or not",
        request=PurchaseIn,
        responses={201: PurchaseOut, 200: PurchaseOut, 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = PurchaseIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        merchant = request.auth.merchant
        coupon = values.get("coupon", "")
        sale = sale_record(
            merchant=merchant,
            member=input_member(request, values["member"]),
            external_id=values["external_id"],
            amount=values["amount"],
            coupon_code=coupon,
            currency=values["currency"],
            location=input_location(merchant, values.get("location", "")),
            occurred_at=values.get("occurred_at"),
            items=[dict(item) for item in values.get("items", [])],
        )
        return Response(
            purchase_data(sale, with_coupon=bool(coupon)), status=201 if sale.created else 200
        )


class RefundsView(ApiView):
    @extend_schema(
        summary="Refund part or all of a purchase (takes back its points in proportion)",
        request=RefundIn,
        responses={201: RefundOut, 200: RefundOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request, purchase_id: str):
        incoming = RefundIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        purchase = purchase_by_external_id(merchant=request.auth.merchant, external_id=purchase_id)
        if purchase is None:
            raise NotFound(gettext("No purchase with this id."), field="purchase")
        result = services.refund_record(purchase=purchase, **incoming.validated_data)
        return Response(
            {
                "id": result.refund.external_id,
                "purchase": purchase.external_id,
                "amount": result.refund.amount,
                "points_reversed": result.points_reversed,
                "points_shortfall": result.shortfall,
                "points_balance": result.points_balance,
                **result.extras,
            },
            status=201 if result.created else 200,
        )
