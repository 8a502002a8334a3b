"""Enrolling with a referral code: at the counter, through the service (the API's way),
and every refusal, which must enroll nobody."""

import pytest
from django.urls import reverse

from apps.core.errors import DomainError
from apps.members.models import Member, MemberEvent
from apps.programs.referrals.models import Referral, ReferralCode, ReferralSettings
from tests.conftest import refusal
from tests.members.factories import enroll
from tests.referrals.conftest import code_of, referrals_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(team):
    referrals_on(team)
    return enroll(team, first_name="Ana", phone="+34 600 111 222", email="ana.diaz@gmail.com")


def _counter_post(client, **fields):
    data = {"first_name": "Bea", "phone": "+34 600 333 444", "referral_code": ""} | fields
    return client.post(reverse("members:enroll"), data)


def test_every_new_member_gets_a_short_code_at_enrollment(team):
    member = enroll(team)

    row = ReferralCode.objects.get(member=member)
    assert len(row.code) == 6
    assert row.display == f"{row.code[:3]}-{row.code[3:]}"


def test_a_member_without_a_code_gets_one_on_first_use_and_keeps_it(team, ana):
    ReferralCode.objects.filter(member=ana).delete()  # as for members imported before

    first, again = code_of(ana), code_of(ana)

    assert first == again
    assert ReferralCode.objects.filter(member=ana).count() == 1


def test_enrolling_at_the_counter_with_a_code_links_the_new_member(team, ana, client_as):
    code = ReferralCode.objects.get(member=ana)

    response = _counter_post(client_as(team.staff), referral_code=code.display.lower())

    assert response.status_code == 302
    bea = Member.objects.get(first_name="Bea")
    referral = Referral.objects.get()
    assert (referral.referrer, referral.referred) == (ana, bea)
    assert referral.channel == "counter"
    assert referral.code == code.code
    assert referral.status == "pending"
    assert (referral.window_ends_at - referral.created_at).days == 30
    assert MemberEvent.objects.filter(member=bea, kind="referral").exists()
    assert MemberEvent.objects.filter(member=ana, kind="referral").exists()


def test_the_counter_without_a_code_enrolls_as_before(team, ana, client_as):
    response = _counter_post(client_as(team.staff))

    assert response.status_code == 302
    assert Member.objects.filter(first_name="Bea").exists()
    assert not Referral.objects.exists()


def test_a_code_is_read_forgivingly(team, ana):
    code = code_of(ana)
    spoken = f" {code[:3].lower()} {code[3:]} ".replace("0", "o").replace("1", "l")

    bea = enroll(team, first_name="Bea", extras={"referral_code": spoken})

    assert Referral.objects.get(referred=bea).referrer == ana


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ZZZZZZ", "unknown_referral_code"), ("nonsense!", "unknown_referral_code")],
)
def test_an_unknown_code_enrolls_nobody(team, ana, code, expected):
    before = Member.objects.count()

    with refusal(DomainError) as refused:
        enroll(team, first_name="Bea", extras={"referral_code": code})

    assert (refused.value.code, refused.value.field) == (expected, "referral_code")
    assert Member.objects.count() == before
    assert not Referral.objects.exists()


def test_the_counter_shows_a_bad_code_on_its_field_and_enrolls_nobody(team, ana, client_as):
    response = _counter_post(client_as(team.staff), referral_code="ZZZ-ZZZ")

    assert response.status_code == 400
    assert "No member of this business has this referral code." in response.text
    assert not Member.objects.filter(first_name="Bea").exists()


def test_with_referrals_off_a_code_enrolls_nobody(team, ana):
    referrals_on(team, is_enabled=False)

    with refusal(DomainError) as refused:
        enroll(team, first_name="Bea", extras={"referral_code": code_of(ana)})

    assert refused.value.code == "referrals_off"
    assert not Member.objects.filter(first_name="Bea").exists()


@pytest.mark.parametrize(
    "contact",
    [
        {"phone": "600 111 222"},  # the referrer's phone, spelled otherwise
        {"phone": "+34 600 999 999", "email": "Ana.Diaz@gmail.com"},  # case
        {"phone": "+34 600 999 999", "email": "anadiaz+shop@gmail.com"},  # dots, +tag
        {"phone": "+34 600 999 999", "email": "a.n.a.diaz@googlemail.com"},  # other domain
        {"email": "ana.diaz+friends@gmail.com"},
    ],
)
def test_a_self_referral_is_refused_and_enrolls_nobody(team, ana, contact):
    before = Member.objects.count()

    with refusal(DomainError) as refused:
        enroll(
            team,
            first_name="Ana",
            **{"phone": "", **contact},
            extras={"referral_code": code_of(ana)},
        )

    assert (refused.value.code, refused.value.field) == ("self_referral", "referral_code")
    assert Member.objects.count() == before


def test_another_persons_email_at_a_dotless_domain_is_not_a_self_referral(team, ana):
    referrals_on(team)
    carl = enroll(team, first_name="Carl", email="c.ruiz@example.com")

    dan = enroll(
        team, first_name="Dan", email="cruiz@example.com", extras={"referral_code": code_of(carl)}
    )  # dots matter outside Gmail

    assert Referral.objects.get(referred=dan).referrer == carl


def test_a_code_of_merchant_a_does_nothing_at_merchant_b(team, other_team, ana):
    referrals_on(other_team)
    before = Member.objects.for_merchant(other_team.merchant).count()

    with refusal(DomainError) as refused:
        enroll(other_team, first_name="Bea", extras={"referral_code": code_of(ana)})

    assert refused.value.code == "unknown_referral_code"
    assert Member.objects.for_merchant(other_team.merchant).count() == before
    assert not Referral.objects.exists()


def test_a_code_of_an_erased_member_is_refused(team, ana):
    from apps.members.services import member_erase

    code = code_of(ana)
    member_erase(member=ana, actor=team.manager)

    with refusal(DomainError) as refused:
        enroll(team, first_name="Bea", extras={"referral_code": code})

    assert refused.value.code == "unknown_referral_code"


def test_a_code_of_a_merged_record_leads_to_the_record_it_went_into(team, ana):
    from apps.members.services import member_merge

    duplicate = enroll(team, first_name="Ana", phone="+34 600 111 999")
    old_code = code_of(duplicate)
    member_merge(survivor=ana, duplicate=duplicate, actor=team.manager)

    bea = enroll(team, first_name="Bea", extras={"referral_code": old_code})

    assert Referral.objects.get(referred=bea).referrer == ana


def test_unknown_enrollment_data_is_refused(team):
    with refusal(DomainError):
        enroll(team, extras={"favourite_colour": "blue"})


def test_the_demo_terms_are_set_once_however_often_they_are_applied(team):
    from apps.demo.referrals import configure_demo_referrals

    configure_demo_referrals(team.merchant)
    settings = configure_demo_referrals(team.merchant)

    assert ReferralSettings.objects.filter(merchant=team.merchant).count() == 1
    assert settings.is_enabled
    assert (settings.min_purchase, settings.window_days, settings.monthly_cap) == (1000, 30, 5)
    assert (settings.referrer_points, settings.referred_points) == (100, 100)
