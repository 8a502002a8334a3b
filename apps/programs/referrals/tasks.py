from celery import shared_task

from apps.programs.referrals.services import referrals_sweep, referrer_settle


@shared_task
def settle_referrer(referral_id: int) -> str:
    """Give or take back the referrer's side of one referral. Idempotent."""
    return referrer_settle(referral_id=referral_id)


@shared_task
def sweep_referrals() -> dict[str, int]:
    """Hourly: expire referrals past their window; settle any a lost task left due."""
    return referrals_sweep()
