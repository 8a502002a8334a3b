from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    """Cashback wallets and coupons (issued by cashback, by hand, by rewards, by referrals
    and later by campaigns), each redeemable once."""

    name = "apps.programs.coupons"
    label = "coupons"
    verbose_name = _("Cashback and coupons")

    def ready(self):
        from apps.members import services as member_services
        from apps.members.panels import MEMBER_PANELS, MemberPanel
        from apps.programs import hooks
        from apps.programs.coupons.cashback import (
            on_purchase_recorded,
            on_refund_recorded,
            wallet_merge,
        )
        from apps.programs.coupons.models import CashbackEntry, CashbackWallet
        from apps.programs.coupons.services import on_redemption_created, on_redemption_voiding

        hooks.PURCHASE_RECORDED.append(on_purchase_recorded)
        hooks.REFUND_RECORDED.append(on_refund_recorded)
        hooks.REDEMPTION_CREATED.append(on_redemption_created)
        hooks.REDEMPTION_VOIDING.append(on_redemption_voiding)
        # Entries are append-only and a wallet is one per member: a merge moves the
        # balance with two entries; coupons follow the generic re-pointing.
        member_services.MERGE_HANDLERS.append(wallet_merge)
        member_services.MERGE_KEEPS.update({CashbackWallet, CashbackEntry})
        MEMBER_PANELS.append(MemberPanel("coupons:member_coupons", _("Coupons and cashback"), 30))

        from apps.members.api_fields import MEMBER_API_EXTENSIONS
        from apps.programs.api_fields import PROGRAM_API_EXTENSIONS
        from apps.programs.coupons import api_fields
        from apps.programs.coupons.selectors import purchase_cashback_extras

        MEMBER_API_EXTENSIONS.append(api_fields.MEMBER)
        PROGRAM_API_EXTENSIONS.append(api_fields.PROGRAM)
        hooks.PURCHASE_REPLAYED.append(lambda purchase: purchase_cashback_extras(purchase=purchase))
