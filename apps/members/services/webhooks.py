"""The member webhook (`member.enrolled`), a `MEMBER_ENROLLED` handler."""

from __future__ import annotations

from apps.core.events import MemberEnrolled
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


def member_enrolled_webhook(enrolled: MemberEnrolled) -> None:
    member = enrolled.member
    webhook_emit(
        merchant=member.merchant,
        event=WebhookEvent.MEMBER_ENROLLED,
        data={"member": member_webhook_data(member=member)},
    )
