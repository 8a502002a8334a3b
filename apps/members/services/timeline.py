"""The member's timeline: lines recorded (or built for bulk_create) with their stored
summaries, and the words they use for sources and profile fields."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.core.models import Location
from apps.core.stored_text import StoredText, stored_text, summary_and_data
from apps.members.models import Channel, EventKind, Member, MemberEvent


def event_record(
    *,
    member: Member,
    kind: str,
    summary: str | StoredText,
    actor: User | None = None,
    source: str = "",
    data: dict | None = None,
    occurred_at: datetime | None = None,
) -> MemberEvent:
    """Append a line to the member's timeline (in the caller's transaction). `summary` is a
    `stored_text(...)`, shown to each reader in their language."""
    summary, data = summary_and_data(summary, data)
    return MemberEvent.objects.create(
        merchant_id=member.merchant_id,
        member=member,
        kind=kind,
        summary=summary[:255],
        actor=actor,
        source=source,
        data=data,
        occurred_at=occurred_at or timezone.now(),
    )


# Where a change came from, as the timeline names it (in English, the source's value).
SOURCE_WORDS = {
    # Translators: where a member enrolled or a change came from: the shop's counter.
    Channel.COUNTER: gettext_noop("counter"),
    # Translators: where a member enrolled or a change came from: the website.
    Channel.ONLINE: gettext_noop("online"),
    # Translators: where a member enrolled or a change came from: the programming interface.
    Channel.API: gettext_noop("api"),
    # Translators: where a member enrolled or a change came from: a file of members imported.
    Channel.IMPORT: gettext_noop("import"),
    # Translators: where a change came from: the back-office pages.
    "dashboard": gettext_noop("dashboard"),
    # Translators: where a change came from: the member, on their own card page.
    "card": gettext_noop("member's card page"),
    # Translators: where a change came from: the unsubscribe link in a message.
    "unsubscribe": gettext_noop("unsubscribe link"),
    # Translators: where a change came from: the mail or SMS provider (a complaint, a STOP).
    "provider": gettext_noop("message provider"),
    # Translators: where a change came from: the member texted back STOP (or BAJA...).
    "sms_reply": gettext_noop("reply by text message"),
}

# A member's profile fields, as the timeline names them ("Changed first name, email").
FIELD_WORDS = {
    "first_name": gettext_noop("first name"),
    "last_name": gettext_noop("last name"),
    "email": gettext_noop("email"),
    "phone": gettext_noop("phone"),
    "birthday": gettext_noop("birthday"),
    "language": gettext_noop("language"),
}


def source_word(*, source: str) -> str | StoredText:
    word = SOURCE_WORDS.get(source)
    return stored_text(word) if word else source


def event_build(*, member: Member, summary: str | StoredText, data: dict | None = None, **fields):
    """An unsaved timeline line (for bulk_create), its summary kept as event_record does."""
    summary, data = summary_and_data(summary, data)
    return MemberEvent(
        merchant_id=member.merchant_id, member=member, summary=summary[:255], data=data, **fields
    )


def enrollment_summary(*, channel: str, location: Location | None) -> StoredText:
    """The timeline's line for an enrollment (also written by demo.py, in bulk)."""
    if location:
        return stored_text(
            # Translators: %(channel)s is where, e.g. "counter"; %(location)s a shop's name.
            gettext_noop("Enrolled (%(channel)s) at %(location)s"),
            channel=source_word(source=channel),
            location=location.name,
        )
    return stored_text(
        # Translators: %(channel)s is where, e.g. "counter" or "online".
        gettext_noop("Enrolled (%(channel)s)"),
        channel=source_word(source=channel),
    )


def consent_event(*, member, channel: str, granted: bool, source: str, actor, at=None):
    """An unsaved timeline line for a consent given or withdrawn, with its source."""
    label = stored_text(gettext_noop("email") if channel == "email" else gettext_noop("SMS"))
    if granted:
        # Translators: %(channel)s is "email" or "SMS"; %(source)s where, e.g. "counter".
        summary = gettext_noop("Agreed to marketing by %(channel)s (%(source)s)")
    else:
        # Translators: %(channel)s is "email" or "SMS"; %(source)s where, e.g. "counter".
        summary = gettext_noop("Declined marketing by %(channel)s (%(source)s)")
    return event_build(
        member=member,
        kind=EventKind.CONSENT,
        summary=stored_text(summary, channel=label, source=source_word(source=source)),
        actor=actor,
        source=source,
        data={"channel": channel, "granted": granted},
        occurred_at=at or timezone.now(),
    )
