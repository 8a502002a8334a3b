from django.apps import AppConfig


class CouponsConfig(AppConfig):
    """Cashback wallets and coupons (issued by cashback, by hand, by rewards, by referrals
    and later by campaigns), each redeemable once."""

    name = "apps.programs.coupons"
    label = "coupons"
    verbose_name = "Cashback and coupons"
