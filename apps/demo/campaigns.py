"""Demo segments and campaigns for `make run`: a few saved segments, a draft, and a
win-back campaign sent five weeks ago with a 10 % holdout and a coupon, whose members came
back more often than the held-out ones, so the report shows a lift on a fresh install.

The sent campaign is history: its delivery rows, coupons and the purchases after it are
written as they would have been then (the services take the past moments), not sent now.
Idempotent: a demo that has the campaign already gets nothing more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.campaigns.models import Campaign, CampaignStatus, OfferGrant, Segment
from apps.campaigns.services import segment_create
from apps.campaigns.services.editing import CampaignFields, campaign_create
from apps.campaigns.services.sending import in_holdout
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.programs.coupons.models import Coupon, CouponSource, CouponStatus
from apps.programs.coupons.selectors import coupon_discount
from apps.programs.coupons.services import coupon_issue
from apps.programs.services import purchase_record

SENT_NAME = "Vuelve a por tu café"
SEGMENTS = [
    ("Socios con email", {"field": "consent_email", "op": "is", "value": True}),
    ("En riesgo", {"field": "status", "op": "is", "value": "at_risk"}),
    ("Cumpleaños del mes", {"field": "birthday_this_month", "op": "is", "value": True}),
    (
        "Clientes fieles",
        {
            "all": [
                {"field": "purchase_count", "op": "gte", "value": 5, "within_days": 90},
                {"field": "consent_email", "op": "is", "value": True},
            ]
        },
    ),
]
BODY = {
    "es": (
        "<p>Hola {{ first_name }}:</p><p>Hace tiempo que no te vemos. Te regalamos "
        "{{ coupon_value }} para tu próximo café con el código <strong>{{ coupon_code }}"
        "</strong>, válido hasta el {{ coupon_expires }}.</p>"
        '<p><a href="{{ card_url }}">Tu tarjeta</a></p>'
    ),
    "en": (
        "<p>Hi {{ first_name }},</p><p>We have not seen you for a while. Here is "
        "{{ coupon_value }} for your next coffee with the code <strong>{{ coupon_code }}"
        "</strong>, valid until {{ coupon_expires }}.</p>"
        '<p><a href="{{ card_url }}">Your card</a></p>'
    ),
}
# Who came back in the week after it: the treatment more often than the holdout.
CAME_BACK = {"treatment": 0.30, "holdout": 0.14}


@dataclass(frozen=True)
class DemoCampaigns:
    segments: int
    sent: Campaign | None


def seed_demo_campaigns(*, merchant: Merchant, actor: User, seed: int) -> DemoCampaigns:
    if Campaign.objects.for_merchant(merchant).filter(name=SENT_NAME).exists():
        return DemoCampaigns(segments=0, sent=None)
    segments = _segments(merchant, actor)
    rng = random.Random(seed)
    sent = _sent_campaign(merchant, actor, segments["Socios con email"], rng)
    with transaction.atomic():
        campaign_create(
            merchant=merchant,
            actor=actor,
            fields=CampaignFields(
                name="Te echamos de menos",
                segment=segments["En riesgo"],
                channel="email",
                kind="promotional",
                subject={"es": "{{ first_name }}, ¿un café?", "en": "{{ first_name }}, coffee?"},
                body={"es": BODY["es"], "en": BODY["en"]},
                offer={"type": "bonus_points", "points": 100},
            ),
        )
    return DemoCampaigns(segments=len(segments), sent=sent)


def _segments(merchant: Merchant, actor: User) -> dict[str, Segment]:
    found = {}
    for name, rules in SEGMENTS:
        segment = Segment.objects.for_merchant(merchant).filter(name=name).first()
        if segment is None:
            with transaction.atomic():
                segment = segment_create(merchant=merchant, actor=actor, name=name, rules=rules)
        found[name] = segment
    return found


def _sent_campaign(merchant: Merchant, actor: User, segment: Segment, rng) -> Campaign:
    started = timezone.now() - timedelta(days=35)
    with transaction.atomic():
        campaign = campaign_create(
            merchant=merchant,
            actor=actor,
            fields=CampaignFields(
                name=SENT_NAME,
                segment=segment,
                channel="email",
                kind="promotional",
                subject={"es": "{{ first_name }}, tu café te espera", "en": "Your coffee awaits"},
                body=BODY,
                offer={"type": "coupon", "amount": 300, "valid_days": 14},
                holdout_percent=10,
            ),
        )
        members = list(
            Member.objects.for_merchant(merchant)
            .active()
            .filter(consent_email=True, email__isnull=False, enrolled_at__lt=started)
            .order_by("pk")
        )
        groups = _history(campaign, members, started)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.SENT,
            started_at=started,
            finished_at=started + timedelta(minutes=4),
            frozen_rules=segment.rules,
            targeted=len(members),
        )
    _purchases_after(merchant, campaign, groups, started, rng)
    campaign.refresh_from_db()
    return campaign


def _history(campaign: Campaign, members: list[Member], started) -> dict[str, list]:
    groups: dict[str, list] = {"treatment": [], "holdout": []}
    rows = []
    for member in members:
        held = in_holdout(campaign_id=campaign.pk, member_id=member.pk, percent=10)
        groups["holdout" if held else "treatment"].append(member)
        rows.append(
            Delivery(
                merchant_id=campaign.merchant_id,
                member=member,
                source=campaign.source,
                channel=Channel.EMAIL,
                purpose=Purpose.MARKETING,
                state=State.HOLDOUT if held else State.SENT,
                address=member.email,
                created_at=started,
                sent_at=None if held else started + timedelta(minutes=2),
            )
        )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    for member in groups["treatment"]:
        coupon = coupon_issue(
            merchant=campaign.merchant,
            member=member,
            value=300,
            expires_at=started + timedelta(days=14),
            source=CouponSource.CAMPAIGN,
            issue_key=f"campaign-{campaign.pk}-{member.pk}",
            issued_at=started,
        )
        OfferGrant.objects.create(
            merchant_id=campaign.merchant_id,
            campaign=campaign,
            member=member,
            kind="coupon",
            coupon=coupon,
            granted_at=started,
        )
    return groups


def _purchases_after(merchant: Merchant, campaign: Campaign, groups, started, rng) -> None:
    """The week after the send: who came back, and the coupons used then (written as they
    were used then: a coupon expired since cannot be redeemed today)."""
    for group, members in groups.items():
        for member in members:
            if rng.random() >= CAME_BACK[group]:
                continue
            at = started + timedelta(days=rng.uniform(0.2, 6.5))
            basket = rng.choice([450, 620, 880, 1250, 1600])
            grant = OfferGrant.objects.filter(campaign=campaign, member=member).first()
            coupon = grant.coupon if grant and rng.random() < 0.7 else None
            discount = coupon_discount(coupon=coupon, amount=basket) if coupon else 0
            with transaction.atomic():
                purchase = purchase_record(
                    merchant=merchant,
                    member=member,
                    external_id=f"demo-campaign-{campaign.pk}-{member.pk}",
                    amount=basket - discount,
                    discount=discount,
                    occurred_at=at,
                ).purchase
                if coupon is not None:
                    Coupon.objects.filter(pk=coupon.pk).update(
                        status=CouponStatus.REDEEMED,
                        redeemed_at=at,
                        redeemed_amount=basket,
                        redeemed_discount=discount,
                        redeemed_purchase=purchase,
                    )
