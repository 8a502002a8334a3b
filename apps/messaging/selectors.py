"""Reads for messages: a member's deliveries, the merchant's settings, suppression."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.models import Delivery, MessagingSettings, Suppression


def messaging_settings(*, merchant: Merchant) -> MessagingSettings:
    """The merchant's settings, or the defaults (unsaved: a read writes nothing)."""
    found = MessagingSettings.objects.filter(merchant=merchant).first()
    return found or MessagingSettings(merchant=merchant)


def address_suppressed(*, merchant_id: int, channel: str, address: str) -> bool:
    return Suppression.objects.filter(
        merchant_id=merchant_id, channel=channel, address=address.lower()
    ).exists()


def member_deliveries(*, member: Member, limit: int = 50) -> QuerySet[Delivery]:
    return Delivery.objects.filter(member=member).order_by("-created_at", "-id")[:limit]


def member_address(*, member: Member, channel: str) -> str:
    """Where a message on this channel goes: the email, or the phone in E.164."""
    return (member.email if channel == "email" else member.phone) or ""
