"""The only place points rows (and the program's settings row) are locked for update."""

from apps.core.models import Merchant
from apps.members.models import Member
from apps.members.read_once import read_once_forget
from apps.programs.points.models import PointsAccount, ProgramSettings


def points_account_lock(member: Member) -> PointsAccount:
    """Lock the member's points account, creating it on first use.

    The insert ignores a conflict, so two first purchases at once both end up locking the
    one row; every points operation of a member then runs one after the other.
    """
    read_once_forget(member=member)  # what was read before the lock may have changed
    locked = PointsAccount.objects.select_for_update().filter(member=member).one_or_none()
    if locked is None:
        PointsAccount.objects.bulk_create(
            [PointsAccount(merchant_id=member.merchant_id, member=member)], ignore_conflicts=True
        )
        locked = PointsAccount.objects.select_for_update().get(member=member)
    # The merchant the member carries already: the balance's handlers read it, no query.
    if Member.merchant.is_cached(member):
        locked.merchant = member.merchant
    return locked


def points_accounts_lock(*members: Member) -> list[PointsAccount]:
    """Several accounts, locked in member-id order so two transactions never deadlock."""
    ordered = sorted(members, key=lambda member: member.pk)
    locked = {account.member_id: account for account in map(points_account_lock, ordered)}
    return [locked[member.pk] for member in members]


def program_settings_lock(*, merchant: Merchant) -> ProgramSettings:
    """Lock the merchant's one `ProgramSettings` row (the lock of its earn rules) and
    return it. The row must exist: call `points.services.program_settings_ensure` first."""
    return ProgramSettings.objects.select_for_update().get(merchant=merchant)
