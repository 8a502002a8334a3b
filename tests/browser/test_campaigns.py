"""Campaigns in a real browser, on a phone and a desktop: a manager builds a segment (a
condition added, the live count changes), writes a campaign, previews it as a member gets
it, sends it and watches the progress reach 100 %; then reads its report. No console
errors (a content security policy violation is one), no sideways scroll, and axe-core's
WCAG 2 A/AA rules pass on each campaign page. The automations' list fits a phone and
its switches work from the keyboard."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.models import Automation, Campaign, CampaignStatus
from apps.campaigns.services import segment_create
from apps.campaigns.services.editing import CampaignFields, campaign_create
from apps.campaigns.services.sending import campaign_freeze, campaign_send_inline
from apps.messaging.models import Delivery, State
from tests.browser.conftest import PHONE, VIEWPORTS, console_errors
from tests.browser.test_card_page import WCAG_AA
from tests.browser.test_counter_points import assert_no_sideways_scroll
from tests.browser.test_layout import FORM_CONTROLS, UNLABELLED_JS
from tests.members.factories import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def axe_violations(page) -> list[str]:
    """As tests/browser/test_card_page.py checks, leaving out the email's preview: a
    sandboxed frame that runs no script (axe could only wait for it), holding the
    member's email, which is not a page of ours."""
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_AA},
            "resultTypes": ["violations"],
            "iframes": False,
        },
    )
    return [
        f"{violation['id']}: {node['target']} {node['failureSummary']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def _members(team):
    return [
        enroll(
            team, first_name="Ana", last_name="Gil", email="ana@example.com", consent_email=True
        ),
        enroll(
            team, first_name="Bea", last_name="Sol", email="bea@example.com", consent_email=True
        ),
        enroll(
            team, first_name="Ciro", last_name="Paz", email="ciro@example.com", consent_email=True
        ),
        enroll(team, first_name="Dora", last_name="Luz"),
    ]


def assert_tab_reaches(page, target, presses: int = 80) -> None:
    """The keyboard alone gets there: Tab from the top of the page."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reaches {target}")


def htmx_settled(page) -> None:
    """Wait until htmx has no request out and has settled what it swapped in: before,
    new controls are visible but not yet wired (a change there would go unheard)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")


def build_segment(page) -> None:
    """The builder starts with "status is at risk" (nobody: they all just joined); a
    condition on marketing email, matched with "any", brings in the three who accept it."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("button", name="New segment").click()
    page.get_by_label("Name", exact=True).fill("Email fans")
    count = page.locator(".segment-count strong")
    expect(count).to_have_text("0")

    page.get_by_role("button", name="Add a condition").click()
    expect(page.locator("#condition-1")).to_be_visible()
    htmx_settled(page)
    page.locator("#f1").select_option(label="Accepts marketing email")
    expect(page.locator("#v1")).to_have_value("true")
    page.get_by_label("any of these conditions").check()
    expect(count).to_have_text("3")  # the live count, without saving
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Saved the segment Email fans.")).to_be_visible()


def write_campaign(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    page.get_by_role("button", name="New campaign").click()
    page.get_by_label("Name:", exact=True).fill("Spring is here")
    page.get_by_label("Segment:", exact=True).select_option(label="Email fans")
    expect(page.locator("#segment-size")).to_contain_text("Email fans: 3 members today.")
    page.get_by_label("Email subject (English):").fill("Spring, {{ first_name }}")
    page.get_by_label("Email text (English):").fill("<p>Come and see, {{ first_name }}.</p>")
    page.get_by_label("Bonus points").check()
    page.get_by_label("Points:", exact=True).fill("50")
    assert axe_violations(page) == []
    controls = page.locator(FORM_CONTROLS).evaluate_all(UNLABELLED_JS)
    assert not [item["control"] for item in controls if not item["labelled"]]
    assert_tab_reaches(page, page.get_by_role("button", name="Save the draft"))
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring is here")
    email = page.frame_locator("iframe.email-preview")  # the first of the segment's members
    expect(email.get_by_text(re.compile(r"^Come and see, \w+\.$"))).to_be_visible()


def preview_campaign(page) -> None:
    preview = page.locator("#campaign-preview")
    expect(preview).to_contain_text("Subject: Spring, ")
    page.get_by_label("Find a member").fill("Bea")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(preview).to_contain_text("Subject: Spring, Bea")
    email = page.frame_locator("iframe.email-preview")
    expect(email.get_by_text("Come and see, Bea.")).to_be_visible()
    page.get_by_role("button", name="Send a test to me").click()
    expect(page.get_by_text(re.compile(r"Sent a test, as Bea Sol gets it, to "))).to_be_visible()


@VIEWPORTS
def test_a_manager_builds_a_segment_writes_previews_and_sends_a_campaign(
    page, viewport, team, sign_in
):
    _members(team)
    errors = console_errors(page)
    sign_in(page, team.manager)

    build_segment(page)
    write_campaign(page)
    assert_no_sideways_scroll(page, viewport)
    mail.outbox.clear()
    preview_campaign(page)
    assert [message.subject for message in mail.outbox] == ["[Test] Spring, Bea"]
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, viewport)

    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the campaign?")
    page.get_by_role("button", name="Yes, send it now").click()
    progress = page.locator("#campaign-progress")
    expect(progress).to_contain_text("100 %")
    expect(page.locator("#campaign-progress-bar")).to_have_attribute("value", re.compile(r"^\d+$"))
    expect(page.locator("#campaign-status")).to_have_text("Sent")
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SENT
    treated = Delivery.objects.filter(source=campaign.source).exclude(state=State.HOLDOUT)
    assert treated.count() + Delivery.objects.filter(state=State.HOLDOUT).count() == 3
    assert all(state == State.SENT for state in treated.values_list("state", flat=True))
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, viewport)

    page.get_by_role("link", name="Report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report: Spring is here")
    expect(page.get_by_role("rowheader", name="Members", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, viewport)
    assert not errors, f"errors in the browser console: {errors}"


def test_the_sms_counter_and_estimate_follow_the_text_as_it_is_typed(page, team, sign_in):
    _members(team)  # each has a phone
    segment_create(merchant=team.merchant, actor=team.manager, name="All", rules={"all": []})
    errors = console_errors(page)
    sign_in(page, team.manager)
    page.goto("/campaigns/new/")
    page.get_by_label("Segment:", exact=True).select_option(label="All")
    page.get_by_label("SMS", exact=True).check()
    page.get_by_label("Informational").check()
    expect(page.get_by_label("Email subject (English):")).to_be_hidden()  # not for a text

    text = page.get_by_label("Text message (English):")
    text.fill("See you soon, {{ first_name }}!")
    size = page.locator("#sms-size-en")
    expect(size).to_have_text(re.compile(r"^\d+ characters, 1 segment \(GSM-7\)$"))
    estimate = page.locator("#campaign-estimate")
    expect(estimate).to_contain_text("4 segments in all")

    text.fill("See you soon, {{ first_name }} 🌸")  # an emoji: the whole text goes as UCS-2
    expect(size).to_have_text(re.compile(r"characters, 1 segment \(UCS-2\)$"))
    text.fill("🌸" * 40)
    expect(size).to_have_text(re.compile(r"^80 characters, 2 segments \(UCS-2\)$"))
    expect(estimate).to_contain_text("8 segments in all")
    assert not errors, f"errors in the browser console: {errors}"


def test_the_progress_bar_follows_a_send_and_stops_when_it_is_done(page, team, sign_in):
    """A send that runs in the background: the page polls its counts every 2 seconds,
    then, when it is over, stops and brings its buttons up to date."""
    _members(team)
    audience = segment_create(
        merchant=team.merchant, actor=team.manager, name="All", rules={"all": []}
    )
    campaign = campaign_create(
        merchant=team.merchant,
        actor=team.manager,
        fields=CampaignFields(
            name="Hours",
            segment=audience,
            channel="email",
            kind="informational",
            subject="New hours",
            body="<p>We open at nine.</p>",
            holdout_percent=0,
        ),
    )
    # Sending, its audience written, and no batch run yet (a worker would run them).
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING, started_at=timezone.now()
    )
    campaign_freeze(campaign_id=campaign.pk)
    errors = console_errors(page)
    sign_in(page, team.manager)
    page.goto(f"/campaigns/{campaign.pk}/")
    expect(page.locator("#campaign-progress")).to_contain_text("0 %")
    expect(page.locator("#campaign-progress")).to_contain_text("Left: 3")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    campaign_send_inline(campaign_id=campaign.pk)  # the worker's batches

    expect(page.locator("#campaign-progress")).to_contain_text("100 %", timeout=8000)
    expect(page.locator("#campaign-progress")).to_contain_text("Sent: 3")
    expect(page.locator("#campaign-status")).to_have_text("Sent")
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    expect(page.locator("#campaign-progress")).not_to_have_attribute("hx-trigger", re.compile("."))
    assert not errors, f"errors in the browser console: {errors}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_automations_fit_a_phone_and_the_switch_works_from_the_keyboard(
    page, viewport, team, sign_in
):
    errors = console_errors(page)
    sign_in(page, team.manager)
    page.goto("/campaigns/automations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Automations")
    switch = page.get_by_role("switch", name=re.compile("^Win-back"))
    expect(switch).to_have_attribute("aria-checked", "false")
    assert_no_sideways_scroll(page, viewport)
    assert axe_violations(page) == []

    # Tab to it and press Space: the card comes back on (htmx), the focus stays on it.
    assert_tab_reaches(page, switch)
    page.keyboard.press("Space")
    expect(switch).to_have_attribute("aria-checked", "true")
    htmx_settled(page)
    assert switch.evaluate("(el) => el === document.activeElement")
    assert Automation.objects.get(merchant=team.merchant, kind="win_back").enabled

    page.keyboard.press("Enter")  # and off again
    expect(switch).to_have_attribute("aria-checked", "false")
    assert not Automation.objects.get(merchant=team.merchant, kind="win_back").enabled
    assert_no_sideways_scroll(page, viewport)
    assert errors == []
