from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referral codes and links, and the rewards of a referral that converts."""

    name = "apps.programs.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from apps.members import services as member_services
        from apps.members.panels import MEMBER_PANELS, MemberPanel
        from apps.programs import hooks
        from apps.programs.referrals import services
        from apps.programs.referrals.models import Referral, ReferralCode

        # A code given at enrollment is checked before the member is inserted.
        member_services.ENROLL_EXTRAS.append(
            member_services.EnrollExtra(services.EXTRA_NAME, services.enroll_extra_check)
        )
        member_services.ENROLL_HANDLERS.append(services.enroll_code_handler)
        # One code and one referral per member: a merge decides where they go itself.
        member_services.MERGE_HANDLERS.append(services.referral_merge)
        member_services.MERGE_KEEPS.update({Referral, ReferralCode})
        hooks.PURCHASE_RECORDED.append(services.referral_purchase_hook)
        hooks.REFUND_RECORDED.append(services.referral_refund_hook)
        MEMBER_PANELS.append(MemberPanel("referrals:member_panel", _("Referrals"), order=40))

        from apps.members.api_fields import MEMBER_API_EXTENSIONS
        from apps.programs.api_fields import PROGRAM_API_EXTENSIONS
        from apps.programs.referrals import api_fields

        MEMBER_API_EXTENSIONS.append(api_fields.MEMBER)
        PROGRAM_API_EXTENSIONS.append(api_fields.PROGRAM)
