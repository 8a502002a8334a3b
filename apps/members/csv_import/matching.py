"""Rows against each other and against the members: a row repeating an earlier row's phone,
email or external id is a duplicate, one belonging to a member already is matched."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext

from apps.core.models import Merchant
from apps.members.csv_import.cells import Kind, ParsedRow
from apps.members.models import Member


def _same_as_row(name: str, number: int) -> str:
    """A row repeating an earlier row's phone, email or external id."""
    row = {"number": number}
    if name == "phone":
        # Translators: %(number)s is the number of an earlier row of the file.
        return gettext("Same phone as row %(number)s.") % row
    if name == "email":
        # Translators: %(number)s is the number of an earlier row of the file.
        return gettext("Same email as row %(number)s.") % row
    # Translators: %(number)s is the number of an earlier row of the file.
    return gettext("Same external id as row %(number)s.") % row


def _already_a_member(name: str, who: str) -> str:
    """A row whose phone, email or external id belongs to a member already."""
    if name == "phone":
        # Translators: %(name)s is the member's name.
        return gettext("Already a member: %(name)s (same phone).") % {"name": who}
    if name == "email":
        # Translators: %(name)s is the member's name.
        return gettext("Already a member: %(name)s (same email).") % {"name": who}
    # Translators: %(name)s is the member's name.
    return gettext("Already a member: %(name)s (same external id).") % {"name": who}


def skip_repeats(rows: Iterable[ParsedRow], seen: dict[tuple[str, str], int]) -> None:
    """Mark rows that repeat an earlier row's phone, email or external id; remember the
    others' (rows with errors are not remembered: a later, valid row may use them)."""
    for row in rows:
        if row.kind:
            continue
        keys = row.identifiers()
        earlier = next(((key, seen[key]) for key in keys if key in seen), None)
        if earlier:
            (name, _value), number = earlier
            row.decide(Kind.DUPLICATE, _same_as_row(name, number))
            continue
        for key in keys:
            seen[key] = row.number


def match_existing(merchant: Merchant, rows: list[ParsedRow]) -> None:
    """Rows whose phone, email or external id belongs to a member already are matched;
    the rest are to be created. One query for the whole chunk."""
    open_rows = [row for row in rows if not row.kind]
    wanted: dict[str, set[str]] = {"phone": set(), "email": set(), "external_id": set()}
    for row in open_rows:
        for name, value in row.identifiers():
            wanted[name].add(value)
    existing: dict[tuple[str, str], str] = {}
    if any(wanted.values()):
        condition = Q()
        for name, values in wanted.items():
            if values:
                condition |= Q(**{f"{name}__in": values})
        found = Member.objects.for_merchant(merchant).filter(condition).order_by()
        for member in found.only(
            "first_name", "last_name", "phone", "email", "external_id", "erased_at"
        ):
            for name in wanted:
                if getattr(member, name):
                    existing[(name, getattr(member, name))] = member.display_name
    for row in open_rows:
        match = next(((key, existing[key]) for key in row.identifiers() if key in existing), None)
        if match:
            (name, _value), who = match
            row.decide(Kind.MATCHED, _already_a_member(name, who))
        else:
            row.kind = Kind.CREATE
