"""Referrals on a phone: a friend joins through a member's link; staff copy the link."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.members.models import Member
from apps.programs.referrals.models import Referral, ReferralCode
from tests.browser.conftest import PHONE, console_errors
from tests.members.factories import enroll
from tests.referrals.conftest import code_of, referrals_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_ONLY = pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])


def assert_no_sideways_scroll(page, viewport) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= viewport["width"], f"{page.url} scrolls sideways: {widths}"


@PHONE_ONLY
def test_a_friend_joins_through_a_members_link_on_a_phone(page, viewport, team):
    referrals_on(team)
    ana = enroll(team, first_name="Ana", last_name="Private")
    errors = console_errors(page)

    page.goto(reverse("referrals:join", args=[team.merchant.slug, code_of(ana)]))

    expect(page.get_by_role("heading", level=1)).to_have_text(team.merchant.name)
    expect(page.get_by_text("Ana invited you")).to_be_visible()
    expect(page.get_by_text("Private")).to_have_count(0)
    consent = page.get_by_label("Send me offers by email")
    expect(consent).not_to_be_checked()
    assert_no_sideways_scroll(page, viewport)

    page.get_by_label("First name").fill("Bea")
    page.get_by_label("Phone").fill("+34 699 000 123")
    page.get_by_role("button", name="Join").click()

    expect(page).to_have_url(re.compile(r"/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to")
    expect(page.get_by_role("status")).to_contain_text("You are in.")
    assert_no_sideways_scroll(page, viewport)
    bea = Member.objects.get(first_name="Bea")
    assert (bea.channel, bea.phone, bea.consent_email) == ("online", "+34699000123", False)
    assert Referral.objects.get(referred=bea).referrer == ana
    assert not errors, f"errors in the browser console: {errors}"


@PHONE_ONLY
def test_a_bad_contact_is_shown_on_its_field(page, viewport, team):
    referrals_on(team)
    ana = enroll(team, first_name="Ana")

    page.goto(reverse("referrals:join", args=[team.merchant.slug, code_of(ana)]))
    page.get_by_label("First name").fill("Bea")
    page.get_by_role("button", name="Join").click()

    expect(page.get_by_text("Give a phone number or an email.")).to_be_visible()
    assert Member.objects.count() == 1
    assert_no_sideways_scroll(page, viewport)


@PHONE_ONLY
def test_staff_see_the_code_and_copy_the_link_on_the_member_page(page, viewport, team, sign_in):
    referrals_on(team)
    ana = enroll(team, first_name="Ana")
    code = ReferralCode.objects.get(member=ana)
    errors = console_errors(page)
    sign_in(page, team.staff)

    page.goto(f"/members/{ana.public_id}/")
    panel = page.locator("section#referrals")
    expect(panel.locator(".referral-code")).to_have_text(code.display)
    link = panel.get_by_label(f"Referral link of {ana.display_name}")
    expect(link).to_have_value(re.compile(rf"/referrals/join/{team.merchant.slug}/{code.code}/$"))
    assert_no_sideways_scroll(page, viewport)

    panel.get_by_role("button", name="Copy link").click()

    expect(panel.get_by_role("status")).to_have_text(re.compile(r"^(Copied\.|Selected: .*)$"))
    assert not errors, f"errors in the browser console: {errors}"
