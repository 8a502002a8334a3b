"""The card link by email: sent on request (a revoked or lost link) as a service message."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.models import Merchant
from apps.members.identifiers import InvalidIdentifier, normalize_email
from apps.members.models import Member
from apps.members.services import member_links_revoke
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.models import Channel, Delivery, Purpose
from apps.messaging.services import delivery_queue
from apps.portal.selectors import card_url

SOURCE = "card_link"


def card_link_send(*, merchant: Merchant, email: str) -> None:
    """Email the member with this address their current card link, at most once a day
    per link version. Says nothing about whether the address is a member's: the page that
    asks answers the same either way."""
    try:
        address = normalize_email(email)
    except InvalidIdentifier:
        return
    member = Member.objects.active().filter(merchant=merchant, email=address).first()
    if member is None:
        return
    today = timezone.now().date().isoformat()
    delivery_queue(
        member=member,
        source=SOURCE,
        occurrence=f"v{member.link_version}:{today}",
        channel=Channel.EMAIL,
        purpose=Purpose.SERVICE,
    )


def card_links_renew(*, member: Member, source: str, actor: User | None = None) -> Member:
    """Stop every card link of the member's and email them the new one (a leaked link)."""
    member = member_links_revoke(member=member, source=source, actor=actor)
    if member.email:
        card_link_send(merchant=member.merchant, email=member.email)
    return member


def card_link_render(delivery: Delivery) -> EmailContent | SmsContent:
    member = delivery.member
    context = {"member": member, "merchant": member.merchant, "card_url": card_url(member=member)}
    if delivery.channel == Channel.SMS:
        return SmsContent(body=render_to_string("portal/email/card_link_sms.txt", context).strip())
    # Translators: subject of the email carrying a member's card link; %(shop)s the business.
    subject = gettext("Your %(shop)s card") % {"shop": member.merchant.name}
    return EmailContent(
        subject=subject,
        text=render_to_string("portal/email/card_link.txt", context),
        html=render_to_string("portal/email/card_link.html", context),
    )
