from celery import shared_task

from apps.core import notifications


# The link's token is never stored to be queued again: invitations_unsent_send_task sends
# a new link for an invitation whose email never went out.
@shared_task(swept=True, secret_args=True)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the invitation link. Safe to run twice: it sends once per link."""
    return notifications.invitation_email_send(invitation_id=invitation_id, token=token)


@shared_task
def held_tasks_requeue_task() -> int:
    """Every minute: the tasks requests could not queue while the broker was down."""
    from apps.core.broker import held_tasks_requeue

    return held_tasks_requeue()


@shared_task
def invitations_unsent_send_task() -> int:
    """Every 5 minutes: a new link for invitations whose email never went out."""
    return notifications.invitations_unsent_send()
