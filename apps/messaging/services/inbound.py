"""A member's text back to us: a stop keyword withdraws their marketing consent by SMS.

What counts as a stop: the whole message is one keyword, whatever its case, accents,
surrounding spaces and punctuation ("STOP", "stop.", "Dezabonare ", "¡Baja!"), as Twilio
and the carriers read their own keywords. "Stop please" or "cancel my order" is not one:
a shop's members text about orders and bookings, and taking a sentence's first word would
withdraw consent nobody meant to withdraw.

Whose consent: every active member, of every merchant, whose phone is the sender's. All
merchants of the installation text from the one sender (SMS_URL), so the member cannot
tell us which shop they mean, and Twilio blocks the number for that whole sender anyway
(below); a member of two shops who texts STOP stops both. Phones are stored in E.164 and
Twilio sends `From` in E.164, so they compare as they are; an erased or merged member has
no phone left to match.

Consent off, no suppression: the suppression list is for good (nothing removes an address
from it) and stops service messages too, a welcome included, while a STOP is undone by
the member's START at Twilio. With Twilio's default handling of its own keywords (STOP,
STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) Twilio itself refuses every message to the number
(error 21610, a permanent failure here) until the member texts START; BAJA and DEZABONARE
are ours alone, and after them a service message still goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from apps.members.identifiers import search_text
from apps.members.lock_objects import members_lock
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.members.services import member_consent_set
from apps.messaging.models import Channel

# Twilio's own opt-out keywords, then Spanish and Romanian ones.
STOP_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "baja", "dezabonare"}
)
SOURCE = "sms_reply"  # the timeline's source for the consent withdrawn
_ONE_WORD = re.compile(r"\W*(\w+)\W*")


@dataclass(frozen=True)
class SmsReplyResult:
    """What a text did: `keyword` None when it was no stop (nothing done); `members` the
    active members with the sender's phone, their SMS consent now off; `withdrawn` how
    many of them still had it (0 for a repeated STOP)."""

    keyword: str | None
    members: tuple[Member, ...] = ()
    withdrawn: int = 0


def sms_stop_keyword(*, body: str) -> str | None:
    """The stop keyword the message is, lower case and without accents, or None."""
    match = _ONE_WORD.fullmatch(search_text(body))
    if match and match[1] in STOP_KEYWORDS:
        return match[1]
    return None


@transaction.atomic(savepoint=False)
def sms_reply_received(*, sender: str, body: str) -> SmsReplyResult:
    """Read a text from `sender` (E.164): a stop withdraws the SMS marketing consent of
    every active member with that phone, each with its timeline line. A repeat finds the
    consent already off and changes nothing."""
    keyword = sms_stop_keyword(body=body)
    if keyword is None:
        return SmsReplyResult(keyword=None)
    phone = sender.strip()
    pks = list(
        Member.objects.active().filter(phone=phone).order_by("pk").values_list("pk", flat=True)
    )
    # All of them at once, in the project's lock order, before any is changed (each
    # consent change then relocks a row this transaction already holds); read again
    # locked, one erased or given another phone meanwhile drops out.
    locked = members_lock(*pks) if pks else []
    members = tuple(member for member in locked if member.is_active and member.phone == phone)
    withdrawn = sum(
        member_consent_set(member=member, channel=Channel.SMS, granted=False, source=SOURCE)
        for member in members
    )
    return SmsReplyResult(keyword=keyword, members=members, withdrawn=withdrawn)


def sms_stop_confirmation(*, result: SmsReplyResult) -> str | None:
    """What to text back: the confirmation of a stop, in the first member's language (else
    their shop's, else English); None for any other text, or for a number that is no
    member's (we hold no consent of theirs to confirm, and text no stranger).

    With Twilio's default handling, Twilio answers its own keywords itself and blocks the
    number, so this answer is expected to be refused after them (21610): it reaches the
    member after BAJA or DEZABONARE, and after the others where that handling is off
    (Advanced Opt-Out with our own replies)."""
    if result.keyword is None or not result.members:
        return None
    first = result.members[0]
    shops = {member.merchant_id for member in result.members}
    with translation.override(member_language(member=first)):
        if len(shops) == 1:
            # Translators: a text message answering the member's STOP; %(shop)s the shop.
            text = gettext("You will not get any more marketing texts from %(shop)s.")
            return text % {"shop": first.merchant.name}
        # Translators: a text message answering the member's STOP, a member of several shops.
        return gettext("You will not get any more marketing texts from the shops you joined.")
