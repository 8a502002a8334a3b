"""The counter's card, right after enrollment: a member with a phone and no email scans a
QR code of their own card link with their phone; the page says where the link went."""

import re
from urllib.parse import urlsplit

import pytest
import segno
from django.urls import reverse

from apps.members.models import Member
from apps.members.services import member_erase
from apps.messaging.links import CARD, member_for_token
from apps.messaging.models import MessagingSettings
from apps.portal.counter import QR_BORDER, QR_SCALE
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

HEADING = "Scan to keep your card on your phone"


def enroll_at_counter(client, **fields) -> tuple[Member, object]:
    """The counter's enrollment form, then the card page it leads to."""
    response = client.post(reverse("members:enroll"), fields)
    assert response.status_code == 302, response.content
    member = Member.objects.get(first_name=fields["first_name"])
    assert response["Location"] == reverse("members:card", args=[member.public_id])
    return member, client.get(response["Location"])


def section_of(page) -> str:
    found = re.search(r'<section id="card-link".*?</section>', page.text, re.S)
    return found.group(0) if found else ""


def shown_card_url(page) -> str:
    """The link the section's QR code encodes (the context it was rendered with)."""
    return page.context["card_url"]


def qr_path(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)


def test_a_phone_only_member_gets_a_qr_code_of_a_working_card_link(team, client_as, client):
    staff = client_as(team.staff)

    member, page = enroll_at_counter(staff, first_name="Lucía", phone="600 12 34 56")

    assert page.status_code == 200
    section = section_of(page)
    assert HEADING in section
    url = shown_card_url(page)
    # The QR code holds exactly that link (same modules as a QR code made from it)...
    expected = segno.make(url, error="m", micro=False).svg_inline(
        scale=QR_SCALE, border=QR_BORDER, omitsize=True
    )
    assert qr_path(section) == qr_path(expected)
    # ... a genuine card link of this member, of their current version...
    token = urlsplit(url).path.removeprefix("/c/").rstrip("/")
    assert member_for_token(token=token, purpose=CARD) == member
    # ... which opens their card, with no session at all.
    client.logout()
    card = client.get(urlsplit(url).path)
    assert card.status_code == 200
    assert "Lucía" in card.text
    assert member.card_code_display in card.text
    assert "by SMS" not in section  # the shop sends no SMS welcome


def test_the_page_says_when_the_link_also_went_by_sms(
    team, client_as, django_capture_on_commit_callbacks
):
    from apps.messaging.sms import outbox

    MessagingSettings.objects.create(merchant=team.merchant, welcome_sms=True)
    staff = client_as(team.staff)

    with django_capture_on_commit_callbacks(execute=True):
        member, _page = enroll_at_counter(staff, first_name="Lucía", phone="600 12 34 57")
    page = staff.get(reverse("members:card", args=[member.public_id]))

    [sms] = outbox
    assert sms.to == "+34600123457"
    section = section_of(page)
    assert HEADING in section  # the QR code still: the SMS may come later than the customer goes
    assert f"The link was also sent by SMS to {member.phone_display}." in section
    # the SMS and the QR code open the same card
    sms_link = re.search(r"https?://\S+/c/[^/\s]+/", sms.body).group(0)
    assert (
        urlsplit(sms_link).path.split(":")[0] == urlsplit(shown_card_url(page)).path.split(":")[0]
    )


def test_a_member_with_an_email_is_told_the_link_was_emailed_and_gets_no_qr(team, client_as):
    staff = client_as(team.staff)

    member, page = enroll_at_counter(staff, first_name="Ana", email="ana@example.com")

    section = section_of(page)
    assert "The link to the card was emailed to ana@example.com." in section
    assert HEADING not in section
    assert "<svg" not in section
    assert page.text.count("<svg") == 1  # the card code's own QR code, for the counter


def test_a_member_with_an_email_the_shop_sends_no_welcome_gets_the_qr(team, client_as):
    MessagingSettings.objects.create(merchant=team.merchant, welcome_email=False)
    staff = client_as(team.staff)

    member, page = enroll_at_counter(staff, first_name="Ana", email="ana@example.com")

    section = section_of(page)
    assert HEADING in section
    assert "emailed" not in section


def test_another_merchants_staff_cannot_see_the_card_or_its_link(team, other_team, client_as):
    member = enroll(team, first_name="Lucía", phone="+34 600 12 34 58")

    page = client_as(other_team.staff).get(reverse("members:card", args=[member.public_id]))

    assert page.status_code == 404
    assert "/c/" not in page.text
    assert "Lucía" not in page.text


def test_an_erased_member_has_no_link_to_give(team, client_as):
    member = enroll(team, first_name="Lucía", phone="+34 600 12 34 59")
    member_erase(member=member, actor=team.owner)

    page = client_as(team.staff).get(reverse("members:card", args=[member.public_id]))

    assert page.status_code == 200
    assert section_of(page) == ""
    assert "/c/" not in page.text
