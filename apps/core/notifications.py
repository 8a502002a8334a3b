"""Emails about the team. Sent from tasks; each send is idempotent."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from apps.core.models import Invitation, hash_token


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
    # The invited person has no account (nor language) yet: write in the business's
    # language, with the expiry date in its time zone.
    merchant = invitation.merchant
    with translation.override(merchant.language), timezone.override(ZoneInfo(merchant.timezone)):
        # Translators: the invitation email's subject; %(name)s is the business's name.
        subject = gettext("Join %(name)s on Fideliza") % {"name": merchant.name}
        message = render_to_string("core/email/invitation.txt", context)
    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[invitation.email],
    )
    Invitation.objects.filter(pk=invitation.pk).update(email_sent_at=timezone.now())
    return True


# An invitation emailed within this long is left to its own task.
UNSENT_AFTER = timedelta(minutes=1)


def invitations_unsent_send(*, now: datetime | None = None) -> int:
    """Every 5 minutes (beat, on a worker): invitations whose email never went out (its
    task was never queued while the broker was down, or was lost) get a new link, emailed
    now. Only the link's hash is stored, so the first link cannot be sent again: it is
    replaced, and stops working. Returns the emails sent."""
    now = now or timezone.now()
    unsent = Invitation.objects.pending().filter(
        email_sent_at__isnull=True, created_at__lt=now - UNSENT_AFTER, expires_at__gt=now
    )
    sent = 0
    for invitation in unsent.order_by("pk")[:100]:
        token, token_hash = Invitation.new_token()
        # Only if nothing sent it or replaced its link meanwhile.
        replaced = Invitation.objects.filter(
            pk=invitation.pk, token_hash=invitation.token_hash, email_sent_at__isnull=True
        ).update(token_hash=token_hash)
        if replaced and invitation_email_send(invitation_id=invitation.pk, token=token):
            sent += 1
    return sent
