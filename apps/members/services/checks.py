"""What every write checks in a member's details: phone, email, names and language cleaned,
no other member with the same phone or email, the names searchable, tags found by name."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from apps.core.errors import Conflict, DomainError
from apps.core.languages import language_codes
from apps.core.models import Merchant
from apps.members.identifiers import (
    InvalidIdentifier,
    normalize_email,
    normalize_phone,
    search_text,
)
from apps.members.models import Member, Tag


class DuplicateMember(Conflict):
    """The phone or email belongs to a member already; `member` is that member."""

    code = "duplicate_member"

    def __init__(self, message: str, *, member: Member, field: str):
        super().__init__(message, field=field)
        self.member = member

    @property
    def details(self) -> dict:
        return {"member": self.member.public_id}


def clean_phone(*, merchant: Merchant, raw: str) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalize_phone(raw, merchant.country.code)
    except InvalidIdentifier as error:
        raise DomainError(str(error), field="phone") from error


def clean_email(*, raw: str) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalize_email(raw)
    except InvalidIdentifier as error:
        raise DomainError(str(error), field="email") from error


def clean_name_part(*, value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > 80:
        raise DomainError(gettext("Keep names within 80 characters."), field=field)
    return value


def clean_language(*, value: str) -> str:
    """A language Fideliza speaks (settings.LANGUAGES), or "" for the merchant's."""
    value = (value or "").strip()
    if value and value not in language_codes():
        codes = ", ".join(language_codes())
        raise DomainError(
            # Translators: %(language)s is the code refused, %(codes)s the codes accepted
            # ("es, ro, en").
            gettext("“%(language)s” is not a language Fideliza speaks (%(codes)s).")
            % {"language": value, "codes": codes},
            field="language",
        )
    return value


def refuse_duplicates(
    *, merchant: Merchant, phone: str | None, email: str | None, exclude_pk: int | None = None
) -> None:
    contact = Q(pk__in=[])
    if phone:
        contact |= Q(phone=phone)
    if email:
        contact |= Q(email=email)
    others = Member.objects.for_merchant(merchant).filter(contact)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for existing in others[:2]:  # one query for both identifiers
        if phone and existing.phone == phone:
            raise DuplicateMember(
                duplicate_message(field="phone", existing=existing), member=existing, field="phone"
            )
        raise DuplicateMember(
            duplicate_message(field="email", existing=existing), member=existing, field="email"
        )


def duplicate_message(*, field: str, existing: Member) -> str:
    """Who already has this phone, email or external id."""
    name = {"name": existing.display_name}
    if field == "phone":
        # Translators: %(name)s is the member who has the number (or "Erased member").
        return gettext("%(name)s already has this phone number.") % name
    if field == "email":
        # Translators: %(name)s is the member who has the email (or "Erased member").
        return gettext("%(name)s already has this email.") % name
    # Translators: %(name)s is the member who has the id of the business's old system.
    return gettext("%(name)s already has this external id.") % name


def set_search_names(*, member: Member) -> None:
    member.search_name = search_text(member.first_name, member.last_name)
    member.search_name_reversed = search_text(member.last_name, member.first_name)


def tag_name(*, raw: str) -> str:
    return " ".join(raw.split())[:40]


def tags_named(*, merchant: Merchant, names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = tag_name(raw=raw)
        if not name:
            continue
        tag = Tag.objects.for_merchant(merchant).filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(merchant=merchant, name=name)
            except IntegrityError:  # created by a concurrent request
                tag = Tag.objects.for_merchant(merchant).get(name__iexact=name)
        tags.append(tag)
    return tags
