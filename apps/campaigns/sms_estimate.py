"""The campaign editor's SMS counter: what each language's text is billed as once its
merge tags are filled in (with sample values) and, for a promotional campaign, the stop
line the delivery layer adds; and what the campaign's texts would cost, roughly.

The estimate is segments × members × `settings.SMS_SEGMENT_PRICE`, counted per language
(each member gets the text of their language, else the merchant's): an upper bound that
ignores the suppression list and the weekly limits, at a price that depends on the
provider and the destination in reality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from apps.campaigns.merge_tags import SmsSize, merge_tags_render, sms_segments
from apps.campaigns.rendering import text_for
from apps.core.formatting import format_day, format_merchant_money, format_number
from apps.core.models import Merchant
from apps.members.identifiers import new_public_id
from apps.members.models import Member
from apps.messaging.links import unsubscribe_url
from apps.portal.selectors import card_url

SAMPLE_FIRST_NAME = "Alexandra"


@dataclass(frozen=True)
class SmsLanguage:
    code: str
    name: str
    size: SmsSize | None  # None: no text in this language
    members: int  # who read this language and would get a text


@dataclass(frozen=True)
class SmsEstimate:
    languages: list[SmsLanguage]
    members: int
    segments: int  # all the parts the campaign's texts are billed as
    cost: int  # minor units of `currency`
    currency: str
    price: int  # one segment

    @property
    def any_text(self) -> bool:
        return any(language.size for language in self.languages)


def sample_values(*, merchant: Merchant) -> dict[str, str]:
    """Values of the usual length for the merge tags; the links are real ones, signed for a
    member who does not exist, so they are as long as a member's."""
    sample = Member(merchant=merchant, public_id=new_public_id(), first_name=SAMPLE_FIRST_NAME)
    return {
        "first_name": SAMPLE_FIRST_NAME,
        "points_balance": format_number(1250),
        "tier": "Gold",
        "coupon_code": "K7M2QX9P",
        "coupon_value": format_merchant_money(1000, merchant),
        "coupon_expires": format_day(timezone.now() + timedelta(days=30)),
        "card_url": card_url(member=sample),
        "shop_name": merchant.name,
        "unsubscribe_url": unsubscribe_url(member=sample, channel="sms"),
    }


def with_stop_line(*, body: str, url: str, promotional: bool) -> str:
    """A text as a member's phone gets it, in the active language: a promotional one ends
    with the stop line apps/messaging/services/sending.py adds (with the same words)."""
    if not promotional or not body:
        return body
    # Translators: the last line of a marketing SMS; keep it short (it is paid for).
    return body + "\n" + gettext("Stop: %(url)s") % {"url": url}


def sms_estimate(
    *,
    merchant: Merchant,
    texts: dict[str, str],
    audience: dict[str, int],
    promotional: bool,
) -> SmsEstimate:
    """`texts` by language code, `audience` the members who would be texted by the
    language they read (`campaign_selectors.sms_audience_by_language`)."""
    values = sample_values(merchant=merchant)
    texts = {code: text.strip() for code, text in texts.items() if text and text.strip()}
    sizes: dict[str, SmsSize] = {}
    for code, _name in settings.LANGUAGES:
        text = text_for(texts, language=code, fallback=merchant.language)
        if text:
            with translation.override(code):
                sent = with_stop_line(
                    body=merge_tags_render(text=text, values=values, html=False),
                    url=values["unsubscribe_url"],
                    promotional=promotional,
                )
            sizes[code] = sms_segments(text=sent)
    languages = [
        SmsLanguage(
            code=code,
            name=name,
            size=sizes.get(code) if code in texts else None,
            members=audience.get(code, 0),
        )
        for code, name in settings.LANGUAGES
    ]
    segments = sum(
        sizes[code].segments * count for code, count in audience.items() if code in sizes
    )
    price = settings.SMS_SEGMENT_PRICE
    return SmsEstimate(
        languages=languages,
        members=sum(audience.values()),
        segments=segments,
        cost=segments * price,
        currency=settings.SMS_PRICE_CURRENCY,
        price=price,
    )
