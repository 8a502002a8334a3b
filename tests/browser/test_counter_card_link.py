"""The counter, on a phone-sized screen: a customer with a phone and no email is enrolled,
and the card the counter shows next carries a QR code of their own card link, which a
phone reads and opens."""

import re

import pytest
from playwright.sync_api import expect

from apps.members.models import Member
from apps.messaging.models import MessagingSettings
from tests.browser.conftest import PHONE, console_errors, qr_reader_js

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_LABEL = re.compile(r"^Phone:?$")  # Django adds the colon
CARD_PAGE = re.compile(r"/members/mbr_[0-9a-z]+/card/$")


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_a_phone_only_customer_scans_their_card_link_at_the_counter(
    page, new_page, viewport, team, sign_in, settings, live_server
):
    settings.SITE_URL = live_server.url  # the links in the QR code lead to this server
    MessagingSettings.objects.create(merchant=team.merchant, welcome_sms=True)
    errors = console_errors(page)
    sign_in(page, team.staff)
    page.goto("/members/counter/")

    enroll_form = page.locator("form").filter(has=page.get_by_role("button", name="Enroll"))
    enroll_form.get_by_label("First name").fill("Lucía")
    enroll_form.get_by_label(PHONE_LABEL).fill("600 12 34 56")
    enroll_form.get_by_role("button", name="Enroll").click()

    expect(page).to_have_url(CARD_PAGE)
    section = page.get_by_role("region", name="Scan to keep your card on your phone")
    expect(section).to_be_visible()
    expect(section.locator("svg title")).to_have_text("QR code of the link to your card")
    member = Member.objects.get(merchant=team.merchant)
    expect(section.get_by_role("status")).to_have_text(
        f"The link was also sent by SMS to {member.phone_display}."
    )
    # big enough for a phone's camera, inside the 360 px screen, no sideways scroll
    box = section.locator("svg").bounding_box()
    assert box["width"] >= 240, box
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= viewport["width"], widths

    # printed: on the page with the card, smaller, the staff's notices left out
    page.emulate_media(media="print")
    expect(section.locator("svg")).to_be_visible()
    expect(section.get_by_role("status")).to_be_hidden()
    assert section.locator("svg").bounding_box()["width"] <= 230  # 6 cm at 96 dpi: 227 px
    page.emulate_media(media="screen")

    # the customer's phone reads the code and opens their card
    page.add_script_tag(url="/static/vendor/jsqr/jsQR.js")
    page.wait_for_function("() => window.jsQR !== undefined")
    link = page.evaluate(qr_reader_js(".card-link svg"))
    assert link is not None, "the QR code does not read"
    assert link.startswith(f"{live_server.url}/c/"), link
    phone = new_page(PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Hello, Lucía")).to_be_visible()
    expect(phone.get_by_text(member.card_code_display, exact=True)).to_be_visible()
    assert not errors, f"errors in the browser console: {errors}"
