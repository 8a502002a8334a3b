"""The counter: enroll a customer, find a member as you type, show and scan the card."""

import re

import pytest
import segno
from playwright.sync_api import expect

from apps.members.models import Channel, Member
from tests.browser.conftest import PHONE, VIEWPORTS, console_errors, qr_reader_js
from tests.members.factories import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Lucía's card code, fixed so that the test can type it. It has letters on purpose: a
# code of digits only is read by the search box as (part of) a phone number.
CARD_CODE = "K7QM4X2P"
CARD_CODE_DISPLAY = "K7QM-4X2P"
CARD_CODE_SHAPE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$")
CARD_PAGE = re.compile(r"/members/mbr_[0-9a-z]+/card/$")
PHONE_LABEL = re.compile(r"^Phone:?$")  # Django adds the colon


@pytest.fixture
def lucia(team, monkeypatch) -> Member:
    with monkeypatch.context() as patch:
        patch.setattr("apps.members.services.enrollment.new_card_code", lambda: CARD_CODE)
        member = enroll(team, first_name="Lucía", last_name="García", phone="600123456")
    assert member.card_code == CARD_CODE
    return member


@pytest.fixture
def marco(team) -> Member:
    return enroll(team, first_name="Marco", last_name="Rossi")


def nav_link(page, label: str):
    return page.get_by_role("navigation").get_by_role("link", name=label, exact=True)


def search_box(page):
    return page.get_by_role("searchbox", name="Find a member")


def result(page, member: Member):
    return page.locator("#results").get_by_role(
        "link", name=re.compile(re.escape(member.display_name))
    )


def assert_no_sideways_scroll(page, viewport) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= viewport["width"], f"{page.url} scrolls sideways: {widths}"


@VIEWPORTS
def test_staff_enrolls_a_customer_at_their_location(page, viewport, team, sign_in):
    errors = console_errors(page)
    sign_in(page, team.staff)

    expect(page.get_by_role("heading", name="Where are you working?")).to_be_visible()
    page.get_by_label("Your location").select_option(label="Main street")
    page.get_by_role("button", name="Use this location").click()
    expect(page.locator(".messages")).to_contain_text("Counter actions now record Main street.")

    nav_link(page, "Counter").click()
    expect(page).to_have_url(re.compile(r"/members/counter/$"))
    expect(nav_link(page, "Counter")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Choose your location")).to_have_count(0)
    assert_no_sideways_scroll(page, viewport)

    enroll_form = page.locator("form").filter(has=page.get_by_role("button", name="Enroll"))
    enroll_form.get_by_label("First name").fill("Ana")
    enroll_form.get_by_label(PHONE_LABEL).fill("600 12 34 56")
    enroll_form.get_by_label("Agrees to receive offers by email").check()
    enroll_form.get_by_role("button", name="Enroll").click()

    expect(page).to_have_url(CARD_PAGE)
    expect(page.locator(".messages")).to_contain_text("Welcome, Ana! Here is the card.")
    member = Member.objects.get(merchant=team.merchant)
    assert CARD_CODE_SHAPE.match(member.card_code_display)
    card = page.locator("article.member-card")
    expect(card.locator("svg")).to_be_visible()
    expect(card.locator("svg title")).to_have_text(f"Card {member.card_code_display}")
    expect(card.get_by_label("Card code")).to_have_text(member.card_code_display)
    expect(card).to_contain_text("Ana")
    assert page.url.endswith(f"/members/{member.public_id}/card/")

    assert member.first_name == "Ana"
    assert member.channel == Channel.COUNTER
    assert member.location == team.merchant_location
    assert member.phone == "+34600123456"
    assert (member.consent_email, member.consent_sms) == (True, False)
    assert member.enrolled_by == team.staff
    assert not errors, f"errors in the browser console: {errors}"


@VIEWPORTS
def test_search_finds_a_member_as_you_type(page, team, sign_in, lucia, marco):
    errors = console_errors(page)
    htmx_searches: list[str] = []
    page.on(
        "request",
        lambda request: (
            htmx_searches.append(request.url) if request.headers.get("hx-request") else None
        ),
    )
    sign_in(page, team.staff)
    nav_link(page, "Counter").click()
    expect(page).to_have_url(re.compile(r"/members/counter/$"))
    page.wait_for_function("() => window.htmx !== undefined")
    search = search_box(page)

    for term in ("+34 600-123-456", "lucia", "k7qm-4x2p"):
        search.fill("")
        expect(page.locator("#results li")).to_have_count(0)
        search.press_sequentially(term)  # no Enter: the results come as the cashier types
        expect(result(page, lucia)).to_be_visible(timeout=2_000)
        expect(result(page, lucia)).to_contain_text(CARD_CODE_DISPLAY)
        expect(result(page, lucia)).to_contain_text("+34 600 12 34 56")
        expect(result(page, marco)).to_have_count(0)
        expect(page).to_have_url(re.compile(r"/members/counter/$"))  # no page load
    assert any("q=k7qm-4x2p" in url for url in htmx_searches), htmx_searches

    search.fill("")
    search.press_sequentially("nobody")
    expect(page.locator("#results")).to_contain_text("Nobody found for “nobody”.")

    search.fill("")
    search.press_sequentially("k7qm-4x2p")
    result(page, lucia).click()
    expect(page).to_have_url(re.compile(rf"/members/{lucia.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucía García")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator("ol.timeline li").first).to_contain_text("Enrolled (counter)")
    assert not errors, f"errors in the browser console: {errors}"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_enrolling_a_known_phone_again_points_to_the_member(page, team, sign_in, lucia):
    errors = console_errors(page)
    sign_in(page, team.staff)
    page.goto("/members/counter/")

    enroll_form = page.locator("form").filter(has=page.get_by_role("button", name="Enroll"))
    enroll_form.get_by_label("First name").fill("Lucia")
    enroll_form.get_by_label(PHONE_LABEL).fill("+34 600-12-34-56")
    enroll_form.get_by_role("button", name="Enroll").click()

    expect(page).to_have_url(re.compile(r"/members/counter/enroll/$"))
    expect(page.get_by_text("Lucía García already has this phone number.")).to_be_visible()
    existing = page.get_by_role("alert").get_by_role(
        "link", name=f"Lucía García ({CARD_CODE_DISPLAY})"
    )
    expect(existing).to_be_visible()
    # What the cashier typed stays, to correct it if it was a typo.
    expect(enroll_form.get_by_label(PHONE_LABEL)).to_have_value("+34 600-12-34-56")
    assert Member.objects.filter(merchant=team.merchant).count() == 1

    existing.click()
    expect(page).to_have_url(re.compile(rf"/members/{lucia.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucía García")
    assert Member.objects.filter(merchant=team.merchant).count() == 1
    # The refused form comes back with status 400, which Chromium logs; nothing else.
    bad_request = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert errors == [bad_request], f"errors in the browser console: {errors}"


@VIEWPORTS
def test_the_card_shows_the_qr_code_and_prints(page, viewport, team, sign_in, lucia):
    errors = console_errors(page)
    sign_in(page, team.staff)
    page.goto(f"/members/{lucia.public_id}/")

    page.get_by_role("button", name="Card", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/members/{lucia.public_id}/card/$"))
    card = page.locator("article.member-card")
    qr = card.locator("svg")
    expect(qr).to_be_visible()
    expect(card.get_by_label("Card code")).to_have_text(CARD_CODE_DISPLAY)
    box = qr.bounding_box()
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert_no_sideways_scroll(page, viewport)

    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    card.get_by_role("button", name="Print").click()
    assert page.evaluate("() => window.printed === true")
    expect(card.get_by_role("link", name="Back to the counter")).to_be_visible()
    assert not errors, f"errors in the browser console: {errors}"


def test_the_card_qr_code_reads_with_the_counter_scanner(page, team, sign_in, lucia):
    sign_in(page, team.staff)
    page.goto(f"/members/{lucia.public_id}/card/")
    expect(page.locator(".member-card svg")).to_be_visible()
    page.add_script_tag(url="/static/vendor/jsqr/jsQR.js")
    page.wait_for_function("() => window.jsQR !== undefined")

    assert page.evaluate(qr_reader_js(".member-card svg")) == CARD_CODE


# The fake camera: a few identical frames showing a QR code, as a Y4M (YUV 4:2:0) file.
FRAME_SIZE = (640, 480)
BLACK, WHITE, NEUTRAL = 16, 235, 128  # studio-range luma; neutral chroma


def qr_video(code: str, path, frames: int = 10, module_px: int = 12):
    width, height = FRAME_SIZE
    # A full QR code, never a Micro QR: jsQR (and phone cameras) read only full ones.
    qr = segno.make(code, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=module_px, border=4)]
    top, left = (height - len(matrix)) // 2, (width - len(matrix[0])) // 2
    luma = bytearray([WHITE]) * (width * height)
    for y, row in enumerate(matrix):
        start = (top + y) * width + left
        luma[start : start + len(row)] = bytes(BLACK if dark else WHITE for dark in row)
    chroma = bytes([NEUTRAL]) * ((width // 2) * (height // 2))
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_scanning_the_card_with_the_camera_finds_the_member(
    new_page, viewport, tmp_path, live_server, team, sign_in, lucia
):
    assert live_server.url.startswith("http://localhost:"), "the camera needs a secure context"
    video = qr_video(lucia.card_code, tmp_path / "card.y4m")
    page = new_page(
        viewport,
        chromium_args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
        permissions=["camera"],
    )
    errors = console_errors(page)
    sign_in(page, team.staff)
    page.goto("/members/counter/")
    page.wait_for_function("() => window.htmx !== undefined && window.jsQR !== undefined")
    expect(search_box(page)).to_have_value("")

    page.get_by_role("button", name="Scan card").click()
    dialog = page.get_by_role("dialog", name="Scan a member card")

    expect(search_box(page)).to_have_value(CARD_CODE)
    expect(dialog).to_be_hidden()
    expect(search_box(page)).to_be_focused()
    expect(result(page, lucia)).to_be_visible(timeout=2_000)
    expect(result(page, lucia)).to_contain_text(CARD_CODE_DISPLAY)
    assert not errors, f"errors in the browser console: {errors}"
