from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    """Cashback wallets and coupons (issued by cashback, by hand, by rewards, by referrals
    and later by campaigns), each redeemable once."""

    name = "apps.programs.coupons"
    label = "coupons"
    verbose_name = _("Cashback and coupons")

    def ready(self):
        from apps.core import events, extensions
        from apps.core.events import subscribe
        from apps.programs.coupons import api_fields
        from apps.programs.coupons.cashback import (
            on_purchase_recorded,
            on_refund_recorded,
            wallet_merge,
        )
        from apps.programs.coupons.models import CashbackEntry, CashbackWallet
        from apps.programs.coupons.selectors import coupons_personal_data
        from apps.programs.coupons.services import (
            coupon_issued_webhook,
            on_redemption_voiding,
            on_reward_redeemed,
        )

        cashback = ("cashback_earned", "coupons_issued")
        subscribe(events.PURCHASE_RECORDED, on_purchase_recorded, order=30, writes=cashback)
        subscribe(
            events.PURCHASE_REPLAYED,
            api_fields.replayed_purchase_cashback,
            order=30,
            writes=cashback,
        )
        subscribe(
            events.REFUND_RECORDED,
            on_refund_recorded,
            order=30,
            writes=("cashback_reversed", "cashback_shortfall", "coupons_restored"),
        )
        subscribe(events.REWARD_REDEEMED, on_reward_redeemed, order=30)
        subscribe(events.REDEMPTION_VOIDING, on_redemption_voiding, order=30)
        subscribe(events.COUPON_ISSUED, coupon_issued_webhook, order=90)
        # Entries are append-only and a wallet is one per member: a merge moves the
        # balance with two entries; coupons follow the generic re-pointing.
        subscribe(events.MEMBERS_MERGING, wallet_merge, order=30)
        extensions.MERGE_KEPT_MODELS.register(CashbackWallet)
        extensions.MERGE_KEPT_MODELS.register(CashbackEntry)

        extensions.MEMBER_PANELS.register(
            extensions.MemberPanel("coupons:member_coupons", _("Coupons and cashback")), order=30
        )
        extensions.MEMBER_API_FIELDS.register(api_fields.MEMBER, order=30)
        extensions.PERSONAL_DATA_PARTS.register(
            extensions.PersonalDataPart("coupons", coupons_personal_data), order=30
        )
        extensions.PROGRAM_API_FIELDS.register(api_fields.PROGRAM, order=30)
