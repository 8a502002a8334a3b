from celery import shared_task


@shared_task
def idempotency_purge() -> int:
    """Daily: forget Idempotency-Keys past their keeping time."""
    from apps.core.api.idempotency import idempotency_records_purge

    return idempotency_records_purge()
