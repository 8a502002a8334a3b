"""The demo merchant's tiers: Bronze, Silver and Gold on the amount spent in a rolling
12 months, so the counter shows tiers and progress after `make run`."""

from apps.core.models import Merchant
from apps.programs.models import Reward

from .models import Measure, Tier, Window
from .services import tier_create, tier_settings_update

DEMO_TIERS = [
    ("Bronze", 10_000, 100, "Bienvenida con café gratis el día de tu cumpleaños."),
    ("Silver", 30_000, 110, "Acceso anticipado a las novedades de temporada."),
    ("Gold", 60_000, 125, "Acceso anticipado, envío gratis y una tarta reservada para ti."),
]
GOLD_ONLY_REWARD = "Tarta entera"


def configure_demo_tiers(merchant: Merchant) -> list[Tier]:
    """Idempotent: tiers already there (by name) are left as they are."""
    tier_settings_update(
        merchant=merchant,
        actor=None,
        measure=Measure.SPEND,
        window=Window.ROLLING_12,
        grace_days=30,
    )
    tiers = []
    for name, threshold, percent, perks in DEMO_TIERS:
        tier = Tier.objects.for_merchant(merchant).filter(name=name).first() or tier_create(
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
