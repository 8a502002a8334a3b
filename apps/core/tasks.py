from celery import shared_task

from apps.core import notifications


@shared_task
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the invitation link. Safe to run twice: it sends once per link."""
    return notifications.invitation_email_send(invitation_id=invitation_id, token=token)
