"""Changing a member: profile details, consent and tags (`member_update`), and notes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.events import MEMBER_PROFILE_CHANGED, MemberProfileChanged, publish
from apps.core.stored_text import stored_list, stored_text
from apps.members.lock_objects import members_lock
from apps.members.models import EventKind, Member, MemberEvent
from apps.members.services.checks import (
    clean_email,
    clean_language,
    clean_name_part,
    clean_phone,
    refuse_duplicates,
    set_search_names,
    tags_named,
)
from apps.members.services.timeline import FIELD_WORDS, consent_event, event_record

_PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "birthday", "language")


@transaction.atomic(savepoint=False)
def member_update(
    *,
    member: Member,
    actor: User | None,
    source: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    birthday: date | None,
    language: str,
    consent_email: bool,
    consent_sms: bool,
    tags: Iterable[str] | None = None,
) -> Member:
    """Change a member's profile and consent. Each consent change is recorded with its source."""
    [member] = members_lock(member.pk)
    if not member.is_active:
        raise Conflict(gettext("This member was erased or merged."), code="member_inactive")
    merchant = member.merchant
    new = {
        "first_name": clean_name_part(value=first_name, field="first_name"),
        "last_name": clean_name_part(value=last_name, field="last_name"),
        "email": clean_email(raw=email),
        "phone": clean_phone(merchant=merchant, raw=phone),
        "birthday": birthday,
        # A language Fideliza no longer speaks may stay; it cannot be chosen anew.
        "language": (language or "")
        if language == member.language
        else clean_language(value=language),
    }
    if not new["phone"] and not new["email"]:
        raise DomainError(gettext("Keep a phone number or an email."), field="phone")
    if not new["first_name"]:
        raise DomainError(gettext("Give the customer's first name."), field="first_name")
    refuse_duplicates(
        merchant=merchant, phone=new["phone"], email=new["email"], exclude_pk=member.pk
    )
    changed = [field for field in _PROFILE_FIELDS if getattr(member, field) != new[field]]
    for field, value in new.items():
        setattr(member, field, value)
    set_search_names(member=member)
    consent_changes = [
        (channel, granted)
        for channel, granted in (("email", consent_email), ("sms", consent_sms))
        if getattr(member, f"consent_{channel}") != granted
    ]
    member.consent_email, member.consent_sms = consent_email, consent_sms
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        refuse_duplicates(
            merchant=merchant, phone=new["phone"], email=new["email"], exclude_pk=member.pk
        )
        raise
    if changed:
        # Field names only: the timeline must not keep old personal data after an erasure.
        labels = stored_list([stored_text(FIELD_WORDS[field]) for field in changed])
        event_record(
            member=member,
            kind=EventKind.UPDATED,
            # Translators: %(fields)s lists what changed, e.g. "first name, email".
            summary=stored_text(gettext_noop("Changed %(fields)s"), fields=labels),
            actor=actor,
            source=source,
            data={"fields": changed},
        )
    MemberEvent.objects.bulk_create(
        [
            consent_event(
                member=member, channel=channel, granted=granted, source=source, actor=actor
            )
            for channel, granted in consent_changes
        ]
    )
    if tags is not None:
        member.tags.set(tags_named(merchant=merchant, names=tags))
    publish(MEMBER_PROFILE_CHANGED, MemberProfileChanged(member, actor))
    return member


@transaction.atomic(savepoint=False)
def member_add_note(*, member: Member, actor: User, text: str) -> MemberEvent:
    text = text.strip()
    if not text:
        raise DomainError(gettext("Write something."), field="text")
    if len(text) > 255:
        raise DomainError(gettext("Keep a note within 255 characters."), field="text")
    return event_record(member=member, kind=EventKind.NOTE, summary=text, actor=actor)
