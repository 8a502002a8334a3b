"""Points at the counter, on a phone: record a purchase, redeem a reward, tap twice."""

import re

import pytest
from playwright.sync_api import expect

from apps.members.models import Member
from apps.programs.models import Purchase
from apps.programs.points.selectors import points_balance
from apps.programs.rewards.services import reward_create
from tests.browser.conftest import PHONE, console_errors
from tests.members.factories import enroll
from tests.waiting import page_pause, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_ONLY = pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
REDEMPTION_PAGE = re.compile(r"/redemptions/[0-9A-Z]{8}/$")
REDEMPTION_CODE_SHAPE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$")


@pytest.fixture
def member(team) -> Member:
    return enroll(team)


def open_member(page, member: Member):
    """The member page, once htmx has swapped in the points section."""
    page.goto(f"/members/{member.public_id}/")
    points = page.locator("section#points")
    expect(points.get_by_role("heading", level=2)).to_have_text(re.compile(r"^Points: \d+$"))
    return points


def purchase_form(points):
    # `has` is matched inside each form, so it starts from the page, not from `points`.
    record = points.page.get_by_role("button", name="Record purchase")
    return points.locator("form").filter(has=record)


def assert_no_sideways_scroll(page, viewport) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= viewport["width"], f"{page.url} scrolls sideways: {widths}"


@PHONE_ONLY
def test_staff_records_a_purchase_and_redeems_a_reward(page, viewport, team, sign_in, member):
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Café gratis",
        kind="free_product",
        points_cost=50,
        product_name="Café",
    )
    errors = console_errors(page)
    sign_in(page, team.staff)

    points = open_member(page, member)
    expect(points.get_by_role("heading", level=2)).to_have_text("Points: 0")
    expect(points.get_by_text("No points yet.")).to_be_visible()
    assert_no_sideways_scroll(page, viewport)

    form = purchase_form(points)
    form.get_by_label("Amount").fill("12.50")
    form.get_by_role("button", name="Record purchase").click()

    expect(page).to_have_url(re.compile(rf"/members/{member.public_id}/$"))
    expect(page.locator(".messages")).to_contain_text("125 points earned; balance 125.")
    points = page.locator("section#points")
    expect(points.get_by_role("heading", level=2)).to_have_text("Points: 125")
    ledger_rows = points.locator("table tbody tr")
    expect(ledger_rows).to_have_count(1)
    expect(ledger_rows.first).to_contain_text("+125")
    assert_no_sideways_scroll(page, viewport)

    offer = points.locator(".reward-choices li").filter(has_text="Café gratis")
    expect(offer).to_contain_text("50 points")
    redeem = offer.get_by_role("button", name="Redeem Café gratis")
    expect(redeem).to_be_visible()
    redeem.click()

    expect(page).to_have_url(REDEMPTION_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Café gratis")
    expect(page.locator(".messages")).to_contain_text("Redeemed Café gratis; balance 75.")
    code = page.get_by_label("Redemption code")
    expect(code).to_have_text(REDEMPTION_CODE_SHAPE)
    assert page.url.endswith(f"/redemptions/{code.inner_text().replace('-', '')}/")
    assert points_balance(member=member) == 75
    assert_no_sideways_scroll(page, viewport)
    assert not errors, f"errors in the browser console: {errors}"


@PHONE_ONLY
def test_a_double_tap_records_the_purchase_once(page, team, sign_in, member):
    errors = console_errors(page)
    sign_in(page, team.staff)

    points = open_member(page, member)
    expect(points.get_by_role("heading", level=2)).to_have_text("Points: 0")
    form = purchase_form(points)
    form.get_by_label("Amount").fill("12.50")
    record = form.get_by_role("button", name="Record purchase")
    record.scroll_into_view_if_needed()

    # Hold each POST in the browser, so that the second tap lands on the same page while
    # the first is still on its way (a real double tap on a slow connection); then let
    # both reach the server, the first the browser gave up on included.
    held = []
    page.route("**/purchases/", lambda route: held.append(route))
    box = record.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # The mouse, not `record.click()`: a locator's click waits for the first navigation.
    page.mouse.click(x, y)
    wait_for(
        lambda: len(held) == 1, timeout=5, pause=page_pause(page), message="the first tap's POST"
    )
    page.mouse.click(x, y)
    wait_for(
        lambda: len(held) == 2, timeout=5, pause=page_pause(page), message="the second tap's POST"
    )
    first, second = held
    assert first.request.post_data == second.request.post_data  # the same ticket number
    assert first.fetch(max_redirects=0).status == 302  # recorded, for the browser to forget
    second.fulfill(response=second.fetch(max_redirects=0))

    expect(page).to_have_url(re.compile(rf"/members/{member.public_id}/$"))
    expect(page.locator(".messages")).to_contain_text(
        "Already recorded: this ticket earned its points before."
    )
    points = page.locator("section#points")
    expect(points.get_by_role("heading", level=2)).to_have_text("Points: 125")
    expect(points.locator("table tbody tr")).to_have_count(1)
    assert Purchase.objects.filter(member=member).count() == 1
    assert points_balance(member=member) == 125
    assert not errors, f"errors in the browser console: {errors}"
