import pytest
from django.urls import reverse

from apps.core.errors import DomainError
from apps.core.models import AuditLog
from apps.members.models import EventKind, Member, MemberEvent
from apps.members.services import member_add_note, member_erase, member_merge
from apps.messaging.models import Delivery
from tests.conftest import refusal
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_erasing_removes_personal_data_and_keeps_the_record(team):
    member = enroll(
        team,
        first_name="Lucía",
        last_name="Núñez",
        phone="600123456",
        email="l@example.com",
        consent_email=True,
        tags=["vip"],
    )
    member_add_note(member=member, actor=team.staff, text="Allergic to nuts")

    member_erase(member=member, actor=team.manager)

    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.phone, member.email) == ("", "", None, None)
    assert (member.search_name, member.birthday, member.consent_email) == ("", None, False)
    assert not member.tags.exists()
    assert member.erased_at is not None
    assert member.card_code  # the record stays, so purchases and points still add up
    assert not MemberEvent.objects.filter(member=member, summary__contains="nuts").exists()
    assert member.events.filter(kind=EventKind.ERASED).exists()
    assert AuditLog.objects.for_merchant(team.merchant).filter(action="member.erased").exists()
    # Erasing twice is harmless, and the phone can enroll afresh.
    member_erase(member=member, actor=team.manager)
    assert enroll(team, phone="600123456").pk != member.pk


def test_erasing_from_the_page_needs_confirmation(team, client_as):
    member = enroll(team, first_name="Lucía")
    client = client_as(team.manager)
    url = reverse("members:erase", args=[member.public_id])
    refused = client.post(url, {"confirm": "yes"})
    assert "Type ERASE to confirm" in refused.text
    member.refresh_from_db()
    assert member.erased_at is None
    client.post(url, {"confirm": "erase"})
    member.refresh_from_db()
    assert member.erased_at is not None


def test_merging_moves_history_and_fills_gaps(team):
    survivor = enroll(team, first_name="Lucía", phone="600123456", email="", tags=["vip"])
    duplicate = enroll(
        team, first_name="Lucia", phone="", email="lucia@example.com", tags=["vegan"]
    )
    member_add_note(member=duplicate, actor=team.staff, text="From the old record")

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert survivor.email == "lucia@example.com"
    assert survivor.phone == "+34600123456"
    assert duplicate.merged_into == survivor
    assert (duplicate.phone, duplicate.email) == (None, None)
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["vegan", "vip"]
    assert survivor.events.filter(summary="From the old record").exists()
    assert not MemberEvent.objects.filter(member=duplicate).exists()
    assert Member.objects.for_merchant(team.merchant).active().count() == 1


def test_merging_refuses_the_same_member_or_one_already_merged(team):
    first, second = enroll(team), enroll(team)
    with refusal(DomainError, match="two different"):
        member_merge(survivor=first, duplicate=first, actor=team.manager)
    member_merge(survivor=first, duplicate=second, actor=team.manager)
    with refusal(DomainError, match="active members"):
        member_merge(survivor=first, duplicate=second, actor=team.manager)


def test_merging_from_the_page_by_card_code(team, client_as):
    survivor, duplicate = enroll(team, first_name="Keep"), enroll(team, first_name="Fold")
    client = client_as(team.manager)
    url = reverse("members:merge", args=[survivor.public_id])
    unknown = client.post(url, {"duplicate": "0000-0000"})
    assert "No member of this business has that card code" in unknown.text
    client.post(url, {"duplicate": duplicate.card_code_display.lower()})
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    # The old record's page leads to the survivor.
    old = client.get(reverse("members:detail", args=[duplicate.public_id]))
    assert old["Location"] == reverse("members:detail", args=[survivor.public_id])


def test_a_card_code_of_another_merchant_cannot_be_merged(team, other_team, client_as):
    survivor = enroll(team)
    foreign = enroll(other_team)
    response = client_as(team.manager).post(
        reverse("members:merge", args=[survivor.public_id]), {"duplicate": foreign.card_code}
    )
    assert "No member of this business" in response.text
    foreign.refresh_from_db()
    assert foreign.merged_into is None


def test_merging_two_members_who_both_got_a_welcome_keeps_each_record_of_it(team):
    # given: both records were welcomed (one delivery row each, unique per member)
    survivor = enroll(team, first_name="Lucía", email="lucia@example.com")
    duplicate = enroll(team, first_name="Lucia", email="lucia.g@example.com")
    assert Delivery.objects.filter(source="welcome").count() == 2

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)

    # then: the merge neither collides on the survivor's welcome nor drops the other's
    assert Delivery.objects.filter(member=survivor, source="welcome").count() == 1
    assert Delivery.objects.filter(member=duplicate, source="welcome").count() == 1
