"""Spanish and Romanian on a phone: every dashboard page and the counter in the reader's
language, with no text overflowing its button, cell or label (they run 20–30 % longer than
English), and no page scrolling sideways."""

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.demo.management.commands.seed_demo import DEMO_PASSWORD
from apps.members.models import Member
from tests.browser.conftest import console_errors

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}

# Elements whose text must stay inside their own box.
OVERFLOWING_JS = """
() => [...document.querySelectorAll(
    "button, [role=button], input[type=submit], th, td, label, .badge, nav a, summary, "
    + "h1, h2, h3, legend, dt, dd"
  )]
  .filter((el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length > 0 && style.display !== "inline"
      && el.clientWidth > 1 && !["auto", "scroll", "hidden"].includes(style.overflowX)
      && el.scrollWidth > el.clientWidth + 1;
  })
  .map((el) => {
    const text = el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
    return `${el.tagName.toLowerCase()}: ${text} (${el.scrollWidth} > ${el.clientWidth})`;
  })
"""


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", members=20, purchases=80, seed=3, verbosity=0)
    return Member.objects.filter(merchant__slug="demo", erased_at__isnull=True).first()


def _pages(member) -> list[str]:
    return [
        "/",
        "/members/counter/",
        f"/members/{member.public_id}/",
        f"/points/members/{member.public_id}/",
        "/members/",
        "/points/program/",
        "/points/rewards/",
        "/tiers/",
        "/coupons/",
        "/coupons/cashback/",
        "/referrals/",
        "/analytics/",
        "/team/",
        "/locations/",
        "/business/settings/",
        "/activity/",
        "/me/",
    ]


@pytest.mark.parametrize("language", ["es", "ro"])
def test_every_page_reads_in_the_language_and_nothing_overflows_on_a_phone(
    new_page, demo, language
):
    owner = User.objects.get(email="owner@demo.fideliza.test")
    owner.language = language
    owner.save(update_fields=["language"])
    page = new_page(PHONE)
    errors = console_errors(page)
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form [type=submit]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    with translation.override(language):
        counter = translation.gettext("Counter")
    assert counter != "Counter"

    problems = {}
    for path in _pages(demo):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main")).to_be_visible()
        page.wait_for_load_state("networkidle")  # the htmx parts (analytics cards)
        overflowing = page.evaluate(OVERFLOWING_JS)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if overflowing or width > PHONE["width"]:
            problems[path] = {"overflowing": overflowing, "page width": width}
    assert not problems, problems
    assert not errors, errors


@pytest.mark.parametrize("language", ["es", "ro"])
def test_the_counter_enrolls_and_finds_a_member_in_the_language(new_page, demo, language):
    staff = User.objects.get(email="staff@demo.fideliza.test")
    staff.language = language
    staff.save(update_fields=["language"])
    page = new_page(PHONE)
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(staff.email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form [type=submit]").first.click()

    page.goto("/members/counter/")
    with translation.override(language):
        heading = translation.gettext("Counter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    overflowing = page.evaluate(OVERFLOWING_JS)
    assert not overflowing, overflowing
