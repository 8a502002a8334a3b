"""One-click unsubscribe (RFC 8058): the signed link's POST withdraws consent at once."""

from __future__ import annotations

from django.db import transaction

from apps.members.models import Member
from apps.members.services import member_consent_set


@transaction.atomic(savepoint=False)
def member_unsubscribe(*, member: Member, channel: str) -> bool:
    """Withdraw marketing consent on the channel; True when it was given. A second POST
    (the member's, a client's, a scanner's) changes nothing."""
    return member_consent_set(member=member, channel=channel, granted=False, source="unsubscribe")
