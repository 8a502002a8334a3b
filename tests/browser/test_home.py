"""The home page of a manager with figures: the week card loads by htmx, the "act now"
card shows its lines, and nothing scrolls sideways on a 360 px phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.analytics.factories import at, refresh
from tests.browser.conftest import PHONE, VIEWPORTS, console_errors
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.browser


@VIEWPORTS
def test_a_managers_home_with_this_week_and_what_to_act_on(page, team, sign_in, viewport):
    # Someone who last came 92 days ago: turned at risk a day or two ago.
    from django.utils import timezone

    from apps.core.models import Merchant

    Merchant.objects.filter(pk=team.merchant.pk).update(
        name="Panadería y Pastelería Artesanal Hermanos Fernández de la Vega"
    )
    now = timezone.now()
    member = enroll(team, enrolled_at=at(2020, 1, 1))
    buy(team, member, 123_456, at=now - timedelta(days=92))
    buy(team, enroll(team), 98_765, at=now - timedelta(hours=2))
    refresh()
    errors = console_errors(page)
    sign_in(page, team.manager)

    page.goto("/")

    expect(page.locator("#week-returning")).to_be_visible()  # swapped in by htmx
    expect(page.locator("#act-turned-at-risk")).to_contain_text("1 member turned at risk")
    expect(page.get_by_role("button", name="Start a win-back")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if viewport == PHONE:
        assert width <= PHONE["width"], f"the home page scrolls sideways: {width}"
    assert errors == []
