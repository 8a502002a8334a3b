"""The member's card page in a real browser: it fits a phone and a desktop, works by
keyboard and without JavaScript, passes axe-core's WCAG 2 A/AA rules, installs as an app
whose service worker never keeps the card or its link, and stays light."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.members.services import member_links_revoke
from apps.messaging.links import ERASE, member_token, unsubscribe_url
from apps.portal.selectors import card_url
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import points_adjust
from apps.programs.rewards.services import reward_create
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    VIEWPORTS,
    console_errors,
)
from tests.conftest import CHROMIUM_PATH
from tests.coupons.factories import give_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import referrals_on
from tests.tiers.factories import set_up_tiers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_ONLY = pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
# axe-core's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA (contrast and labels among them).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MAX_PAGE_BYTES = 150 * 1024

# Where keyboard focus is, and whether a person can see it and a screen reader name it.
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute("type") || "",
    name: el.getAttribute("name") || "",
    text: (el.textContent || "").trim(),
    focusVisible: el.matches(":focus-visible"),
    outline: outline || style.boxShadow !== "none",
  };
}
"""

CACHED_URLS_JS = """
async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(request.url);
  }
  return urls;
}
"""


@pytest.fixture
def ana(team):
    """A member with something in every part of her card: points that expire soon, a
    tier to reach, a coupon, rewards, an invitation link and a shop to visit."""
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=1, expiry_months=1
    )
    set_up_tiers(team)
    referrals_on(team)
    for name, cost in [("Café", 20), ("Tarta", 5_000)]:
        reward_create(
            merchant=team.merchant,
            actor=team.manager,
            name=name,
            kind="free_product",
            product_name=name,
            points_cost=cost,
        )
    ana = enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)
    for amount in (2500, 1250, 4000):
        buy(team, ana, amount)
    points_adjust(member=ana, points=40, reason="Birthday", actor=team.manager)
    give_coupon(
        team, ana, value=500, min_spend=2000, expires_at=timezone.now() + timedelta(days=30)
    )
    ana.refresh_from_db()
    return ana


def card_path(member) -> str:
    return urlsplit(card_url(member=member)).path


def assert_no_sideways_scroll(page) -> None:
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def assert_the_card_shows(page, member) -> None:
    expect(page.locator(".balance strong")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator(".balance")).to_be_visible()
    expect(page.get_by_text(member.card_code_display, exact=True)).to_be_visible()
    qr = page.get_by_role("img", name=f"QR code of card {member.card_code_display}")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150, f"the QR code is too small to scan: {box}"


def axe_violations(page) -> list[str]:
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']}: {node['target']} {node['failureSummary']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


@VIEWPORTS
def test_the_card_fits_the_screen_and_works_by_keyboard(page, viewport, ana):
    errors = console_errors(page)

    page.goto(card_path(ana))

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ana")
    assert_the_card_shows(page, ana)
    expect(page.get_by_role("heading", name="Your coupons")).to_be_visible()
    expect(page.get_by_role("heading", name="Points expiring")).to_be_visible()
    expect(page.get_by_label("Your invitation link")).to_be_visible()
    assert_no_sideways_scroll(page)

    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused is None or focused in reached:
            break
        reached.append(focused)
        assert focused["focusVisible"], f"no :focus-visible on {focused}"
        assert focused["outline"], f"focus not visible on {focused}"
        expect(page.locator(":focus")).to_have_accessible_name(re.compile(r"\S"))
    names = {(item["tag"], item["name"] or item["text"]) for item in reached}
    for control in [
        ("input", "consent_email"),
        ("input", "consent_sms"),
        ("select", "language"),
        ("button", "Save"),
        ("button", "Stop every link to this page"),
        ("button", "Download my data"),
        ("button", "Delete my account"),
    ]:
        assert control in names, f"Tab never reaches {control}: {reached}"
    assert not errors, f"errors in the browser console: {errors}"


@PHONE_ONLY
def test_the_card_and_its_neighbours_pass_axe(page, viewport, ana, team):
    page.goto(card_path(ana) + "?saved=1")  # with the "Saved." notice
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert axe_violations(page) == []

    for path, status in [("/c/offline/", 200), ("/c/not-a-token/", 404)]:
        response = page.goto(path)
        assert response.status == status
        assert axe_violations(page) == [], path
        assert_no_sideways_scroll(page)

    page.goto(urlsplit(unsubscribe_url(member=ana, channel="email")).path)
    expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)

    page.goto(reverse("portal:erase_confirm", args=[member_token(member=ana, purpose=ERASE)]))
    expect(page.get_by_role("button", name="Delete my data")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)

    old = card_path(ana)
    member_links_revoke(member=ana, source="dashboard", actor=team.manager)
    response = page.goto(old)
    assert response.status == 410
    expect(page.get_by_role("button", name="Email me a new link")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)


def test_the_card_shows_without_javascript(new_page, ana):
    page = new_page(PHONE, java_script_enabled=False)

    page.goto(card_path(ana))

    assert_the_card_shows(page, ana)
    assert_no_sideways_scroll(page)


@pytest.fixture
def installable_page(playwright, live_server, tmp_path, viewport):
    """A page in a Chromium profile on disk: Chromium offers no install in the incognito
    contexts that `new_page` opens. Service workers are allowed."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM_PATH,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport=viewport,
        locale="en-US",
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


def test_the_card_installs_and_its_service_worker_keeps_no_card(installable_page, ana):
    page = installable_page
    path = card_path(ana)
    token = path.strip("/").split("/")[1]

    page.goto(path)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which must not keep it either
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ana")
    cdp = page.context.new_cdp_session(page)
    installability = cdp.send("Page.getInstallabilityErrors")
    manifest = cdp.send("Page.getAppManifest")

    assert installability["installabilityErrors"] == []
    assert manifest["errors"] == []
    assert manifest["url"].endswith(f"{path}manifest.webmanifest")
    cached = page.evaluate(CACHED_URLS_JS)
    assert cached, "the service worker keeps the page's shell"
    leaked = [url for url in cached if token in url or path in url]
    assert leaked == []


@PHONE_ONLY
def test_the_card_page_weighs_under_150_kb(installable_page, viewport, ana):
    """Everything a first visit downloads: the page, what it links to, and what the service
    worker fetches to keep (the offline page, the icons)."""
    page = installable_page
    path = card_path(ana)
    responses = []
    page.context.on("response", lambda response: responses.append(response))

    page.goto(path)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_load_state("networkidle")

    sizes = {}
    for response in responses:
        transferred = response.request.sizes()
        shown = urlsplit(response.url).path.replace(path, "/c/<token>/")
        sizes[shown] = sizes.get(shown, 0) + (
            transferred["responseBodySize"] + transferred["responseHeadersSize"]
        )
    total = sum(sizes.values())
    print(f"\ncard page, first visit: {total:,} bytes transferred: {sizes}")
    assert {"/c/<token>/", "/static/css/member.css", "/static/portal/card.js"} <= set(sizes)
    assert total < MAX_PAGE_BYTES
