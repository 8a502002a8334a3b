from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referral codes and links, and the rewards of a referral that converts."""

    name = "apps.programs.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from apps.core import events, extensions
        from apps.core.events import subscribe
        from apps.programs.referrals import api_fields, services
        from apps.programs.referrals.models import Referral, ReferralCode

        # A code given at enrollment is checked before the member is inserted.
        extensions.ENROLL_EXTRAS.register(
            extensions.EnrollExtra(services.EXTRA_NAME, services.enroll_extra_check), order=40
        )
        subscribe(events.MEMBER_ENROLLED, services.enroll_code_handler, order=40)
        # One code and one referral per member: a merge decides where they go itself.
        subscribe(events.MEMBERS_MERGING, services.referral_merge, order=40)
        extensions.MERGE_KEPT_MODELS.register(Referral)
        extensions.MERGE_KEPT_MODELS.register(ReferralCode)
        subscribe(
            events.PURCHASE_RECORDED,
            services.referral_purchase_hook,
            order=40,
            writes=("referral_reward",),
        )
        subscribe(
            events.REFUND_RECORDED,
            services.referral_refund_hook,
            order=40,
            writes=("referral_reversed",),
        )
        # The referrer's side is settled by a task holding the referrer's lock alone: only
        # once the conversion or reversal has committed.
        for happened in (events.REFERRAL_CONVERTED, events.REFERRAL_REVERSED):
            subscribe(happened, services.referrer_settle_later, order=40, after_commit=True)

        extensions.MEMBER_PANELS.register(
            extensions.MemberPanel("referrals:member_panel", _("Referrals")), order=40
        )
        extensions.MEMBER_API_FIELDS.register(api_fields.MEMBER, order=40)
        extensions.PROGRAM_API_FIELDS.register(api_fields.PROGRAM, order=40)
