"""Inviting people, accepting, changing roles and removing them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.core import services
from apps.core.errors import Conflict, DomainError, NotAllowed
from apps.core.models import AuditLog, Invitation, Membership, Role
from apps.core.services import InvitationUnusable
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import refusal

pytestmark = pytest.mark.django_db


def _invite(team, email="newcomer@example.com", role=Role.STAFF):
    return services.invitation_create(
        merchant=team.merchant, actor=team.owner, email=email, role=role
    )


def _link_token(message) -> str:
    marker = "/invitations/"
    start = message.body.index(marker) + len(marker)
    return message.body[start:].split("/", 1)[0]


def test_an_invitation_is_emailed_with_a_link_that_works_once(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = _invite(team, email="Newcomer@Example.com ", role=Role.MANAGER)

    assert issued.invitation.email == "newcomer@example.com"
    assert issued.invitation.token_hash != issued.token  # only the hash is stored
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert team.merchant.name in message.subject
    assert _link_token(message) == issued.token

    newcomer = UserFactory(email="newcomer@example.com")
    membership = services.invitation_accept(token=issued.token, user=newcomer)
    assert membership.role == Role.MANAGER
    assert membership.merchant == team.merchant

    with refusal(InvitationUnusable, match="already been used"):
        services.invitation_accept(token=issued.token, user=newcomer)


def test_an_expired_invitation_says_so(team):
    issued = _invite(team)
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with refusal(InvitationUnusable, match="expired"):
        services.invitation_accept(
            token=issued.token, user=UserFactory(email="newcomer@example.com")
        )


def test_an_unknown_token_is_refused(team):
    with pytest.raises(InvitationUnusable, match="not valid"):
        services.invitation_check(token="made-up")


def test_a_new_invitation_replaces_the_pending_one(team):
    first = _invite(team)
    second = _invite(team, role=Role.MANAGER)

    with pytest.raises(InvitationUnusable, match="withdrawn or replaced"):
        services.invitation_check(token=first.token)
    assert services.invitation_check(token=second.token).role == Role.MANAGER
    assert Invitation.objects.for_merchant(team.merchant).pending().count() == 1


def test_resending_gives_a_new_link_and_kills_the_old(team):
    first = _invite(team)
    resent = services.invitation_resend(invitation=first.invitation, actor=team.owner)
    assert resent.token != first.token
    with pytest.raises(InvitationUnusable):
        services.invitation_check(token=first.token)
    assert services.invitation_check(token=resent.token).email == first.invitation.email


def test_a_revoked_invitation_cannot_be_accepted(team):
    issued = _invite(team)
    services.invitation_revoke(invitation=issued.invitation, actor=team.owner)
    with refusal(InvitationUnusable, match="withdrawn"):
        services.invitation_accept(
            token=issued.token, user=UserFactory(email="newcomer@example.com")
        )


def test_only_the_invited_address_can_accept(team):
    issued = _invite(team)
    with refusal(NotAllowed, match="newcomer@example.com"):
        services.invitation_accept(token=issued.token, user=UserFactory(email="someone@else.com"))
    assert services.invitation_check(token=issued.token)  # still usable by the right person


def test_inviting_a_current_member_is_refused(team):
    with refusal(Conflict, match="already on the team") as refused:
        _invite(team, email=team.staff.email.upper())
    assert refused.value.field == "email"


def test_the_last_owner_cannot_leave_or_step_down(team):
    owner_seat = Membership.objects.get(merchant=team.merchant, user=team.owner)
    with refusal(Conflict, match="at least one owner"):
        services.membership_remove(membership=owner_seat, actor=team.owner)
    with refusal(Conflict, match="at least one owner"):
        services.membership_change_role(membership=owner_seat, actor=team.owner, role=Role.MANAGER)

    manager_seat = Membership.objects.get(merchant=team.merchant, user=team.manager)
    services.membership_change_role(membership=manager_seat, actor=team.owner, role=Role.OWNER)
    services.membership_change_role(membership=owner_seat, actor=team.owner, role=Role.MANAGER)
    owner_seat.refresh_from_db()
    assert owner_seat.role == Role.MANAGER


def test_role_changes_and_removals_are_audited(team):
    seat = Membership.objects.get(merchant=team.merchant, user=team.staff)
    services.membership_change_role(membership=seat, actor=team.owner, role=Role.MANAGER)
    services.membership_remove(membership=seat, actor=team.owner)

    actions = list(
        AuditLog.objects.for_merchant(team.merchant)
        .filter(actor=team.owner)
        .values_list("action", flat=True)
    )
    assert actions[:2] == ["membership.removed", "membership.role_changed"]
    assert not Membership.objects.filter(pk=seat.pk).exists()


def test_a_bad_role_is_refused(team):
    seat = Membership.objects.get(merchant=team.merchant, user=team.staff)
    with refusal(DomainError):
        services.membership_change_role(membership=seat, actor=team.owner, role="admin")
    with refusal(DomainError):
        _invite(team, role="admin")


# Through the pages ---------------------------------------------------------------------


def test_the_team_page_shows_field_errors_and_changes_nothing(team, client_as):
    client = client_as(team.owner)
    response = client.post(reverse("core:team"), {"email": "not-an-email", "role": "wizard"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors
    assert "role" in form.errors
    assert not Invitation.objects.for_merchant(team.merchant).exists()


def test_inviting_from_the_team_page(team, client_as, django_capture_on_commit_callbacks):
    client = client_as(team.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:team"), {"email": "barista@example.com", "role": "staff"}, follow=True
        )
    assert "Invitation sent to barista@example.com" in response.text
    assert "barista@example.com" in response.text
    assert mail.outbox[0].to == ["barista@example.com"]


def test_a_newcomer_creates_an_account_from_the_link(
    team, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = _invite(team, email="barista@example.com")
    url = reverse("core:invitation_accept", args=[issued.token])

    page = client.get(url)
    assert "Create your account" in page.text
    mismatch = client.post(url, {"first_name": "Bea", "password1": PASSWORD, "password2": "other"})
    assert "password2" in mismatch.context["form"].errors
    weak = client.post(url, {"first_name": "Bea", "password1": "123", "password2": "123"})
    assert "password1" in weak.context["form"].errors

    response = client.post(
        url,
        {"first_name": "Bea", "last_name": "Ruiz", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    home = client.get(reverse("home:home"))
    assert home.context["active_merchant"] == team.merchant
    assert home.context["active_membership"].role == Role.STAFF

    client.logout()
    again = client.get(url)
    assert again.status_code == 410
    assert "already been used" in again.text


def test_an_existing_user_signs_in_then_accepts(team, client):
    existing = UserFactory(email="chef@example.com")
    issued = _invite(team, email="chef@example.com", role=Role.MANAGER)
    url = reverse("core:invitation_accept", args=[issued.token])

    assert "Sign in to accept" in client.get(url).text
    client.force_login(existing)
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(merchant=team.merchant, user=existing).role == Role.MANAGER


def test_removing_yourself_as_one_of_two_owners(team, client_as):
    manager_seat = Membership.objects.get(merchant=team.merchant, user=team.manager)
    services.membership_change_role(membership=manager_seat, actor=team.owner, role=Role.OWNER)
    owner_seat = Membership.objects.get(merchant=team.merchant, user=team.owner)
    client = client_as(team.owner)

    response = client.post(reverse("core:membership_remove", args=[owner_seat.pk]))

    assert response["Location"] == reverse("home:home")
    assert client.get(reverse("home:home"))["Location"] == reverse("core:merchant_create")
