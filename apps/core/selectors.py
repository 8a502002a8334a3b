"""Reads for tenancy: who belongs where, locations, the team, the activity log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.models import AuditLog, Invitation, Location, Membership, Merchant, Role


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("merchant", "user")
        .order_by("merchant__name")
    )


def membership_for(*, user: User, merchant_id: int | None) -> Membership | None:
    """The user's seat at `merchant_id`, else their first merchant's, else None."""
    memberships = memberships_for_user(user=user)
    if merchant_id is not None:
        chosen = memberships.filter(merchant_id=merchant_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def location_list(*, merchant: Merchant, include_closed: bool = False) -> QuerySet[Location]:
    locations = Location.objects.for_merchant(merchant)
    return locations if include_closed else locations.filter(is_active=True)


def location_get(*, merchant: Merchant, location_id: int | None) -> Location | None:
    if location_id is None:
        return None
    return location_list(merchant=merchant).filter(pk=location_id).first()


def location_by_name(*, merchant: Merchant, name: str) -> Location | None:
    """A location as a storefront names it (the name is unique per merchant)."""
    return Location.objects.for_merchant(merchant).filter(name=name).one_or_none()


def location_name_taken(*, merchant: Merchant, name: str, exclude_pk: int | None = None) -> bool:
    same_name = Location.objects.for_merchant(merchant).filter(name__iexact=name.strip())
    if exclude_pk is not None:
        same_name = same_name.exclude(pk=exclude_pk)
    return same_name.exists()


def team_list(*, merchant: Merchant) -> QuerySet[Membership]:
    return Membership.objects.for_merchant(merchant).select_related("user").order_by("user__email")


def invitation_pending_list(*, merchant: Merchant) -> QuerySet[Invitation]:
    return Invitation.objects.for_merchant(merchant).pending().select_related("invited_by")


@dataclass(frozen=True)
class ChecklistStep:
    title: str
    description: str
    done: bool
    url_name: str
    min_role: str


def onboarding_checklist(*, membership: Membership) -> list[ChecklistStep]:
    """What a new business should set up first, in order, and what is done already: the
    steps this person's role can take."""
    from allauth.mfa.models import Authenticator

    merchant, user = membership.merchant, membership.user
    steps = [
        ChecklistStep(
            title=gettext("Check your business details"),
            description=gettext("Currency, country (for phone numbers), time zone and language."),
            done=AuditLog.objects.for_merchant(merchant).filter(action="merchant.updated").exists(),
            url_name="core:merchant_settings",
            min_role=Role.OWNER,
        ),
        ChecklistStep(
            title=gettext("Add your shops"),
            description=gettext(
                "Every purchase and enrollment at the counter records where it happened."
            ),
            done=Location.objects.for_merchant(merchant).exists(),
            url_name="core:location_list",
            min_role=Role.MANAGER,
        ),
        ChecklistStep(
            title=gettext("Invite your team"),
            description=gettext("Managers configure the program; counter staff serve customers."),
            done=Membership.objects.for_merchant(merchant).count() > 1
            or Invitation.objects.for_merchant(merchant).exists(),
            url_name="core:team",
            min_role=Role.OWNER,
        ),
        ChecklistStep(
            title=gettext("Turn on two-factor authentication"),
            description=gettext(
                "Your account controls your customers' data: protect it with a code app."
            ),
            done=Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
            url_name="mfa_index",
            min_role=Role.STAFF,
        ),
    ]
    return [step for step in steps if membership.has_role(step.min_role)]
