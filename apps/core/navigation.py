"""The dashboard's navigation: one list, filtered by the viewer's role.

Each app that adds a page for its users adds it here, with the least role that may see it.
"""

from dataclasses import dataclass

from .models import Membership, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    min_role: str
    section: str = "main"


NAVIGATION = [
    NavItem("Home", "core:home", Role.STAFF),
    NavItem("Counter", "members:counter", Role.STAFF),
    NavItem("Check a coupon", "coupons:check", Role.STAFF),
    NavItem("Analytics", "analytics:dashboard", Role.MANAGER),
    NavItem("Members", "members:list", Role.MANAGER),
    NavItem("Coupons", "coupons:list", Role.MANAGER),
    NavItem("Points", "programs:program", Role.MANAGER, "program"),
    NavItem("Rewards", "programs:reward_list", Role.MANAGER, "program"),
    NavItem("Tiers", "tiers:page", Role.MANAGER, "program"),
    NavItem("Cashback", "coupons:cashback", Role.MANAGER, "program"),
    NavItem("Referrals", "referrals:overview", Role.MANAGER, "program"),
    NavItem("Locations", "core:location_list", Role.MANAGER, "settings"),
    NavItem("Team", "core:team", Role.OWNER, "settings"),
    NavItem("Business", "core:merchant_settings", Role.OWNER, "settings"),
    NavItem("API keys", "core:api_keys", Role.OWNER, "settings"),
    NavItem("Webhooks", "core:webhooks", Role.OWNER, "settings"),
    NavItem("Activity log", "core:audit_log", Role.MANAGER, "settings"),
]


def navigation_for(membership: Membership | None) -> list[NavItem]:
    if membership is None:
        return []
    return [item for item in NAVIGATION if membership.has_role(item.min_role)]
