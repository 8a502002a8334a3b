from celery import shared_task


@shared_task(swept=True)  # campaigns_tick
def campaign_freeze_task(campaign_id: int) -> int:
    """Freeze the campaign's audience into delivery rows (once), then start the batches.
    Where tasks run eagerly, send them all here, one after the other."""
    from apps.campaigns.services.sending import (
        campaign_freeze,
        campaign_send_inline,
        tasks_run_inline,
    )

    reached = campaign_freeze(campaign_id=campaign_id)
    if tasks_run_inline():
        campaign_send_inline(campaign_id=campaign_id)
    return reached


@shared_task(swept=True)  # campaigns_tick
def campaign_send_batch_task(campaign_id: int, token: str = "") -> int:
    """One batch of the run `token`; it enqueues the next. Acknowledged late: a worker
    killed mid-batch has the batch run again, and the deliveries' claims keep anyone from
    a second message."""
    from apps.campaigns.services.sending import campaign_send_batch

    return campaign_send_batch(campaign_id=campaign_id, token=token).sent


@shared_task
def campaigns_tick_task() -> int:
    """Every minute: scheduled campaigns that are due, and sending ones that stalled."""
    from apps.campaigns.services.sending import campaigns_tick

    return campaigns_tick()


@shared_task
def automations_tick_task() -> int:
    """Every 5 minutes: a run for each merchant with an automation on."""
    from apps.campaigns.automations.selectors import merchants_with_automations

    merchant_ids = merchants_with_automations()
    for merchant_id in merchant_ids:
        automations_run_task.delay(merchant_id)
    return len(merchant_ids)


@shared_task(swept=True)  # the automations tick
def automations_run_task(merchant_id: int) -> dict:
    """What is due for the merchant, now (`automations_run`)."""
    from apps.campaigns.automations.run import automations_run
    from apps.core.models import Merchant

    result = automations_run(merchant=Merchant.objects.get(pk=merchant_id))
    return dict(result.outcomes)


@shared_task(swept=True)  # the automations tick
def automations_process_task(merchant_id: int) -> dict:
    """The merchant's due occurrences (an event noticed one): no scans."""
    from django.utils import timezone

    from apps.campaigns.automations.processing import occurrences_process
    from apps.core.models import Merchant

    outcomes = occurrences_process(
        merchant=Merchant.objects.get(pk=merchant_id), now=timezone.now()
    )
    return dict(outcomes)
