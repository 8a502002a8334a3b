"""The member's own privacy requests, from their card: "download my data" and "delete my
account". They reach the same services the merchant's GDPR tools use (the member's
personal data, `member_erase`); an erasure needs a second, emailed link, so a card link
that leaked cannot erase anyone."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.core.stored_text import stored_text
from apps.members.models import EventKind, Member
from apps.members.selectors import member_personal_data
from apps.members.services import event_record, member_erase
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.links import ERASE, absolute, member_token
from apps.messaging.models import Channel, Delivery, Purpose
from apps.messaging.services import delivery_queue

ERASE_SOURCE = "erase_confirm"
SOURCE = "card"


def personal_data_download(*, member: Member) -> dict:
    """Everything held about the member, for them; the download goes on their timeline."""
    event_record(
        member=member,
        kind=EventKind.PRIVACY,
        summary=stored_text(gettext_noop("Downloaded their data from their card")),
        source=SOURCE,
    )
    return member_personal_data(member=member)


def erasure_request(*, member: Member) -> Delivery | None:
    """Email the member a link that confirms the erasure, at most once a day per link
    version; None when they gave no email (the page tells them to ask at the shop, whose
    dashboard shows the request on their timeline)."""
    event_record(
        member=member,
        kind=EventKind.PRIVACY,
        summary=stored_text(gettext_noop("Asked from their card to have their data erased")),
        source=SOURCE,
    )
    if not member.email:
        return None
    today = timezone.now().date().isoformat()
    return delivery_queue(
        member=member,
        source=ERASE_SOURCE,
        occurrence=f"v{member.link_version}:{today}",
        channel=Channel.EMAIL,
        purpose=Purpose.PRIVACY,
    )


def erasure_confirm(*, member: Member) -> Member:
    """The member followed the emailed link and confirmed."""
    return member_erase(member=member, actor=None, source=SOURCE)


def erase_link_days() -> int:
    return settings.MEMBER_LINK_MAX_AGE_DAYS[ERASE]


def erase_url(*, member: Member) -> str:
    token = member_token(member=member, purpose=ERASE)
    return absolute(reverse("portal:erase_confirm", args=[token]))


def erase_confirm_render(delivery: Delivery) -> EmailContent | SmsContent:
    member = delivery.member
    context = {
        "member": member,
        "merchant": member.merchant,
        "erase_url": erase_url(member=member),
        "erase_days": erase_link_days(),
    }
    # Translators: subject of the email confirming a member's own erasure request.
    subject = gettext("Confirm: delete your %(shop)s account") % {"shop": member.merchant.name}
    return EmailContent(
        subject=subject,
        text=render_to_string("portal/email/erase_confirm.txt", context),
        html=render_to_string("portal/email/erase_confirm.html", context),
    )
