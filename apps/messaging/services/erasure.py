"""What messaging forgets when a member's personal data is erased."""

from __future__ import annotations

from apps.core.events import MemberErased
from apps.messaging.models import Delivery


def deliveries_forget_addresses(payload: MemberErased) -> None:
    """`MEMBER_ERASED`: the deliveries stay (counts, campaign results) without the address
    and the provider's error text, which may quote it. The suppression list keeps its
    addresses: mailing a suppressed address again is what it exists to prevent."""
    Delivery.objects.filter(member=payload.member).update(address="", error="")
