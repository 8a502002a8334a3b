from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.errors import DomainError
from apps.members.identifiers import CARD_ALPHABET
from apps.members.models import Channel, EventKind, Member
from apps.members.services import DuplicateMember, member_enroll, member_update
from tests.conftest import refusal
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_enrolling_normalises_what_people_type(team):
    member = enroll(
        team,
        first_name="  José ",
        last_name="Núñez",
        phone="600 12-34 56",
        email=" Jose@Example.COM ",
    )
    assert member.phone == "+34600123456"
    assert member.email == "jose@example.com"
    assert member.first_name == "José"
    assert member.search_name == "jose nunez"
    assert member.search_name_reversed == "nunez jose"
    assert len(member.card_code) == 8
    assert set(member.card_code) <= set(CARD_ALPHABET)
    assert member.public_id.startswith("mbr_")
    assert len(member.public_id) == 24  # random, not derived from the row number


def test_enrollment_records_channel_location_staff_and_consent(team):
    location = team.merchant_location
    member = member_enroll(
        merchant=team.merchant,
        actor=team.staff,
        channel=Channel.COUNTER,
        first_name="Ana",
        phone="+34 622 000 111",
        consent_email=True,
        location=location,
    ).member
    assert (member.channel, member.location, member.enrolled_by) == (
        Channel.COUNTER,
        location,
        team.staff,
    )
    # The data, without the summary's stored text (kept beside it, under "summary_text").
    kinds = [
        (kind, {key: value for key, value in data.items() if key != "summary_text"})
        for kind, data in member.events.values_list("kind", "data")
    ]
    assert (EventKind.ENROLLED, {"location": location.pk}) in kinds
    assert (EventKind.CONSENT, {"channel": "email", "granted": True}) in kinds
    assert not member.consent_sms  # consent is never assumed


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "12"}, "phone", "not a valid phone number"),
        ({"phone": "abc"}, "phone", "not a phone number"),
        ({"phone": "", "email": "not-an-email"}, "email", "not an email address"),
        ({"phone": "", "email": ""}, "phone", "phone number or an email"),
        ({"first_name": " "}, "first_name", "first name"),
        ({"first_name": "x" * 81}, "first_name", "within 80"),
        # Two days on: tomorrow here may be today in the merchant's time zone.
        ({"birthday": timezone.localdate() + timedelta(days=2)}, "birthday", "future"),
    ],
)
def test_bad_input_is_refused_naming_the_field(team, fields, field, message):
    with refusal(DomainError, match=message) as refused:
        enroll(team, **fields)
    assert refused.value.field == field
    assert not Member.objects.exists()


@pytest.mark.parametrize("spelling", ["+34 600 123 456", "0034600123456", "600-123-456"])
def test_the_same_phone_in_another_spelling_is_a_duplicate(team, spelling):
    first = enroll(team, phone="600123456")
    with refusal(DuplicateMember) as refused:
        enroll(team, phone=spelling, first_name="Other")
    assert refused.value.member == first
    assert refused.value.field == "phone"


def test_the_same_email_in_another_case_is_a_duplicate(team):
    first = enroll(team, phone="", email="ana@example.com")
    with refusal(DuplicateMember) as refused:
        enroll(team, phone="", email="ANA@example.com")
    assert refused.value.member == first


def test_another_merchant_may_enroll_the_same_person(team, other_team):
    enroll(team, phone="600123456")
    enroll(other_team, phone="600123456")
    assert Member.objects.count() == 2


def test_a_repeated_external_id_returns_the_first_member(team):
    first = member_enroll(
        merchant=team.merchant,
        actor=None,
        channel=Channel.API,
        first_name="Web",
        email="web@example.com",
        external_id="shop-42",
    )
    again = member_enroll(
        merchant=team.merchant,
        actor=None,
        channel=Channel.API,
        first_name="Web",
        email="web@example.com",
        external_id="shop-42",
    )
    assert first.created
    assert not again.created
    assert again.member == first.member
    assert Member.objects.count() == 1


def test_an_unknown_channel_or_foreign_location_is_refused(team, other_team):
    with refusal(DomainError, match="channel"):
        enroll(team, channel="carrier-pigeon")
    with refusal(DomainError, match="another business"):
        enroll(team, location=other_team.merchant_location)


def test_updating_records_changed_fields_and_each_consent_change(team):
    member = enroll(team, email="old@example.com")
    member_update(
        member=member,
        actor=team.manager,
        source="dashboard",
        first_name="Lucía",
        last_name="Gómez",
        email="new@example.com",
        phone=member.phone,
        birthday=None,
        language="es",
        consent_email=True,
        consent_sms=False,
        tags=["VIP", "vegan"],
    )
    member.refresh_from_db()
    assert member.email == "new@example.com"
    assert member.search_name == "lucia gomez"
    assert sorted(member.tags.values_list("name", flat=True)) == ["VIP", "vegan"]
    updated = member.events.get(kind=EventKind.UPDATED)
    assert updated.data["fields"] == ["last_name", "email", "language"]
    assert updated.summary == "Changed last name, email, language"
    assert "old@example.com" not in str(updated.data)  # no personal data kept in the timeline
    consent = member.events.get(kind=EventKind.CONSENT)
    assert (consent.data["channel"], consent.data["granted"]) == ("email", True)
    assert consent.summary == "Agreed to marketing by email (dashboard)"
    assert consent.source == "dashboard"
    assert consent.actor == team.manager


def test_updating_to_another_members_phone_is_refused(team):
    enroll(team, phone="600111222")
    member = enroll(team, phone="600333444")
    with refusal(DuplicateMember):
        member_update(
            member=member,
            actor=team.manager,
            source="dashboard",
            first_name="X",
            last_name="",
            email="",
            phone="600 111 222",
            birthday=None,
            language="",
            consent_email=False,
            consent_sms=False,
        )
    member.refresh_from_db()
    assert member.phone == "+34600333444"


def test_a_language_fideliza_does_not_speak_is_refused_on_the_language_field(team):
    with refusal(DomainError, match="not a language Fideliza speaks") as refused:
        enroll(team, language="fr")
    assert refused.value.field == "language"
    assert not Member.objects.exists()

    member = enroll(team, language="ro")
    assert member.language == "ro"
    fields = {
        "actor": team.manager,
        "source": "dashboard",
        "first_name": "Lucía",
        "last_name": "García",
        "email": "",
        "phone": member.phone,
        "birthday": None,
        "consent_email": False,
        "consent_sms": False,
    }
    with refusal(DomainError) as refused:
        member_update(member=member, language="xx", **fields)
    assert refused.value.field == "language"
    member.refresh_from_db()
    assert member.language == "ro"

    member_update(member=member, language="", **fields)  # empty: the merchant's
    member.refresh_from_db()
    assert member.language == ""
