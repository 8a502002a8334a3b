from django import template

from apps.programs.coupons.selectors import live_coupon_counts
from apps.programs.points.selectors import points_balances

register = template.Library()


@register.simple_tag
def with_points(members):
    """The members, each with `points_balance` set, in one query: `{% with_points results
    as results %}` lets the counter's search results show balances as the cashier types."""
    balances = points_balances(member_ids=[member.pk for member in members])
    coupons = live_coupon_counts(members=members)
    for member in members:
        member.points_balance = balances.get(member.pk, 0)
        member.live_coupons = coupons.get(member.pk, 0)
    return members
