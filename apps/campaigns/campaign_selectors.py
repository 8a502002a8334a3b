"""Reads behind the dashboard's campaign pages: the list's counts, the progress of a send,
who a preview can show, who an SMS would reach, and what members did with the messages
(clicks, unsubscribes, bounces, complaints)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce, NullIf

from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind, Click
from apps.campaigns.report import ATTRIBUTION_DAYS
from apps.campaigns.selectors import campaign_counts, segment_members, segment_sample
from apps.core.models import Merchant
from apps.members.models import EventKind, Member, MemberEvent
from apps.members.selectors import member_get, member_lookup
from apps.messaging.models import Channel, Delivery, State

PREVIEW_CHOICES = 20
# Where a withdrawn consent came from when a member stopped the messages themselves: a
# message's link (or the provider's report of one) and a STOP texted back.
UNSUBSCRIBE_SOURCES = ("unsubscribe", "sms_reply")
# A delivery's state, as the list's "sent" counts it (handed to the provider).
SENT_STATES = (State.SENT, State.BOUNCED, State.COMPLAINED, State.UNKNOWN)


def campaigns_sent_counts(*, campaigns: list[Campaign]) -> dict[int, tuple[int, int]]:
    """(sent, targeted) of each campaign, in one query for the whole list."""
    sources = {campaign.source: campaign.pk for campaign in campaigns}
    rows = (
        Delivery.objects.filter(source__in=sources)
        .values("source")
        .annotate(sent=Count("pk", filter=Q(state__in=SENT_STATES)), targeted=Count("pk"))
        .values_list("source", "sent", "targeted")
    )
    found = {sources[source]: (sent, targeted) for source, sent, targeted in rows}
    return {campaign.pk: found.get(campaign.pk, (0, 0)) for campaign in campaigns}


@dataclass(frozen=True)
class Progress:
    """A campaign's send so far. `done` counts every row that will not change any more
    (sent, failed, skipped, held out) out of `targeted`."""

    targeted: int
    sent: int
    failed: int
    skipped: int
    holdout: int
    left: int
    frozen: bool  # the audience is written: until then nothing can be counted

    @property
    def done(self) -> int:
        return self.targeted - self.left

    @property
    def percent(self) -> int:
        return 100 if not self.targeted else self.done * 100 // self.targeted


def campaign_progress(*, campaign: Campaign) -> Progress:
    counts = campaign_counts(campaign=campaign)
    return Progress(
        targeted=counts["targeted"],
        sent=counts["sent"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        holdout=counts["holdout"],
        left=counts["queued"],
        frozen=campaign.frozen_rules is not None,
    )


def campaign_preview_choices(*, campaign: Campaign, term: str = "") -> list[Member]:
    """Members a preview can be shown for: those a search finds among all the merchant's
    members, else a few of the segment's (its most recently active)."""
    if term.strip():
        return member_lookup(merchant=campaign.merchant, term=term)
    return segment_sample(
        merchant=campaign.merchant, rules=campaign.segment.rules, size=PREVIEW_CHOICES
    )


def campaign_preview_member(
    *, campaign: Campaign, public_id: str, choices: list[Member], term: str = ""
) -> Member | None:
    """The member a campaign's preview asks for (`preview_member`)."""
    return preview_member(
        merchant=campaign.merchant, public_id=public_id, choices=choices, term=term
    )


def preview_member(
    *, merchant: Merchant, public_id: str, choices: list[Member], term: str = ""
) -> Member | None:
    """The member a preview asks for: one of the choices, or (without a search) any
    active member of the merchant; else the first choice."""
    chosen = next((member for member in choices if member.public_id == public_id), None)
    if chosen is None and public_id and not term.strip():
        found = member_get(merchant=merchant, public_id=public_id)
        chosen = found if found is not None and found.is_active else None
    if chosen is None and choices:
        chosen = choices[0]
    return chosen


def sms_audience_by_language(
    *, merchant: Merchant, rules, channel: str, kind: str
) -> dict[str, int]:
    """How many of the segment's members today a campaign would text, by the language
    they read (their own, else the merchant's): those with a phone, and, with email
    first, no email address; a promotional one also needs their SMS consent. The
    suppression list and the weekly limits are left out: an upper bound."""
    if channel not in (CampaignChannel.SMS, CampaignChannel.EMAIL_OR_SMS):
        return {}
    members = segment_members(merchant=merchant, rules=rules).exclude(
        Q(phone__isnull=True) | Q(phone="")
    )
    if channel == CampaignChannel.EMAIL_OR_SMS:
        members = members.filter(Q(email__isnull=True) | Q(email=""))
    if kind == CampaignKind.PROMOTIONAL:
        members = members.filter(consent_sms=True)
    rows = (
        members.annotate(reads=Coalesce(NullIf("language", Value("")), Value(merchant.language)))
        .order_by()
        .values("reads")
        .annotate(count=Count("pk"))
        .values_list("reads", "count")
    )
    return dict(rows)


@dataclass(frozen=True)
class Engagement:
    clicks: int
    clickers: int
    unsubscribed: int
    bounced: int
    complained: int


def campaign_engagement(*, campaign: Campaign) -> Engagement:
    """What members did with the messages. Opens are not counted (privacy proxies fetch
    every image). Unsubscribes are the members it reached who withdrew their consent
    on that channel themselves (a message's link, a STOP texted back) within the
    attribution window: most, not all, because of this campaign."""
    clicks = Click.objects.filter(campaign=campaign).aggregate(
        clicks=Count("pk"), clickers=Count("delivery__member", distinct=True)
    )
    reached = Delivery.objects.filter(source=campaign.source, state__in=SENT_STATES)
    states = reached.aggregate(
        bounced=Count("pk", filter=Q(state=State.BOUNCED)),
        complained=Count("pk", filter=Q(state=State.COMPLAINED)),
    )
    unsubscribed = 0
    if campaign.started_at:
        start = campaign.started_at
        withdrawn = MemberEvent.objects.for_merchant(campaign.merchant).filter(
            kind=EventKind.CONSENT,
            source__in=UNSUBSCRIBE_SOURCES,
            data__granted=False,
            occurred_at__gte=start,
            occurred_at__lt=start + timedelta(days=ATTRIBUTION_DAYS),
        )
        unsubscribed = sum(
            withdrawn.filter(
                data__channel=channel,
                member_id__in=reached.filter(channel=channel).values("member_id"),
            )
            .values("member_id")
            .distinct()
            .count()
            for channel in (Channel.EMAIL, Channel.SMS)
        )
    return Engagement(
        clicks=clicks["clicks"],
        clickers=clicks["clickers"],
        unsubscribed=unsubscribed,
        bounced=states["bounced"],
        complained=states["complained"],
    )
