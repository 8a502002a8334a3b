"""Whether a delivery may go: checked when its row is written and again just before the
send (consent can be withdrawn, an address can bounce, in between)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.members.models import Member
from apps.messaging.models import Purpose, State
from apps.messaging.selectors import address_suppressed, member_address


@dataclass(frozen=True)
class Verdict:
    state: str  # QUEUED: it may go
    reason: str = ""


GO = Verdict(State.QUEUED)


def delivery_verdict(
    *, member: Member, channel: str, purpose: str, suppressed: set[str] | None = None
) -> Verdict:
    """`suppressed`: the suppressed addresses among a batch's (lower case), read once for
    all its rows; without it, the member's address is looked up."""
    if not member.is_active:
        return Verdict(State.SKIPPED, "member_inactive")
    address = member_address(member=member, channel=channel)
    if not address:
        return Verdict(State.SKIPPED, "no_address")
    if purpose == Purpose.MARKETING and not getattr(member, f"consent_{channel}"):
        return Verdict(State.SKIPPED, "no_consent")
    # A privacy confirmation (the member asked to be erased) goes even to a suppressed
    # address: it is the only way to confirm the request.
    if purpose != Purpose.PRIVACY and _suppressed(member, channel, address, suppressed):
        return Verdict(State.SUPPRESSED, "suppressed")
    return GO


def _suppressed(member: Member, channel: str, address: str, known: set[str] | None) -> bool:
    if known is not None:
        return address.lower() in known
    return address_suppressed(merchant_id=member.merchant_id, channel=channel, address=address)
