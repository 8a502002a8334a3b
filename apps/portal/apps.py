from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The member's card page and welcome message."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Member's card")

    def ready(self):
        from apps.core import events, extensions
        from apps.portal import counter, links, passes, welcome

        # After the join bonus (10) and the referral code (40), before the webhook (90):
        # the welcome's row is written in the enrollment's transaction; it is rendered
        # after the commit, with the balance the other handlers left.
        events.subscribe(events.MEMBER_ENROLLED, welcome.welcome_on_enrollment, order=80)
        events.subscribe(events.MEMBERS_IMPORTED, welcome.welcome_on_import, order=80)
        extensions.MESSAGE_SOURCES.register(
            extensions.MessageSource(kind=welcome.SOURCE, render=welcome.welcome_render)
        )
        extensions.MESSAGE_SOURCES.register(
            extensions.MessageSource(kind=links.SOURCE, render=links.card_link_render)
        )
        # A saved Google Wallet pass follows the points and the tier: a task, queued once
        # the change has committed, sends the card as it then stands.
        for changed in (events.POINTS_BALANCE_CHANGED, events.TIER_CHANGED):
            events.subscribe(changed, passes.wallet_pass_update_later, order=80, after_commit=True)
        # The counter's card, right after enrollment: the member's own link as a QR code.
        extensions.MEMBER_CARD_SECTIONS.register(
            extensions.MemberCardSection(
                name="card_link", template=counter.TEMPLATE, context=counter.counter_card_section
            ),
            order=80,
        )
