from celery import shared_task

from apps.portal.wallet import WalletError

# Google Wallet down or refusing for a while: try again later, a few times. A pass left
# behind is set right by the member's next change, or by downloading it again.
RETRY = {"autoretry_for": (WalletError,), "retry_backoff": 60, "max_retries": 4}


@shared_task(**RETRY)
def wallet_pass_update_task(member_id: int) -> bool:
    """Send the member's card as it stands to Google Wallet. Idempotent: it sends the
    current state, whatever queued it."""
    from apps.portal.passes import wallet_pass_update

    return wallet_pass_update(member_id=member_id)


@shared_task(**RETRY)
def wallet_pass_retire_task(public_id: str) -> bool:
    """Retire an erased member's Google pass (no name, no link, inactive). Idempotent."""
    from apps.portal.passes import wallet_pass_retire

    return wallet_pass_retire(public_id=public_id)
