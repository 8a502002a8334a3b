"""A campaign's message for one member (`MESSAGE_SOURCES` "campaign"): their language's
text (else the merchant's, else any), the merge tags filled in with their values, links
going through our click redirect, in the shop's email layout. Called by the delivery
layer with the member's language and the merchant's time zone active.

`message_build` does the same for any `MessageSpec`: an automation's message is built
here too (apps/campaigns/automations/rendering.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext

from apps.campaigns.merge_tags import (
    KIND_TAG_DESCRIPTIONS,
    html_to_text,
    merge_tags_render,
    merge_tags_used,
)
from apps.campaigns.models import Campaign, CampaignKind, OfferGrant
from apps.core.formatting import format_day, format_merchant_money, format_number, format_percent
from apps.core.languages import language_codes
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.batch import batch_cached, current_batch
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.links import absolute, unsubscribe_url
from apps.messaging.models import Channel, Delivery
from apps.messaging.selectors import messaging_settings
from apps.portal.selectors import card_url
from apps.programs.points.selectors import points_balance, points_balances
from apps.programs.tiers.selectors import current_tier

CLICK_SALT = "fideliza.campaigns.click"
_HREF = re.compile(r'href="(https?://[^"]+)"')


def text_for(texts: dict[str, str], *, language: str, fallback: str) -> str:
    """The text in `language`, else in `fallback` (the merchant's), else the first there
    is in our languages' order."""
    for code in (language, fallback, *language_codes()):
        if texts.get(code):
            return texts[code]
    return ""


def grant_key(campaign_id: int, member_id: int) -> tuple:
    """Where a batch keeps the offer it gave a member just before their message."""
    return ("offer-grant", campaign_id, member_id)


@dataclass(frozen=True)
class MessageSpec:
    """What a message is made of, whoever sends it: the texts per language, whether it is
    promotional (its footer says why the member gets it, with the unsubscribe link), the
    key its merge tags are cached under in a batch, and where the values of tags that are
    not the member's own come from."""

    merchant: Merchant
    subject: Mapping[str, str]
    body: Mapping[str, str]
    sms_body: Mapping[str, str]
    promotional: bool
    key: tuple
    # Values of the tags that depend on what sent it (a campaign's coupon): by member.
    values_for: Callable[[Member], dict[str, str]] = field(default=lambda member: {})
    # Links that do not go through the click redirect (the survey's own signed links).
    untracked: tuple[str, ...] = ()


def campaign_spec(campaign: Campaign) -> MessageSpec:
    return MessageSpec(
        merchant=campaign.merchant,
        subject=campaign.subject,
        body=campaign.body,
        sms_body=campaign.sms_body,
        promotional=campaign.kind == CampaignKind.PROMOTIONAL,
        key=("campaign", campaign.pk),
        values_for=lambda member: _coupon_values(campaign, member),
    )


def _coupon_values(campaign: Campaign, member: Member) -> dict[str, str]:
    if not campaign.offer or campaign.offer.get("type") != "coupon":
        return {}
    batch = current_batch()
    grant = batch.cache.get(grant_key(campaign.pk, member.pk)) if batch is not None else None
    if grant is None:
        grant = (
            OfferGrant.objects.filter(campaign=campaign, member=member)
            .select_related("coupon")
            .first()
        )
    return coupon_values(grant.coupon if grant else None, merchant=campaign.merchant)


def coupon_values(coupon, *, merchant: Merchant) -> dict[str, str]:
    """The coupon merge tags' values for a coupon given with the message (none: none)."""
    if coupon is None:
        return {}
    value = (
        format_percent(coupon.percent)
        if coupon.percent
        else format_merchant_money(coupon.value, merchant)
    )
    return {
        "coupon_code": coupon.code,
        "coupon_value": value,
        "coupon_expires": format_day(coupon.expires_at) if coupon.expires_at else "",
    }


def merge_values(
    *, spec: MessageSpec, member: Member, channel: str, used: set[str] | None = None
) -> dict[str, str]:
    """The member's values of the merge tags; with `used`, only those (and the links the
    footer needs): a tag no text names costs no query."""

    def wanted(*names: str) -> bool:
        return used is None or any(name in used for name in names)

    values = {
        "first_name": member.first_name,
        "shop_name": spec.merchant.name,
        "card_url": card_url(member=member),
        "unsubscribe_url": unsubscribe_url(member=member, channel=channel),
    }
    if wanted("points_balance"):
        values["points_balance"] = format_number(_points_balance(member))
    if wanted("tier"):
        tier = current_tier(member=member)
        values["tier"] = tier.name if tier else ""
    if wanted("coupon_code", "coupon_value", "coupon_expires", *KIND_TAG_DESCRIPTIONS):
        values |= spec.values_for(member)
    return values


def _points_balance(member: Member) -> int:
    """In a batch of deliveries, read for all the batch's members at once."""
    batch = current_batch()
    if batch is None or member.pk not in batch.member_ids:
        return points_balance(member=member)
    key = ("points-balances", batch.member_ids)  # a frozenset keeps its hash
    if key not in batch.cache:
        batch.cache[key] = points_balances(member_ids=batch.member_ids)
    return batch.cache[key].get(member.pk, 0)


def _tags_used(spec: MessageSpec) -> set[str]:
    """The merge tags any of the message's texts name, read once per batch."""
    texts = [*spec.subject.values(), *spec.body.values(), *spec.sms_body.values()]
    return batch_cached(
        ("tags", *spec.key), lambda: set().union(*(merge_tags_used(text=t) for t in texts))
    )


def click_url(*, delivery_id: int, url: str) -> str:
    token = signing.dumps([delivery_id, url], salt=CLICK_SALT, compress=True)
    return absolute(reverse("campaign_click", args=[token]))


def click_target(*, token: str) -> tuple[int, str] | None:
    """The delivery and the address a click link carries, or None for a forged one."""
    try:
        delivery_id, url = signing.loads(token, salt=CLICK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(delivery_id, int) or not isinstance(url, str):
        return None
    if not url.startswith(("https://", "http://")):
        return None
    return delivery_id, url


def _tracked(body: str, *, delivery_id: int, skip: set[str], prefixes: tuple[str, ...]) -> str:
    def rewrite(match: re.Match) -> str:
        url = html.unescape(match.group(1))
        if url in skip or url.startswith(prefixes):
            return match.group(0)
        return f'href="{html.escape(click_url(delivery_id=delivery_id, url=url))}"'

    return _HREF.sub(rewrite, body)


def _campaign(campaign_id: int) -> Campaign:
    """The campaign, read once per batch of its deliveries: its texts cannot change once
    it sends."""
    return batch_cached(
        ("campaign", campaign_id),
        lambda: Campaign.objects.select_related("merchant").get(pk=campaign_id),
    )


def campaign_render(delivery: Delivery) -> EmailContent | SmsContent:
    campaign = _campaign(int(delivery.source.partition(":")[2]))
    member = delivery.member
    return campaign_message(
        campaign=campaign, member=member, channel=delivery.channel, delivery_id=delivery.pk
    )


def campaign_message(
    *, campaign: Campaign, member: Member, channel: str, delivery_id: int | None = None
) -> EmailContent | SmsContent:
    """The message as `member` gets it (also the preview, and the test sent to the owner:
    without a delivery, links are not tracked)."""
    return message_build(
        spec=campaign_spec(campaign), member=member, channel=channel, delivery_id=delivery_id
    )


def message_build(
    *, spec: MessageSpec, member: Member, channel: str, delivery_id: int | None = None
) -> EmailContent | SmsContent:
    """The message of `spec` as `member` gets it, in the active language."""
    merchant = spec.merchant
    language, fallback = get_language(), merchant.language
    values = merge_values(spec=spec, member=member, channel=channel, used=_tags_used(spec))
    if channel == Channel.SMS:
        text = text_for(spec.sms_body, language=language, fallback=fallback)
        return SmsContent(body=merge_tags_render(text=text, values=values, html=False))
    subject = merge_tags_render(
        text=text_for(spec.subject, language=language, fallback=fallback),
        values=values,
        html=False,
    )
    body = merge_tags_render(
        text=text_for(spec.body, language=language, fallback=fallback),
        values=values,
        html=True,
    )
    if delivery_id is not None:
        body = _tracked(
            body,
            delivery_id=delivery_id,
            skip={values["unsubscribe_url"]},
            prefixes=spec.untracked,
        )
    context = {
        "merchant": merchant,
        "body": body,
        "promotional": spec.promotional,
        "unsubscribe_url": values["unsubscribe_url"],
        "card_url": values["card_url"],
        "brand_colour": messaging_settings(merchant=merchant).brand_colour,
    }
    document = render_to_string("campaigns/email/campaign.html", context)
    footer = render_to_string("campaigns/email/campaign_foot.txt", context).strip()
    return EmailContent(
        subject=subject or gettext("News from %(shop)s") % {"shop": merchant.name},
        text=html_to_text(html=body) + "\n\n-- \n" + footer,
        html=document,
    )
