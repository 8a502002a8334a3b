"""The referral pages: the public link (no sign-in), the member page's panel, and the
manager's page with the terms and the results."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.models import AuditLog
from apps.members.models import Member
from apps.programs.referrals import views
from apps.programs.referrals.models import Referral, ReferralCode, ReferralSettings
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(team):
    referrals_on(team)
    return enroll(
        team, first_name="Ana", last_name="Secretsurname", phone="+34 600 111 222", email="ana@x.es"
    )


def join_url(team, code, *, thanks=False):
    name = "referrals:join_thanks" if thanks else "referrals:join"
    return reverse(name, args=[team.merchant.slug, code])


# The public link -------------------------------------------------------------------------


def test_the_public_page_shows_the_offer_without_sign_in(team, ana, client):
    response = client.get(join_url(team, code_of(ana)))

    assert response.status_code == 200
    text = response.text
    assert team.merchant.name in text
    assert "Ana invited you" in text
    assert "100 points after your first purchase of" in text
    assert "Secretsurname" not in text
    assert "600 111 222" not in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert re.search(r'<input type="checkbox" name="consent_email"(?![^>]*checked)', text)


def test_joining_through_the_link_enrolls_and_links_the_new_member(team, ana, client):
    url = join_url(team, code_of(ana))

    response = client.post(url, {"first_name": "Bea", "email": "bea@example.com"})

    assert response.status_code == 302
    assert response["Location"] == join_url(team, code_of(ana), thanks=True)
    bea = Member.objects.get(email="bea@example.com")
    assert (bea.channel, bea.consent_email, bea.enrolled_by) == ("online", False, None)
    referral = Referral.objects.get()
    assert (referral.referrer, referral.referred, referral.channel) == (ana, bea, "online")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Welcome to" in thanks.text
    assert "Ana" in thanks.text
    assert "Secretsurname" not in thanks.text
    assert "ana@x.es" not in thanks.text


def test_the_public_form_refuses_without_a_csrf_token(team, ana):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(join_url(team, code_of(ana)), {"first_name": "Bea", "phone": "611"})

    assert response.status_code == 403
    assert not Member.objects.filter(first_name="Bea").exists()


def test_a_self_referral_through_the_link_enrolls_nobody(team, ana, client):
    response = client.post(
        join_url(team, code_of(ana)), {"first_name": "Ana", "email": "ANA+again@x.es"}
    )

    assert response.status_code == 400
    assert "own referral code" in response.text
    assert Member.objects.count() == 1


def test_a_phone_already_enrolled_is_refused_without_naming_its_member(team, ana, client):
    enroll(team, first_name="Zoe", last_name="Hidden", phone="+34 600 555 666")

    response = client.post(
        join_url(team, code_of(ana)), {"first_name": "Bea", "phone": "600 555 666"}
    )

    assert response.status_code == 400
    assert "already a member" in response.text
    assert "Zoe" not in response.text
    assert "Hidden" not in response.text
    assert not Referral.objects.exists()


@pytest.mark.parametrize("case", ["unknown code", "referrals off", "other business"])
def test_a_link_that_leads_nowhere_is_not_found(team, other_team, ana, client, case):
    url = join_url(team, code_of(ana))
    if case == "unknown code":
        url = join_url(team, "ZZZZZZ")
    elif case == "referrals off":
        referrals_on(team, is_enabled=False)
    else:
        referrals_on(other_team)
        url = join_url(other_team, code_of(ana))  # Ana's code at another business

    assert client.get(url).status_code == 404
    assert client.post(url, {"first_name": "Bea", "phone": "+34 600 777 888"}).status_code == 404
    assert Member.objects.filter(first_name="Bea").count() == 0


def test_the_public_pages_are_rate_limited_per_address(team, ana, client, monkeypatch):
    monkeypatch.setattr(views, "JOIN_LIMIT", 3)
    url = join_url(team, code_of(ana))

    statuses = [client.get(url).status_code for _ in range(3)]
    refused = client.post(url, {"first_name": "Bea", "phone": "+34 600 777 888"})
    elsewhere = client.get(url, REMOTE_ADDR="10.0.0.9")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert not Member.objects.filter(first_name="Bea").exists()
    assert elsewhere.status_code == 200


# The member page's panel -------------------------------------------------------------------


def test_the_panel_shows_the_code_the_link_and_both_directions(team, ana, client_as):
    bea = enroll(team, first_name="Bea", extras={"referral_code": code_of(ana)})
    client = client_as(team.staff)

    of_ana = client.get(
        reverse("referrals:member_panel", args=[ana.public_id]), HTTP_HX_REQUEST="true"
    )
    of_bea = client.get(
        reverse("referrals:member_panel", args=[bea.public_id]), HTTP_HX_REQUEST="true"
    )

    assert of_ana.status_code == of_bea.status_code == 200
    assert "<html" not in of_ana.text  # the section alone, for htmx
    assert ReferralCode.objects.get(member=ana).display in of_ana.text
    assert f"http://testserver{join_url(team, code_of(ana))}" in of_ana.text
    assert 'data-copy="referral-link-' in of_ana.text
    assert "Bea" in of_ana.text
    assert "Waiting for a first purchase" in of_ana.text
    assert "Referred by" in of_bea.text
    assert "Ana" in of_bea.text


def test_the_panel_draws_a_code_for_a_member_who_had_none(team, ana, client_as):
    ReferralCode.objects.filter(member=ana).delete()

    page = client_as(team.staff).get(reverse("referrals:member_panel", args=[ana.public_id]))

    assert page.status_code == 200
    assert "<html" in page.text  # without htmx, the whole page
    assert ReferralCode.objects.get(member=ana).display in page.text


def test_the_member_page_loads_the_panel(team, ana, client_as):
    page = client_as(team.staff).get(reverse("members:detail", args=[ana.public_id]))

    assert reverse("referrals:member_panel", args=[ana.public_id]) in page.text


def test_the_counter_offers_the_referral_code_field(team, client_as):
    page = client_as(team.staff).get(reverse("members:counter"))

    assert 'name="referral_code"' in page.text
    assert "Referral code (optional)" in page.text


# The manager's page ---------------------------------------------------------------------


def test_a_manager_sets_the_terms(team, client_as):
    client = client_as(team.manager)
    data = {
        "is_enabled": "on",
        "min_purchase": "12.50",
        "window_days": "45",
        "referrer_reward": "coupon",
        "referrer_coupon_value": "5",
        "referred_reward": "points",
        "referred_points": "150",
        "coupon_days": "60",
        "monthly_cap": "3",
    }

    response = client.post(reverse("referrals:settings_update"), data)

    assert response.status_code == 302
    settings = ReferralSettings.objects.get(merchant=team.merchant)
    assert (settings.is_enabled, settings.min_purchase, settings.window_days) == (True, 1250, 45)
    assert (settings.referrer_reward, settings.referrer_coupon_value) == ("coupon", 500)
    assert (settings.referred_reward, settings.referred_points) == ("points", 150)
    assert (settings.coupon_days, settings.monthly_cap) == (60, 3)
    assert (
        AuditLog.objects.for_merchant(team.merchant)
        .filter(action="referrals.settings_updated")
        .exists()
    )
    page = client.get(reverse("referrals:overview"))
    assert 'value="12.50"' in page.text


def test_terms_without_an_amount_for_the_reward_are_refused(team, client_as):
    client = client_as(team.manager)
    data = {
        "is_enabled": "on",
        "min_purchase": "10",
        "window_days": "30",
        "referrer_reward": "points",
        "referred_reward": "coupon",
        "referred_coupon_value": "10",
        "coupon_days": "90",
    }

    no_points = client.post(reverse("referrals:settings_update"), data)
    too_precise = client.post(
        reverse("referrals:settings_update"),
        data | {"referrer_points": "50", "referred_coupon_value": "10.005"},
    )

    assert no_points.status_code == too_precise.status_code == 400
    assert "Give a number of points above zero." in no_points.text
    assert "at most 2 decimals" in too_precise.text
    assert not ReferralSettings.objects.filter(merchant=team.merchant, is_enabled=True).exists()


def test_the_results_count_codes_used_conversions_rewards_and_top_referrers(team, ana, client_as):
    carl = enroll(team, first_name="Carl")
    friends_of_ana = [
        enroll(team, first_name=f"F{n}", extras={"referral_code": code_of(ana)}) for n in range(2)
    ]
    friend_of_carl = enroll(team, first_name="G", extras={"referral_code": code_of(carl)})
    for n, friend in enumerate([*friends_of_ana, friend_of_carl]):
        buy(team, friend, 1000, external_id=f"T-{n}", run_on_commit=True)
    enroll(team, first_name="H", extras={"referral_code": code_of(carl)})  # not yet converted

    page = client_as(team.manager).get(reverse("referrals:overview"))

    results = page.context["results"]
    assert (results.created, results.conversions, results.reversed) == (4, 3, 0)
    assert results.points_paid == 3 * 200
    assert [row["name"] for row in results.top_referrers] == ["Ana Secretsurname", "Carl García"]
    assert [row["conversions"] for row in results.top_referrers] == [2, 1]
    assert "Ana Secretsurname" in page.text


def test_the_results_keep_to_the_range_asked(team, ana, client_as):
    enroll(team, first_name="Bea", extras={"referral_code": code_of(ana)})

    page = client_as(team.manager).get(
        reverse("referrals:overview"), {"start": "2020-01-01", "end": "2020-01-31"}
    )

    assert page.context["results"].created == 0


def test_the_results_stay_within_the_business(team, other_team, ana, client_as):
    referrals_on(other_team)
    other_ana = enroll(other_team, first_name="Olga")
    enroll(other_team, first_name="Pia", extras={"referral_code": code_of(other_ana)})

    page = client_as(team.manager).get(reverse("referrals:overview"))

    assert page.context["results"].created == 0
    assert "Olga" not in page.text


def test_the_public_page_reads_in_the_visitors_language_else_the_businesss(team, ana, client):
    from apps.core.models import Merchant

    Merchant.objects.filter(pk=team.merchant.pk).update(language="es")
    url = join_url(team, code_of(ana))

    assert client.get(url).headers["Content-Language"] == "es"  # the business's
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ro-RO,ro")
    assert response.headers["Content-Language"] == "ro"  # the visitor's
    assert '<html lang="ro"' in response.text

    client.post(url, {"first_name": "Bea", "email": "bea@example.com"}, HTTP_ACCEPT_LANGUAGE="ro")
    client.post(url, {"first_name": "Cris", "email": "cris@example.com"})

    assert Member.objects.get(email="bea@example.com").language == "ro"
    assert Member.objects.get(email="cris@example.com").language == ""  # the business's
