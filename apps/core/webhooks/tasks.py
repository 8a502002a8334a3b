from celery import shared_task


@shared_task(bind=True, swept=True)  # deliveries_retry_due
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
