"""Reads for members: the counter's lookup, the manager's list, one member, the timeline."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

import phonenumbers
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Collate, Lower
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext

from apps.core.errors import DomainError
from apps.core.extensions import PERSONAL_DATA_PARTS
from apps.core.languages import supported_language
from apps.core.models import Merchant
from apps.members.identifiers import (
    InvalidIdentifier,
    normalize_card_code,
    normalize_email,
    normalize_phone,
    search_text,
)
from apps.members.models import Member, MemberEvent, MonthDay

LOOKUP_LIMIT = 10
_PHONE_CHARACTERS = set("0123456789+-.() ")


def member_get(*, merchant: Merchant, public_id: str) -> Member | None:
    return Member.objects.for_merchant(merchant).filter(public_id=public_id).first()


def member_language(*, member: Member) -> str:
    """The language a member reads: their own, else the shop's, else English."""
    return (
        supported_language(member.language) or supported_language(member.merchant.language) or "en"
    )


def _looks_like_phone(term: str) -> bool:
    digits = sum(char.isdigit() for char in term)
    return digits >= 4 and set(term) <= _PHONE_CHARACTERS


def _phone_condition(merchant: Merchant, term: str) -> Q:
    """A complete number in any spelling matches exactly; a partial one by prefix, as the
    cashier types: national digits ('600 12') or with the country code ('+34 600')."""
    try:
        return Q(phone=normalize_phone(term, merchant.country.code))
    except InvalidIdentifier:
        pass
    digits = "".join(char for char in term if char.isdigit())
    if term.strip().startswith("+"):
        return Q(phone__startswith="+" + digits)
    if term.strip().startswith("00"):
        return Q(phone__startswith="+" + digits[2:])
    country_code = phonenumbers.country_code_for_region(merchant.country.code)
    national = digits.lstrip("0") if merchant.country.code not in {"IT", "SM", "VA"} else digits
    return Q(phone__startswith=f"+{country_code}{national}")


def name_key(*, field: str):
    """A name column in byte order: on PostgreSQL the expression the name indexes hold
    (`COLLATE "C"`), so one index serves both a prefix range and its order. The names are
    stored lower case without accents, so byte order is alphabetical order."""
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def _name_prefix(field: str, name: str) -> Q:
    return Q(StartsWith(name_key(field=field), name))


def member_lookup_condition(*, merchant: Merchant, term: str) -> Q:
    """What the one search box means: phone in any spelling, email, card code or name.

    Every branch is an index lookup (exact or prefix), so the answer stays instant at a
    million members. A term under two characters matches everything.
    """
    term = " ".join(term.split())
    if len(term) < 2:
        return Q()
    if "@" in term:
        return Q(email__startswith=term.lower())
    if _looks_like_phone(term):
        condition = _phone_condition(merchant, term)
    else:
        name = search_text(term)
        condition = _name_prefix("search_name", name) | _name_prefix("search_name_reversed", name)
    # A card code may be all digits ('1234-5678') and so also look like a phone number.
    if card_code := normalize_card_code(term):
        condition |= Q(card_code=card_code)
    return condition


def member_lookup(*, merchant: Merchant, term: str, limit: int = LOOKUP_LIMIT) -> list[Member]:
    """The counter's search: the first few matches.

    A name is looked up twice, as a first name and as a surname, each an ordered range of
    its own index that stops after `limit` rows, so 'jose' costs the same as 'zoe' at a
    million members. A term that is a member's card code finds just that member.
    """
    term = " ".join(term.split())
    if len(term) < 2:
        return []
    members = Member.objects.for_merchant(merchant).active()
    if "@" in term or _looks_like_phone(term):
        condition = member_lookup_condition(merchant=merchant, term=term)
        # Few rows match; Lower() keeps the planner off the name index's order.
        return list(members.filter(condition).order_by(Lower("search_name"), "pk")[:limit])
    if (card_code := normalize_card_code(term)) and (
        card := list(members.filter(card_code=card_code))
    ):
        return card  # a scanned or typed card is exact: nobody else is meant
    name = search_text(term)
    found: dict[int, Member] = {}
    for field in ("search_name", "search_name_reversed"):
        matches = members.filter(_name_prefix(field, name)).order_by(name_key(field=field), "pk")
        found.update((m.pk, m) for m in matches[:limit] if m.pk not in found)
    return list(found.values())[:limit]


def members_with_birthday_on(*, merchant: Merchant, day: date) -> QuerySet[Member]:
    """The merchant's members whose birthday falls on `day`, by id. Those born on 29
    February have theirs on 28 February in other years, so once a year like everyone.

    The same expressions as the `members_birthday` index, under its condition: one probe
    of the index at a million members."""
    days = [day.month * 100 + day.day]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append(229)
    return (
        Member.objects.for_merchant(merchant)
        .active()
        .filter(birthday__isnull=False)
        .alias(birthday_day=MonthDay("birthday"))
        .filter(birthday_day__in=days)
        .order_by("pk")
    )


def member_timeline(*, member: Member) -> QuerySet[MemberEvent]:
    return MemberEvent.objects.filter(member=member).select_related("actor")


def member_list(*, merchant: Merchant) -> QuerySet[Member]:
    """All active members, for the manager's list; filters narrow it (filters.py)."""
    return Member.objects.for_merchant(merchant).active().select_related("location")


def member_by_card_code(*, merchant: Merchant, raw: str) -> Member | None:
    code = normalize_card_code(raw)
    if code is None:
        return None
    return Member.objects.for_merchant(merchant).filter(card_code=code).first()


def member_personal_data(*, member: Member) -> dict:
    """Everything held about one member, for a subject access request (GDPR art. 15/20).

    Later apps that keep data about members (points, coupons, messages) add their part
    through `extensions.PERSONAL_DATA_PARTS`, so the export stays complete.
    """
    data = {
        "member": {
            "id": member.public_id,
            "card_code": member.card_code_display,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email,
            "phone": member.phone,
            "birthday": member.birthday,
            "language": member.language,
            "external_id": member.external_id,
            "marketing_consent": {"email": member.consent_email, "sms": member.consent_sms},
            "tags": [tag.name for tag in member.tags.all()],
            "enrolled_at": member.enrolled_at,
            "enrollment_channel": member.channel,
            "enrollment_location": member.location.name if member.location else None,
            "last_activity_at": member.last_activity_at,
            "erased_at": member.erased_at,
        },
        "merchant": {"name": member.merchant.name},
        "timeline": [
            {
                "at": event.occurred_at,
                "kind": event.kind,
                "summary": event.summary,
                "source": event.source,
            }
            for event in member_timeline(member=member)
        ],
    }
    for part in PERSONAL_DATA_PARTS:
        data[part.name] = part.data(member)
    return data


def members_find(
    *,
    merchant: Merchant,
    email: str = "",
    phone: str = "",
    card_code: str = "",
    external_id: str = "",
    joins: Iterable[str] = (),
) -> list[Member]:
    """Exact lookups for storefronts, each an index hit: the phone in any spelling of the
    same number, the email in any case, the card code as printed or typed. Several
    criteria must all match. A phone or email that cannot be one is a field error.
    `joins`: the one-to-one rows to read in the same query (`select_related`)."""
    members = Member.objects.for_merchant(merchant).active()
    if not any((email, phone, card_code, external_id)):
        raise DomainError(
            # Translators: email, phone, card_code and external_id are API parameter names.
            gettext("Look up by email, phone, card_code or external_id."),
            field="email",
        )
    try:
        if phone:
            members = members.filter(phone=normalize_phone(phone, merchant.country.code))
        if email:
            members = members.filter(email=normalize_email(email))
    except InvalidIdentifier as error:
        raise DomainError(str(error), field="phone" if phone else "email") from error
    if card_code:
        code = normalize_card_code(card_code)
        if code is None:
            return []
        members = members.filter(card_code=code)
    if external_id:
        members = members.filter(external_id=external_id.strip())
    found = list(members.select_related("location", *joins)[:10])
    for member in found:
        member.merchant = merchant  # the row they were filtered by: no fetch per member
    return found
