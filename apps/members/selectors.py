"""Reads for members: the counter's lookup, the manager's list, one member, the timeline."""

from __future__ import annotations

import phonenumbers
from django.db.models import Q, QuerySet

from apps.core.models import Merchant

from .identifiers import (
    InvalidIdentifier,
    normalize_card_code,
    normalize_phone,
    search_text,
)
from .models import Member, MemberEvent

LOOKUP_LIMIT = 10
_PHONE_CHARACTERS = set("0123456789+-.() ")


def member_get(*, merchant: Merchant, public_id: str) -> Member | None:
    return Member.objects.for_merchant(merchant).filter(public_id=public_id).first()


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


def member_lookup(*, merchant: Merchant, term: str, limit: int = LOOKUP_LIMIT) -> list[Member]:
    """The counter's one search box: phone in any spelling, email, card code or name.

    Every branch is an index lookup (exact or prefix) so the answer stays instant at a
    million members.
    """
    term = " ".join(term.split())
    if len(term) < 2:
        return []
    members = Member.objects.for_merchant(merchant).active()
    if "@" in term:
        condition = Q(email__startswith=term.lower())
    elif _looks_like_phone(term):
        condition = _phone_condition(merchant, term)
    else:
        condition = Q(search_name__startswith=search_text(term)) | Q(
            search_name_reversed__startswith=search_text(term)
        )
        if card_code := normalize_card_code(term):
            condition |= Q(card_code=card_code)
    return list(members.filter(condition).order_by("search_name", "pk")[:limit])


def member_timeline(*, member: Member) -> QuerySet[MemberEvent]:
    return MemberEvent.objects.filter(member=member).select_related("actor")


def member_list(*, merchant: Merchant) -> QuerySet[Member]:
    """All active members, for the manager's list; filters narrow it (filters.py)."""
    return Member.objects.for_merchant(merchant).active().select_related("location")
