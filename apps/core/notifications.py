"""Emails about the team. Sent from tasks; each send is idempotent."""

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
