from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PortalConfig(AppConfig):
    """The member's card page and welcome message."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Member's card")

    def ready(self):
        from apps.core import events, extensions
        from apps.portal import counter, links, passes, privacy, welcome

        # After the join bonus (10) and the referral code (40), before the webhook (90):
        # the welcome's row is written in the enrollment's transaction; it is rendered
        # after the commit, with the balance the other handlers left.
        events.subscribe(events.MEMBER_ENROLLED, welcome.welcome_on_enrollment, order=80)
        events.subscribe(events.MEMBERS_IMPORTED, welcome.welcome_on_import, order=80)
        sources = (
            # Translators: a kind of message to a member, listed on their page.
            (welcome.SOURCE, welcome.welcome_render, pgettext_lazy("message", "Welcome")),
            # Translators: a kind of message: the link to the member's card, sent on request.
            (links.SOURCE, links.card_link_render, _("Card link")),
            # Translators: a kind of message: the member confirms their own erasure request.
            (privacy.ERASE_SOURCE, privacy.erase_confirm_render, _("Erasure confirmation")),
            # Translators: a kind of message: the link to the member's copy of their data.
            (privacy.DATA_SOURCE, privacy.data_link_render, _("Data download link")),
        )
        for kind, render, label in sources:
            extensions.MESSAGE_SOURCES.register(
                extensions.MessageSource(kind=kind, render=render, label=label)
            )
        extensions.MEMBER_PANELS.register(
            # Translators: the member page's section listing the messages sent to them.
            extensions.MemberPanel("portal:member_messages", _("Messages")),
            order=50,
        )
        # A saved Google Wallet pass follows the points and the tier: a task, queued once
        # the change has committed, sends the card as it then stands.
        for changed in (events.POINTS_BALANCE_CHANGED, events.TIER_CHANGED):
            events.subscribe(changed, passes.wallet_pass_update_later, order=80, after_commit=True)
        # An erased member's saved pass keeps no name and no link.
        events.subscribe(
            events.MEMBER_ERASED, passes.wallet_pass_retire_later, order=80, after_commit=True
        )
        # The counter's card, right after enrollment: the member's own link as a QR code.
        extensions.MEMBER_CARD_SECTIONS.register(
            extensions.MemberCardSection(
                name="card_link", template=counter.TEMPLATE, context=counter.counter_card_section
            ),
            order=80,
        )
