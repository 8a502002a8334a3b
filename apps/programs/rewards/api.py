"""The storefront API for the catalog, redemptions, custom events and the program's
terms. Thin: the same services as the counter (rewards.py, bonuses.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api.base import ApiView, TextField, input_location
from apps.core.api.idempotency import idempotent
from apps.core.errors import DomainError, NotFound
from apps.core.extensions import PROGRAM_API_FIELDS, reward_refusal
from apps.core.models import Merchant, Role
from apps.members.api import ErrorOut, input_member
from apps.programs.points.bonuses import event_bonus_award
from apps.programs.points.earning import active_promotion, earn_terms
from apps.programs.points.selectors import bonus_rule_list, multiplier_list, points_balance
from apps.programs.rewards.models import Redemption, Reward, RewardKind
from apps.programs.rewards.selectors import (
    merchant_today,
    redemption_by_code,
    reward_by_public_id,
    reward_list,
    reward_unavailable_reason,
)
from apps.programs.rewards.services import redemption_void, reward_redeem

# Program terms ------------------------------------------------------------------------


class RewardOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=RewardKind.choices)
    points_cost = serializers.IntegerField()
    discount_amount = serializers.IntegerField(allow_null=True, help_text="Cents.")
    discount_percent = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField()
    stock = serializers.IntegerField(allow_null=True)
    available = serializers.BooleanField()
    unavailable_reason = serializers.CharField(allow_null=True)
    affordable = serializers.BooleanField(
        allow_null=True, help_text="With ?member=: whether that member can redeem it now."
    )


def reward_data(reward: Reward, *, today, member=None, balance: int | None = None) -> dict:
    reason = reward_unavailable_reason(reward=reward, today=today)
    if reason is None and member is not None:
        reason = reward_refusal(reward, member)
    return {
        "id": reward.public_id,
        "name": reward.name,
        "description": reward.description,
        "kind": reward.kind,
        "points_cost": reward.points_cost,
        "discount_amount": reward.discount_amount,
        "discount_percent": reward.discount_percent,
        "product_name": reward.product_name,
        "stock": reward.stock,
        "available": reason is None,
        "unavailable_reason": reason,
        "affordable": None if balance is None else reason is None and balance >= reward.points_cost,
    }


class RewardsView(ApiView):
    query_parameters = frozenset({"member"})

    @extend_schema(
        summary="The rewards catalog, with what a member can afford",
        parameters=[OpenApiParameter("member", str, description="A member's id.")],
        responses={200: inline_serializer("RewardList", {"results": RewardOut(many=True)})},
    )
    def get(self, request):
        merchant = request.auth.merchant
        member, balance = None, None
        if member_id := request.query_params.get("member"):
            member = input_member(request, member_id[:40])
            balance = points_balance(member=member)
        today = merchant_today(merchant=merchant)
        rewards = reward_list(merchant=merchant, include_inactive=False)
        return Response(
            {
                "results": [
                    reward_data(reward, today=today, member=member, balance=balance)
                    for reward in rewards
                ]
            }
        )


def _bonus_rules(merchant: Merchant) -> list[dict]:
    return [
        {
            "action": rule.action,
            "event_type": rule.event_type,
            "points": rule.points,
            "cap_count": rule.cap_count,
            "cap_period": rule.cap_period,
        }
        for rule in bonus_rule_list(merchant=merchant, active_only=True)
    ]


def _program_schema() -> type[serializers.Serializer]:
    fields = {
        "currency": serializers.CharField(),
        "points_per_unit": serializers.IntegerField(help_text="Points per whole unit spent."),
        "points_expire_after_months": serializers.IntegerField(allow_null=True),
        "multipliers": serializers.ListField(child=serializers.DictField()),
        "promotion": serializers.DictField(allow_null=True),
        "bonuses": serializers.ListField(child=serializers.DictField()),
        "rewards": RewardOut(many=True),
    }
    for extension in PROGRAM_API_FIELDS:
        fields[extension.name] = extension.field
    return type("Program", (serializers.Serializer,), fields)


class ProgramView(ApiView):
    @extend_schema(summary="The program as a storefront needs it", responses=_program_schema())
    def get(self, request):
        merchant = request.auth.merchant
        terms = earn_terms(merchant=merchant)
        promotion = active_promotion(merchant=merchant, at=timezone.now(), location=None)
        today = merchant_today(merchant=merchant)
        body = {
            "currency": merchant.currency,
            "points_per_unit": terms.points_per_unit,
            "points_expire_after_months": terms.expiry_months or None,
            "multipliers": [
                {"target": rule.target, "value": rule.value, "percent": rule.percent}
                for rule in multiplier_list(merchant=merchant, active_only=True)
            ],
            "promotion": {
                "name": promotion.name,
                "percent": promotion.percent,
                "ends_at": promotion.ends_at.isoformat(),
            }
            if promotion
            else None,
            "bonuses": _bonus_rules(merchant),
            "rewards": [
                reward_data(reward, today=today)
                for reward in reward_list(merchant=merchant, include_inactive=False)
            ],
        }
        for extension in PROGRAM_API_FIELDS:
            body[extension.name] = extension.data(merchant)
        return Response(body)


# Redemptions ---------------------------------------------------------------------------


class RedemptionIn(serializers.Serializer):
    reward = TextField(max_length=40, help_text="The reward's id (rwd_…).")
    member = TextField(max_length=40)
    external_id = TextField(required=False, allow_blank=True, max_length=100)
    location = TextField(required=False, allow_blank=True, max_length=120)


class RedemptionOut(serializers.Serializer):
    id = serializers.CharField(help_text="The code to show at the counter.")
    reward = serializers.CharField()
    reward_name = serializers.CharField()
    member = serializers.CharField()
    points = serializers.IntegerField()
    status = serializers.CharField()
    points_balance = serializers.IntegerField()


def redemption_data(redemption: Redemption, balance: int) -> dict:
    return {
        "id": redemption.code,
        "reward": redemption.reward.public_id,
        "reward_name": redemption.reward_name,
        "member": redemption.member.public_id,
        "points": redemption.points,
        "status": redemption.status,
        "points_balance": balance,
    }


class RedemptionsView(ApiView):
    @extend_schema(
        summary="Redeem a reward for a member",
        request=RedemptionIn,
        responses={201: RedemptionOut, 200: RedemptionOut, 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = RedemptionIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        merchant = request.auth.merchant
        reward = reward_by_public_id(merchant=merchant, public_id=values["reward"])
        if reward is None:
            raise DomainError(gettext("No reward with this id."), field="reward")
        result = reward_redeem(
            merchant=merchant,
            member=input_member(request, values["member"]),
            reward=reward,
            location=input_location(merchant, values.get("location", "")),
            external_id=values.get("external_id", ""),
        )
        return Response(
            redemption_data(result.redemption, result.points_balance),
            status=201 if result.created else 200,
        )


class VoidIn(serializers.Serializer):
    reason = TextField(required=False, allow_blank=True, max_length=255)


class RedemptionVoidView(ApiView):
    @extend_schema(
        summary="Void a redemption: its points return (once)",
        request=VoidIn,
        responses={200: RedemptionOut, 404: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request, code: str):
        incoming = VoidIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        redemption = redemption_by_code(merchant=request.auth.merchant, code=code)
        if redemption is None:
            raise NotFound(gettext("No redemption with this code."), field="redemption")
        # A storefront's key voids as a manager would: any day, not only the same one.
        result = redemption_void(
            redemption=redemption,
            actor=None,
            role=Role.MANAGER,
            reason=incoming.validated_data.get("reason", ""),
        )
        voided = result.redemption
        voided.reward, voided.member = redemption.reward, redemption.member
        return Response(redemption_data(voided, points_balance(member=redemption.member)))


# Custom events ---------------------------------------------------------------------------


class EventIn(serializers.Serializer):
    type = TextField(
        max_length=60,
        help_text="review, social_share, or the name of a custom event set up in the program.",
    )
    member = TextField(max_length=40)
    external_id = TextField(max_length=100, help_text="Your id of this event.")


class EventOut(serializers.Serializer):
    points_awarded = serializers.IntegerField()
    reason = serializers.CharField()
    points_balance = serializers.IntegerField()


class EventsView(ApiView):
    @extend_schema(
        summary="Report a customer's action that may earn a bonus (within its caps)",
        request=EventIn,
        responses={201: EventOut, 200: EventOut, 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = EventIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        member = input_member(request, values["member"])
        result = event_bonus_award(
            merchant=request.auth.merchant,
            member=member,
            event=values["type"],
            external_id=values["external_id"],
        )
        return Response(
            {
                "points_awarded": result.points,
                "reason": result.reason,
                "points_balance": points_balance(member=member),
            },
            status=201 if result.created else 200,
        )
