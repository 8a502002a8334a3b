"""Layout and accessibility: phone widths, the keyboard, labels, and no third-party requests."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

# For each visible form control: a description when it has no accessible label, else None.
UNLABELLED_JS = """
(controls) => controls
  .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")
  .map((el) => {
    const byFor = el.id
      ? [...document.querySelectorAll("label[for]")].filter((l) => l.htmlFor === el.id)
      : [];
    const labels = [...byFor, ...(el.labels || [])];
    const labelled = labels.some((label) => label.textContent.trim() !== "");
    const ariaLabel = (el.getAttribute("aria-label") || "").trim() !== "";
    const labelledBy = (el.getAttribute("aria-labelledby") || "")
      .split(/\\s+/)
      .filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || "").trim() !== "");
    return {
      control: `${el.tagName.toLowerCase()} name=${el.name} id=${el.id}`,
      labelled: labelled || ariaLabel || labelledBy,
    };
  })
"""
FORM_CONTROLS = (
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]),"
    " select, textarea"
)


def sign_in_for(page_name: str, team, sign_in, page) -> None:
    """Who opens `page_name`: nobody for the entrance pages, else an owner or a newcomer."""
    if page_name in {"signup", "login"}:
        return
    sign_in(page, UserFactory() if page_name == "new business" else team.owner)


PAGES = {
    "signup": "/accounts/signup/",
    "login": "/accounts/login/",
    "new business": "/business/new/",
    "home": "/",
    "team": "/team/",
    "locations": "/locations/",
}


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
@pytest.mark.parametrize("page_name", list(PAGES))
def test_no_horizontal_scroll_on_a_phone(page, team, sign_in, page_name):
    sign_in_for(page_name, team, sign_in, page)
    page.goto(PAGES[page_name])
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= PHONE["width"], f"{page_name} scrolls sideways: {widths}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_long_business_and_person_names_do_not_widen_a_phone_page(page, team, sign_in):
    from apps.core.models import Merchant

    Merchant.objects.filter(pk=team.merchant.pk).update(
        name="Panadería y Pastelería Artesanal Hermanos Fernández de la Vega"
    )
    team.owner.first_name, team.owner.last_name = "Maximiliano Alejandro", "Fernández-Villaverde"
    team.owner.save()
    sign_in(page, team.owner)
    for path in ("/", "/members/counter/", "/team/"):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width}"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "owner"])
def test_tab_reaches_the_skip_link_first_and_enter_moves_focus_to_main(
    page, team, sign_in, signed_in
):
    if signed_in:
        sign_in(page, team.owner)
        page.goto("/")
    else:
        page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#main$"))


@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_visible_form_control_has_a_label(page, team, sign_in, page_name):
    sign_in_for(page_name, team, sign_in, page)
    page.goto(PAGES[page_name])
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    controls = page.locator(FORM_CONTROLS).evaluate_all(UNLABELLED_JS)
    assert controls, f"no visible form control on {page_name}"
    unlabelled = [item["control"] for item in controls if not item["labelled"]]
    assert not unlabelled, f"unlabelled on {page_name}: {unlabelled}"


def test_pages_load_nothing_from_other_hosts(page, team, sign_in, live_server):
    origin = urlsplit(live_server.url)
    requested: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    htmx_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            htmx_requests.append(request.url) if request.headers.get("hx-request") else None
        ),
    )
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    page.goto("/accounts/signup/")
    page.goto("/accounts/login/")
    sign_in(page, team.owner)
    for url in ("/", "/team/", "/business/settings/", "/activity/", "/locations/"):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # An htmx request too: adding a location swaps the list in place.
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label(re.compile(r"^Name:?$")).fill("Harbour kiosk")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_role("cell", name="Harbour kiosk", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/locations/$"))
    assert htmx_requests, "adding a location did not go through htmx"
    page.goto("/business/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a business")

    assert any(url.endswith(".css") for url in requested)
    assert any(url.endswith(".js") for url in requested)
    foreign = [
        url
        for url in requested
        if not url.startswith(("data:", "blob:", "about:"))
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not console_errors, f"errors in the browser console: {console_errors}"
