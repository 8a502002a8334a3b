"""The analytics dashboard in a real browser: the shell, each card filled by its own
request, a chart drawn with the expected numbers (and the same numbers in its table), a
figure's definition on focus, the members behind a number; on a phone and a desktop."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.analytics.cards import KPI_CARDS
from tests.analytics.factories import refresh
from tests.browser.conftest import VIEWPORTS, console_errors
from tests.browser.test_counter_points import assert_no_sideways_scroll
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def _small_shop(team):
    """Three purchases on three days of the last week; one member never came back."""
    ana = enroll(team, first_name="Ana", last_name="Gil")
    bea = enroll(team, first_name="Bea", last_name="Sol")
    buy(team, ana, 1000, at=_days_ago(5))
    buy(team, bea, 1500, at=_days_ago(4))
    buy(team, ana, 2000, at=_days_ago(3))
    refresh()
    return ana, bea


@VIEWPORTS
def test_the_dashboard_fills_every_card_and_draws_the_revenue_chart(page, viewport, team, sign_in):
    _small_shop(team)
    errors = console_errors(page)
    sign_in(page, team.manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(re.compile(r"/analytics/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    for _name, (title, _build) in KPI_CARDS.items():
        card = page.locator("article.analytics-card").filter(
            has=page.get_by_role("heading", name=title, exact=True)
        )
        expect(card.get_by_role("link", name=f"{title} as CSV")).to_be_visible()

    revenue = page.locator("#card-revenue")
    expect(revenue.locator(".figure").first).to_contain_text(re.compile(r"45,00\s€"))
    canvas = revenue.locator("canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    drawn = canvas.evaluate("(canvas) => Chart.getChart(canvas).data.datasets[0].data")
    assert drawn == [10.0, 15.0, 20.0]
    box = canvas.bounding_box()
    assert box["width"] > 100  # really drawn, not collapsed
    assert box["height"] > 100

    revenue.get_by_text("Revenue by day").click()  # the chart's numbers, as a table
    rows = revenue.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text(re.compile(r"20,00\s€"))

    members = page.locator("#card-statuses")
    expect(members.locator(".figure").filter(has_text="Active")).to_contain_text("2")
    assert_no_sideways_scroll(page, viewport)
    assert not errors, f"errors in the browser console: {errors}"


@VIEWPORTS
def test_a_definition_shows_on_focus_and_a_number_opens_its_members(page, viewport, team, sign_in):
    _small_shop(team)
    sign_in(page, team.manager)
    page.goto("/analytics/?preset=7&compare=on")

    retention = page.locator("#card-retention")
    label = retention.get_by_text("Retention rate", exact=True)
    label.focus()
    expect(label).to_be_focused()
    expect(label).to_have_attribute("data-tooltip", re.compile(r"active members at the start"))
    expect(page.locator("#card-repeat")).to_contain_text("50 %")  # Ana came back, Bea not

    page.locator("#card-statuses").get_by_role("link", name=re.compile(r"^Active: 2")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Active members")
    expect(page.get_by_role("link", name="Ana Gil")).to_be_visible()
    expect(page.get_by_role("link", name="Bea Sol")).to_be_visible()
    assert_no_sideways_scroll(page, viewport)


def test_a_bad_period_is_a_form_error_and_no_card_is_asked_for(page, team, sign_in):
    sign_in(page, team.manager)
    page.goto("/analytics/")
    page.get_by_role("combobox", name="Period").select_option("custom")
    page.get_by_label("From:", exact=True).fill("2026-03-10")
    page.get_by_label("To (included):", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("The last day comes on or after the first.")
    expect(page.locator("article.analytics-card")).to_have_count(0)
