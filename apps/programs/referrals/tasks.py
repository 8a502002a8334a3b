from celery import shared_task

from apps.core.transactions import edge_transaction
from apps.programs.referrals.services import referrals_sweep, referrer_settle


@shared_task(swept=True)  # the hourly referral sweep
def settle_referrer(referral_id: int) -> str:
    """Give or take back the referrer's side of one referral. Idempotent."""
    with edge_transaction():
        return referrer_settle(referral_id=referral_id)


@shared_task
def sweep_referrals() -> dict[str, int]:
    """Hourly: expire referrals past their window; settle any a lost task left due (each
    in its own transaction, as the task above)."""
    return referrals_sweep()
