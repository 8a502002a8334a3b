"""The member's own privacy requests, from their card: "download my data" and "delete my
account". They reach the same services the merchant's GDPR tools use (the member's
personal data, `member_erase`). Each goes through a second link emailed to the member, so
a card link that leaked (forwarded, shown at the counter, inside a wallet pass) can
neither read their personal data nor erase them."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.core.stored_text import stored_text
from apps.members.models import EventKind, Member, MemberEvent
from apps.members.selectors import member_personal_data
from apps.members.services import event_record, member_erase
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.links import DATA, ERASE, absolute, member_token
from apps.messaging.models import Channel, Delivery, Purpose
from apps.messaging.services import delivery_queue

SOURCE = "card"
DATA_SOURCE = "data_link"
ERASE_SOURCE = "erase_confirm"
# What each request is called on the timeline, and the link it emails.
_REQUESTS = {
    DATA: (gettext_noop("Asked from their card for a copy of their data"), DATA_SOURCE),
    ERASE: (gettext_noop("Asked from their card to have their data erased"), ERASE_SOURCE),
}


def privacy_request(*, member: Member, request: str) -> Delivery | None:
    """`request` DATA or ERASE: email the member the link that completes it, at most once
    a day per link version, and note the request on their timeline (once a day too: the
    page can be posted again and again). None when they gave no email: the page tells
    them to ask at the shop, whose dashboard shows the request."""
    summary, source = _REQUESTS[request]
    today = timezone.localdate()
    noted = MemberEvent.objects.filter(
        member=member, kind=EventKind.PRIVACY, data__request=request, occurred_at__date=today
    )
    if not noted.exists():
        event_record(
            member=member,
            kind=EventKind.PRIVACY,
            summary=stored_text(summary),
            source=SOURCE,
            data={"request": request},
        )
    if not member.email:
        return None
    return delivery_queue(
        member=member,
        source=source,
        occurrence=f"v{member.link_version}:{today.isoformat()}",
        channel=Channel.EMAIL,
        purpose=Purpose.PRIVACY,
    )


def personal_data_download(*, member: Member) -> dict:
    """Everything held about the member, for them (they opened the emailed link); the
    download goes on their timeline."""
    event_record(
        member=member,
        kind=EventKind.PRIVACY,
        summary=stored_text(gettext_noop("Downloaded a copy of their data")),
        source=SOURCE,
        data={"request": "downloaded"},
    )
    return member_personal_data(member=member)


def erasure_confirm(*, member: Member) -> Member:
    """The member followed the emailed link and confirmed."""
    return member_erase(member=member, actor=None, source=SOURCE)


def privacy_link_days(purpose: str) -> int:
    """How long the emailed link of a DATA or ERASE request works."""
    return settings.MEMBER_LINK_MAX_AGE_DAYS[purpose]


def _link(member: Member, purpose: str, url_name: str) -> str:
    token = member_token(member=member, purpose=purpose)
    return absolute(reverse(url_name, args=[token]))


def _render(delivery: Delivery, purpose: str, subject: str, url_name: str) -> EmailContent:
    member = delivery.member
    template = {DATA: "data_link", ERASE: "erase_confirm"}[purpose]
    context = {
        "member": member,
        "merchant": member.merchant,
        "link": _link(member, purpose, url_name),
        "days": privacy_link_days(purpose),
    }
    return EmailContent(
        subject=subject % {"shop": member.merchant.name},
        text=render_to_string(f"portal/email/{template}.txt", context),
        html=render_to_string(f"portal/email/{template}.html", context),
    )


def erase_confirm_render(delivery: Delivery) -> EmailContent | SmsContent:
    # Translators: subject of the email confirming a member's own erasure request.
    subject = gettext("Confirm: delete your %(shop)s account")
    return _render(delivery, ERASE, subject, "portal:erase_confirm")


def data_link_render(delivery: Delivery) -> EmailContent | SmsContent:
    # Translators: subject of the email carrying the link to a member's copy of their data.
    subject = gettext("Your data at %(shop)s")
    return _render(delivery, DATA, subject, "portal:data_download")
