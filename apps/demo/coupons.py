"""Demo cashback terms for `make run` (wired in by the demo seeding)."""

from django.db import transaction

from apps.core.models import Merchant
from apps.core.money import minor_digits
from apps.programs.coupons.cashback import cashback_settings_ensure
from apps.programs.coupons.models import CashbackSettings


@transaction.atomic(savepoint=False)
def configure_demo_cashback(merchant: Merchant) -> CashbackSettings:
    """5 % cashback, a coupon of 10.00 (in the merchant's currency) every time the wallet
    reaches it, valid 90 days, no minimum spend. Idempotent: running it again sets the
    same terms. Not audited: no person made this change."""
    settings = cashback_settings_ensure(merchant=merchant)
    settings.is_enabled = True
    settings.rate_bp = 500
    settings.threshold = 10 * 10 ** minor_digits(merchant.currency)
    settings.coupon_days = 90
    settings.coupon_min_spend = 0
    settings.save()
    return settings
