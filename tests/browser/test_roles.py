"""What each role sees and may open, signed in through the real login form."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.core.models import Invitation, Role
from tests.browser.conftest import VIEWPORTS

pytestmark = pytest.mark.browser

# The owner-and-manager pages: (link in the navigation, its URL, the page's heading).
SETTINGS_PAGES = [
    ("Locations", "/locations/", "Locations"),
    ("Team", "/team/", "Team"),
    ("Business", "/business/settings/", "Business details"),
    ("Activity log", "/activity/", "Activity log"),
]


def nav_link(page, label: str):
    """`label`'s link in any navigation landmark of the page."""
    return page.get_by_role("navigation").get_by_role("link", name=label, exact=True)


@VIEWPORTS
def test_staff_sees_no_settings_and_is_refused_them(page, team, sign_in):
    sign_in(page, team.staff)

    expect(page.get_by_role("heading", level=1)).to_have_text(team.merchant.name)
    expect(nav_link(page, "Home")).to_be_visible()
    for label, _url, _heading in SETTINGS_PAGES:
        expect(nav_link(page, label)).to_have_count(0)

    for url in ("/team/", "/locations/"):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.get_by_role("heading", level=1)).to_have_text("You can't open this page")
        expect(page.get_by_role("main")).to_contain_text(
            f"Your role in {team.merchant.name} does not include it."
        )


@VIEWPORTS
def test_owner_sees_and_opens_every_settings_page(page, team, sign_in):
    sign_in(page, team.owner)

    expect(page.get_by_role("heading", level=1)).to_have_text(team.merchant.name)
    for label, url, heading in SETTINGS_PAGES:
        link = nav_link(page, label)
        expect(link).to_be_visible()
        link.click()
        expect(page).to_have_url(re.compile(re.escape(url) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(nav_link(page, label)).to_have_attribute("aria-current", "page")

    page.goto("/locations/")
    expect(page.get_by_role("cell", name="Main street", exact=True)).to_be_visible()


def test_owner_invites_a_staff_member(page, team, sign_in):
    sign_in(page, team.owner)
    page.goto("/team/")
    expect(page.get_by_role("main")).to_contain_text("No pending invitations.")

    invite = page.locator("form").filter(has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("Email").fill("new.barista@example.com")
    invite.get_by_label("Role").select_option(label="Staff (counter)")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.locator(".messages")).to_contain_text("Invitation sent to new.barista@example.com.")
    pending = page.get_by_role("heading", name="Pending invitations").locator(
        "xpath=following-sibling::div[1]//table"
    )
    row = pending.get_by_role("row").filter(has_text="new.barista@example.com")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("Staff (counter)")
    expect(row.get_by_role("button", name=re.compile("Withdraw"))).to_be_visible()

    invitation = Invitation.objects.get(merchant=team.merchant, email="new.barista@example.com")
    assert invitation.role == Role.STAFF
    assert any("new.barista@example.com" in message.to for message in mail.outbox)
