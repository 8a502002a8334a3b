"""What the counter's card tells about the member's own card link (the page enrollment
lands on, members:card): a member whose link went by email has it already; any other,
above all one with a phone and no email, scans it there with their own phone."""

from __future__ import annotations

from dataclasses import dataclass

from apps.members.models import Member
from apps.messaging.models import Channel
from apps.messaging.selectors import member_channels_reached
from apps.portal import links, welcome
from apps.portal.selectors import card_url


@dataclass(frozen=True)
class CounterCardLink:
    """`card_url`: the link to show as a QR code, "" when it went by email (nothing to
    scan). `emailed_to`, `sms_to`: where a message carrying the link went, or ""."""

    card_url: str
    emailed_to: str
    sms_to: str


def counter_card_link(*, member: Member) -> CounterCardLink | None:
    """None for an erased or merged member: no link to give."""
    if not member.is_active:
        return None
    channels = member_channels_reached(member=member, sources=(welcome.SOURCE, links.SOURCE))
    if member.email and Channel.EMAIL in channels:
        return CounterCardLink(card_url="", emailed_to=member.email, sms_to="")
    sms_to = member.phone_display if member.phone and Channel.SMS in channels else ""
    return CounterCardLink(card_url=card_url(member=member), emailed_to="", sms_to=sms_to)
