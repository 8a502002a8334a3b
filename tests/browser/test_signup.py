"""A business owner signs up, verifies their email by code and names their business."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.core.models import Membership, Merchant, Role
from tests.accounts.factories import PASSWORD
from tests.browser.conftest import VIEWPORTS

pytestmark = pytest.mark.browser

# allauth's verification code stands alone on a line of the email, e.g. "NKCK-LBQV".
CODE_LINE = re.compile(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\s*$", re.MULTILINE)


def verification_code(email: str) -> str:
    [message] = [message for message in mail.outbox if email in message.to]
    found = CODE_LINE.search(message.body)
    assert found, f"no verification code in the email:\n{message.body}"
    return found.group(1)


@VIEWPORTS
def test_owner_signs_up_and_names_the_business(page, viewport, live_server):
    email = f"ana.{viewport['width']}@example.com"

    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter Email Verification Code")
    expect(page.get_by_role("main")).to_contain_text(email)
    page.get_by_label("Code").fill(verification_code(email))
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/business/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Name your business")
    page.get_by_label("Business name").fill("Café Aurora")
    page.get_by_label("Country").select_option(label="Romania")
    page.get_by_label("Currency").select_option("RON")
    page.get_by_label("Time zone").select_option("Europe/Bucharest")
    page.get_by_label("Language").select_option(label="Română")
    page.get_by_role("button", name="Create business").click()

    expect(page).to_have_url(f"{live_server.url}/")
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Café Aurora")
    expect(page.locator(".messages")).to_contain_text(
        "Café Aurora is ready. Here is what to set up first."
    )
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    checklist = main.locator("ol.checklist > li")
    expect(checklist).to_have_count(4)
    for title in (
        "Check your business details",
        "Add your shops",
        "Invite your team",
        "Turn on two-factor authentication",
    ):
        expect(main.get_by_role("link", name=title)).to_be_visible()
    expect(main).to_contain_text("4 steps left to set up Café Aurora.")

    merchant = Merchant.objects.get(name="Café Aurora")
    assert (merchant.country.code, merchant.currency) == ("RO", "RON")
    assert (merchant.timezone, merchant.language) == ("Europe/Bucharest", "ro")
    owner = Membership.objects.get(merchant=merchant)
    assert owner.user.email == email
    assert owner.role == Role.OWNER
