"""What a member changes for themselves, from their card page or a link in a message:
marketing consent per channel, their language, and their private links.

Each consent change is a timeline line with its time and source, as `member_update`
records the staff's changes; a repeated request (a second click, a mail scanner's POST)
changes nothing and records nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.events import MEMBER_PROFILE_CHANGED, MemberProfileChanged, publish
from apps.core.stored_text import stored_list, stored_text
from apps.members.lock_objects import members_lock
from apps.members.models import EventKind, Member
from apps.members.services.checks import clean_language
from apps.members.services.timeline import FIELD_WORDS, consent_event, event_record

CONSENT_CHANNELS = ("email", "sms")


def _locked_active(member: Member) -> Member:
    [member] = members_lock(member.pk)
    if not member.is_active:
        raise Conflict(gettext("This member was erased or merged."), code="member_inactive")
    return member


@transaction.atomic(savepoint=False)
def member_consent_set(
    *, member: Member, channel: str, granted: bool, source: str, actor: User | None = None
) -> bool:
    """Give or withdraw marketing consent on one channel; True when it changed."""
    if channel not in CONSENT_CHANNELS:
        raise DomainError(gettext("Choose email or SMS."), field="channel")
    member = _locked_active(member)
    field = f"consent_{channel}"
    if getattr(member, field) == granted:
        return False
    setattr(member, field, granted)
    member.save(update_fields=[field])
    consent_event(
        member=member, channel=channel, granted=granted, source=source, actor=actor
    ).save()
    publish(MEMBER_PROFILE_CHANGED, MemberProfileChanged(member, actor))
    return True


@transaction.atomic(savepoint=False)
def member_language_set(*, member: Member, language: str, source: str) -> bool:
    """The member's own choice of language ("" follows the shop's); True when it changed."""
    member = _locked_active(member)
    language = clean_language(value=language)
    if member.language == language:
        return False
    member.language = language
    member.save(update_fields=["language"])
    event_record(
        member=member,
        kind=EventKind.UPDATED,
        # Translators: %(fields)s lists what changed, e.g. "first name, email".
        summary=stored_text(
            gettext_noop("Changed %(fields)s"),
            fields=stored_list([stored_text(FIELD_WORDS["language"])]),
        ),
        source=source,
        data={"fields": ["language"]},
    )
    publish(MEMBER_PROFILE_CHANGED, MemberProfileChanged(member, None))
    return True


@transaction.atomic(savepoint=False)
def member_links_revoke(*, member: Member, source: str, actor: User | None = None) -> Member:
    """Every card link sent so far stops working (a lost phone, a forwarded email); the
    member gets a new one by asking for it."""
    member = _locked_active(member)
    member.link_version += 1
    member.save(update_fields=["link_version"])
    event_record(
        member=member,
        kind=EventKind.UPDATED,
        summary=stored_text(gettext_noop("Card links revoked")),
        actor=actor,
        source=source,
        data={"link_version": member.link_version},
    )
    return member
