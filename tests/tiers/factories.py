"""Tier rules built through the services, the way managers set them up."""

from apps.programs.tiers.services import tier_create, tier_settings_update


def set_up_tiers(team, *, measure="spend", window="rolling_12", grace_days=0, tiers=None):
    """Bronze, Silver and Gold: €100, €500 and €1000 spent (or those numbers of points)."""
    tier_settings_update(
        merchant=team.merchant,
        actor=team.manager,
        measure=measure,
        window=window,
        grace_days=grace_days,
    )
    made = {}
    for name, threshold, percent in tiers or [
        ("Bronze", 10_000, 100),
        ("Silver", 50_000, 125),
        ("Gold", 100_000, 150),
    ]:
        made[name] = tier_create(
            merchant=team.merchant,
            actor=team.manager,
            name=name,
            threshold=threshold,
            earn_percent=percent,
            perks=f"{name} perks",
        )
    return made
