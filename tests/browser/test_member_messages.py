"""The member page's Messages panel on a phone: the welcome with its state, "Resend
welcome" from the panel; and the owner's message settings by keyboard."""

import pytest
from playwright.sync_api import expect

from apps.messaging.models import Delivery
from apps.messaging.selectors import messaging_settings
from tests.browser.conftest import PHONE, console_errors
from tests.browser.test_counter_points import assert_no_sideways_scroll
from tests.members.factories import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_staff_see_the_messages_and_resend_the_welcome(page, viewport, team, sign_in):
    member = enroll(team, first_name="Marta", last_name="Ruiz", email="marta@example.com")
    errors = console_errors(page)
    sign_in(page, team.staff)

    page.goto(f"/members/{member.public_id}/")
    panel = page.locator("section#messages")
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Welcome")
    expect(rows.first).to_contain_text("Sent")
    assert_no_sideways_scroll(page, viewport)

    panel.get_by_role("button", name="Resend welcome").click()

    expect(page.locator(".messages")).to_contain_text("The welcome is on its way again.")
    expect(page.locator("section#messages tbody tr")).to_have_count(2)
    assert Delivery.objects.filter(member=member, source="welcome").count() == 2
    assert not errors, f"errors in the browser console: {errors}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_owner_turns_on_the_sms_welcome(page, viewport, team, sign_in):
    sign_in(page, team.owner)
    page.goto("/messages/settings/")
    assert_no_sideways_scroll(page, viewport)

    page.get_by_label("Text the card link to new members without an email").check()
    page.get_by_label("Reply-to address").fill("hola@cafe.example")
    page.get_by_label("Reply-to address").press("Enter")

    expect(page.locator(".messages")).to_contain_text("Message settings saved.")
    saved = messaging_settings(merchant=team.merchant)
    assert (saved.welcome_sms, saved.reply_to) == (True, "hola@cafe.example")
