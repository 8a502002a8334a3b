"""The only place member rows are locked for update, always in primary-key order.

One order for the whole project: a member's points account (and whatever other apps lock
per member) first, then the member row. Purchases and redemptions lock the account, then
touch the member row (its last activity); a profile change or a merge locks the member
row, then may credit points (a profile bonus, moving a balance). Were the two orders
different, a purchase and a profile change of one member at once could deadlock, so the
apps that lock per member register their lock in `LOCK_BEFORE_MEMBERS` (programs/apps.py)
and `members_lock` takes those first.
"""

from collections.abc import Callable

from apps.members.models import Member

LOCK_BEFORE_MEMBERS: list[Callable[[list[Member]], object]] = []


def members_lock(*pks: int) -> list[Member]:
    """Lock these members (in pk order, so two transactions never deadlock), after the
    locks other apps take on them, and return them in the order asked."""
    if LOCK_BEFORE_MEMBERS:
        members = list(Member.objects.filter(pk__in=pks).order_by("pk"))
        for lock in LOCK_BEFORE_MEMBERS:
            lock(members)
    locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    return [locked[pk] for pk in pks]
