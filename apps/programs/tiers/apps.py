from django.apps import AppConfig


class TiersConfig(AppConfig):
    """VIP tiers: qualification from the ledger, benefits, moves up and down."""

    name = "apps.programs.tiers"
    label = "tiers"
    verbose_name = "Tiers"
