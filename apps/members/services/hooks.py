"""What other apps plug into the member services (handlers for enrollment, profile and
merge, enrollment extras), and the member webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.accounts.models import User
from apps.core.webhooks.models import WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.members.models import Member


def member_webhook_data(*, member: Member) -> dict:
    """A member as webhooks describe it (ids are the opaque public ones)."""
    return {
        "id": member.public_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "card_code": member.card_code,
        "channel": member.channel,
        "location": member.location.name if member.location_id else None,
        "enrolled_at": member.enrolled_at,
    }


def member_enrolled_webhook(member: Member, actor: User | None) -> None:
    webhook_emit(
        merchant=member.merchant,
        event=WebhookEvent.MEMBER_ENROLLED,
        data={"member": member_webhook_data(member=member)},
    )


# Apps that act when a customer enrolls at the counter, storefront or API (not by import),
# or completes their profile, register a handler(member, actor) here (programs/apps.py
# does: the join and profile bonuses). They run in the service's transaction.
ENROLL_HANDLERS: list = []
PROFILE_HANDLERS: list = []


@dataclass(frozen=True)
class EnrollExtra:
    """Data an enrollment may carry for another app (referrals: `referral_code`).

    `check(member, value)` gets the checked, not yet inserted member and the value; it
    refuses with a `DomainError` naming the field (nobody is enrolled) or returns a
    function that `member_enroll` calls with the inserted member, in its transaction.
    """

    name: str
    check: Callable[[Member, Any], Callable[[Member], None]]


ENROLL_EXTRAS: list[EnrollExtra] = []

# Apps whose rows about a member cannot simply be re-pointed at the survivor (an
# append-only ledger, one account per member) register a handler, called first, and name
# those models in MERGE_KEEPS (programs/apps.py does).
MERGE_HANDLERS: list = []
MERGE_KEEPS: set = set()
