"""Demo automations for `make run`: the birthday, points-expiring and win-back automations
switched on a year ago (the welcome is on already), with a year of their history, so the
automations' pages and reports show real figures on a fresh install.

As for the demo campaign, the history is written as it would have been then (delivery
rows at their past moments, processed occurrences, the win-back's coupons, the purchases
of the members who came back within a week, the treatment more often than the holdout),
not sent now. Idempotent: a demo whose birthday automation is on gets nothing more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.analytics.periods import merchant_zone
from apps.analytics.selectors import merchant_today
from apps.campaigns.audience import holdout_drawn
from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.models import (
    Automation,
    AutomationKind,
    AutomationOccurrence,
    OfferGrant,
    Outcome,
)
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.programs.coupons.models import CouponSource
from apps.programs.coupons.services import coupon_issue
from apps.programs.services import purchase_record

WIN_BACK_OFFER = {"type": "coupon", "amount": 300, "valid_days": 14}
# Who bought within a week of the message: the treatment more often than the holdout.
CAME_BACK = {
    AutomationKind.BIRTHDAY: {"treatment": 0.34, "holdout": 0.18},
    AutomationKind.WIN_BACK: {"treatment": 0.22, "holdout": 0.09},
    AutomationKind.POINTS_EXPIRING: {"treatment": 0.40, "holdout": 0.40},
}
WIN_BACK_SHARE = 0.25  # of the members with an email, turned at risk some day this year
EXPIRING_SHARE = 0.20


@dataclass(frozen=True)
class DemoAutomations:
    switched_on: int
    messages: int


def seed_demo_automations(*, merchant: Merchant, actor: User, seed: int) -> DemoAutomations:
    on = Automation.objects.for_merchant(merchant).filter(
        kind=AutomationKind.BIRTHDAY, enabled=True
    )
    if on.exists():
        return DemoAutomations(0, 0)
    rng = random.Random(seed)
    now = timezone.now()
    year_ago = now - timedelta(days=365)
    automations = {}
    for kind in (AutomationKind.BIRTHDAY, AutomationKind.POINTS_EXPIRING, AutomationKind.WIN_BACK):
        with transaction.atomic():
            automation = automation_enable(merchant=merchant, kind=kind, actor=actor, now=year_ago)
        automations[kind] = automation
    win_back = automations[AutomationKind.WIN_BACK]
    win_back.offer = WIN_BACK_OFFER
    win_back.save(update_fields=["offer"])
    # The year is history: the daily scans have looked at it.
    Automation.objects.for_merchant(merchant).filter(enabled=True).update(
        scanned_through=merchant_today(merchant=merchant, now=now)
    )
    members = list(
        Member.objects.for_merchant(merchant)
        .active()
        .filter(email__isnull=False, enrolled_at__lt=year_ago)
        .order_by("pk")
    )
    sends = [
        *_birthdays(automations[AutomationKind.BIRTHDAY], members, now),
        *_sampled(automations[AutomationKind.WIN_BACK], members, now, rng, WIN_BACK_SHARE),
        *_sampled(automations[AutomationKind.POINTS_EXPIRING], members, now, rng, EXPIRING_SHARE),
    ]
    with transaction.atomic():
        _history(sends)
    _purchases_after(merchant, sends, rng)
    return DemoAutomations(len(automations), len(sends))


@dataclass(frozen=True)
class _Send:
    automation: Automation
    member: Member
    occurrence: str
    at: datetime
    held: bool


def _at_nine(day: date, merchant: Merchant) -> datetime:
    return datetime.combine(day, time(9), tzinfo=merchant_zone(merchant.timezone))


def _birthdays(automation: Automation, members: list[Member], now: datetime) -> list[_Send]:
    today = merchant_today(merchant=automation.merchant, now=now)
    sends = []
    for member in members:
        if member.birthday is None or not member.consent_email:
            continue
        for year in (today.year - 1, today.year):
            try:
                day = member.birthday.replace(year=year)
            except ValueError:  # 29 February in a common year
                day = date(year, 2, 28)
            if today - timedelta(days=365) < day < today:
                sends.append(_send(automation, member, str(year), _at_nine(day, member.merchant)))
    return sends


def _sampled(automation, members: list[Member], now, rng, share: float) -> list[_Send]:
    """Some members, each on a day of the year gone by (the win-back's turning at risk,
    the points-expiring reminder of a lot)."""
    promotional = automation.kind == AutomationKind.WIN_BACK
    sends = []
    for member in members:
        if rng.random() >= share or (promotional and not member.consent_email):
            continue
        day = (now - timedelta(days=rng.randint(8, 360))).date()
        key = f"at_risk:{day - timedelta(days=91)}" if promotional else f"demo:{day}"
        sends.append(_send(automation, member, key, _at_nine(day, member.merchant)))
    return sends


def _send(automation: Automation, member: Member, occurrence: str, at: datetime) -> _Send:
    held = automation.kind != AutomationKind.POINTS_EXPIRING and holdout_drawn(
        scope=f"automation-{automation.pk}", member_id=member.pk, percent=10
    )
    return _Send(automation, member, occurrence, at, held)


def _history(sends: list[_Send]) -> None:
    deliveries, occurrences = [], []
    for send in sends:
        automation, member = send.automation, send.member
        promotional = automation.kind != AutomationKind.POINTS_EXPIRING
        deliveries.append(
            Delivery(
                merchant_id=automation.merchant_id,
                member=member,
                source=automation.source,
                occurrence=send.occurrence,
                channel=Channel.EMAIL,
                purpose=Purpose.MARKETING if promotional else Purpose.SERVICE,
                state=State.HOLDOUT if send.held else State.SENT,
                address=member.email,
                created_at=send.at,
                sent_at=None if send.held else send.at + timedelta(minutes=1),
            )
        )
        occurrences.append(
            AutomationOccurrence(
                merchant_id=automation.merchant_id,
                automation=automation,
                member=member,
                occurrence=send.occurrence,
                due_at=send.at,
                created_at=send.at,
                processed_at=send.at,
                outcome=Outcome.HOLDOUT if send.held else Outcome.QUEUED,
            )
        )
        if automation.offer and not send.held:
            _coupon(automation, send)
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    AutomationOccurrence.objects.bulk_create(occurrences, ignore_conflicts=True)


def _coupon(automation: Automation, send: _Send) -> None:
    coupon = coupon_issue(
        merchant=automation.merchant,
        member=send.member,
        value=WIN_BACK_OFFER["amount"],
        expires_at=send.at + timedelta(days=WIN_BACK_OFFER["valid_days"]),
        source=CouponSource.AUTOMATION,
        issue_key=f"automation-{automation.pk}-{send.member.pk}-{send.occurrence}"[:120],
        issued_at=send.at,
    )
    OfferGrant.objects.create(
        merchant_id=automation.merchant_id,
        automation=automation,
        member=send.member,
        occurrence=send.occurrence,
        kind="coupon",
        coupon=coupon,
        granted_at=send.at,
    )


def _purchases_after(merchant: Merchant, sends: list[_Send], rng) -> None:
    for send in sends:
        rate = CAME_BACK[send.automation.kind]["holdout" if send.held else "treatment"]
        if rng.random() >= rate:
            continue
        at = send.at + timedelta(days=rng.uniform(0.2, 6.5))
        if at >= timezone.now():
            continue
        with transaction.atomic():
            purchase_record(
                merchant=merchant,
                member=send.member,
                external_id=f"demo-automation-{send.automation.pk}-{send.member.pk}-{send.occurrence}"[
                    :100
                ],
                amount=rng.choice([450, 620, 880, 1250, 1600]),
                occurred_at=at,
            )
