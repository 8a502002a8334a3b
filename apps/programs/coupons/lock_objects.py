"""The only place cashback rows are locked for update.

A wallet changes only under its member's points lock (`programs.lock_objects`), the one
lock of a member's money: a purchase that earns points and cashback takes one lock, and a
wallet is never written by two transactions at once.
"""

from apps.members.models import Member
from apps.programs.lock_objects import points_account_lock

from .models import CashbackWallet


def wallet_lock(member: Member) -> CashbackWallet:
    """The member's wallet, locked (after the member's points account), created on first
    use; `INSERT … ON CONFLICT DO NOTHING` so two first accruals end up on one row."""
    points_account_lock(member)
    wallet = CashbackWallet.objects.select_for_update().filter(member=member).first()
    if wallet is not None:
        return wallet
    CashbackWallet.objects.bulk_create(
        [CashbackWallet(merchant_id=member.merchant_id, member=member)], ignore_conflicts=True
    )
    return CashbackWallet.objects.select_for_update().get(member=member)
