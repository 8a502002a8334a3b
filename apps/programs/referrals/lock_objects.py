"""The only place referral rows are locked for update.

Lock order, as services/__init__.py explains: a member's points account first
(`apps.programs.lock_objects`), then the referral rows, in primary-key order. The
referral terms are serialized by locking the merchant's one `ReferralSettings` row.
"""

from apps.programs.referrals.models import Referral, ReferralSettings, ReferralStatus


def referral_settings_lock(*, settings_id: int) -> ReferralSettings:
    """Lock the merchant's referral terms (one row) and return them fresh."""
    return ReferralSettings.objects.select_for_update().get(pk=settings_id)


def referral_lock(*, referral_id: int) -> Referral:
    """Lock one referral and return it fresh. Take the referrer's points account lock
    first."""
    return Referral.objects.select_for_update().get(pk=referral_id)


def referral_rewarded_for_purchase_lock(*, purchase_id: int) -> Referral | None:
    """Lock the rewarded referral this purchase qualified (there is at most one; the first
    in the model's order if ever more), or None. The purchase's member's points account is
    locked by the caller (a refund)."""
    return (
        Referral.objects.select_for_update()
        .filter(qualifying_purchase_id=purchase_id, status=ReferralStatus.REWARDED)
        .first()
    )


def referrals_between_lock(*, member_ids: set[int]) -> list[Referral]:
    """Lock the referrals between these members, either way (a merge's pair), in
    primary-key order, and return them in the model's order (newest first)."""
    locked = list(
        Referral.objects.select_for_update()
        .filter(referrer_id__in=member_ids, referred_id__in=member_ids)
        .order_by("pk")
    )
    return sorted(locked, key=lambda referral: (referral.created_at, referral.pk), reverse=True)
