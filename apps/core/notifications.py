"""Emails about the team. Sent from tasks; each send is idempotent."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Invitation, hash_token


def invitation_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("core:invitation_accept", args=[token])


def invitation_email_send(*, invitation_id: int, token: str) -> bool:
    """Send the link once. A link replaced by a newer one, or already sent, is skipped."""
    invitation = (
        Invitation.objects.pending()
        .select_related("merchant", "invited_by")
        .filter(pk=invitation_id, token_hash=hash_token(token), email_sent_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    context = {"invitation": invitation, "url": invitation_url(token)}
    send_mail(
        subject=f"Join {invitation.merchant.name} on Fideliza",
        message=render_to_string("core/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    Invitation.objects.filter(pk=invitation.pk).update(email_sent_at=timezone.now())
    return True
