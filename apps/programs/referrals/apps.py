from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referral codes and links, and the rewards of a referral that converts."""

    name = "apps.programs.referrals"
    label = "referrals"
    verbose_name = "Referrals"
