from celery import shared_task


@shared_task(swept=True)  # deliveries_sweep
def delivery_send_task(delivery_id: int) -> str:
    """Send one delivery. No edge transaction: the send is three short ones on purpose
    (services/sending.py), so a worker killed at any point leaves a state that says what
    it did. Run twice (a redelivery, the sweeper), it sends once: the claim decides."""
    from apps.messaging.services import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task
def deliveries_sweep_task() -> dict:
    """Every minute: queued rows whose send was lost, claims whose worker died."""
    from apps.core.transactions import edge_transaction
    from apps.messaging.services import deliveries_sweep

    with edge_transaction():
        swept = deliveries_sweep()
    return {
        "requeued": swept.requeued,
        "resent": swept.resent,
        "unknown": swept.unknown,
        "held": swept.held,
    }
