from django.urls import reverse

from apps.core.navigation import navigation_for
from apps.core.selectors import memberships_for_user


def tenancy(request):
    """The active merchant, the user's other merchants and the navigation, for base.html."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}

    def other_memberships():
        return memberships_for_user(user=request.user).exclude(pk=membership.pk)

    current = request.resolver_match.view_name if request.resolver_match else ""
    nav = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "section": item.section,
            "current": item.url_name == current,
        }
        for item in navigation_for(membership)
    ]
    return {
        "active_membership": membership,
        "active_merchant": membership.merchant,
        "other_memberships": other_memberships,
        "nav_main": [item for item in nav if item["section"] == "main"],
        "nav_program": [item for item in nav if item["section"] == "program"],
        "nav_settings": [item for item in nav if item["section"] == "settings"],
    }
