"""Tiers at the counter, on a phone: the tier and the progress to the next one, in the
search results and on the member page; a purchase that crosses moves the member up."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from apps.programs.tiers.models import MemberTier
from tests.browser.conftest import PHONE, console_errors
from tests.browser.test_counter_points import assert_no_sideways_scroll, purchase_form
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_staff_see_tier_progress_at_the_counter_and_on_the_member_page(
    page, viewport, team, sign_in
):
    set_up_tiers(team)  # Bronze €100, Silver €500, Gold €1000 spent in 12 months
    member = enroll(team, first_name="Marta", last_name="Ruiz")
    buy(team, member, 96_500, at=datetime.now(UTC) - timedelta(days=3))
    errors = console_errors(page)
    sign_in(page, team.staff)

    page.goto("/members/counter/")
    page.get_by_role("searchbox", name="Find a member").fill("Marta")
    result = page.locator("#results .result").filter(has_text="Marta Ruiz")
    expect(result).to_contain_text("Silver")
    expect(result).to_contain_text(re.compile(r"Spend 35,00\s€ more to reach Gold"))
    assert_no_sideways_scroll(page, viewport)

    result.click()
    expect(page).to_have_url(re.compile(rf"/members/{member.public_id}/$"))
    tier = page.locator("section#tier")
    expect(tier.get_by_role("heading", level=2)).to_have_text("Tier: Silver")
    expect(tier).to_contain_text(re.compile(r"Spend 35,00\s€ more to reach Gold"))
    expect(tier).to_contain_text("Silver perks")
    assert_no_sideways_scroll(page, viewport)

    points = page.locator("section#points")
    form = purchase_form(points)
    form.get_by_label("Amount").fill("35.00")
    form.get_by_role("button", name="Record purchase").click()

    expect(page.locator(".messages")).to_contain_text("points earned; balance 10,087. Now Gold!")
    tier = page.locator("section#tier")
    expect(tier.get_by_role("heading", level=2)).to_have_text("Tier: Gold")
    expect(tier).to_contain_text("Top tier")
    assert MemberTier.objects.get(member=member).tier.name == "Gold"
    assert_no_sideways_scroll(page, viewport)
    assert not errors, f"errors in the browser console: {errors}"
