"""The welcome: a service message (no marketing consent needed) sent once to every new
member with an email, carrying their card link; members with only a phone get the link
by SMS when the shop turns that on.

Its delivery row is written in the enrollment's own transaction (a `MEMBER_ENROLLED`
handler), so a member exists if and only if their welcome is queued; the message is
rendered after the commit, in the member's language, with the balance the join bonus
left. An import welcomes its members only when the person importing ticks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import DomainError
from apps.core.events import MemberEnrolled, MembersImported
from apps.core.models import Merchant
from apps.core.money import minor_digits
from apps.core.selectors import location_list
from apps.core.stored_text import stored_text
from apps.members.models import Channel as EnrollChannel
from apps.members.models import EventKind, Member
from apps.members.services import event_record
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.links import unsubscribe_url
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.messaging.selectors import delivery_reason, messaging_settings
from apps.messaging.services import delivery_queue
from apps.portal.selectors import card_url
from apps.programs.points.selectors import points_balance
from apps.programs.points.services import program_settings

SOURCE = "welcome"


def welcome_queue(*, member: Member, occurrence: str = "") -> Delivery | None:
    """Queue the member's welcome on the channel they can be reached on; None when the
    shop sends none that way. `occurrence` tells a resend from the first one."""
    settings = messaging_settings(merchant=member.merchant)
    if member.email:
        if not settings.welcome_email:
            return None
        channel = Channel.EMAIL
    elif member.phone and settings.welcome_sms:
        channel = Channel.SMS
    else:
        return None
    return delivery_queue(
        member=member,
        source=SOURCE,
        occurrence=occurrence,
        channel=channel,
        purpose=Purpose.SERVICE,
    )


def welcome_on_enrollment(payload: MemberEnrolled) -> None:
    """`MEMBER_ENROLLED`: the counter, the dashboard, the API, the referral page. (An
    import's members are welcomed by `MEMBERS_IMPORTED`, when the import asks.)"""
    if payload.member.channel != EnrollChannel.IMPORT:
        welcome_queue(member=payload.member)


def welcome_on_import(payload: MembersImported) -> None:
    """`MEMBERS_IMPORTED`: only when the import asked for welcomes."""
    if not payload.send_welcome:
        return
    for member in Member.objects.filter(pk__in=payload.member_ids).select_related("merchant"):
        welcome_queue(member=member)


def _context(member: Member) -> dict:
    merchant = member.merchant
    settings = messaging_settings(merchant=merchant)
    return {
        "member": member,
        "merchant": merchant,
        "balance": points_balance(member=member),
        "points_per_unit": program_settings(merchant=merchant).points_per_unit,
        "one_unit": 10 ** minor_digits(merchant.currency),  # €1 in cents, for "per €1,00"
        "card_url": card_url(member=member),
        "locations": list(location_list(merchant=merchant)[:3]),
        "settings": settings,
        "brand_colour": settings.brand_colour,
    }


def welcome_default_subject(merchant: Merchant) -> str:
    """In the active language."""
    # Translators: the welcome email's subject; %(shop)s is the business's name.
    return gettext("Welcome to %(shop)s: your loyalty card") % {"shop": merchant.name}


@dataclass(frozen=True)
class OwnText:
    text: str
    language: str


def welcome_own_text(texts: dict[str, str], *, merchant: Merchant) -> OwnText | None:
    """The merchant's words (`MessagingSettings.welcome_subject` / `welcome_intro`) in the
    member's language, which is active, else in the business's language, as a campaign's
    texts fall back; None: none written."""
    for language in (get_language(), merchant.language):
        if texts.get(language):
            return OwnText(text=texts[language], language=language)
    return None


def welcome_render(delivery: Delivery) -> EmailContent | SmsContent:
    """The welcome in the member's language (the caller set it), with the merchant's own
    subject and words when they wrote some."""
    member = delivery.member
    context = _context(member)
    if delivery.channel == Channel.SMS:
        return SmsContent(body=render_to_string("portal/email/welcome_sms.txt", context).strip())
    context["preferences_url"] = context["card_url"] + "#preferences"
    context["unsubscribe_url"] = unsubscribe_url(member=member, channel=Channel.EMAIL)
    own = context["settings"]
    context["intro"] = welcome_own_text(own.welcome_intro, merchant=member.merchant)
    own_subject = welcome_own_text(own.welcome_subject, merchant=member.merchant)
    subject = own_subject.text if own_subject else welcome_default_subject(member.merchant)
    return EmailContent(
        subject=subject,
        text=render_to_string("portal/email/welcome.txt", context),
        html=render_to_string("portal/email/welcome.html", context),
    )


def _no_welcome_reason(member: Member) -> str:
    if member.email:
        return gettext("Email welcomes are turned off in the message settings.")
    if member.phone:
        return gettext("The member has no email, and texting the card link is turned off.")
    return gettext("The member has no email and no phone.")


def welcome_resend(*, member: Member, actor: User) -> Delivery:
    """Staff's "resend welcome" (the member lost it, or typed their address wrong and it
    was fixed): a new occurrence, so the first stays on record. One a minute: a double
    click queues one. Refuses, saying why, when it cannot go (no channel, no address the
    shop may use, a suppressed address)."""
    minute = timezone.now().strftime("%Y%m%dT%H%M")
    delivery = welcome_queue(member=member, occurrence=f"resend:{minute}")
    if delivery is None:
        raise DomainError(_no_welcome_reason(member), code="no_channel")
    if delivery.state in (State.SKIPPED, State.SUPPRESSED):
        # Translators: %(reason)s says why, e.g. "the address is on the suppression list".
        message = gettext("The welcome cannot go: %(reason)s.")
        raise DomainError(
            message % {"reason": delivery_reason(delivery=delivery)}, code=delivery.reason
        )
    event_record(
        member=member,
        kind=EventKind.MESSAGE,
        summary=stored_text(gettext_noop("Welcome message sent again")),
        actor=actor,
        source="dashboard",
    )
    return delivery
