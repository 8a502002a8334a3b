"""The only place tier rows are locked for update.

A member's tier changes only under the member's points account lock
(`apps.programs.lock_objects.points_account_lock`, the one per-member lock), so a tier
move and the purchase that causes it are serialized with every other points operation.
Changes to a merchant's tier rules are serialized by locking its `TierSettings` row; a
re-evaluation's batches, by locking its job row.
"""

from apps.core.models import Merchant
from apps.members.models import Member
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.tiers.models import MemberTier, TierReevaluation, TierSettings


def member_tier_lock(member: Member) -> MemberTier:
    """Lock the member (their points account) and return their tier row, created on first
    use (under the lock, so once)."""
    points_account_lock(member)
    status = MemberTier.objects.select_related("tier").filter(member=member).first()
    if status is None:
        status = MemberTier.objects.create(merchant_id=member.merchant_id, member=member)
    return status


def tier_settings_lock(merchant: Merchant) -> TierSettings:
    """Lock the merchant's one `TierSettings` row (the lock of its tier rules) and return
    it. The row must exist: call `services.tier_settings_ensure` first."""
    return TierSettings.objects.select_for_update().get(merchant=merchant)


def tier_reevaluation_lock(*, job_id: int) -> TierReevaluation:
    """Lock one re-evaluation job row (only that row: not its merchant or starter, which
    are fetched with it) and return it; a batch runs under it, so two workers never run
    the same batch."""
    return (
        TierReevaluation.objects.select_for_update(of=("self",))
        .select_related("merchant", "started_by")
        .get(pk=job_id)
    )
