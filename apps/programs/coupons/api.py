"""The storefront API for coupons: validate one against a basket, redeem it once. Thin:
`selectors.coupon_check` and `services.coupon_redeem`, as the counter."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api.base import ApiView, TextField
from apps.core.api.idempotency import idempotent
from apps.core.errors import DomainError
from apps.members.api import ErrorOut, input_member
from apps.programs.coupons.api_fields import CouponOut, coupon_data
from apps.programs.coupons.selectors import coupon_check
from apps.programs.coupons.services import coupon_redeem
from apps.programs.models import Purchase
from apps.programs.selectors import purchase_by_external_id


class CouponIn(serializers.Serializer):
    code = TextField(max_length=40)
    amount = serializers.IntegerField(min_value=1, max_value=10**12, help_text="The basket, cents.")
    member = TextField(
        required=False, allow_blank=True, max_length=40, help_text="Who presents it (mbr_…)."
    )


class CouponRedeemIn(CouponIn):
    purchase = TextField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The external_id of the purchase it paid part of (a full refund of it "
        "gives the coupon back).",
    )
    external_id = TextField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Your id of this redemption: the same again answers the same.",
    )


class CouponCheckOut(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    discount = serializers.IntegerField(
        help_text="Cents off the basket (a percent coupon's percent of it, rounded down); 0 "
        "when not valid."
    )
    reason_code = serializers.CharField(help_text="Why not, machine-readable; empty if valid.")
    reason = serializers.CharField()
    coupon = CouponOut(allow_null=True, help_text="The coupon, when valid.")


class CouponRedeemOut(serializers.Serializer):
    code = serializers.CharField()
    discount = serializers.IntegerField(help_text="Cents taken off the basket.")
    status = serializers.CharField()
    coupon = CouponOut()


def _purchase(request, external_id: str) -> Purchase | None:
    if not external_id:
        return None
    purchase = purchase_by_external_id(merchant=request.auth.merchant, external_id=external_id)
    if purchase is None:
        raise DomainError(gettext("No purchase with this id."), field="purchase")
    return purchase


class CouponValidateView(ApiView):
    @extend_schema(
        summary="Check a coupon against a basket: valid or not, the discount, why not",
        request=CouponIn,
        responses={200: CouponCheckOut, 400: ErrorOut},
    )
    def post(self, request):
        incoming = CouponIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        member = input_member(request, values["member"]) if values.get("member") else None
        check = coupon_check(
            merchant=request.auth.merchant,
            code=values["code"],
            amount=values["amount"],
            member=member,
        )
        return Response(
            {
                "code": check.code,
                "valid": check.valid,
                "discount": check.discount,
                "reason_code": check.reason_code,
                "reason": check.reason,
                "coupon": coupon_data(check.coupon) if check.coupon and check.valid else None,
            }
        )


class CouponRedeemView(ApiView):
    @extend_schema(
        summary="Redeem a coupon once (a second try answers 409)",
        request=CouponRedeemIn,
        responses={201: CouponRedeemOut, 200: CouponRedeemOut, 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = CouponRedeemIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        member = input_member(request, values["member"]) if values.get("member") else None
        redemption = coupon_redeem(
            merchant=request.auth.merchant,
            code=values["code"],
            amount=values["amount"],
            member=member,
            purchase=_purchase(request, values.get("purchase", "")),
            redeem_key=values.get("external_id", ""),
        )
        coupon = redemption.coupon
        return Response(
            {
                "code": coupon.code,
                "discount": redemption.discount,
                "status": coupon.status,
                "coupon": coupon_data(coupon),
            },
            status=201 if redemption.created else 200,
        )
