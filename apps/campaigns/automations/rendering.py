"""An automation's message for one member (`MESSAGE_SOURCES` "automation"): the
merchant's text in the member's language if it wrote one, else the kind's default text,
translated; the merge tags and the layout of a campaign's message."""

from __future__ import annotations

from datetime import datetime

from django.utils.html import format_html_join
from django.utils.translation import get_language, gettext, ngettext

from apps.campaigns.audience import quiet_hours_now
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.merge_tags import html_sanitise, merge_tags_used
from apps.campaigns.models import Automation, AutomationKind, OfferGrant, OfferKind
from apps.campaigns.rendering import MessageSpec, coupon_values, message_build
from apps.campaigns.services.offers import automation_offer_grant
from apps.campaigns.surveys.links import SCORES, survey_url
from apps.core.extensions import rewards_narrowed
from apps.core.formatting import format_day, format_merchant_money, format_number
from apps.members.models import Member
from apps.messaging.batch import batch_cached
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.links import absolute
from apps.messaging.models import Channel, Delivery
from apps.programs.points.bonuses import birthday_bonus_give, birthday_bonus_id
from apps.programs.points.models import ExpiryNotice
from apps.programs.points.selectors import bonus_awarded_points, points_balance
from apps.programs.rewards.models import Reward
from apps.programs.rewards.selectors import rewards_available
from apps.programs.tiers.models import Measure, MemberTier
from apps.programs.tiers.selectors import qualifying_total, tier_settings


def _with_default(
    texts: dict[str, str], default, *, html: bool = False, offer_line: str = ""
) -> dict[str, str]:
    """The merchant's texts; without any, the default in the active language with the
    offer's line (an HTML one sanitised, as a stored body is: the merge tags' rendering
    expects that form)."""
    if any(texts.values()):
        return texts
    if not html:
        return {get_language(): f"{default} {offer_line}".strip()}
    text = f"{default}<p>{offer_line}</p>" if offer_line else str(default)
    return {get_language(): html_sanitise(html=text)}


def offer_line(offer: dict | None) -> str:
    """What the member gets, as the default texts say it (in the active language) when the
    kind's own texts do not: the coupon's tags, or the points."""
    if not offer:
        return ""
    if offer["type"] == OfferKind.COUPON:
        return gettext(
            "Your gift: {{ coupon_value }} off with the code {{ coupon_code }}, until "
            "{{ coupon_expires }}."
        )
    if offer["type"] == OfferKind.BONUS_POINTS:
        return ngettext(
            "Your gift: %(points)s bonus point, already on your card.",
            "Your gift: %(points)s bonus points, already on your card.",
            offer["points"],
        ) % {"points": format_number(offer["points"])}
    return ngettext(
        "Your gift: your points count %(factor)s times for the next %(days)s day.",
        "Your gift: your points count %(factor)s times for the next %(days)s days.",
        offer["days"],
    ) % {"factor": offer["factor"], "days": offer["days"]}


def _carrying(texts: dict[str, str], tag: str, *, html: bool) -> dict[str, str]:
    """Each text with `tag` where the merchant placed it, else at its end."""
    if not tag:
        return texts
    ending = f"<p>{{{{ {tag} }}}}</p>" if html else f" {{{{ {tag} }}}}"
    return {
        language: text if tag in merge_tags_used(text=text) else text + ending
        for language, text in texts.items()
    }


def automation_spec(
    automation: Automation, *, occurrence: str = "", delivery: Delivery | None = None
) -> MessageSpec:
    """The message of the automation; `occurrence`: the one it is sent for (whose coupon it
    shows), `delivery`: the row it is sent as (the survey's links are signed for it)."""
    kind = KINDS[automation.kind]
    coupon = bool(automation.offer) and automation.offer.get("type") == OfferKind.COUPON
    own_coupon_texts = coupon and kind.coupon_body is not None
    body = kind.coupon_body if own_coupon_texts else kind.body
    sms_body = kind.coupon_sms_body if own_coupon_texts else kind.sms_body
    line = "" if own_coupon_texts else offer_line(automation.offer)
    return MessageSpec(
        merchant=automation.merchant,
        subject=_with_default(automation.subject, kind.subject),
        body=_carrying(
            _with_default(automation.body, body, html=True, offer_line=line),
            kind.carries,
            html=True,
        ),
        sms_body=_carrying(
            _with_default(automation.sms_body, sms_body, offer_line=line),
            kind.carries,
            html=False,
        ),
        promotional=kind.promotional,
        key=("automation", automation.pk, get_language()),
        values_for=lambda member: (
            _coupon_values(automation, member, occurrence)
            | moment_values(
                automation=automation, member=member, occurrence=occurrence, delivery=delivery
            )
        ),
        untracked=(absolute("/s/"),) if automation.kind == AutomationKind.SURVEY else (),
    )


def moment_values(
    *, automation: Automation, member: Member, occurrence: str, delivery: Delivery | None = None
) -> dict[str, str]:
    """The values of the kind's own tags (what its moment is about)."""
    if automation.kind == AutomationKind.SURVEY:
        return {"survey_links": _survey_links(member, delivery)}
    if automation.kind == AutomationKind.POINTS_EXPIRING:
        notice = ExpiryNotice.objects.filter(pk=int(occurrence[1:] or 0), member=member).first()
        if notice is None:
            return {}
        return {
            "expiring_points": format_number(notice.points),
            "expiry_date": format_day(notice.expires_at),
        }
    if automation.kind == AutomationKind.FIRST_PURCHASE:
        return {"reward_progress": _reward_progress(member)}
    if automation.kind == AutomationKind.BIRTHDAY:
        return {"birthday_gift": _birthday_gift(member, occurrence)}
    if automation.kind == AutomationKind.REWARD_REACH:
        return {"reward_progress": _reward_reached(member, occurrence)}
    if automation.kind == AutomationKind.TIER_AT_RISK:
        return {"tier_progress": _tier_progress(member)}
    return {}


def _tier_progress(member: Member) -> str:
    """ "Spend 25,00 € more by 15 Jan to keep Gold.", from the member's tier progress."""
    held = MemberTier.objects.filter(member=member, tier__isnull=False).select_related("tier")
    status = held.first()
    if status is None or status.review_at is None:
        return ""
    settings = tier_settings(merchant=member.merchant)
    # What counts at the review: the window that ends then, with what is bought until then.
    total = qualifying_total(member=member, end=status.review_at, settings=settings)
    tier = status.tier
    if total >= tier.threshold:
        return ""
    missing = tier.threshold - total
    values = {"tier": tier.name, "date": format_day(status.review_at)}
    if settings.measure == Measure.SPEND:
        values["amount"] = format_merchant_money(missing, member.merchant)
        return gettext("Spend %(amount)s more by %(date)s to keep %(tier)s.") % values
    values["points"] = format_number(missing)
    return (
        ngettext(
            "Earn %(points)s more point by %(date)s to keep %(tier)s.",
            "Earn %(points)s more points by %(date)s to keep %(tier)s.",
            missing,
        )
        % values
    )


def _reward_reached(member: Member, occurrence: str) -> str:
    """ "You have enough points for a free coffee.", or how many more it needs."""
    reward_id = occurrence.partition(":")[2]
    reward = Reward.objects.filter(merchant_id=member.merchant_id, pk=reward_id or 0).first()
    if reward is None:
        return ""
    missing = reward.points_cost - points_balance(member=member)
    if missing <= 0:
        return gettext("You have enough points for %(reward)s: ask for it on your next visit.") % {
            "reward": reward.name
        }
    return _points_missing(missing, reward)


def _birthday_gift(member: Member, year: str) -> str:
    if not year.isdigit():  # a preview, for no birthday in particular
        return ""
    points = bonus_awarded_points(
        merchant=member.merchant, external_id=birthday_bonus_id(member=member, year=int(year))
    )
    if not points:
        return ""
    return ngettext(
        "Your birthday gift of %(points)s point is already on your card.",
        "Your birthday gift of %(points)s points is already on your card.",
        points,
    ) % {"points": format_number(points)}


_SCORE_STYLE = (
    "display:inline-block;min-width:2.2em;padding:.45em 0;margin:0 .15em .3em 0;"
    "border:1px solid #9aa39e;border-radius:4px;text-align:center;text-decoration:none;"
    "color:#1c1f1d;font-weight:bold"
)


def _survey_links(member: Member, delivery: Delivery | None) -> str:
    """The answers 0 to 10 as links, each signed for the message (in an SMS, the link to
    the question); without a message (a preview), the numbers alone."""
    if delivery is None:
        return format_html_join(" ", "<span>{}</span>", ((score,) for score in SCORES))
    if delivery.channel == Channel.SMS:
        return survey_url(delivery_id=delivery.pk, member=member)
    return format_html_join(
        " ",
        '<a href="{}" style="{}">{}</a>',
        (
            (survey_url(delivery_id=delivery.pk, member=member, score=score), _SCORE_STYLE, score)
            for score in SCORES
        ),
    )


def _reward_progress(member: Member) -> str:
    """ "Only 40 more points for a free coffee.", or nothing without a reward to aim at."""
    balance = points_balance(member=member)
    rewards = rewards_narrowed(rewards_available(merchant=member.merchant), member)
    following = next((reward for reward in rewards if reward.points_cost > balance), None)
    if following is None:
        return ""
    return _points_missing(following.points_cost - balance, following)


def _points_missing(missing: int, reward: Reward) -> str:
    return ngettext(
        "Only %(points)s more point for %(reward)s.",
        "Only %(points)s more points for %(reward)s.",
        missing,
    ) % {"points": format_number(missing), "reward": reward.name}


def _coupon_values(automation: Automation, member: Member, occurrence: str) -> dict[str, str]:
    if automation.pk is None:  # a preview of the defaults, never saved: no offer given
        return coupon_values(None, merchant=automation.merchant)
    grant = (
        OfferGrant.objects.filter(automation=automation, member=member, occurrence=occurrence)
        .select_related("coupon")
        .first()
    )
    return coupon_values(grant.coupon if grant else None, merchant=automation.merchant)


def _automation(automation_id: int) -> Automation:
    """Read once per batch of its deliveries."""
    return batch_cached(
        ("automation", automation_id),
        lambda: Automation.objects.select_related("merchant").get(pk=automation_id),
    )


def automation_render(delivery: Delivery) -> EmailContent | SmsContent:
    automation = _automation(int(delivery.source.partition(":")[2]))
    return message_build(
        spec=automation_spec(automation, occurrence=delivery.occurrence, delivery=delivery),
        member=delivery.member,
        channel=delivery.channel,
        delivery_id=delivery.pk,
    )


def automation_sms_held(delivery: Delivery, now: datetime) -> bool:
    """An automation's SMS waits out the automation's quiet hours, also when it was queued
    before they began and its send comes late (a backlog, a worker lost and swept)."""
    if delivery.channel != Channel.SMS:
        return False
    automation = _automation(int(delivery.source.partition(":")[2]))
    return quiet_hours_now(
        start=automation.quiet_start,
        end=automation.quiet_end,
        zone_name=automation.merchant.timezone,
        now=now,
    )


def automation_before_send(delivery: Delivery) -> str | None:
    """What the message shows, given just before it: the automation's offer; for a
    birthday, the program's birthday bonus (the hourly bonus task gives it too, under the
    same id: never twice). An automation switched off since the row was queued sends (and
    gives) nothing: "automation_off"."""
    automation = _automation(int(delivery.source.partition(":")[2]))
    if not automation.enabled:
        return "automation_off"
    if automation.kind == AutomationKind.BIRTHDAY:
        birthday_bonus_give(member=delivery.member, year=int(delivery.occurrence))
    if automation.offer:
        automation_offer_grant(
            automation=automation, member=delivery.member, occurrence=delivery.occurrence
        )
    return None
