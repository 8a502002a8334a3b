"""Writes for tenancy: merchants, locations, the team and its invitations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_noop, ngettext

from apps.accounts.models import User
from apps.accounts.selectors import user_exists_with_email
from apps.core import money
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError, NotAllowed
from apps.core.languages import language_codes
from apps.core.models import Invitation, Location, Membership, Merchant, Role, hash_token
from apps.core.selectors import location_name_taken
from apps.core.stored_text import (
    choice_msgid,
    stored_list,
    stored_text,
)


def _clean_name(value: str, *, max_length: int, missing: str) -> str:
    """`missing`: the (translated) refusal when the name is empty."""
    name = value.strip()
    if not name:
        raise DomainError(missing, field="name")
    if len(name) > max_length:
        raise DomainError(
            ngettext(
                "Keep the name within %(max_length)d character.",
                "Keep the name within %(max_length)d characters.",
                max_length,
            )
            % {"max_length": max_length},
            field="name",
        )
    return name


def _clean_address(value: str) -> str:
    address = value.strip()
    if len(address) > 255:
        raise DomainError(gettext("Keep the address within 255 characters."), field="address")
    return address


def _clean_hours(value: str) -> str:
    hours = "\n".join(line.strip() for line in value.strip().splitlines() if line.strip())
    if len(hours) > 300:
        raise DomainError(
            gettext("Keep the opening hours within 300 characters."), field="opening_hours"
        )
    return hours


# Merchants ---------------------------------------------------------------------------


def _validate_merchant_fields(*, currency: str, country: str, timezone_name: str, language: str):
    from zoneinfo import available_timezones

    from django_countries import countries

    if not money.is_currency(currency):
        raise DomainError(
            # Translators: %(code)s is the refused code, in quotes: 'XYZ'.
            gettext("%(code)s is not an ISO 4217 currency code.") % {"code": repr(currency)},
            field="currency",
        )
    if country not in dict(countries):
        raise DomainError(
            # Translators: %(code)s is the refused code, in quotes: 'XX'.
            gettext("%(code)s is not an ISO 3166 country code.") % {"code": repr(country)},
            field="country",
        )
    if timezone_name not in available_timezones():
        raise DomainError(
            # Translators: %(name)s is the refused time zone name, in quotes: 'Mars/Base'.
            gettext("%(name)s is not a known time zone.") % {"name": repr(timezone_name)},
            field="timezone",
        )
    if language not in language_codes():
        raise DomainError(
            # Translators: %(code)s is the refused language code, in quotes: 'xx'.
            gettext("%(code)s is not a supported language.") % {"code": repr(language)},
            field="language",
        )


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "merchant"
    slug, suffix = base, 1
    while Merchant.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


@transaction.atomic(savepoint=False)
def merchant_create(
    *,
    name: str,
    owner: User,
    currency: str,
    country: str,
    timezone_name: str,
    language: str,
    slug: str | None = None,
) -> Merchant:
    """A new business with `owner` as its first owner."""
    name = _clean_name(name, max_length=120, missing=gettext("Give the business a name."))
    _validate_merchant_fields(
        currency=currency, country=country, timezone_name=timezone_name, language=language
    )
    if slug is not None and not (_SLUG.fullmatch(slug) and len(slug) <= 60):
        raise DomainError(
            gettext("A slug is lowercase letters, digits and hyphens, up to 60 characters."),
            field="slug",
        )
    if slug is not None and Merchant.objects.filter(slug=slug).exists():
        raise Conflict(
            # Translators: %(slug)s is the slug in quotes, e.g. 'cafe-luna'.
            gettext("The slug %(slug)s is taken.") % {"slug": repr(slug)},
            field="slug",
            code="slug_taken",
        )
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(
                name=name,
                slug=slug or _free_slug(name),
                currency=currency,
                country=country,
                timezone=timezone_name,
                language=language,
            )
    except IntegrityError as error:  # a concurrent create took the slug first
        raise Conflict(gettext("That slug was just taken; try again."), field="slug") from error
    Membership.objects.create(merchant=merchant, user=owner, role=Role.OWNER)
    audit_record(
        merchant=merchant,
        actor=owner,
        action="merchant.created",
        summary=stored_text(gettext_noop("Created the business %(name)s"), name=name),
        target=merchant,
    )
    return merchant


# The business's details as the activity log names them (in English, its field names).
MERCHANT_FIELD_WORDS = {
    "name": gettext_noop("name"),
    "currency": gettext_noop("currency"),
    "country": gettext_noop("country"),
    "timezone": gettext_noop("timezone"),
    "language": gettext_noop("language"),
}


@transaction.atomic(savepoint=False)
def merchant_update(
    *,
    merchant: Merchant,
    actor: User,
    name: str,
    currency: str,
    country: str,
    timezone_name: str,
    language: str,
) -> Merchant:
    name = _clean_name(name, max_length=120, missing=gettext("Give the business a name."))
    _validate_merchant_fields(
        currency=currency, country=country, timezone_name=timezone_name, language=language
    )
    new = {
        "name": name,
        "currency": currency,
        "country": country,
        "timezone": timezone_name,
        "language": language,
    }
    changed = {
        field: [str(getattr(merchant, field)), str(value)]
        for field, value in new.items()
        if str(getattr(merchant, field)) != str(value)
    }
    if not changed:
        return merchant
    for field, value in new.items():
        setattr(merchant, field, value)
    merchant.save(update_fields=list(new))
    audit_record(
        merchant=merchant,
        actor=actor,
        action="merchant.updated",
        summary=stored_text(
            # Translators: %(fields)s lists what changed, e.g. "name, currency".
            gettext_noop("Changed %(fields)s"),
            fields=stored_list([stored_text(MERCHANT_FIELD_WORDS[field]) for field in changed]),
        ),
        target=merchant,
        data={"changes": changed},
    )
    return merchant


# Locations ---------------------------------------------------------------------------


def _save_location(location: Location) -> None:
    """Save, turning the race where two people add the same name at once into a refusal."""
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError as error:
        raise Conflict(
            gettext("A location with this name already exists."), field="name", code="name_taken"
        ) from error


@transaction.atomic(savepoint=False)
def location_create(
    *,
    merchant: Merchant,
    actor: User | None,
    name: str,
    address: str = "",
    opening_hours: str = "",
) -> Location:
    name = _clean_name(name, max_length=120, missing=gettext("Give the location a name."))
    address = _clean_address(address)
    opening_hours = _clean_hours(opening_hours)
    if location_name_taken(merchant=merchant, name=name):
        raise Conflict(
            gettext("A location with this name already exists."), field="name", code="name_taken"
        )
    location = Location(merchant=merchant, name=name, address=address, opening_hours=opening_hours)
    _save_location(location)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="location.created",
        summary=stored_text(gettext_noop("Added the location %(name)s"), name=name),
        target=location,
    )
    return location


@transaction.atomic(savepoint=False)
def location_update(
    *,
    location: Location,
    actor: User,
    name: str,
    address: str,
    is_active: bool,
    opening_hours: str,
) -> Location:
    name = _clean_name(name, max_length=120, missing=gettext("Give the location a name."))
    address = _clean_address(address)
    opening_hours = _clean_hours(opening_hours)
    if location_name_taken(merchant=location.merchant, name=name, exclude_pk=location.pk):
        raise Conflict(
            gettext("A location with this name already exists."), field="name", code="name_taken"
        )
    location.name, location.address, location.is_active = name, address, is_active
    location.opening_hours = opening_hours
    _save_location(location)
    audit_record(
        merchant=location.merchant,
        actor=actor,
        action="location.updated",
        summary=stored_text(
            gettext_noop("Updated the location %(name)s")
            if is_active
            else gettext_noop("Updated the location %(name)s (closed)"),
            name=name,
        ),
        target=location,
    )
    return location


# The team ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once, in the emailed link; only its hash is stored


def _issue_invitation(
    *, merchant: Merchant, actor: User, email: str, role: str
) -> IssuedInvitation:
    from apps.core.tasks import send_invitation_email

    token, token_hash = Invitation.new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                merchant=merchant,
                email=email,
                role=role,
                token_hash=token_hash,
                invited_by=actor,
                expires_at=timezone.now() + timedelta(days=settings.FIDELIZA_INVITATION_DAYS),
            )
    except IntegrityError as error:  # two invitations to one address at the same moment
        raise Conflict(
            gettext("An invitation to %(email)s was sent a moment ago.") % {"email": email},
            field="email",
            code="invitation_pending",
        ) from error
    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token))
    return IssuedInvitation(invitation=invitation, token=token)


def _withdraw_if_pending(invitation: Invitation) -> bool:
    """Withdraw a pending invitation; False if it was used or withdrawn already (even by a
    concurrent request: the conditional update waits for it, then matches nothing)."""
    return bool(
        Invitation.objects.pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    )


@transaction.atomic(savepoint=False)
def invitation_create(
    *, merchant: Merchant, actor: User, email: str, role: str
) -> IssuedInvitation:
    """Invite `email` to the team. A pending invitation to the same address is replaced."""
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError(gettext("Choose a role."), field="role")
    if Membership.objects.for_merchant(merchant).filter(user__email__iexact=email).exists():
        raise Conflict(
            gettext("%(email)s is already on the team.") % {"email": email},
            field="email",
            code="already_member",
        )
    Invitation.objects.for_merchant(merchant).pending().filter(email__iexact=email).update(
        revoked_at=timezone.now()
    )
    issued = _issue_invitation(merchant=merchant, actor=actor, email=email, role=role)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="invitation.created",
        summary=stored_text(
            gettext_noop("Invited %(email)s as %(role)s"),
            email=email,
            role=choice_msgid(Role, role),
        ),
        target=issued.invitation,
    )
    return issued


@transaction.atomic(savepoint=False)
def invitation_resend(*, invitation: Invitation, actor: User) -> IssuedInvitation:
    """A new link (the old one stops working) with a fresh expiry."""
    if not _withdraw_if_pending(invitation):
        raise Conflict(gettext("This invitation is no longer pending."), code="not_pending")
    issued = _issue_invitation(
        merchant=invitation.merchant, actor=actor, email=invitation.email, role=invitation.role
    )
    audit_record(
        merchant=invitation.merchant,
        actor=actor,
        action="invitation.resent",
        summary=stored_text(
            gettext_noop("Sent a new invitation to %(email)s"), email=invitation.email
        ),
        target=issued.invitation,
    )
    return issued


@transaction.atomic(savepoint=False)
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    if _withdraw_if_pending(invitation):
        audit_record(
            merchant=invitation.merchant,
            actor=actor,
            action="invitation.revoked",
            summary=stored_text(
                gettext_noop("Withdrew the invitation of %(email)s"), email=invitation.email
            ),
            target=invitation,
        )


class InvitationUnusable(DomainError):
    code = "invitation_unusable"
    status = 410


def invitation_check(*, token: str) -> Invitation:
    """The pending invitation behind a link, or why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("merchant", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable(
            gettext("This invitation link is not valid."), code="invitation_unknown"
        )
    if invitation.accepted_at:
        raise InvitationUnusable(
            gettext("This invitation has already been used."), code="invitation_used"
        )
    if invitation.revoked_at:
        raise InvitationUnusable(
            gettext("This invitation was withdrawn or replaced by a newer one."),
            code="invitation_revoked",
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            gettext("This invitation has expired. Ask for a new one."), code="invitation_expired"
        )
    return invitation


def _claim_invitation(invitation: Invitation) -> None:
    """Mark the invitation used. Of two concurrent claims one wins, the other is refused:
    the conditional update waits for the first to commit, then matches nothing."""
    claimed = (
        Invitation.objects.pending()
        .filter(pk=invitation.pk, expires_at__gt=timezone.now())
        .update(accepted_at=timezone.now())
    )
    if not claimed:
        raise InvitationUnusable(
            gettext("This invitation has already been used."), code="invitation_used"
        )


def _join(invitation: Invitation, user: User) -> Membership:
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    membership, created = Membership.objects.get_or_create(
        merchant=invitation.merchant, user=user, defaults={"role": invitation.role}
    )
    if created:
        audit_record(
            merchant=invitation.merchant,
            actor=user,
            action="membership.joined",
            summary=stored_text(
                gettext_noop("%(email)s joined as %(role)s"),
                email=user.email,
                role=choice_msgid(Role, invitation.role),
            ),
            target=membership,
        )
    return membership


@transaction.atomic(savepoint=False)
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the team with the invited role. Works once, however many times it is clicked."""
    invitation = invitation_check(token=token)
    if user.email.lower() != invitation.email.lower():
        raise NotAllowed(
            gettext(
                "This invitation was sent to %(email)s. Sign in with that address to accept it."
            )
            % {"email": invitation.email},
            code="invitation_other_email",
        )
    _claim_invitation(invitation)
    return _join(invitation, user)


@transaction.atomic(savepoint=False)
def invitation_accept_as_new_user(
    *, token: str, password: str, first_name: str, last_name: str
) -> Membership:
    """Create the invited person's account and join. Owning the emailed link proves the address."""
    from allauth.account.models import EmailAddress

    invitation = invitation_check(token=token)
    account_exists = Conflict(
        gettext("An account with this email exists already: sign in to accept."),
        code="account_exists",
    )
    if user_exists_with_email(email=invitation.email):
        raise account_exists
    _claim_invitation(invitation)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
    except IntegrityError as error:  # the address signed up some other way a moment ago
        raise account_exists from error
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return _join(invitation, user)


def _lock_owner_memberships(merchant: Merchant) -> list[Membership]:
    from apps.core.lock_objects import memberships_lock

    return memberships_lock(merchant=merchant, role=Role.OWNER)


def _refuse_losing_last_owner(membership: Membership) -> None:
    owners = _lock_owner_memberships(membership.merchant)
    if membership.role == Role.OWNER and [m.pk for m in owners] == [membership.pk]:
        raise Conflict(
            gettext("A business needs at least one owner: make someone else owner first."),
            code="last_owner",
        )


@transaction.atomic(savepoint=False)
def membership_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    if role not in Role.values:
        raise DomainError(gettext("Choose a role."), field="role")
    if role == membership.role:
        return membership
    if role != Role.OWNER:
        _refuse_losing_last_owner(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        merchant=membership.merchant,
        actor=actor,
        action="membership.role_changed",
        summary=stored_text(
            gettext_noop("Changed %(email)s from %(old)s to %(new)s"),
            email=membership.user.email,
            old=choice_msgid(Role, old),
            new=choice_msgid(Role, role),
        ),
        target=membership,
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic(savepoint=False)
def membership_remove(*, membership: Membership, actor: User) -> None:
    """Take a seat away. The person loses access to this merchant on their next request."""
    _refuse_losing_last_owner(membership)
    email = membership.user.email
    audit_record(
        merchant=membership.merchant,
        actor=actor,
        action="membership.removed",
        summary=stored_text(gettext_noop("Removed %(email)s from the team"), email=email),
        target=membership,
    )
    membership.delete()


@transaction.atomic(savepoint=False)
def user_profile_update(*, user: User, first_name: str, last_name: str, language: str) -> User:
    """A user's name and the language of their pages (empty: the browser's)."""
    if language and language not in language_codes():
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    user.first_name = first_name.strip()[:150]
    user.last_name = last_name.strip()[:150]
    user.language = language
    user.save(update_fields=["first_name", "last_name", "language"])
    return user
