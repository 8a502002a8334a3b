"""Races on the team and locations, with real parallel HTTP requests against PostgreSQL.

Each test prepares two sessions, releases both requests at the same instant through a
barrier, and checks that exactly one effect happened and the other request got a clear
refusal, never a 500.
"""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.core import services
from apps.core.models import Invitation, Location, Membership, Role
from tests.accounts.factories import PASSWORD, UserFactory
from tests.concurrency import race
from tests.conftest import make_team
from tests.http import HttpSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_owners_demoting_each_other_leave_one_owner(live_server):
    team = make_team()
    manager_seat = Membership.objects.get(merchant=team.merchant, user=team.manager)
    services.membership_change_role(membership=manager_seat, actor=team.owner, role=Role.OWNER)
    first_seat = Membership.objects.get(merchant=team.merchant, user=team.owner)

    first, second = HttpSession(live_server.url), HttpSession(live_server.url)
    first.login(team.owner.email, PASSWORD)
    second.login(team.manager.email, PASSWORD)
    demote = {"role": Role.MANAGER}
    responses = race(
        [
            (
                first,
                first.prepare_post(
                    reverse("core:membership_role", args=[manager_seat.pk]),
                    demote,
                    csrf_page="/team/",
                ),
            ),
            (
                second,
                second.prepare_post(
                    reverse("core:membership_role", args=[first_seat.pk]),
                    demote,
                    csrf_page="/team/",
                ),
            ),
        ]
    )

    # The loser is refused either by the last-owner guard (a message, 302) or, if the winner
    # committed before its request began, because it is no longer an owner (403).
    assert {response.status for response in responses} <= {302, 403}
    owners = Membership.objects.for_merchant(team.merchant).filter(role=Role.OWNER)
    assert owners.count() == 1


def test_one_invitation_link_clicked_twice_at_once_creates_one_account(live_server):
    team = make_team()
    issued = services.invitation_create(
        merchant=team.merchant, actor=team.owner, email="twice@example.com", role=Role.STAFF
    )
    url = reverse("core:invitation_accept", args=[issued.token])
    data = {"first_name": "Tia", "password1": PASSWORD, "password2": PASSWORD}
    sessions = [HttpSession(live_server.url), HttpSession(live_server.url)]

    responses = race([(session, session.prepare_post(url, data)) for session in sessions])

    statuses = sorted(response.status for response in responses)
    assert statuses[0] in {200, 302, 410}
    assert 302 in statuses  # one joined
    assert 500 not in statuses
    loser = next(r for r in responses if r.status != 302)
    # Refused as used, as a duplicate address, or (it read the link before the winner
    # committed and the account after) asked to sign in to the account now there.
    assert any(
        text in loser.text for text in ("already been used", "exists already", "Sign in to accept")
    )
    assert User.objects.filter(email="twice@example.com").count() == 1
    assert (
        Membership.objects.filter(merchant=team.merchant, user__email="twice@example.com").count()
        == 1
    )
    assert Invitation.objects.get(pk=issued.invitation.pk).accepted_at is not None


def test_two_managers_adding_the_same_location_at_once_add_one(live_server):
    team = make_team()
    second_manager = UserFactory()
    Membership.objects.create(merchant=team.merchant, user=second_manager, role=Role.MANAGER)
    sessions = [HttpSession(live_server.url), HttpSession(live_server.url)]
    sessions[0].login(team.manager.email, PASSWORD)
    sessions[1].login(second_manager.email, PASSWORD)
    url = reverse("core:location_list")

    responses = race([(s, s.prepare_post(url, {"name": "Harbour"})) for s in sessions])

    assert sorted(response.status for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status == 200)
    assert "A location with this name already exists." in refused.text
    assert Location.objects.for_merchant(team.merchant).filter(name="Harbour").count() == 1


def test_two_owners_inviting_one_address_at_once_leave_one_pending_invitation(live_server):
    team = make_team()
    manager_seat = Membership.objects.get(merchant=team.merchant, user=team.manager)
    services.membership_change_role(membership=manager_seat, actor=team.owner, role=Role.OWNER)
    sessions = [HttpSession(live_server.url), HttpSession(live_server.url)]
    sessions[0].login(team.owner.email, PASSWORD)
    sessions[1].login(team.manager.email, PASSWORD)
    invite = {"email": "wanted@example.com", "role": Role.STAFF}

    responses = race([(s, s.prepare_post(reverse("core:team"), invite)) for s in sessions])

    assert {response.status for response in responses} <= {200, 302}
    for response in responses:
        if response.status == 200:
            assert "was sent a moment ago" in response.text
    pending = Invitation.objects.for_merchant(team.merchant).pending()
    assert pending.filter(email="wanted@example.com").count() == 1


def test_resending_one_invitation_twice_at_once_leaves_one_pending_invitation(live_server):
    team = make_team()
    issued = services.invitation_create(
        merchant=team.merchant, actor=team.owner, email="wanted@example.com", role=Role.STAFF
    )
    sessions = [HttpSession(live_server.url), HttpSession(live_server.url)]
    for session in sessions:
        session.login(team.owner.email, PASSWORD)
    url = reverse("core:invitation_resend", args=[issued.invitation.pk])

    responses = race([(s, s.prepare_post(url, {}, csrf_page="/team/")) for s in sessions])

    assert [response.status for response in responses] == [302, 302]
    pending = Invitation.objects.for_merchant(team.merchant).pending()
    assert pending.count() == 1
    assert pending.get().pk != issued.invitation.pk


def test_two_tills_enrolling_one_phone_at_once_enroll_one_member(live_server):
    from apps.members.models import Member

    team = make_team()
    second_staff = UserFactory()
    Membership.objects.create(merchant=team.merchant, user=second_staff, role=Role.STAFF)
    tills = [HttpSession(live_server.url), HttpSession(live_server.url)]
    tills[0].login(team.staff.email, PASSWORD)
    tills[1].login(second_staff.email, PASSWORD)
    url = reverse("members:enroll")
    spellings = ["600 123 456", "+34600123456"]

    responses = race(
        [
            (
                till,
                till.prepare_post(
                    url, {"first_name": "Ana", "phone": phone}, csrf_page="/members/counter/"
                ),
            )
            for till, phone in zip(tills, spellings, strict=True)
        ]
    )

    assert sorted(response.status for response in responses) == [302, 400]
    refused = next(response for response in responses if response.status == 400)
    assert "already has this phone number" in refused.text
    assert Member.objects.for_merchant(team.merchant).count() == 1
