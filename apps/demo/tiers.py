"""The demo merchant's tiers: Bronce, Plata and Oro (the demo café is in Madrid and speaks
Spanish) on the amount spent in a rolling 12 months, so the counter shows tiers and
progress after `make run`."""

from django.db.models import Q

from apps.core.models import Merchant
from apps.programs.rewards.models import Reward
from apps.programs.tiers.models import Measure, Tier, Window
from apps.programs.tiers.services import tier_create, tier_settings_update

DEMO_TIERS = [
    ("Bronce", 10_000, 100, "Bienvenida con café gratis el día de tu cumpleaños."),
    ("Plata", 30_000, 110, "Acceso anticipado a las novedades de temporada."),
    ("Oro", 60_000, 125, "Acceso anticipado, envío gratis y una tarta reservada para ti."),
]
GOLD_ONLY_REWARD = "Tarta entera"


def configure_demo_tiers(merchant: Merchant) -> list[Tier]:
    """Idempotent: tiers already there (by name, or an active one at the same threshold,
    such as the English-named tiers of a demo seeded before) are left as they are."""
    tier_settings_update(
        merchant=merchant,
        actor=None,
        measure=Measure.SPEND,
        window=Window.ROLLING_12,
        grace_days=30,
    )
    tiers = []
    for name, threshold, percent, perks in DEMO_TIERS:
        existing = Tier.objects.for_merchant(merchant).filter(
            Q(name=name) | Q(threshold=threshold, is_active=True)
        )
        tier = existing.order_by("-is_active", "pk").first() or tier_create(
            merchant=merchant,
            actor=None,
            name=name,
            threshold=threshold,
            earn_percent=percent,
            perks=perks,
        )
        tiers.append(tier)
    gold_reward = Reward.objects.for_merchant(merchant).filter(name=GOLD_ONLY_REWARD).first()
    if gold_reward is not None:
        tiers[-1].rewards.add(gold_reward)
    return tiers
