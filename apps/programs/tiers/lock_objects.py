"""The only place tier rows are locked for update.

A member's tier changes only under the member's points account lock
(`apps.programs.lock_objects.points_account_lock`, the one per-member lock), so a tier
move and the purchase that causes it are serialized with every other points operation.
Changes to a merchant's tier rules are serialized by locking its `TierSettings` row.
"""

from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.lock_objects import points_account_lock

from .models import MemberTier, TierSettings
from .selectors import tier_settings


def member_tier_lock(member: Member) -> MemberTier:
    """Lock the member (their points account) and return their tier row, created on first
    use (under the lock, so once)."""
    points_account_lock(member)
    status = MemberTier.objects.select_related("tier").filter(member=member).first()
    if status is None:
        status = MemberTier.objects.create(merchant_id=member.merchant_id, member=member)
    return status


def tier_settings_lock(merchant: Merchant) -> TierSettings:
    tier_settings(merchant)  # created on first use
    return TierSettings.objects.select_for_update().get(merchant=merchant)
