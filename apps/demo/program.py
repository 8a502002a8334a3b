"""The demo merchant's points program: what a newcomer sees working after `make run`."""

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.core.models import Merchant
from apps.programs.points import rules
from apps.programs.points.models import BonusRule, EarnMultiplier, Promotion
from apps.programs.rewards.models import Reward, RewardKind
from apps.programs.rewards.services import reward_create

DEMO_REWARDS = [
    {
        "name": "Café gratis",
        "kind": RewardKind.FREE_PRODUCT,
        "points_cost": 50,
        "product_name": "Café solo o con leche",
    },
    {
        "name": "10 % de descuento",
        "kind": RewardKind.PERCENT_DISCOUNT,
        "points_cost": 300,
        "discount_percent": 10,
    },
    {
        "name": "5 € de descuento",
        "kind": RewardKind.FIXED_DISCOUNT,
        "points_cost": 500,
        "discount_amount": 500,
    },
    {
        "name": "Tarta entera",
        "kind": RewardKind.FREE_PRODUCT,
        "points_cost": 1500,
        "product_name": "Tarta de la casa",
        "stock": 20,
    },
]


def configure_demo_program(*, merchant: Merchant, actor: User) -> None:
    """Earn rules and a rewards catalog (one reward cheap enough to redeem at once). Safe
    to run twice: what exists is left as it is."""
    rules.program_settings_update(
        merchant=merchant, actor=actor, points_per_unit=10, expiry_months=12
    )
    if not EarnMultiplier.objects.for_merchant(merchant).exists():
        rules.multiplier_create(
            merchant=merchant,
            actor=actor,
            target="category",
            value="Repostería propia",
            percent=200,
        )
    if not Promotion.objects.for_merchant(merchant).exists():
        # From tomorrow: the seeded purchase history (up to now) earned the base rate.
        start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start += timedelta(days=1)
        rules.promotion_create(
            merchant=merchant,
            actor=actor,
            name="Semana de puntos dobles",
            percent=200,
            starts_at=start,
            ends_at=start + timedelta(days=7),
        )
    if not BonusRule.objects.for_merchant(merchant).exists():
        rules.bonus_rule_create(
            merchant=merchant, actor=actor, action="join", points=50, cap_count=1, cap_period="ever"
        )
        rules.bonus_rule_create(
            merchant=merchant,
            actor=actor,
            action="birthday",
            points=100,
            cap_count=1,
            cap_period="year",
        )
    existing = set(Reward.objects.for_merchant(merchant).values_list("name", flat=True))
    for reward in DEMO_REWARDS:
        if reward["name"] not in existing:
            reward_create(merchant=merchant, actor=actor, **reward)
