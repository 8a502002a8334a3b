"""Reads for messages: a member's deliveries, the merchant's settings, suppression."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.extensions import message_source
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.batch import current_batch
from apps.messaging.models import Delivery, MessagingSettings, State, Suppression


def messaging_settings(*, merchant: Merchant) -> MessagingSettings:
    """The merchant's settings, or the defaults (unsaved: a read writes nothing). Read
    once per batch of deliveries (apps/messaging/batch.py)."""
    batch = current_batch()
    if batch is not None and merchant.pk in batch.settings:
        return batch.settings[merchant.pk]
    found = MessagingSettings.objects.filter(merchant=merchant).first()
    found = found or MessagingSettings(merchant=merchant)
    if batch is not None:
        batch.settings[merchant.pk] = found
    return found


def address_suppressed(*, merchant_id: int, channel: str, address: str) -> bool:
    return Suppression.objects.filter(
        merchant_id=merchant_id, channel=channel, address=address.lower()
    ).exists()


def addresses_suppressed(*, merchant_id: int, channel: str, addresses) -> set[str]:
    """Those of `addresses` on the merchant's suppression list, in lower case."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return set()
    rows = Suppression.objects.filter(merchant_id=merchant_id, channel=channel, address__in=wanted)
    return set(rows.values_list("address", flat=True))


def member_deliveries(*, member: Member, limit: int = 50) -> QuerySet[Delivery]:
    return Delivery.objects.filter(member=member).order_by("-created_at", "-id")[:limit]


# What a delivery's `reason` code means, for the member page.
REASON_WORDS = {
    "member_inactive": _("the member was erased or merged"),
    "no_address": _("no address for this channel"),
    "no_consent": _("no marketing consent"),
    "suppressed": _("the address is on the suppression list"),
    "refused": _("the mail server refused the address"),
    "attempts_exhausted": _("could not be handed over after several tries"),
    "unknown_source": _("the message no longer exists"),
    "no_answer": _("the provider did not answer: it may have gone"),
    "worker_lost": _("the sending stopped half-way: it may have gone"),
    # Campaigns (apps/campaigns) write these.
    "frequency_cap": _("the member had enough promotional messages this week"),
    "cancelled": _("the campaign was cancelled"),
    "automation_off": _("the automation was switched off before it went"),
}


def delivery_reason(*, delivery: Delivery) -> str:
    """Why the delivery did not go, in the reader's words."""
    return str(REASON_WORDS.get(delivery.reason, delivery.reason))


@dataclass(frozen=True)
class DeliveryRow:
    message: str
    channel: str
    state: str
    state_code: str
    reason: str
    created_at: datetime
    sent_at: datetime | None


def member_delivery_rows(*, member: Member, limit: int = 20) -> list[DeliveryRow]:
    """The member's latest messages, as the member page shows them."""
    rows = []
    for delivery in member_deliveries(member=member, limit=limit):
        kind = delivery.source.partition(":")[0]
        source = message_source(kind)
        rows.append(
            DeliveryRow(
                message=str(source.label or kind) if source else kind,
                channel=delivery.get_channel_display(),
                state=delivery.get_state_display(),
                state_code=delivery.state,
                reason=delivery_reason(delivery=delivery),
                created_at=delivery.created_at,
                sent_at=delivery.sent_at,
            )
        )
    return rows


# A message in one of these states went, or is on its way. (Skipped, suppressed, failed
# or bounced ones never reach the member.)
GOING = (State.QUEUED, State.CLAIMED, State.SENDING, State.SENT, State.UNKNOWN)


def member_channels_reached(*, member: Member, sources: tuple[str, ...]) -> set[str]:
    """The channels on which a message of these sources went, or is going, to the member."""
    return set(
        Delivery.objects.filter(member=member, source__in=sources, state__in=GOING)
        .values_list("channel", flat=True)
        .distinct()
    )


def member_address(*, member: Member, channel: str) -> str:
    """Where a message on this channel goes: the email, or the phone in E.164."""
    return (member.email if channel == "email" else member.phone) or ""


def deliveries_personal_data(member: Member) -> list[dict]:
    """`extensions.PERSONAL_DATA_PARTS`: every message sent, or meant, to the member."""
    return [
        {
            "at": delivery.created_at,
            "message": delivery.source.partition(":")[0],
            "channel": delivery.channel,
            "address": delivery.address,
            "state": delivery.state,
            "sent_at": delivery.sent_at,
        }
        for delivery in Delivery.objects.filter(member=member).order_by("created_at", "pk")
    ]
