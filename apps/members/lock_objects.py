"""The only place member rows are locked for update, always in primary-key order.

One order for the whole project: a member's points account (and whatever other apps lock
per member) first, then the member row. Purchases and redemptions lock the account, then
touch the member row (its last activity); a profile change or a merge locks the member
row, then may credit points (a profile bonus, moving a balance). Were the two orders
different, a purchase and a profile change of one member at once could deadlock, so the
apps that lock per member contribute their lock to `extensions.MEMBER_LOCKS`
(programs/apps.py) and `members_lock` takes those first.
"""

from apps.core.extensions import MEMBER_LOCKS
from apps.members.models import Member


def members_lock(*pks: int) -> list[Member]:
    """Lock these members (in pk order, so two transactions never deadlock), after the
    locks other apps take on them, and return them in the order asked."""
    locks = list(MEMBER_LOCKS)
    if locks:
        members = list(Member.objects.filter(pk__in=pks).order_by("pk"))
        for lock in locks:
            lock(members)
    locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    return [locked[pk] for pk in pks]
