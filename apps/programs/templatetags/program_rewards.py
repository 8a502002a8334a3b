"""The rewards part of a member's points section, so member_points.html only includes it
(`programs/_member_rewards.html`) and its view needs no change."""

from django import template

from apps.programs.points.selectors import points_balance
from apps.programs.rewards.forms import RedeemForm
from apps.programs.rewards.selectors import redemptions_recent, rewards_affordable
from apps.programs.rewards.services import redemption_voidable

register = template.Library()


@register.simple_tag(takes_context=True)
def member_rewards(context, member) -> dict:
    """What the member can afford today, with a fresh redemption id for the Redeem
    buttons, and their recent redemptions with whether the viewer may void each."""
    request = context["request"]
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    balance = context.get("balance")
    if balance is None:
        balance = points_balance(member=member)
    redemptions = redemptions_recent(member=member, limit=10)
    return {
        "affordable": list(
            rewards_affordable(merchant=member.merchant, balance=balance, member=member)[:20]
        ),
        "external_id": RedeemForm.new_external_id(),
        "redemptions": [
            (redemption, role is not None and redemption_voidable(redemption=redemption, role=role))
            for redemption in redemptions
        ],
    }
