"""The dashboard's navigation: one list, filtered by the viewer's role.

Each app that adds a page for its users adds it here, with the least role that may see it.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.models import Membership, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise  # translated when shown
    url_name: str
    min_role: str
    section: str = "main"


NAVIGATION = [
    NavItem(pgettext_lazy("navigation", "Home"), "home:home", Role.STAFF),
    # Translators: the menu entry of the page where staff serve customers at the shop counter.
    NavItem(pgettext_lazy("navigation", "Counter"), "members:counter", Role.STAFF),
    NavItem(_("Check a coupon"), "coupons:check", Role.STAFF),
    NavItem(_("Analytics"), "analytics:dashboard", Role.MANAGER),
    NavItem(_("Members"), "members:list", Role.MANAGER),
    NavItem(_("Campaigns"), "campaigns:campaign_list", Role.MANAGER),
    # Translators: the menu entry of the messages that run themselves (birthday, win-back).
    NavItem(_("Automations"), "campaigns:automation_list", Role.MANAGER),
    NavItem(_("Segments"), "campaigns:segment_list", Role.MANAGER),
    NavItem(_("Coupons"), "coupons:list", Role.MANAGER),
    # Translators: the menu entry of the points program's settings.
    NavItem(pgettext_lazy("navigation", "Points"), "programs:program", Role.MANAGER, "program"),
    NavItem(_("Rewards"), "programs:reward_list", Role.MANAGER, "program"),
    NavItem(pgettext_lazy("loyalty tier", "Tiers"), "tiers:page", Role.MANAGER, "program"),
    NavItem(_("Cashback"), "coupons:cashback", Role.MANAGER, "program"),
    NavItem(_("Referrals"), "referrals:overview", Role.MANAGER, "program"),
    NavItem(_("Locations"), "core:location_list", Role.MANAGER, "settings"),
    NavItem(_("Team"), "core:team", Role.OWNER, "settings"),
    NavItem(
        # Translators: the menu entry of the business's details (name, currency, time zone).
        pgettext_lazy("navigation", "Business"),
        "core:merchant_settings",
        Role.OWNER,
        "settings",
    ),
    # Translators: the menu entry of the settings of messages to members (welcome, sender).
    NavItem(pgettext_lazy("navigation", "Messages"), "messaging:settings", Role.OWNER, "settings"),
    NavItem(_("API keys"), "core:api_keys", Role.OWNER, "settings"),
    NavItem(_("Webhooks"), "core:webhooks", Role.OWNER, "settings"),
    NavItem(_("Activity log"), "core:audit_log", Role.MANAGER, "settings"),
]


def navigation_for(membership: Membership | None) -> list[NavItem]:
    if membership is None:
        return []
    return [item for item in NAVIGATION if membership.has_role(item.min_role)]
