from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The member's card page and welcome message."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Member's card")

    def ready(self):
        from apps.core import events, extensions
        from apps.portal import links, welcome

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
