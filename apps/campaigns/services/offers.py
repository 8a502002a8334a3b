"""A campaign's offer (or an automation's): checked when it is saved, given to each
treatment member once (an automation's: once per occurrence), just before their message is
sent (so the message can show the coupon's code).

    {"type": "coupon", "amount": cents | "percent": n, "valid_days": n, "min_spend": cents}
    {"type": "bonus_points", "points": n}
    {"type": "multiplier", "factor": 2, "days": n}

Held-out members get nothing. A member's grant is one row (`OfferGrant`, unique on the
campaign and the member) written in the transaction that gives the offer, so a retried
batch or a second worker never gives it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.campaigns.models import Automation, Campaign, OfferGrant, OfferKind
from apps.core.errors import DomainError
from apps.core.stored_text import stored_text
from apps.members.models import Member
from apps.programs.coupons.models import CouponSource
from apps.programs.coupons.services import coupon_issue
from apps.programs.points.earning import earn_terms
from apps.programs.points.ledger import ledger_credit
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import EntryKind

MAX_AMOUNT = 10**9  # minor units
LIMITS = {
    "amount": (1, MAX_AMOUNT),
    "percent": (1, 100),
    "valid_days": (1, 3650),
    "min_spend": (0, MAX_AMOUNT),
    "points": (1, 1_000_000),
    "factor": (2, 10),
    "days": (1, 365),
}
KEYS = {
    OfferKind.COUPON: ({"valid_days"}, {"amount", "percent", "min_spend"}),
    OfferKind.BONUS_POINTS: ({"points"}, set()),
    OfferKind.MULTIPLIER: ({"factor", "days"}, set()),
}


def _bad(problem: str, key: str = "") -> DomainError:
    return DomainError(problem, field="offer" + (f".{key}" if key else ""), code="invalid_offer")


def offer_clean(*, offer) -> dict | None:
    """The offer as stored, or None for none; `DomainError` on `offer.<key>` otherwise."""
    if offer in (None, {}):
        return None
    if not isinstance(offer, dict):
        raise _bad(gettext('Give the offer as an object with a "type".'))
    kind = offer.get("type")
    if kind not in KEYS:
        raise _bad(
            gettext("The offer's type is one of: %(types)s.")
            % {"types": ", ".join(OfferKind.values)},
            "type",
        )
    required, optional = KEYS[kind]
    unknown = sorted(str(key)[:40] for key in set(offer) - required - optional - {"type"})
    if unknown:
        raise _bad(gettext("This offer takes no such key."), unknown[0])
    for key in sorted(required - set(offer)):
        raise _bad(gettext("Give this value."), key)
    cleaned = {"type": kind}
    for key in sorted(set(offer) - {"type"}):
        value, (least, most) = offer[key], LIMITS[key]
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            raise _bad(
                gettext("Give a whole number from %(least)d to %(most)d.")
                % {"least": least, "most": most},
                key,
            )
        cleaned[key] = value
    if kind == OfferKind.COUPON and ("amount" in cleaned) == ("percent" in cleaned):
        raise _bad(gettext("Give either an amount or a percent."), "amount")
    return cleaned


@transaction.atomic(savepoint=False)
def offer_grant(*, campaign: Campaign, member: Member, now: datetime | None = None) -> OfferGrant:
    """The member's offer from this campaign: given now, or the one given before."""
    # The member's lock first: the points and coupons of a member are written under it, and
    # two batches granting one member wait here instead of racing to the unique row.
    account = points_account_lock(member)
    existing = OfferGrant.objects.filter(campaign=campaign, member=member).first()
    if existing is not None:
        return existing
    grant = OfferGrant(merchant_id=campaign.merchant_id, campaign=campaign, member=member)
    return _give(
        grant,
        offer=campaign.offer,
        account=account,
        reason=stored_text(gettext_noop("Campaign %(name)s"), name=campaign.name),
        issue_key=f"campaign-{campaign.pk}-{member.pk}",
        source=CouponSource.CAMPAIGN,
        now=now or timezone.now(),
    )


@transaction.atomic(savepoint=False)
def automation_offer_grant(
    *, automation: Automation, member: Member, occurrence: str, now: datetime | None = None
) -> OfferGrant:
    """The member's offer from this automation for this occurrence: given now, or the one
    given before."""
    account = points_account_lock(member)
    existing = OfferGrant.objects.filter(
        automation=automation, member=member, occurrence=occurrence
    ).first()
    if existing is not None:
        return existing
    grant = OfferGrant(
        merchant_id=automation.merchant_id,
        automation=automation,
        member=member,
        occurrence=occurrence,
    )
    return _give(
        grant,
        offer=automation.offer,
        account=account,
        reason=stored_text(gettext_noop("Automation %(name)s"), name=automation.get_kind_display()),
        issue_key=f"automation-{automation.pk}-{member.pk}-{occurrence}"[:120],
        source=CouponSource.AUTOMATION,
        now=now or timezone.now(),
    )


def _give(grant: OfferGrant, *, offer: dict, account, reason, issue_key, source, now) -> OfferGrant:
    """Give `offer` to the grant's member (the caller holds their points account's lock)."""
    member, merchant = grant.member, grant.member.merchant
    grant.kind = offer["type"]
    if grant.kind == OfferKind.COUPON:
        grant.coupon = coupon_issue(
            merchant=merchant,
            member=member,
            value=offer.get("amount", 0),
            percent=offer.get("percent", 0),
            min_spend=offer.get("min_spend", 0),
            expires_at=now + timedelta(days=offer["valid_days"]),
            source=source,
            reason=reason,
            issue_key=issue_key,
            issued_at=now,
        )
    elif grant.kind == OfferKind.BONUS_POINTS:
        grant.points = offer["points"]
        ledger_credit(
            account=account,
            kind=EntryKind.BONUS,
            points=offer["points"],
            at=now,
            expiry_months=earn_terms(merchant=merchant).expiry_months,
            reason=reason,
        )
    else:
        grant.percent = 100 * offer["factor"]
        grant.until = now + timedelta(days=offer["days"])
    grant.granted_at = now
    grant.save()
    return grant


def campaign_earn_percent(member: Member, at: datetime) -> int:
    """`extensions.EARN_PERCENT`: the largest multiplier a campaign or an automation gave
    the member that is still running (100 without one)."""
    percents = OfferGrant.objects.filter(
        member_id=member.pk, kind=OfferKind.MULTIPLIER, until__gt=at, granted_at__lte=at
    ).values_list("percent", flat=True)
    return max(percents, default=100)
