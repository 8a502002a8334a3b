from celery import shared_task

from apps.core import notifications


@shared_task(secret_args=True)  # the link's token: never stored to be queued again
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the invitation link. Safe to run twice: it sends once per link."""
    return notifications.invitation_email_send(invitation_id=invitation_id, token=token)


@shared_task
def held_tasks_requeue_task() -> int:
    """Every minute: the tasks requests could not queue while the broker was down."""
    from apps.core.broker import held_tasks_requeue

    return held_tasks_requeue()
