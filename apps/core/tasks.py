from celery import shared_task

from apps.core import notifications


@shared_task
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the invitation link. Safe to run twice: it sends once per link."""
    return notifications.invitation_email_send(invitation_id=invitation_id, token=token)


@shared_task
def idempotency_purge() -> int:
    """Daily: forget Idempotency-Keys past their keeping time."""
    from apps.core.api.idempotency import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(bind=True)
def webhook_deliver(self, delivery_id: int) -> str:
    """One attempt at one webhook delivery. On a worker a failure schedules the next
    attempt; run eagerly (`make run`) the next attempts wait for the sweeper, so a dead
    endpoint never holds a page up for its back-off."""
    from apps.core.webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id, schedule_retry=not self.request.is_eager)


@shared_task
def webhook_retry_due() -> int:
    """Every minute: attempts that are due, including those whose task was lost."""
    from apps.core.webhooks.services import deliveries_retry_due

    return deliveries_retry_due()
