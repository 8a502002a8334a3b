"""Who a message may reach, shared by campaigns and automations: the channel and address
a member is reached on, the suppressed addresses, the frequency cap's counts, and the
holdout's draw."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q

from apps.analytics.periods import merchant_zone
from apps.campaigns.models import CampaignChannel, CampaignSettings
from apps.core.models import Merchant
from apps.messaging.models import Channel, Delivery, Purpose, State, Suppression

# The states of a promotional message that count against the cap: going, or gone.
CAP_COUNTED = (State.QUEUED, State.CLAIMED, State.SENDING, State.SENT, State.UNKNOWN)


@dataclass(frozen=True)
class Reach:
    channel: str
    address: str


def member_reach(
    *, channel: str, promotional: bool, email: str | None, phone: str | None, consent: dict
) -> Reach | None:
    """The channel and address a member is reached on for a message on `channel` (a
    `CampaignChannel`), or None: no address on it, or no consent for a promotional one."""
    if channel in (CampaignChannel.EMAIL, CampaignChannel.EMAIL_OR_SMS) and email:
        reach = Reach(Channel.EMAIL, email)
    elif channel in (CampaignChannel.SMS, CampaignChannel.EMAIL_OR_SMS) and phone:
        reach = Reach(Channel.SMS, phone)
    else:
        return None
    if promotional and not consent[reach.channel]:
        return None
    return reach


def suppressed_addresses(*, merchant: Merchant, among=None) -> set[tuple[str, str]]:
    """(channel, address) of the merchant's suppressed addresses: all of them, or those
    `among` the addresses given (a chunk's members': the list can be long)."""
    rows = Suppression.objects.for_merchant(merchant)
    if among is not None:
        rows = rows.filter(address__in=among)
    return set(rows.values_list("channel", "address"))


def recent_marketing_counts(
    *, merchant: Merchant, now: datetime, exclude_source: str = "", member_ids=None
) -> dict[int, tuple[int, int]]:
    """Promotional messages each member got or is getting: in the last 7 days, last day;
    only of `member_ids` when given."""
    rows = (
        Delivery.objects.for_merchant(merchant)
        .filter(purpose=Purpose.MARKETING, state__in=CAP_COUNTED)
        .filter(created_at__gte=now - timedelta(days=7))
    )
    if exclude_source:
        rows = rows.exclude(source=exclude_source)
    if member_ids is not None:
        rows = rows.filter(member_id__in=member_ids)
    counted = rows.values("member_id").annotate(
        week=Count("pk"), day=Count("pk", filter=Q(created_at__gte=now - timedelta(days=1)))
    )
    return {row["member_id"]: (row["week"], row["day"]) for row in counted}


def over_cap(*, caps: CampaignSettings, recent: tuple[int, int]) -> bool:
    week, day = recent
    return week >= caps.cap_per_week or day >= caps.cap_per_day


def holdout_drawn(*, scope: str, member_id: int, percent: int) -> bool:
    """Stable: the same member of the same campaign (or automation: its `scope`) is always
    on the same side."""
    digest = hashlib.sha256(f"holdout:{scope}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def quiet_hours_now(*, start: time, end: time, zone_name: str, now: datetime) -> bool:
    """Whether `now` falls in the quiet hours (no SMS) of the merchant's day; start == end:
    none."""
    local = now.astimezone(merchant_zone(zone_name)).time()
    if start == end:
        return False
    return (start <= local or local < end) if start > end else start <= local < end


def quiet_hours_end(*, end: time, zone_name: str, now: datetime) -> datetime:
    """The next end of the quiet hours after `now`."""
    local = now.astimezone(merchant_zone(zone_name))
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)
